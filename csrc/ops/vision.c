/* torchvision's tensor resampling: resize (interpolate with align_corners=False,
 * optionally antialiased) and the affine warp behind rotate. Checks and
 * shapes here; the work is the backend's vision_resize and vision_affine
 * kernels on contiguous (planes, h, w) views. Not differentiable (torchvision
 * transforms run on data, outside autograd). */
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* img seen as contiguous (planes, h, w), and a new output shaped (..., oh, ow) with its (planes, oh, ow) view */
static int plane_views(const char *op, ct_tensor *img, int64_t oh, int64_t ow, ct_tensor **in3, ct_tensor **out,
                       ct_tensor **out3) {
    if (img->dtype != CT_FLOAT32 && img->dtype != CT_FLOAT64)
        return ct_error(CT_ERR_RUNTIME, "%s: expected a float32 or float64 image, got %s", op,
                        ct_dtype_name(img->dtype));
    if (img->ndim < 2) return ct_error(CT_ERR_TYPE, "Tensor is not a torch image.");
    int nd = img->ndim;
    int64_t h = img->sizes[nd - 2], w = img->sizes[nd - 1];
    if (h <= 0 || w <= 0 || oh <= 0 || ow <= 0)
        return ct_error(CT_ERR_RUNTIME, "Input and output sizes should be greater than 0, but got input (H: %lld, "
                        "W: %lld) output (H: %lld, W: %lld)", (long long)h, (long long)w, (long long)oh,
                        (long long)ow);
    int64_t sizes[CT_MAX_DIMS], planes = ct_numel(img) / (h * w);
    for (int d = 0; d < nd - 2; d++) sizes[d] = img->sizes[d];
    sizes[nd - 2] = oh, sizes[nd - 1] = ow;
    ct_tensor *c = ct_contiguous(img);
    int64_t s_in[3] = {planes, h, w}, s_out[3] = {planes, oh, ow};
    *in3 = c ? ct_view(c, 3, s_in) : NULL;
    ct_xdecref(c);
    *out = *in3 ? ct_empty(nd, sizes, img->dtype, ct_device_of(img)) : NULL;
    *out3 = *out ? ct_view(*out, 3, s_out) : NULL;
    if (*out3) return 0;
    ct_xdecref(*in3);
    ct_xdecref(*out);
    return -1;
}

/* run the kernel on the views; the full-shaped output, or NULL */
static ct_tensor *run(ct_kernel_args *args, ct_tensor *in3, ct_tensor *out, ct_tensor *out3) {
    ct_tensor *v[2] = {out3, in3};
    args->tensors = v;
    args->ntensors = 2;
    int rc = ct_dispatch(ct_device_of(in3), args);
    ct_decref(in3);
    ct_decref(out3);
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_vision_resize(ct_tensor *img, int64_t oh, int64_t ow, ct_resample_mode mode, bool antialias) {
    ct_tensor *in3, *out, *out3;
    if (plane_views("resize", img, oh, ow, &in3, &out, &out3) < 0) return NULL;
    int64_t ints[2] = {mode, antialias};
    ct_kernel_args args = {.op = CT_OP_vision_resize, .ints = ints, .nints = 2};
    return run(&args, in3, out, out3);
}

ct_tensor *ct_vision_affine(ct_tensor *img, const double *theta, int64_t oh, int64_t ow, bool bilinear, int nfill,
                            const double *fill) {
    int64_t chans = img->ndim >= 3 ? img->sizes[img->ndim - 3] : 1;
    if (nfill < 0 || nfill > CT_VISION_MAX_FILL || (nfill > 1 && nfill != chans))
        return ct_error_null(CT_ERR_VALUE, "The number of elements in 'fill' cannot broadcast to match the number "
                             "of channels of the image (%d != %lld)", nfill, (long long)chans);
    ct_tensor *in3, *out, *out3;
    if (plane_views("affine", img, oh, ow, &in3, &out, &out3) < 0) return NULL;
    ct_scalar sc[6 + CT_VISION_MAX_FILL];
    for (int i = 0; i < 6; i++) sc[i] = ct_scalar_f(theta[i]);
    for (int i = 0; i < nfill; i++) sc[6 + i] = ct_scalar_f(fill[i]);
    int64_t ints[3] = {bilinear, chans, nfill};
    ct_kernel_args args = {.op = CT_OP_vision_affine, .scalars = sc, .nscalars = 6 + nfill, .ints = ints, .nints = 3};
    return run(&args, in3, out, out3);
}
