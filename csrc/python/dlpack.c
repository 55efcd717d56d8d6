/* DLPack both ways (docs/interop-formats.md section 2; DLPack v1.1 layout).
 *
 * Export: Tensor.__dlpack__ / __dlpack_device__. The capsule's manager_ctx
 * holds a reference to the tensor's storage, so the memory outlives the tensor
 * and survives later changes of the tensor's metadata; the deleter drops that
 * reference (thread-safe, no GIL needed) and frees the struct.
 *
 * Import: ctorch._C._from_dlpack(obj) wraps the producer's memory without a
 * copy; the storage's release calls the producer's deleter. */
#include "ct_python.h"   /* Python.h first */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_backend.h"

/* ---- the DLPack structs (dmlc/dlpack include/dlpack/dlpack.h, v1.1) ---- */
#define DLPACK_MAJOR_VERSION 1
#define DLPACK_MINOR_VERSION 1

#define DLPACK_FLAG_BITMASK_READ_ONLY (1ULL << 0)
#define DLPACK_FLAG_BITMASK_IS_COPIED (1ULL << 1)

typedef enum {
    kDLCPU = 1,
    kDLCUDA = 2,
    kDLCUDAHost = 3,
    kDLOpenCL = 4,
    kDLVulkan = 7,
    kDLMetal = 8,
    kDLVPI = 9,
    kDLROCM = 10,
    kDLROCMHost = 11,
    kDLExtDev = 12,
    kDLCUDAManaged = 13,
    kDLOneAPI = 14,
    kDLWebGPU = 15,
    kDLHexagon = 16,
    kDLMAIA = 17,
    kDLTrn = 18,
} DLDeviceType;

typedef enum {
    kDLInt = 0,
    kDLUInt = 1,
    kDLFloat = 2,
    kDLOpaqueHandle = 3,
    kDLBfloat = 4,
    kDLComplex = 5,
    kDLBool = 6,
} DLDataTypeCode;

typedef struct {
    uint32_t major;
    uint32_t minor;
} DLPackVersion;

typedef struct {
    int32_t device_type; /* DLDeviceType (an int32 enum) */
    int32_t device_id;
} DLDevice;

typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} DLDataType;

typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL means row-major */
    uint64_t byte_offset;
} DLTensor;

typedef struct DLManagedTensor {
    DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;

typedef struct DLManagedTensorVersioned {
    DLPackVersion version;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensorVersioned *self);
    uint64_t flags;
    DLTensor dl_tensor;
} DLManagedTensorVersioned;

_Static_assert(sizeof(DLTensor) == 48, "DLTensor layout");
_Static_assert(sizeof(DLManagedTensor) == 64, "DLManagedTensor layout");
_Static_assert(offsetof(DLManagedTensorVersioned, dl_tensor) == 32, "DLManagedTensorVersioned layout");

static const char CAP_NAME[] = "dltensor";
static const char CAP_NAME_VERSIONED[] = "dltensor_versioned";
static const char CAP_USED[] = "used_dltensor";
static const char CAP_USED_VERSIONED[] = "used_dltensor_versioned";

/* ======================================================================
 * export
 * ====================================================================== */

/* the exported struct and its shape/strides in one allocation */
typedef struct {
    DLManagedTensor m;
    int64_t shape[CT_MAX_DIMS];
    int64_t strides[CT_MAX_DIMS];
} export_legacy;

typedef struct {
    DLManagedTensorVersioned m;
    int64_t shape[CT_MAX_DIMS];
    int64_t strides[CT_MAX_DIMS];
} export_versioned;

static void legacy_deleter(DLManagedTensor *self) {
    if (!self) return;
    if (self->manager_ctx) ct_storage_decref((ct_storage *)self->manager_ctx);
    free(self);   /* self is the first member of export_legacy */
}

static void versioned_deleter(DLManagedTensorVersioned *self) {
    if (!self) return;
    if (self->manager_ctx) ct_storage_decref((ct_storage *)self->manager_ctx);
    free(self);
}

/* the producer's capsule destructor: delete only while nobody consumed it */
static void capsule_destructor(PyObject *cap) {
    if (PyCapsule_IsValid(cap, CAP_NAME_VERSIONED)) {
        DLManagedTensorVersioned *m = PyCapsule_GetPointer(cap, CAP_NAME_VERSIONED);
        if (m && m->deleter) m->deleter(m);
    } else if (PyCapsule_IsValid(cap, CAP_NAME)) {
        DLManagedTensor *m = PyCapsule_GetPointer(cap, CAP_NAME);
        if (m && m->deleter) m->deleter(m);
    }
}

static int dl_dtype_of(ct_dtype d, DLDataType *out) {
    out->lanes = 1;
    out->bits = (uint8_t)(ct_itemsize(d) * 8);
    switch (d) {
    case CT_BOOL: out->code = kDLBool; break;
    case CT_UINT8: out->code = kDLUInt; break;
    case CT_INT8:
    case CT_INT16:
    case CT_INT32:
    case CT_INT64: out->code = kDLInt; break;
    case CT_FLOAT16:
    case CT_FLOAT32:
    case CT_FLOAT64: out->code = kDLFloat; break;
    case CT_BFLOAT16: out->code = kDLBfloat; break;
    default:
        PyErr_Format(PyExc_BufferError, "DLPack: cannot export a tensor of dtype %s", ct_dtype_name(d));
        return -1;
    }
    return 0;
}

static DLDevice dl_device_of(ct_device d) {
    DLDevice out;
    if (d.type == CT_DEV_CUDA) {
        out.device_type = kDLCUDA;
        out.device_id = d.index;
    } else {
        out.device_type = kDLCPU;
        out.device_id = 0;
    }
    return out;
}

static const char *device_name(ct_device d) { return d.type == CT_DEV_CUDA ? "cuda" : "cpu"; }

/* (major, minor) from a max_version argument */
static int parse_version(PyObject *o, long *major, long *minor) {
    PyObject *seq = PySequence_Fast(o, "__dlpack__(): max_version must be a tuple (major, minor) or None");
    if (!seq) return -1;
    int rc = -1;
    if (PySequence_Fast_GET_SIZE(seq) != 2) {
        PyErr_SetString(PyExc_TypeError, "__dlpack__(): max_version must be a tuple (major, minor) or None");
    } else {
        *major = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, 0));
        if (!(*major == -1 && PyErr_Occurred())) {
            *minor = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, 1));
            if (!(*minor == -1 && PyErr_Occurred())) rc = 0;
        }
    }
    Py_DECREF(seq);
    return rc;
}

/* (device_type, device_id) from a dl_device argument */
static int parse_dl_device(PyObject *o, DLDevice *out) {
    PyObject *seq = PySequence_Fast(o, "__dlpack__(): dl_device must be a tuple (device_type, device_id) or None");
    if (!seq) return -1;
    int rc = -1;
    if (PySequence_Fast_GET_SIZE(seq) != 2) {
        PyErr_SetString(PyExc_TypeError, "__dlpack__(): dl_device must be a tuple (device_type, device_id) or None");
    } else {
        long ty = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, 0));
        if (!(ty == -1 && PyErr_Occurred())) {
            long id = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, 1));
            if (!(id == -1 && PyErr_Occurred())) {
                out->device_type = (int32_t)ty;
                out->device_id = (int32_t)id;
                rc = 0;
            }
        }
    }
    Py_DECREF(seq);
    return rc;
}

/* requires_grad lives in the Python layer; a tensor that needs a gradient
 * cannot be exported (torch raises BufferError) */
static int check_requires_grad(PyObject *self) {
    PyObject *rg = PyObject_GetAttrString(self, "requires_grad");
    if (!rg) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    int truth = PyObject_IsTrue(rg);
    Py_DECREF(rg);
    if (truth < 0) return -1;
    if (truth) {
        PyErr_SetString(PyExc_BufferError, "Can't export tensors that require gradient, use tensor.detach()");
        return -1;
    }
    return 0;
}

/* make the consumer's stream safe to use: ctorch runs CUDA work on the legacy
 * default stream, so None, 1 and -1 need nothing; other streams wait for the
 * device */
static int handle_stream(ct_device dev, PyObject *stream) {
    int64_t s = 0;
    bool given = stream && stream != Py_None;
    if (given) {
        if (!PyLong_Check(stream) || PyBool_Check(stream)) {
            PyErr_SetString(PyExc_TypeError, "stream must be ``int`` or ``none``");
            return -1;
        }
        s = PyLong_AsLongLong(stream);
        if (s == -1 && PyErr_Occurred()) return -1;
    }
    if (dev.type != CT_DEV_CUDA) {
        if (given && s != -1) {
            PyErr_Format(PyExc_BufferError, "stream should be None on cpu, got %lld", (long long)s);
            return -1;
        }
        return 0;
    }
    if (!given || s == -1 || s == 1) return 0;
    if (s == 0) {
        PyErr_SetString(PyExc_BufferError,
                        "stream 0 is ambiguous on CUDA; use 1 for the legacy default stream or None");
        return -1;
    }
    if (s == 2) {
        PyErr_SetString(PyExc_BufferError, "per-thread default stream is not supported.");
        return -1;
    }
    const ct_backend *be = ct_get_backend(CT_DEV_CUDA);
    if (!be || !be->synchronize) {
        PyErr_SetString(PyExc_BufferError, "DLPack: the CUDA backend is not available");
        return -1;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = be->synchronize(dev.index);
    Py_END_ALLOW_THREADS
    return rc < 0 ? ct_raise_int() : 0;
}

static void fill_dltensor(DLTensor *dl, ct_tensor *t, int64_t *shape, int64_t *strides) {
    dl->data = ct_data(t);
    dl->device = dl_device_of(ct_device_of(t));
    dl->ndim = t->ndim;
    dl_dtype_of(t->dtype, &dl->dtype);   /* checked by the caller */
    for (int i = 0; i < t->ndim; i++) {
        shape[i] = t->sizes[i];
        strides[i] = t->strides[i];
    }
    dl->shape = shape;
    dl->strides = strides;
    dl->byte_offset = 0;
}

static PyObject *tensor_dlpack(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"stream", "max_version", "dl_device", "copy", NULL};
    PyObject *a[4];
    if (ct_parse("__dlpack__", args, nargs, kwnames, names, 0, a) < 0) return NULL;
    PyObject *stream = a[0], *max_version = a[1], *dl_device = a[2], *copy_arg = a[3];
    ct_tensor *t = ct_unwrap(self);
    ct_device dev = ct_device_of(t);

    if (check_requires_grad(self) < 0) return NULL;

    int copy = -1;   /* -1: None (copy only when needed), 0: never, 1: always */
    if (copy_arg && copy_arg != Py_None) {
        copy = PyObject_IsTrue(copy_arg);
        if (copy < 0) return NULL;
    }

    long major = 0, minor = 0;
    bool versioned = false;
    if (max_version && max_version != Py_None) {
        if (parse_version(max_version, &major, &minor) < 0) return NULL;
        versioned = major >= 1;
    }

    /* the target device: the tensor's own unless dl_device names another */
    ct_device target = dev;
    if (dl_device && dl_device != Py_None) {
        DLDevice want, have = dl_device_of(dev);
        if (parse_dl_device(dl_device, &want) < 0) return NULL;
        if (want.device_type != have.device_type || want.device_id != have.device_id) {
            if (want.device_type == kDLCPU && want.device_id == 0) {
                target = ct_cpu();
            } else {
                PyErr_Format(PyExc_BufferError,
                             "DLPack: cannot export a tensor on %s to device (%d, %d)", device_name(dev),
                             (int)want.device_type, (int)want.device_id);
                return NULL;
            }
            if (copy == 0) {
                PyErr_Format(PyExc_BufferError,
                             "DLPack: exporting a tensor on %s to the CPU needs a copy, but copy=False",
                             device_name(dev));
                return NULL;
            }
            copy = 1;
        }
    }

    /* the consumer synchronizes with the producer's device stream, not a copy's */
    if (handle_stream(target, ct_device_eq(target, dev) ? stream : NULL) < 0) return NULL;

    DLDataType dlt;
    if (dl_dtype_of(t->dtype, &dlt) < 0) return NULL;
    if (t->ndim > CT_MAX_DIMS) {
        PyErr_Format(PyExc_BufferError, "DLPack: tensor has %d dimensions, more than %d", t->ndim, CT_MAX_DIMS);
        return NULL;
    }

    /* the tensor to export: t, or a copy of it (dense, on the target device) */
    ct_tensor *src = NULL;
    if (copy == 1) {
        if (ct_device_eq(target, dev)) {
            src = ct_clone(t);
        } else {
            src = ct_empty(t->ndim, t->sizes, t->dtype, target);
            if (src && ct_copy_(src, t) < 0) {
                ct_decref(src);
                src = NULL;
            }
        }
        if (!src) return ct_raise();
    } else {
        src = ct_incref(t);
    }

    PyObject *cap;
    if (versioned) {
        export_versioned *e = calloc(1, sizeof *e);
        if (!e) {
            ct_decref(src);
            return PyErr_NoMemory();
        }
        e->m.version.major = DLPACK_MAJOR_VERSION;
        /* report no newer minor than the consumer asked for (minor versions are ABI compatible) */
        e->m.version.minor = major > DLPACK_MAJOR_VERSION ? DLPACK_MINOR_VERSION
                             : (minor < 0 ? 0 : (minor < DLPACK_MINOR_VERSION ? (uint32_t)minor : DLPACK_MINOR_VERSION));
        e->m.flags = copy == 1 ? DLPACK_FLAG_BITMASK_IS_COPIED : 0;
        fill_dltensor(&e->m.dl_tensor, src, e->shape, e->strides);
        ct_storage_incref(src->storage);
        e->m.manager_ctx = src->storage;
        e->m.deleter = versioned_deleter;
        ct_decref(src);
        cap = PyCapsule_New(&e->m, CAP_NAME_VERSIONED, capsule_destructor);
        if (!cap) versioned_deleter(&e->m);
    } else {
        export_legacy *e = calloc(1, sizeof *e);
        if (!e) {
            ct_decref(src);
            return PyErr_NoMemory();
        }
        fill_dltensor(&e->m.dl_tensor, src, e->shape, e->strides);
        ct_storage_incref(src->storage);
        e->m.manager_ctx = src->storage;
        e->m.deleter = legacy_deleter;
        ct_decref(src);
        cap = PyCapsule_New(&e->m, CAP_NAME, capsule_destructor);
        if (!cap) legacy_deleter(&e->m);
    }
    return cap;
}

static PyObject *tensor_dlpack_device(PyObject *self, PyObject *unused) {
    DLDevice d = dl_device_of(ct_device_of(ct_unwrap(self)));
    return Py_BuildValue("(ii)", (int)d.device_type, (int)d.device_id);
}

/* ======================================================================
 * import
 * ====================================================================== */

/* the storage's release: hand the memory back to the producer */
static void release_legacy(void *ctx, void *data) {
    DLManagedTensor *m = ctx;
    if (m && m->deleter) m->deleter(m);
}

static void release_versioned(void *ctx, void *data) {
    DLManagedTensorVersioned *m = ctx;
    if (m && m->deleter) m->deleter(m);
}

static int ct_dtype_from_dl(DLDataType t, ct_dtype *out) {
    *out = CT_UNDEFINED;
    if (t.lanes == 1) {
        switch (t.code) {
        case kDLInt:
            *out = t.bits == 8 ? CT_INT8 : t.bits == 16 ? CT_INT16 : t.bits == 32 ? CT_INT32
                 : t.bits == 64 ? CT_INT64 : CT_UNDEFINED;
            break;
        case kDLUInt: *out = t.bits == 8 ? CT_UINT8 : CT_UNDEFINED; break;
        case kDLFloat:
            *out = t.bits == 16 ? CT_FLOAT16 : t.bits == 32 ? CT_FLOAT32 : t.bits == 64 ? CT_FLOAT64 : CT_UNDEFINED;
            break;
        case kDLBfloat: *out = t.bits == 16 ? CT_BFLOAT16 : CT_UNDEFINED; break;
        case kDLBool: *out = t.bits == 8 ? CT_BOOL : CT_UNDEFINED; break;
        default: break;
        }
    }
    if (*out != CT_UNDEFINED) return 0;
    static const char *const codes[] = {"int", "uint", "float", "opaque handle", "bfloat", "complex", "bool"};
    const char *kind = t.code < sizeof codes / sizeof *codes ? codes[t.code] : "unknown";
    PyErr_Format(PyExc_BufferError,
                 "from_dlpack: unsupported DLPack dtype (code=%d [%s], bits=%d, lanes=%d); ctorch supports "
                 "bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32 and float64",
                 (int)t.code, kind, (int)t.bits, (int)t.lanes);
    return -1;
}

static const char *dl_device_type_name(int32_t ty) {
    switch (ty) {
    case kDLCPU: return "CPU";
    case kDLCUDA: return "CUDA";
    case kDLCUDAHost: return "CUDAHost";
    case kDLOpenCL: return "OpenCL";
    case kDLVulkan: return "Vulkan";
    case kDLMetal: return "Metal";
    case kDLVPI: return "VPI";
    case kDLROCM: return "ROCM";
    case kDLROCMHost: return "ROCMHost";
    case kDLExtDev: return "ExtDev";
    case kDLCUDAManaged: return "CUDAManaged";
    case kDLOneAPI: return "OneAPI";
    case kDLWebGPU: return "WebGPU";
    case kDLHexagon: return "Hexagon";
    case kDLMAIA: return "MAIA";
    case kDLTrn: return "Trn";
    default: return "unknown";
    }
}

static int ct_device_from_dl(DLDevice d, ct_device *out) {
    if (d.device_type == kDLCPU || d.device_type == kDLCUDAHost) {
        *out = ct_cpu();
        return 0;
    }
    if (d.device_type == kDLCUDA) {
        if (!ct_get_backend(CT_DEV_CUDA)) {
            PyErr_SetString(PyExc_BufferError,
                            "from_dlpack: the tensor is on a CUDA device, but ctorch's CUDA backend is not "
                            "available");
            return -1;
        }
        if (d.device_id < 0 || d.device_id > INT8_MAX) {
            PyErr_Format(PyExc_BufferError, "from_dlpack: invalid CUDA device id %d", (int)d.device_id);
            return -1;
        }
        out->type = CT_DEV_CUDA;
        out->index = (int8_t)d.device_id;
        return 0;
    }
    PyErr_Format(PyExc_BufferError,
                 "from_dlpack: unsupported device type %d (%s); ctorch accepts CPU (1), CUDAHost (3) and, "
                 "with its CUDA backend, CUDA (2) memory",
                 (int)d.device_type, dl_device_type_name(d.device_type));
    return -1;
}

/* everything about a DLTensor ctorch needs, checked before anything is consumed */
typedef struct {
    ct_dtype dtype;
    ct_device device;
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    int64_t strides[CT_MAX_DIMS];
    char *data;          /* first element (byte_offset applied) */
    int64_t numel;
    int64_t nbytes;      /* span of the strided view */
    bool negative;       /* some stride < 0: ctorch copies */
    int64_t low;         /* lowest element offset (<= 0) */
} import_info;

static int check_dltensor(const DLTensor *dl, import_info *info) {
    if (dl->ndim < 0 || dl->ndim > CT_MAX_DIMS) {
        PyErr_Format(PyExc_BufferError, "from_dlpack: tensor has %d dimensions; ctorch supports 0 to %d",
                     (int)dl->ndim, CT_MAX_DIMS);
        return -1;
    }
    if (ct_dtype_from_dl(dl->dtype, &info->dtype) < 0) return -1;
    if (ct_device_from_dl(dl->device, &info->device) < 0) return -1;
    info->ndim = dl->ndim;
    if (dl->ndim > 0 && !dl->shape) {
        PyErr_SetString(PyExc_BufferError, "from_dlpack: the DLTensor has no shape");
        return -1;
    }
    int64_t numel = 1;
    bool zero = false;
    for (int i = 0; i < dl->ndim; i++) {
        int64_t n = dl->shape[i];
        if (n < 0) {
            PyErr_Format(PyExc_BufferError, "from_dlpack: negative size %lld in dimension %d", (long long)n, i);
            return -1;
        }
        info->sizes[i] = n;
        if (n == 0) zero = true;
        else if (!zero && __builtin_mul_overflow(numel, n, &numel)) {
            PyErr_SetString(PyExc_BufferError, "from_dlpack: the number of elements overflows int64");
            return -1;
        }
    }
    info->numel = zero ? 0 : numel;
    ct_contiguous_strides(dl->ndim, info->sizes, info->strides);
    if (dl->strides) {
        /* a stride that never moves (size-1 dim, empty tensor) may be anything,
         * negative included: keep the row-major one then */
        for (int i = 0; i < dl->ndim; i++)
            if (info->numel > 0 && (info->sizes[i] != 1 || dl->strides[i] >= 0)) info->strides[i] = dl->strides[i];
    }
    /* element span: lowest and highest offsets reached */
    int64_t isz = ct_itemsize(info->dtype), low = 0, high = 0;
    info->negative = false;
    if (info->numel > 0) {
        for (int i = 0; i < dl->ndim; i++) {
            int64_t ext, st = info->strides[i];
            if (info->sizes[i] == 1) continue;
            if (__builtin_mul_overflow(info->sizes[i] - 1, st, &ext) ||
                (ext >= 0 ? __builtin_add_overflow(high, ext, &high) : __builtin_add_overflow(low, ext, &low))) {
                PyErr_SetString(PyExc_BufferError, "from_dlpack: the strided view's extent overflows int64");
                return -1;
            }
            if (st < 0) info->negative = true;
        }
    }
    info->low = low;
    int64_t span = info->numel > 0 ? high - low + 1 : 0;
    if (__builtin_mul_overflow(span, isz, &info->nbytes)) {
        PyErr_SetString(PyExc_BufferError, "from_dlpack: the strided view's extent overflows int64");
        return -1;
    }
    if (info->numel > 0 && !dl->data) {
        PyErr_SetString(PyExc_BufferError, "from_dlpack: the DLTensor has a NULL data pointer");
        return -1;
    }
    info->data = dl->data ? (char *)dl->data + dl->byte_offset : NULL;
    if (info->negative && info->device.type != CT_DEV_CPU) {
        PyErr_SetString(PyExc_BufferError,
                        "from_dlpack: negative strides are only supported (by copying) for CPU tensors");
        return -1;
    }
    return 0;
}

/* negative strides cannot exist in ctorch: copy the elements into a dense tensor */
static ct_tensor *copy_negative_strided(const import_info *info) {
    ct_tensor *t = ct_empty(info->ndim, info->sizes, info->dtype, ct_cpu());
    if (!t) return NULL;
    int64_t isz = ct_itemsize(info->dtype), idx[CT_MAX_DIMS] = {0};
    char *dst = ct_data(t);
    const char *src = info->data;
    for (int64_t k = 0; k < info->numel; k++) {
        memcpy(dst + k * isz, src, (size_t)isz);
        for (int d = info->ndim - 1; d >= 0; d--) {   /* odometer step */
            src += info->strides[d] * isz;
            if (++idx[d] < info->sizes[d]) break;
            src -= info->sizes[d] * info->strides[d] * isz;
            idx[d] = 0;
        }
    }
    return t;
}

/* consume a DLPack capsule (borrowed) into a tensor */
static PyObject *from_capsule(PyObject *cap) {
    const char *name = PyCapsule_GetName(cap);
    if (!name && PyErr_Occurred()) return NULL;
    bool versioned;
    if (name && strcmp(name, CAP_NAME_VERSIONED) == 0) {
        versioned = true;
    } else if (name && strcmp(name, CAP_NAME) == 0) {
        versioned = false;
    } else if (name && (strcmp(name, CAP_USED) == 0 || strcmp(name, CAP_USED_VERSIONED) == 0)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                        "only once, so you might have already constructed a tensor from it once.");
        return NULL;
    } else {
        PyErr_Format(PyExc_RuntimeError,
                     "from_dlpack: expected a capsule named \"dltensor\" or \"dltensor_versioned\", got \"%s\"",
                     name ? name : "(null)");
        return NULL;
    }

    void *ptr = PyCapsule_GetPointer(cap, name);
    if (!ptr) return NULL;
    DLTensor *dl;
    DLManagedTensorVersioned *mv = NULL;
    DLManagedTensor *ml = NULL;
    if (versioned) {
        mv = ptr;
        if (mv->version.major != DLPACK_MAJOR_VERSION) {
            /* the layout may differ: leave the capsule to its producer */
            PyErr_Format(PyExc_BufferError,
                         "from_dlpack: unsupported DLPack version %u.%u (ctorch reads major version %d)",
                         mv->version.major, mv->version.minor, DLPACK_MAJOR_VERSION);
            return NULL;
        }
        dl = &mv->dl_tensor;
    } else {
        ml = ptr;
        dl = &ml->dl_tensor;
    }

    import_info info;
    if (check_dltensor(dl, &info) < 0) return NULL;

    /* from here on the capsule is ours: its destructor no longer deletes */
    if (PyCapsule_SetName(cap, versioned ? CAP_USED_VERSIONED : CAP_USED) < 0) return NULL;
    void (*release)(void *, void *) = versioned ? release_versioned : release_legacy;

    if (info.negative) {
        ct_tensor *t = copy_negative_strided(&info);
        release(ptr, NULL);
        return t ? ct_wrap(t) : ct_raise();
    }

    ct_storage *s = ct_storage_wrap(info.data, info.nbytes, info.device, release, ptr);
    if (!s) {
        release(ptr, NULL);
        return ct_raise();
    }
    ct_tensor *t = ct_tensor_new(s, info.dtype, info.ndim, info.sizes, info.strides, 0);
    ct_storage_decref(s);   /* without t, this hands the memory back */
    if (!t) return ct_raise();
    return ct_wrap(t);
}

/* obj.__dlpack__(**kwargs), or NULL with a TypeError to fall back on */
static PyObject *call_dlpack(PyObject *method, PyObject *stream, bool with_version) {
    PyObject *kwargs = PyDict_New();
    if (!kwargs) return NULL;
    PyObject *res = NULL;
    if (stream && PyDict_SetItemString(kwargs, "stream", stream) < 0) goto done;
    if (with_version) {
        PyObject *v = Py_BuildValue("(ii)", DLPACK_MAJOR_VERSION, 0);
        if (!v) goto done;
        int rc = PyDict_SetItemString(kwargs, "max_version", v);
        Py_DECREF(v);
        if (rc < 0) goto done;
    }
    PyObject *empty = PyTuple_New(0);
    if (!empty) goto done;
    res = PyObject_Call(method, empty, kwargs);
    Py_DECREF(empty);
done:
    Py_DECREF(kwargs);
    return res;
}

static PyObject *from_dlpack(PyObject *module, PyObject *obj) {
    if (PyCapsule_CheckExact(obj)) return from_capsule(obj);

    PyObject *method = PyObject_GetAttrString(obj, "__dlpack__");
    if (!method) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return NULL;
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "from_dlpack: expected a DLPack capsule or an object with __dlpack__, got %s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }

    /* a CUDA producer makes its data safe for the legacy default stream (1),
     * the stream ctorch's CUDA work runs on */
    PyObject *stream = NULL;
    PyObject *devm = PyObject_GetAttrString(obj, "__dlpack_device__");
    if (devm) {
        PyObject *dev = PyObject_CallNoArgs(devm);
        Py_DECREF(devm);
        if (!dev) {
            Py_DECREF(method);
            return NULL;
        }
        if (PyTuple_Check(dev) && PyTuple_GET_SIZE(dev) == 2) {
            long ty = PyLong_AsLong(PyTuple_GET_ITEM(dev, 0));
            if (ty == -1 && PyErr_Occurred()) PyErr_Clear();
            if (ty == kDLCUDA || ty == kDLCUDAManaged) {
                stream = PyLong_FromLong(1);
                if (!stream) {
                    Py_DECREF(dev);
                    Py_DECREF(method);
                    return NULL;
                }
            }
        }
        Py_DECREF(dev);
    } else if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
    } else {
        Py_DECREF(method);
        return NULL;
    }

    PyObject *cap = call_dlpack(method, stream, true);
    if (!cap && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();   /* a producer older than DLPack 1.0 */
        cap = call_dlpack(method, stream, false);
    }
    Py_DECREF(method);
    Py_XDECREF(stream);
    if (!cap) return NULL;
    if (!PyCapsule_CheckExact(cap)) {
        PyErr_Format(PyExc_TypeError, "from_dlpack: %s.__dlpack__() returned %s, not a PyCapsule",
                     Py_TYPE(obj)->tp_name, Py_TYPE(cap)->tp_name);
        Py_DECREF(cap);
        return NULL;
    }
    PyObject *res = from_capsule(cap);
    Py_DECREF(cap);
    return res;
}

PyMethodDef ct_dlpack_methods[] = {
    {"__dlpack__", CT_FASTCALL(tensor_dlpack),
     "__dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None)\n--\n\n"
     "A DLPack capsule of the tensor, sharing its memory."},
    {"__dlpack_device__", tensor_dlpack_device, METH_NOARGS,
     "__dlpack_device__()\n--\n\n(device_type, device_id) of the tensor in DLPack terms."},
    {NULL, NULL, 0, NULL},
};

PyMethodDef ct_dlpack_functions[] = {
    {"_from_dlpack", from_dlpack, METH_O,
     "_from_dlpack(obj)\n--\n\nA tensor sharing the memory of a DLPack capsule or of an object with __dlpack__."},
    {NULL, NULL, 0, NULL},
};
