/* The loss family for Python: the functions PyTorch has at the top level
 * (embedding, embedding_renorm_, binary_cross_entropy_with_logits, kl_div,
 * cosine_similarity, pairwise_distance, constant_pad_nd) and those of
 * torch._C._nn as _nn_<name> (cross_entropy_loss, nll_loss_nd, mse_loss,
 * l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
 * soft_margin_loss, one_hot, pad, upsample_*). ctorch/nn/_functional/loss.py
 * gives them torch.nn.functional's signatures. Reductions are PyTorch's
 * enum: 0 none, 1 mean, 2 sum. */
#include "ct_python.h"

/* an optional tensor argument: NULL for absent or None */
static int opt_tensor(const char *fname, const char *name, PyObject *o, ct_tensor **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    return (*out = ct_arg_tensor(fname, name, o)) ? 0 : -1;
}

static int opt_int(const char *fname, const char *name, PyObject *o, int64_t dflt, int64_t *out) {
    *out = dflt;
    return o ? ct_arg_int(fname, name, o, out) : 0;
}

static int opt_double(const char *fname, const char *name, PyObject *o, double dflt, double *out) {
    *out = dflt;
    return o ? ct_arg_double(fname, name, o, out) : 0;
}

/* input and target, both tensors (args a[0], a[1]) */
static int two_tensors(const char *fname, PyObject **a, const char *n0, const char *n1, ct_tensor **x, ct_tensor **y) {
    if (!(*x = ct_arg_tensor(fname, n0, a[0]))) return -1;
    if (!(*y = ct_arg_tensor(fname, n1, a[1]))) return -1;
    return 0;
}

/* reduction as PyTorch's enum */
static int reduction_arg(const char *fname, PyObject *o, int64_t *out) {
    if (opt_int(fname, "reduction", o, 1, out) < 0) return -1;
    if (*out < 0 || *out > 2) {
        PyErr_Format(PyExc_ValueError, "%lld is not a valid value for reduction", (long long)*out);
        return -1;
    }
    return 0;
}

/* ---- class losses ---- */

static PyObject *f_cross_entropy_loss(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "target", "weight", "reduction", "ignore_index", "label_smoothing",
                                        NULL};
    PyObject *a[6];
    ct_tensor *x, *y, *w;
    int64_t red, ignore;
    double ls;
    if (ct_parse("cross_entropy_loss", args, nargs, kw, names, 6, a) < 0 ||
        two_tensors("cross_entropy_loss", a, "input", "target", &x, &y) < 0 ||
        opt_tensor("cross_entropy_loss", "weight", a[2], &w) < 0 || reduction_arg("cross_entropy_loss", a[3], &red) < 0 ||
        opt_int("cross_entropy_loss", "ignore_index", a[4], -100, &ignore) < 0 ||
        opt_double("cross_entropy_loss", "label_smoothing", a[5], 0.0, &ls) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_cross_entropy(x, y, w, (int)red, ignore, ls));
    return ct_wrap(r);
}

static PyObject *f_nll_loss_nd(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "target", "weight", "reduction", "ignore_index", NULL};
    PyObject *a[5];
    ct_tensor *x, *y, *w;
    int64_t red, ignore;
    if (ct_parse("nll_loss_nd", args, nargs, kw, names, 5, a) < 0 ||
        two_tensors("nll_loss_nd", a, "input", "target", &x, &y) < 0 || opt_tensor("nll_loss_nd", "weight", a[2], &w) < 0 ||
        reduction_arg("nll_loss_nd", a[3], &red) < 0 || opt_int("nll_loss_nd", "ignore_index", a[4], -100, &ignore) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_nll_loss(x, y, w, (int)red, ignore));
    return ct_wrap(r);
}

/* ---- pointwise losses: (input, target[, weight[, pos_weight]], reduction[, parameter]) ---- */

/* one pointwise loss; pname: its parameter (NULL: none), wnames: its weight arguments */
static PyObject *pointwise(const char *fname, ct_loss_kind kind, const char *const *names, int nweights,
                           const char *pname, double pdflt, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    PyObject *a[6];
    ct_tensor *x, *y, *w[2] = {NULL, NULL};
    int64_t red;
    double p = pdflt;
    if (ct_parse(fname, args, nargs, kw, names, 6, a) < 0 || two_tensors(fname, a, "input", "target", &x, &y) < 0)
        return NULL;
    for (int i = 0; i < nweights; i++)
        if (opt_tensor(fname, names[2 + i], a[2 + i], &w[i]) < 0) return NULL;
    if (reduction_arg(fname, a[2 + nweights], &red) < 0 ||
        (pname && opt_double(fname, pname, a[3 + nweights], pdflt, &p) < 0))
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_pointwise_loss(kind, x, y, w[0], w[1], p, (int)red));
    return ct_wrap(r);
}

#define CT_POINTWISE(fn, kind, nw, pname, pdflt, ...)                                                         \
    static PyObject *f_##fn(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {             \
        static const char *const names[] = {"input", "target", __VA_ARGS__, NULL};                            \
        return pointwise(#fn, kind, names, nw, pname, pdflt, args, nargs, kw);                                \
    }
CT_POINTWISE(mse_loss, CT_LOSS_MSE, 0, NULL, 0, "reduction")
CT_POINTWISE(smooth_l1_loss, CT_LOSS_SMOOTH_L1, 0, "beta", 1.0, "reduction", "beta")
CT_POINTWISE(huber_loss, CT_LOSS_HUBER, 0, "delta", 1.0, "reduction", "delta")
CT_POINTWISE(binary_cross_entropy, CT_LOSS_BCE, 1, NULL, 0, "weight", "reduction")
CT_POINTWISE(binary_cross_entropy_with_logits, CT_LOSS_BCE_LOGITS, 2, NULL, 0, "weight", "pos_weight", "reduction")
CT_POINTWISE(soft_margin_loss, CT_LOSS_SOFT_MARGIN, 0, NULL, 0, "reduction")

static PyObject *f_kl_div(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "target", "reduction", "log_target", NULL};
    PyObject *a[4];
    ct_tensor *x, *y;
    int64_t red;
    bool log_target;
    if (ct_parse("kl_div", args, nargs, kw, names, 3, a) < 0 || two_tensors("kl_div", a, "input", "target", &x, &y) < 0 ||
        reduction_arg("kl_div", a[2], &red) < 0 || ct_arg_bool("kl_div", "log_target", a[3], false, &log_target) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_pointwise_loss(CT_LOSS_KL_DIV, x, y, NULL, NULL, log_target, (int)red));
    return ct_wrap(r);
}

static PyObject *f_l1_loss(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "target", "reduction", NULL};
    PyObject *a[3];
    ct_tensor *x, *y;
    int64_t red;
    if (ct_parse("l1_loss", args, nargs, kw, names, 3, a) < 0 || two_tensors("l1_loss", a, "input", "target", &x, &y) < 0 ||
        reduction_arg("l1_loss", a[2], &red) < 0)
        return NULL;
    return ct_wrap(ct_l1_loss(x, y, (int)red));
}

/* ---- distances ---- */

static PyObject *f_cosine_similarity(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"x1", "x2", "dim", "eps", NULL};
    PyObject *a[4];
    ct_tensor *x, *y;
    int64_t dim;
    double eps;
    if (ct_parse("cosine_similarity", args, nargs, kw, names, 4, a) < 0 ||
        two_tensors("cosine_similarity", a, "x1", "x2", &x, &y) < 0 || opt_int("cosine_similarity", "dim", a[2], 1, &dim) < 0 ||
        opt_double("cosine_similarity", "eps", a[3], 1e-8, &eps) < 0)
        return NULL;
    return ct_wrap(ct_cosine_similarity(x, y, dim, eps));
}

static PyObject *f_pairwise_distance(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"x1", "x2", "p", "eps", "keepdim", NULL};
    PyObject *a[5];
    ct_tensor *x, *y;
    double p, eps;
    bool keepdim;
    if (ct_parse("pairwise_distance", args, nargs, kw, names, 5, a) < 0 ||
        two_tensors("pairwise_distance", a, "x1", "x2", &x, &y) < 0 || opt_double("pairwise_distance", "p", a[2], 2.0, &p) < 0 ||
        opt_double("pairwise_distance", "eps", a[3], 1e-6, &eps) < 0 ||
        ct_arg_bool("pairwise_distance", "keepdim", a[4], false, &keepdim) < 0)
        return NULL;
    return ct_wrap(ct_pairwise_distance(x, y, p, eps, keepdim));
}

/* ---- embedding, one_hot ---- */

static PyObject *f_embedding(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"weight", "indices", "padding_idx", "scale_grad_by_freq", "sparse", NULL};
    PyObject *a[5];
    ct_tensor *w, *ix;
    int64_t pad;
    bool freq, sparse;
    if (ct_parse("embedding", args, nargs, kw, names, 5, a) < 0 || two_tensors("embedding", a, "weight", "indices", &w, &ix) < 0 ||
        opt_int("embedding", "padding_idx", a[2], -1, &pad) < 0 ||
        ct_arg_bool("embedding", "scale_grad_by_freq", a[3], false, &freq) < 0 ||
        ct_arg_bool("embedding", "sparse", a[4], false, &sparse) < 0)
        return NULL;
    return ct_wrap(ct_embedding(w, ix, pad, freq, sparse));
}

static PyObject *f_embedding_renorm_(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "indices", "max_norm", "norm_type", NULL};
    PyObject *a[4];
    ct_tensor *w, *ix;
    double max_norm, norm_type;
    if (ct_parse("embedding_renorm_", args, nargs, kw, names, 4, a) < 0 ||
        two_tensors("embedding_renorm_", a, "input", "indices", &w, &ix) < 0)
        return NULL;
    if (!a[2] || !a[3]) return PyErr_Format(PyExc_TypeError, "embedding_renorm_() missing required arguments");
    if (ct_arg_double("embedding_renorm_", "max_norm", a[2], &max_norm) < 0 ||
        ct_arg_double("embedding_renorm_", "norm_type", a[3], &norm_type) < 0)
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = ct_embedding_renorm_(w, ix, max_norm, norm_type);
    Py_END_ALLOW_THREADS
    if (rc < 0) return ct_raise();
    Py_INCREF(a[0]);
    return a[0];
}

static PyObject *f_one_hot(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"tensor", "num_classes", NULL};
    PyObject *a[2];
    ct_tensor *t;
    int64_t nc;
    if (ct_parse("one_hot", args, nargs, kw, names, 2, a) < 0 || !(t = ct_arg_tensor("one_hot", "tensor", a[0])) ||
        opt_int("one_hot", "num_classes", a[1], -1, &nc) < 0)
        return NULL;
    return ct_wrap(ct_one_hot(t, nc));
}

/* ---- pad ---- */

static PyObject *pad_call(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "pad", "mode", "value", NULL};
    static const char *const modes[] = {"constant", "reflect", "replicate", "circular", NULL};
    PyObject *a[4];
    ct_tensor *x;
    int64_t pad[2 * CT_MAX_DIMS];
    int npad = 0, mode = 0;
    double value = 0;
    if (ct_parse(fname, args, nargs, kw, names, 4, a) < 0 || !(x = ct_arg_tensor(fname, "input", a[0]))) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'pad'", fname);
    if (ct_arg_int_list(fname, "pad", a[1], pad, &npad) < 0) return NULL;
    if (a[2] && (mode = ct_arg_choice(fname, "mode", a[2], modes)) < 0) return NULL;
    if (mode == 4) return PyErr_Format(PyExc_NotImplementedError, "Unrecognised padding mode %s", PyUnicode_AsUTF8(a[2]));
    bool has_value = a[3] && a[3] != Py_None;
    if (has_value && ct_arg_double(fname, "value", a[3], &value) < 0) return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_pad(x, npad, pad, (ct_pad_mode)mode, value, has_value));
    return ct_wrap(r);
}
static PyObject *f_pad(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return pad_call("pad", a, n, k); }
static PyObject *f_constant_pad_nd(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "pad", "value", NULL};
    PyObject *a[3];
    if (ct_parse("constant_pad_nd", args, nargs, kw, names, 3, a) < 0) return NULL;
    PyObject *full[4] = {a[0], a[1], NULL, a[2]};
    Py_ssize_t n = a[2] ? 4 : 2;
    if (!a[0] || !a[1]) return PyErr_Format(PyExc_TypeError, "constant_pad_nd() missing required arguments");
    full[2] = PyUnicode_FromString("constant");
    if (!full[2]) return NULL;
    PyObject *r = pad_call("constant_pad_nd", full, n, NULL);
    Py_DECREF(full[2]);
    return r;
}

/* ---- interpolate: upsample_<mode><k>d(input, output_size, [align_corners,] scale_factors) ---- */

/* a list of k doubles (or None: absent) */
static int scale_list(const char *fname, PyObject *o, int k, double *out, bool *given) {
    *given = o && o != Py_None;
    for (int j = 0; j < k; j++) out[j] = 0;
    if (!*given) return 0;
    if (!PyTuple_Check(o) && !PyList_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument 'scale_factors' must be tuple of floats, not %s", fname,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(o) != k) {
        PyErr_Format(PyExc_RuntimeError, "%s(): expected %d scale factors", fname, k);
        return -1;
    }
    for (int j = 0; j < k; j++)
        if (ct_arg_double(fname, "scale_factors", PySequence_Fast_GET_ITEM(o, j), &out[j]) < 0) return -1;
    return 0;
}

static PyObject *upsample_call(const char *fname, ct_upsample_mode mode, int k, bool has_align, PyObject *const *args,
                               Py_ssize_t nargs, PyObject *kw) {
    static const char *const with_align[] = {"input", "output_size", "align_corners", "scale_factors", NULL};
    static const char *const without[] = {"input", "output_size", "scale_factors", NULL};
    PyObject *a[4] = {NULL};
    ct_tensor *x;
    if (ct_parse(fname, args, nargs, kw, has_align ? with_align : without, has_align ? 4 : 3, a) < 0 ||
        !(x = ct_arg_tensor(fname, "input", a[0])))
        return NULL;
    PyObject *size = a[1], *scales_o = a[has_align ? 3 : 2];
    bool align = false, given;
    if (has_align && ct_arg_bool(fname, "align_corners", a[2], false, &align) < 0) return NULL;
    int64_t out[3];
    double scales[3];
    int n = 0;
    if (scale_list(fname, scales_o, k, scales, &given) < 0) return NULL;
    if (x->ndim != k + 2)
        return PyErr_Format(PyExc_RuntimeError, "%s(): expected a %dD input, got %dD", fname, k + 2, x->ndim);
    if (size && size != Py_None) {
        if (given)
            return PyErr_Format(PyExc_RuntimeError, "Must specify exactly one of output_size and scale_factors");
        if (ct_arg_int_list(fname, "output_size", size, out, &n) < 0) return NULL;
        if (n != k) return PyErr_Format(PyExc_RuntimeError, "It is expected output_size equals to %d, but got size %d", k, n);
    } else if (given) {
        for (int j = 0; j < k; j++) out[j] = (int64_t)((double)x->sizes[2 + j] * scales[j]);
    } else {
        return PyErr_Format(PyExc_RuntimeError, "Must specify exactly one of output_size and scale_factors");
    }
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_upsample(x, mode, k, out, scales, align));
    return ct_wrap(r);
}

#define CT_UPSAMPLE(fn, mode, k, align)                                                                        \
    static PyObject *f_##fn(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *kw) {                     \
        return upsample_call(#fn, mode, k, align, a, n, kw);                                                   \
    }
CT_UPSAMPLE(upsample_nearest1d, CT_UPSAMPLE_NEAREST, 1, false)
CT_UPSAMPLE(upsample_nearest2d, CT_UPSAMPLE_NEAREST, 2, false)
CT_UPSAMPLE(upsample_nearest3d, CT_UPSAMPLE_NEAREST, 3, false)
CT_UPSAMPLE(_upsample_nearest_exact1d, CT_UPSAMPLE_NEAREST_EXACT, 1, false)
CT_UPSAMPLE(_upsample_nearest_exact2d, CT_UPSAMPLE_NEAREST_EXACT, 2, false)
CT_UPSAMPLE(_upsample_nearest_exact3d, CT_UPSAMPLE_NEAREST_EXACT, 3, false)
CT_UPSAMPLE(upsample_linear1d, CT_UPSAMPLE_LINEAR, 1, true)
CT_UPSAMPLE(upsample_bilinear2d, CT_UPSAMPLE_LINEAR, 2, true)
CT_UPSAMPLE(upsample_trilinear3d, CT_UPSAMPLE_LINEAR, 3, true)
CT_UPSAMPLE(upsample_bicubic2d, CT_UPSAMPLE_CUBIC, 2, true)

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
PyMethodDef ct_nn_loss_functions[] = {
    CT_ENTRY("embedding", f_embedding) CT_ENTRY("embedding_renorm_", f_embedding_renorm_)
    CT_ENTRY("binary_cross_entropy_with_logits", f_binary_cross_entropy_with_logits) CT_ENTRY("kl_div", f_kl_div)
    CT_ENTRY("cosine_similarity", f_cosine_similarity) CT_ENTRY("pairwise_distance", f_pairwise_distance)
    CT_ENTRY("constant_pad_nd", f_constant_pad_nd)
    CT_ENTRY("_nn_cross_entropy_loss", f_cross_entropy_loss) CT_ENTRY("_nn_nll_loss_nd", f_nll_loss_nd)
    CT_ENTRY("_nn_mse_loss", f_mse_loss) CT_ENTRY("_nn_l1_loss", f_l1_loss) CT_ENTRY("_nn_smooth_l1_loss", f_smooth_l1_loss)
    CT_ENTRY("_nn_huber_loss", f_huber_loss) CT_ENTRY("_nn_binary_cross_entropy", f_binary_cross_entropy)
    CT_ENTRY("_nn_soft_margin_loss", f_soft_margin_loss) CT_ENTRY("_nn_one_hot", f_one_hot) CT_ENTRY("_nn_pad", f_pad)
    CT_ENTRY("_nn_upsample_nearest1d", f_upsample_nearest1d) CT_ENTRY("_nn_upsample_nearest2d", f_upsample_nearest2d)
    CT_ENTRY("_nn_upsample_nearest3d", f_upsample_nearest3d)
    CT_ENTRY("_nn__upsample_nearest_exact1d", f__upsample_nearest_exact1d)
    CT_ENTRY("_nn__upsample_nearest_exact2d", f__upsample_nearest_exact2d)
    CT_ENTRY("_nn__upsample_nearest_exact3d", f__upsample_nearest_exact3d)
    CT_ENTRY("_nn_upsample_linear1d", f_upsample_linear1d) CT_ENTRY("_nn_upsample_bilinear2d", f_upsample_bilinear2d)
    CT_ENTRY("_nn_upsample_trilinear3d", f_upsample_trilinear3d) CT_ENTRY("_nn_upsample_bicubic2d", f_upsample_bicubic2d)
    {NULL},
};
