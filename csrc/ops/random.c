/* Random ops (ct_ops.h): PyTorch's argument checks, in PyTorch's order and
 * words, then one locked kernel call on the generator. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* the C++ type names PyTorch prints in its bounds messages */
static const char *cpp_name(ct_dtype d) {
    static const char *const names[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short int", "int",
                                                     "long int", "c10::Half", "c10::BFloat16", "float", "double"};
    return names[d];
}

/* lowest and largest finite values of a dtype, as doubles */
static void dtype_range(ct_dtype d, double *lo, double *hi) {
    static const double max[CT_NUM_DTYPES] = {1, 255, 127, 32767, 2147483647.0, 9223372036854775807.0,
                                              65504.0, 3.3895313892515355e38, FLT_MAX, DBL_MAX};
    *hi = max[d];
    *lo = d == CT_BOOL || d == CT_UINT8 ? 0 : ct_is_floating(d) ? -max[d] : -max[d] - 1;
}

/* the generator to draw from: gen or the device's default; its device type must be the tensor's */
static int pick_generator(ct_generator **gen, ct_device dev) {
    if (!*gen) {
        *gen = ct_default_generator((ct_device_type)dev.type);
        return 0;
    }
    if ((*gen)->device.type != dev.type)
        return ct_error(CT_ERR_RUNTIME, "Expected a '%s' device type for generator but found '%s'",
                        dev.type == CT_DEV_CUDA ? "cuda" : "cpu", (*gen)->device.type == CT_DEV_CUDA ? "cuda" : "cpu");
    return 0;
}

/* one kernel call under the generator's lock (a missing default generator: the
 * backend has no random kernels yet, and dispatch says so) */
static int dispatch_locked(ct_device dev, ct_kernel_args *args, ct_generator *gen) {
    if (pick_generator(&gen, dev) < 0) return -1;
    args->gen = gen;
    if (gen) ct_generator_lock(gen);
    int rc = ct_dispatch(dev, args);
    if (gen) ct_generator_unlock(gen);
    return rc;
}

/* an in-place fill of t over PyTorch's nullary iteration order (input: NULL, or a
 * tensor broadcast to t's shape that the kernel reads, such as bernoulli's p) */
static int fill(int op, ct_tensor *t, ct_tensor *input, const ct_scalar *s, int ns, const int64_t *ints,
                ct_generator *gen) {
    if (ct_numel(t) == 0) return 0;
    ct_iter it;
    ct_tensor *out = t, *in = input ? input : t;
    if (ct_iter_elementwise(&it, ct_op_name(op), &out, t->dtype, 1, &in) < 0) return -1;
    ct_kernel_args args = {.op = op, .iter = &it, .tensors = &t, .ntensors = 1, .scalars = s, .nscalars = ns,
                           .ints = ints, .nints = ints ? 3 : 0};
    int rc = dispatch_locked(ct_device_of(t), &args, gen);
    ct_iter_release(&it);
    if (rc == 0) ct_bump_version(t);
    return rc;
}

static int fill2(int op, ct_tensor *t, double a, double b, ct_generator *gen) {
    ct_scalar s[2] = {ct_scalar_f(a), ct_scalar_f(b)};
    return fill(op, t, NULL, s, 2, NULL, gen);
}

int ct_uniform_(ct_tensor *t, double from, double to, ct_generator *gen) {
    ct_dtype d = t->dtype;
    if (!ct_is_floating(d)) return ct_error_kernel_dtype("check_uniform_bounds", d);
    double lo, hi;
    dtype_range(d, &lo, &hi);
    if (!(from >= lo && from <= hi)) return ct_error(CT_ERR_RUNTIME, "from is out of bounds for %s", cpp_name(d));
    if (!(to >= lo && to <= hi)) return ct_error(CT_ERR_RUNTIME, "to is out of bounds for %s", cpp_name(d));
    if (from > to)
        return ct_error(CT_ERR_RUNTIME, "uniform_ expects to return a [from, to) range, but found from=%g > to=%g",
                        from, to);
    if (to - from > hi)
        return ct_error(CT_ERR_RUNTIME, "uniform_ expects to-from <= std::numeric_limits<%s>::max(), but found to=%g "
                        "and from=%g which result in to-from to exceed the limit", ct_dtype_infos[d].legacy, to, from);
    return fill2(CT_OP_uniform, t, from, to, gen);
}

int ct_normal_(ct_tensor *t, double mean, double std, ct_generator *gen) {
    if (!(std >= 0.0)) return ct_error(CT_ERR_RUNTIME, "normal expects std >= 0.0, but found std %g", std);
    if (ct_numel(t) == 0) return 0;
    if (!ct_is_floating(t->dtype)) return ct_error_kernel_dtype("normal_kernel_cpu", t->dtype);
    return fill2(CT_OP_normal, t, mean, std, gen);
}

/* ---- random_ ---- */

/* (int64)(scalar_t)x: an integer bound cast to a floating dtype and back (through
 * float below double, as c10's Half and BFloat16; inf as x86 converts it) */
static int64_t through_dtype(int64_t x, ct_dtype d) {
    double v = (double)x;
    if (d != CT_FLOAT64) {
        float f = (float)x;
        if (d == CT_FLOAT16) f = ct_half_to_float(ct_float_to_half(f));
        else if (d == CT_BFLOAT16) f = ct_bf16_to_float(ct_float_to_bf16(f));
        v = f;
    }
    return v >= -9.2233720368547758e18 && v < 9.2233720368547758e18 ? (int64_t)v : INT64_MIN;
}

static int mantissa_digits(ct_dtype d) {
    return d == CT_FLOAT16 ? 11 : d == CT_BFLOAT16 ? 8 : d == CT_FLOAT32 ? 24 : 53;
}

/* PyTorch's update_from / update_to: move a bound that rounds past itself one
 * representable step back inside the range */
static int64_t update_bound(int64_t x, ct_dtype d, bool is_from) {
    int64_t near = (int64_t)((uint64_t)x + (is_from ? 1u : (uint64_t)-1));   /* x + 1 or x - 1, wrapping */
    int64_t y = through_dtype(near, d);
    if (is_from ? y < x : y >= x) {
        uint64_t a = near < 0 ? 0 - (uint64_t)near : (uint64_t)near;
        int n = 0;
        while (a >>= 1) ++n;
        uint64_t step = (uint64_t)1 << (n - mantissa_digits(d) + 1);
        x = (int64_t)(is_from ? (uint64_t)y + step : (uint64_t)y - step);
    }
    return x;
}

static int check_in_range(int64_t from, int64_t to_inc, ct_dtype d) {
    double lo, hi;
    dtype_range(d, &lo, &hi);
    if (!((double)from >= lo && (double)from <= hi))
        return ct_error(CT_ERR_RUNTIME, "from is out of bounds for %s", cpp_name(d));
    if (!((double)to_inc >= lo && (double)to_inc <= hi))
        return ct_error(CT_ERR_RUNTIME, "to - 1 is out of bounds for %s", cpp_name(d));
    return 0;
}

int ct_random_(ct_tensor *t, bool has_from, int64_t from, bool has_to, int64_t to, ct_generator *gen) {
    ct_dtype d = t->dtype;
    int64_t ints[3] = {CT_RANDOM_DEFAULT, 0, 0};
    if (!has_from) from = 0;
    if (has_to) {
        if (from >= to)
            return ct_error(CT_ERR_RUNTIME, "random_ expects 'from' to be less than 'to', but got from=%lld >= to=%lld",
                            (long long)from, (long long)to);
        if (ct_is_floating(d)) {
            from = update_bound(from, d, true);
            to = update_bound(to, d, false);
            if (from >= to)
                return ct_error(CT_ERR_RUNTIME, "random_ expects 'from' casted to dtype to be less than 'to' casted "
                                "to dtype, but got from=%lld >= to=%lld", (long long)from, (long long)to);
        }
        if (check_in_range(from, to - 1, d) < 0) return -1;
        ints[0] = CT_RANDOM_FROM_TO;
        ints[2] = (int64_t)((uint64_t)to - (uint64_t)from);
    } else if (has_from && from != INT64_MIN) {
        int64_t to_inc;
        if (ct_is_floating(d)) {
            int digits = mantissa_digits(d);
            to_inc = digits >= 63 ? INT64_MAX : (int64_t)1 << digits;
            from = update_bound(from, d, true);
            if (from >= to_inc)
                return ct_error(CT_ERR_RUNTIME, "random_ expects 'from' casted to dtype to be less than or equal to "
                                "'to_inc' casted to dtype, but got from=%lld > to_inc=%lld", (long long)from,
                                (long long)to_inc);
        } else {
            double lo, hi;
            dtype_range(d, &lo, &hi);
            to_inc = d == CT_INT64 ? INT64_MAX : (int64_t)hi;
        }
        if (check_in_range(from, to_inc, d) < 0) return -1;
        ints[0] = CT_RANDOM_FROM_TO;
        ints[2] = (int64_t)((uint64_t)to_inc - (uint64_t)from + 1);
    } else if (has_from) {
        if (d == CT_BOOL || d == CT_FLOAT16) return ct_error_kernel_dtype("random_full_64_bits_range_kernel_cpu", d);
        if (d != CT_INT64 && d != CT_FLOAT32 && d != CT_FLOAT64 && d != CT_BFLOAT16)
            return ct_error(CT_ERR_RUNTIME, "random_full_64_bits_range_kernel_cpu handles only int64, double, float "
                            "and bfloat16");
        ints[0] = CT_RANDOM_FULL64;
    }
    ints[1] = from;
    return fill(CT_OP_random, t, NULL, NULL, 0, ints, gen);
}

/* ---- the other distributions ---- */

int ct_bernoulli_(ct_tensor *t, double p, ct_generator *gen) {
    if (!(p >= 0 && p <= 1))
        return ct_error(CT_ERR_RUNTIME, "bernoulli_ expects p to be in [0, 1], but got p=%g", p);
    ct_scalar s = ct_scalar_f(p);
    return fill(CT_OP_bernoulli, t, NULL, &s, 1, NULL, gen);
}

int ct_bernoulli_tensor_(ct_tensor *t, ct_tensor *p, ct_generator *gen) {
    if (ct_numel(t) == 0) return 0;
    if (!ct_is_floating(p->dtype)) return ct_error_kernel_dtype("bernoulli_tensor_cpu_p_", p->dtype);
    ct_tensor *pe = ct_expand(p, t->ndim, t->sizes);
    if (!pe) return -1;
    int rc = fill(CT_OP_bernoulli, t, pe, NULL, 0, NULL, gen);
    ct_decref(pe);
    return rc;
}

static const char continuous_msg[] =
    "%s distribution is a continuous probability distribution. dtype must be a floating point but you specified %s";

int ct_exponential_(ct_tensor *t, double lambd, ct_generator *gen) {
    if (!(lambd > 0.0))
        return ct_error(CT_ERR_RUNTIME, "exponential_ expects lambda > 0.0, but found lambda=%g", lambd);
    if (ct_numel(t) == 0) return 0;
    if (!ct_is_floating(t->dtype)) return ct_error(CT_ERR_RUNTIME, continuous_msg, "Exponential", ct_dtype_infos[t->dtype].legacy);
    return fill2(CT_OP_exponential, t, lambd, 0, gen);
}

int ct_geometric_(ct_tensor *t, double p, ct_generator *gen) {
    if (!(p > 0 && p < 1)) return ct_error(CT_ERR_RUNTIME, "geometric_ expects p to be in (0, 1), but got p=%g", p);
    if (ct_numel(t) == 0) return 0;
    if (t->dtype == CT_BOOL) return ct_error_kernel_dtype("geometric_cpu", t->dtype);
    return fill2(CT_OP_geometric, t, p, 0, gen);
}

int ct_log_normal_(ct_tensor *t, double mean, double std, ct_generator *gen) {
    if (!(std > 0.0)) return ct_error(CT_ERR_RUNTIME, "log_normal_ expects std > 0.0, but found std=%g", std);
    if (ct_numel(t) == 0) return 0;
    if (!ct_is_floating(t->dtype)) return ct_error_kernel_dtype("log_normal_cpu", t->dtype);
    return fill2(CT_OP_log_normal, t, mean, std, gen);
}

int ct_cauchy_(ct_tensor *t, double median, double sigma, ct_generator *gen) {
    if (!(sigma > 0.0)) return ct_error(CT_ERR_RUNTIME, "cauchy_ expects sigma > 0.0, but found sigma=%g", sigma);
    if (!ct_is_floating(t->dtype)) return ct_error(CT_ERR_RUNTIME, continuous_msg, "Cauchy", cpp_name(t->dtype));
    return fill2(CT_OP_cauchy, t, median, sigma, gen);
}

/* ---- factories that are not fills ---- */

ct_tensor *ct_randperm(int64_t n, ct_dtype dtype, ct_device dev, ct_generator *gen) {
    ct_tensor *t = ct_empty(1, &n, dtype, dev);
    if (!t) return NULL;
    static const char *const int_names[CT_NUM_DTYPES] = {NULL, "uint8_t", "int8_t", "int16_t", "int32_t", "int64_t"};
    double lo, hi;
    dtype_range(dtype, &lo, &hi);
    int rc = 0;
    if (ct_is_integral(dtype, false) && (double)(n > 0 ? n - 1 : n) > hi)
        rc = ct_error(CT_ERR_RUNTIME, "value cannot be converted to type %s without overflow", int_names[dtype]);
    else if (dtype == CT_FLOAT16 && n > (1 << 11) + 1)
        rc = ct_error(CT_ERR_RUNTIME, "n cannot be greater than 2049 for Half type.");
    else if (dtype == CT_FLOAT32 && n > (1 << 24) + 1)
        rc = ct_error(CT_ERR_RUNTIME, "n cannot be greater than 2^24+1 for Float type.");
    else if (dtype == CT_FLOAT64 && n > ((int64_t)1 << 53) + 1)
        rc = ct_error(CT_ERR_RUNTIME, "n cannot be greater than 2^53+1 for Double type.");
    else if (dtype == CT_BOOL)
        rc = ct_error_kernel_dtype("randperm", dtype);
    else if (n > 0) {
        ct_kernel_args args = {.op = CT_OP_randperm, .tensors = &t, .ntensors = 1};
        rc = dispatch_locked(dev, &args, gen);
    }
    if (rc < 0) {
        ct_decref(t);
        return NULL;
    }
    return t;
}

/* t's values as a contiguous CPU float64 tensor, for checks that read every value */
static ct_tensor *host_doubles(ct_tensor *t) {
    ct_tensor *c = ct_empty(t->ndim, t->sizes, CT_FLOAT64, ct_cpu());
    if (c && ct_copy_(c, t) < 0) {
        ct_decref(c);
        return NULL;
    }
    return c;
}

/* PyTorch's checks on the probabilities: finite, >= 0, and a positive sum per row */
static int check_probs(ct_tensor *p) {
    ct_tensor *c = host_doubles(p);
    if (!c) return -1;
    const double *v = (const double *)ct_data(c);
    int64_t cats = p->sizes[p->ndim - 1], rows = p->ndim == 2 ? p->sizes[0] : 1;
    int rc = 0;
    for (int64_t i = 0; i < rows * cats && rc == 0; i++)
        if (!(v[i] >= 0 && v[i] < INFINITY))
            rc = ct_error(CT_ERR_RUNTIME, "probability tensor contains either `inf`, `nan` or element < 0");
    for (int64_t r = 0; r < rows && rc == 0; r++) {
        bool any = false;
        for (int64_t j = 0; j < cats && !any; j++) any = v[r * cats + j] > 0;
        if (!any) rc = ct_error(CT_ERR_RUNTIME, "invalid multinomial distribution (sum of probabilities <= 0)");
    }
    ct_decref(c);
    return rc;
}

/* without replacement: keys p / q with q ~ Exp(1) drawn over p's layout, as PyTorch */
static ct_tensor *gumbel_keys(ct_tensor *p, ct_generator *gen) {
    ct_tensor *q = ct_empty_like(p, p->dtype);
    if (!q || ct_exponential_(q, 1.0, gen) < 0) {
        ct_xdecref(q);
        return NULL;
    }
    ct_tensor *keys = ct_binary(CT_OP_div, p, q, NULL, NULL);
    ct_decref(q);
    return keys;
}

ct_tensor *ct_multinomial(ct_tensor *probs, int64_t num_samples, bool replacement, ct_generator *gen) {
    if (probs->ndim < 1 || probs->ndim > 2) return ct_error_null(CT_ERR_RUNTIME, "prob_dist must be 1 or 2 dim");
    if (!ct_is_floating(probs->dtype))
        return ct_error_null(CT_ERR_RUNTIME, "multinomial only supports floating-point dtypes for input, got: %s",
                             ct_dtype_infos[probs->dtype].legacy);
    if (num_samples <= 0) return ct_error_null(CT_ERR_RUNTIME, "cannot sample n_sample <= 0 samples");
    int64_t cats = probs->sizes[probs->ndim - 1];
    if (!replacement && num_samples > cats)
        return ct_error_null(CT_ERR_RUNTIME, "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
    if (cats > (1 << 24)) return ct_error_null(CT_ERR_RUNTIME, "number of categories cannot exceed 2^24");
    int64_t sizes[2] = {probs->sizes[0], num_samples};
    int nd = probs->ndim;
    ct_tensor *out = ct_empty(nd, nd == 2 ? sizes : &num_samples, CT_INT64, ct_device_of(probs));
    if (!out || ct_numel(out) == 0) return out;
    ct_tensor *src = check_probs(probs) < 0 ? NULL : replacement ? ct_incref(probs) : gumbel_keys(probs, gen);
    int rc = -1;
    if (src) {
        ct_tensor *ts[2] = {out, src};
        int64_t ints[2] = {num_samples, replacement};
        ct_kernel_args args = {.op = CT_OP_multinomial, .tensors = ts, .ntensors = 2, .ints = ints, .nints = 2};
        rc = dispatch_locked(ct_device_of(probs), &args, gen);
        ct_decref(src);
    }
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_poisson(ct_tensor *rates, ct_generator *gen) {
    if (!ct_is_floating(rates->dtype)) return ct_error_kernel_dtype("poisson_cpu", rates->dtype), NULL;
    ct_tensor *out = ct_full(rates->ndim, rates->sizes, ct_scalar_i(0), rates->dtype, ct_device_of(rates));
    if (out && fill(CT_OP_poisson, out, rates, NULL, 0, NULL, gen) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_standard_gamma(ct_tensor *alpha, ct_generator *gen) {
    if (!ct_is_floating(alpha->dtype)) return ct_error_kernel_dtype("gamma_cpu", alpha->dtype), NULL;
    ct_tensor *out = ct_full(alpha->ndim, alpha->sizes, ct_scalar_i(0), alpha->dtype, ct_device_of(alpha));
    if (out && fill(CT_OP_standard_gamma, out, alpha, NULL, 0, NULL, gen) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_sample_dirichlet(ct_tensor *alpha, ct_generator *gen) {
    if (!ct_is_floating(alpha->dtype) || alpha->dtype == CT_FLOAT16 || alpha->dtype == CT_BFLOAT16)
        return ct_error_kernel_dtype("dirichlet", alpha->dtype), NULL;
    if (alpha->ndim == 0) return ct_error_null(CT_ERR_INDEX, "Dimension specified as -1 but tensor has no dimensions");
    int64_t last = alpha->ndim - 1;
    ct_tensor *g = ct_full(alpha->ndim, alpha->sizes, ct_scalar_i(0), CT_FLOAT64, ct_device_of(alpha));
    if (g && fill(CT_OP_standard_gamma, g, alpha, NULL, 0, NULL, gen) < 0) {
        ct_decref(g);
        return NULL;
    }
    /* gamma / its row sum, in float64, then in alpha's dtype within [tiny, the float before 1] */
    ct_tensor *sum = g ? ct_reduce(CT_RED_SUM, g, 1, &last, true, CT_UNDEFINED) : NULL;
    ct_tensor *q = sum ? ct_binary(CT_OP_div, g, sum, NULL, NULL) : NULL;
    ct_tensor *c = q ? ct_to_dtype(q, alpha->dtype, false) : NULL, *out = NULL;
    if (c) {
        bool f64 = alpha->dtype == CT_FLOAT64;
        ct_scalar bounds[2] = {ct_scalar_f(f64 ? 2.2250738585072014e-308 : 1.1754943508222875e-38),
                               ct_scalar_f(f64 ? 1.0 - 0x1p-53 : 1.0 - 0x1p-24)};
        out = ct_unary(CT_OP_clamp, c, bounds, NULL);
    }
    ct_tensor *tmp[4] = {g, sum, q, c};
    for (int i = 0; i < 4; i++) ct_xdecref(tmp[i]);
    return out;
}

/* ---- normal with tensor arguments: N(0, std) or N(0, 1) scaled, then shifted ---- */

static int check_std_tensor(ct_tensor *std) {
    ct_tensor *c = host_doubles(std);
    if (!c) return -1;
    const double *v = (const double *)ct_data(c);
    int64_t n = ct_numel(c);
    int rc = 0;
    for (int64_t i = 0; i < n && rc == 0; i++)
        if (!(v[i] >= 0)) rc = ct_error(CT_ERR_RUNTIME, "normal expects all elements of std >= 0.0");
    ct_decref(c);
    return rc;
}

/* out <- out op other; 0 or -1 */
static int inplace(int op, ct_tensor *out, ct_tensor *other) {
    ct_tensor *r = ct_binary(op, out, other, NULL, out);
    ct_xdecref(r);
    return r ? 0 : -1;
}

ct_tensor *ct_normal_tensors(ct_tensor *mean, double mean_v, ct_tensor *std, double std_v, ct_generator *gen) {
    if (std && check_std_tensor(std) < 0) return NULL;
    if (!std && !(std_v >= 0.0)) return ct_error_null(CT_ERR_RUNTIME, "normal expects std >= 0.0, but found std %g", std_v);
    int64_t shape[CT_MAX_DIMS];
    int nd;
    if (mean && std) {
        if ((nd = ct_broadcast_shapes(mean->ndim, mean->sizes, std->ndim, std->sizes, shape)) < 0) return NULL;
    } else {
        ct_tensor *like = mean ? mean : std;
        nd = like->ndim;
        for (int i = 0; i < nd; i++) shape[i] = like->sizes[i];
    }
    /* the result takes mean's dtype, or std's when mean is a number */
    ct_tensor *ref = mean ? mean : std, *out = ct_empty(nd, shape, ref->dtype, ct_device_of(ref));
    if (!out) return NULL;
    ct_tensor *shift = mean ? ct_incref(mean) : ct_scalar_tensor(ct_scalar_f(mean_v), out->dtype, false);
    bool ok = shift && ct_normal_(out, 0, std ? 1 : std_v, gen) == 0 && (!std || inplace(CT_OP_mul, out, std) == 0) &&
              inplace(CT_OP_add, out, shift) == 0;
    ct_xdecref(shift);
    if (!ok) {
        ct_decref(out);
        return NULL;
    }
    return out;
}
