/* nn attention for Python: torch._C._nn.scaled_dot_product_attention as
 * ctorch._C._nn_scaled_dot_product_attention (ctorch/nn/_functional/attention.py
 * re-exports it as F.scaled_dot_product_attention). */
#include "ct_python.h"

/* scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
 * enable_gqa=False) */
static PyObject *f_sdpa(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale",
                                        "enable_gqa", NULL};
    static const char *fname = "scaled_dot_product_attention";
    PyObject *a[8];
    ct_tensor *qkv[3], *mask = NULL;
    double p = 0, scale = 0;
    bool causal, gqa;
    if (ct_parse(fname, args, nargs, kw, names, 8, a) < 0) return NULL;
    for (int i = 0; i < 3; i++) {
        if (!a[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", fname, names[i], i + 1);
            return NULL;
        }
        if (!(qkv[i] = ct_arg_tensor(fname, names[i], a[i]))) return NULL;
    }
    if (a[3] && a[3] != Py_None && !(mask = ct_arg_tensor(fname, "attn_mask", a[3]))) return NULL;
    if ((a[4] && ct_arg_double(fname, "dropout_p", a[4], &p) < 0) || ct_arg_bool(fname, "is_causal", a[5], false, &causal) < 0 ||
        (a[6] && a[6] != Py_None && ct_arg_double(fname, "scale", a[6], &scale) < 0) ||
        ct_arg_bool(fname, "enable_gqa", a[7], false, &gqa) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(qkv[0]) + ct_numel(qkv[1]) + ct_numel(qkv[2]),
             r = ct_scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask, p, causal, a[6] && a[6] != Py_None,
                                                 scale, gqa));
    return ct_wrap(r);
}

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},

PyMethodDef ct_attention_functions[] = {
    CT_ENTRY("_nn_scaled_dot_product_attention", f_sdpa)
    {NULL},
};
