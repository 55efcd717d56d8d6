/* Recurrent layers for Python: ctorch._C._rnn_layer, the fused recurrence of
 * one layer and direction that ctorch/nn/_functional/rnn.py builds torch.lstm,
 * torch.gru, torch.rnn_tanh, torch.rnn_relu and their cells from. */
#include "ct_python.h"

/* a tensor argument that may be None (NULL) */
static int opt_tensor(const char *f, const char *name, PyObject *o, ct_tensor **out) {
    *out = NULL;
    return !o || o == Py_None || (*out = ct_arg_tensor(f, name, o)) ? 0 : -1;
}

/* _rnn_layer(mode, xw, batch_sizes, w_hh, b_hh, w_hr, h0, c0, reverse) -> (output, h_n, c_n or None);
 * mode: 0 tanh, 1 relu, 2 lstm, 3 gru (ct_rnn_mode) */
static PyObject *f_rnn_layer(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"mode", "xw", "batch_sizes", "w_hh", "b_hh", "w_hr", "h0", "c0", "reverse",
                                        NULL};
    const char *f = "_rnn_layer";
    PyObject *a[9];
    int64_t mode;
    bool reverse;
    ct_tensor *xw, *bs, *w_hh, *b_hh, *w_hr, *h0, *c0, *outs[3];
    if (ct_parse(f, args, nargs, kw, names, 9, a) < 0) return NULL;
    for (int i = 0; i < 9; i++)
        if (!a[i]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", f, names[i]);
    if (ct_arg_int(f, "mode", a[0], &mode) < 0 || !(xw = ct_arg_tensor(f, "xw", a[1])) ||
        !(bs = ct_arg_tensor(f, "batch_sizes", a[2])) || !(w_hh = ct_arg_tensor(f, "w_hh", a[3])) ||
        opt_tensor(f, "b_hh", a[4], &b_hh) < 0 || opt_tensor(f, "w_hr", a[5], &w_hr) < 0 ||
        !(h0 = ct_arg_tensor(f, "h0", a[6])) || opt_tensor(f, "c0", a[7], &c0) < 0 ||
        ct_arg_bool(f, "reverse", a[8], false, &reverse) < 0)
        return NULL;
    int rc;
    CT_NOGIL(ct_numel(xw) * w_hh->sizes[w_hh->ndim > 1 ? 1 : 0],
             rc = ct_rnn_layer((ct_rnn_mode)mode, xw, bs, w_hh, b_hh, w_hr, h0, c0, reverse, outs));
    if (rc < 0) return ct_raise();
    PyObject *r = PyTuple_New(3);
    for (int i = 0; i < 3; i++) {
        PyObject *o = !outs[i] ? Py_NewRef(Py_None) : r ? ct_wrap(outs[i]) : (ct_decref(outs[i]), NULL);
        if (r && !o) Py_CLEAR(r);
        if (r) PyTuple_SET_ITEM(r, i, o);
    }
    return r;
}

PyMethodDef ct_nn_rnn_functions[] = {
    {"_rnn_layer", CT_FASTCALL(f_rnn_layer), NULL},
    {NULL},
};
