/* ctorch.vision's tensor kernels for Python (private; ctorch/vision/transforms calls them):
 * _vision_resize(img, oh, ow, mode, antialias) and _vision_affine(img, theta, oh, ow, bilinear, fill). */
#include "ct_python.h"

static PyObject *f_vision_resize(PyObject *m, PyObject *args) {
    PyObject *img;
    long long oh, ow;
    int mode, antialias;
    if (!PyArg_ParseTuple(args, "OLLip:_vision_resize", &img, &oh, &ow, &mode, &antialias)) return NULL;
    ct_tensor *t = ct_arg_tensor("_vision_resize", "img", img), *out;
    if (!t) return NULL;
    if (mode < CT_RESAMPLE_NEAREST || mode > CT_RESAMPLE_BICUBIC)
        return PyErr_Format(PyExc_ValueError, "_vision_resize: unknown mode %d", mode);
    CT_NOGIL(ct_numel(t) + oh * ow, out = ct_vision_resize(t, oh, ow, (ct_resample_mode)mode, antialias));
    return ct_wrap(out);
}

/* fill: None, or a sequence of floats (one, or one per channel) */
static PyObject *f_vision_affine(PyObject *m, PyObject *args) {
    PyObject *img, *theta_obj, *fill_obj;
    long long oh, ow;
    int bilinear;
    if (!PyArg_ParseTuple(args, "OOLLpO:_vision_affine", &img, &theta_obj, &oh, &ow, &bilinear, &fill_obj))
        return NULL;
    ct_tensor *t = ct_arg_tensor("_vision_affine", "img", img), *out;
    if (!t) return NULL;
    double theta[6], fill[CT_VISION_MAX_FILL];
    PyObject *th = PySequence_Fast(theta_obj, "_vision_affine: theta must be a sequence");
    if (!th) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(th), nfill = 0;
    for (Py_ssize_t i = 0; i < 6 && n == 6; i++) theta[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(th, i));
    Py_DECREF(th);
    if (n != 6) return PyErr_Format(PyExc_ValueError, "Argument matrix should have 6 float values");
    if (fill_obj != Py_None) {
        PyObject *f = PySequence_Fast(fill_obj, "_vision_affine: fill must be a sequence");
        if (!f) return NULL;
        nfill = PySequence_Fast_GET_SIZE(f);
        for (Py_ssize_t i = 0; i < nfill && nfill <= CT_VISION_MAX_FILL; i++)
            fill[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(f, i));
        Py_DECREF(f);
        if (nfill == 0 || nfill > CT_VISION_MAX_FILL)
            return PyErr_Format(PyExc_ValueError, "_vision_affine: expected 1 to %d fill values, got %zd",
                                CT_VISION_MAX_FILL, nfill);
    }
    if (PyErr_Occurred()) return NULL;
    CT_NOGIL(ct_numel(t) + oh * ow, out = ct_vision_affine(t, theta, oh, ow, bilinear, (int)nfill, fill));
    return ct_wrap(out);
}

PyMethodDef ct_vision_functions[] = {
    {"_vision_resize", (PyCFunction)f_vision_resize, METH_VARARGS, NULL},
    {"_vision_affine", (PyCFunction)f_vision_affine, METH_VARARGS, NULL},
    {NULL},
};
