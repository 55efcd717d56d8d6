/* One element type's normalization and softmax kernels, included by cpu/nn_norm.c
 * with T the type and SUF its suffix. Sums accumulate in double.
 *
 * Norms see the input as (A, C, B), contiguous: row c is A runs of B elements,
 * normalized together (batch norm: (N, C, H*W); layer norm: (1, rows, row length);
 * group norm: (1, N * groups, elements of a group)). The affine parameter of the
 * j-th segment (S elements) of a run of row c is k = (c % G) * KS + j. */
#define NN_CAT_(a, b) a##_##b
#define NN_CAT(a, b) NN_CAT_(a, b)
#define FN(name) NN_CAT(name, SUF)

/* *s1 += sum of (p[i] - c), *s2 += sum of (p[i] - c)^2: in T within blocks of NN_BLOCK (vectorized,
 * T's lanes), in double across blocks */
static void FN(block_sums)(const T *p, int64_t n, T c, double *s1, double *s2) {
    for (int64_t i0 = 0; i0 < n; i0 += NN_BLOCK) {
        int64_t len = n - i0 < NN_BLOCK ? n - i0 : NN_BLOCK;
        const T *q = p + i0;
        T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t i = 0; i < len; i++) {
            T d = q[i] - c;
            a += d;
            b += d * d;
        }
        *s1 += a;
        *s2 += b;
    }
}

/* mean and biased variance of row c: a first pass for the mean, a second for the squares around it
 * (with the sum of deviations correcting the mean's rounding) */
static void FN(row_stats)(const T *x, const norm_shape *s, int64_t c, double *mean, double *var) {
    double n = (double)(s->A * s->B), sum = 0, unused = 0, dev = 0, sq = 0;
    for (int64_t a = 0; a < s->A; a++) FN(block_sums)(x + (a * s->C + c) * s->B, s->B, 0, &sum, &unused);
    T m = (T)(sum / n);
    for (int64_t a = 0; a < s->A; a++) FN(block_sums)(x + (a * s->C + c) * s->B, s->B, m, &dev, &sq);
    *mean = m + dev / n;
    *var = sq / n - (dev / n) * (dev / n);
    if (*var < 0) *var = 0;
}

/* y = (x - mean) * rstd * w[k] + bias[k] over one run of row c; the mean subtracted as two T's (high and
 * low parts), so that a large mean leaves the deviations exact */
static void FN(run_apply)(T *y, const T *x, const norm_shape *s, int64_t c, double mean, double rstd, const T *w,
                          const T *bias) {
    int64_t kb = (c % s->G) * s->KS;
    const T mh = (T)mean, ml = (T)(mean - mh);
    if (s->S == 1) {   /* a parameter per element (layer norm) */
        const T r = (T)rstd, *wk = w + kb, *bk = bias + kb;
#pragma omp simd
        for (int64_t b = 0; b < s->B; b++) y[b] = (x[b] - mh - ml) * r * wk[b] + bk[b];
        return;
    }
    for (int64_t j = 0; j < s->B / s->S; j++) {
        const T sc = (T)(rstd * w[kb + j]), sh = bias[kb + j];
        const T *xs = x + j * s->S;
        T *ys = y + j * s->S;
#pragma omp simd
        for (int64_t i = 0; i < s->S; i++) ys[i] = (xs[i] - mh - ml) * sc + sh;
    }
}

/* tensors {out, mean, invstd, x, weight, bias, running_mean, running_var} */
static void FN(norm_forward)(const ct_kernel_args *args, const norm_shape *s) {
    ct_tensor *const *t = args->tensors;
    T *y = (T *)ct_data(t[0]), *mo = (T *)ct_data(t[1]), *ro = (T *)ct_data(t[2]);
    const T *x = (const T *)ct_data(t[3]), *w = (const T *)ct_data(t[4]), *bias = (const T *)ct_data(t[5]);
    ct_tensor *rm = t[6], *rv = t[7];
    int64_t mode = args->ints[6];
    double eps = args->scalars[0].d, mom = args->scalars[1].d, n = (double)(s->A * s->B);
    int nt = threads_for(s->A * s->B * s->C);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t c = 0; c < s->C; c++) {
        double m, v;
        if (mode & CT_NORM_BATCH_STATS) {
            FN(row_stats)(x, s, c, &m, &v);
        } else {
            m = load_at(rm, c);
            v = load_at(rv, c);
        }
        if ((mode & CT_NORM_UPDATE_RUNNING) && rm) store_at(rm, c, (1 - mom) * load_at(rm, c) + mom * m);
        if ((mode & CT_NORM_UPDATE_RUNNING) && rv) store_at(rv, c, (1 - mom) * load_at(rv, c) + mom * v * n / (n - 1));
        double r = 1 / sqrt(v + eps);
        mo[c] = (T)m;
        ro[c] = (T)r;
        for (int64_t a = 0; a < s->A; a++) {
            int64_t off = (a * s->C + c) * s->B;
            FN(run_apply)(y + off, x + off, s, c, m, r, w, bias);
        }
    }
}

/* sums over row c: *sgw = sum g w[k], *sgwx = sum g w[k] (x - mean); with lw/lb, also the parameters'
 * gradients lw[k] += sum g (x - mean) rstd and lb[k] += sum g. A parameter per element (S == 1, layer
 * norm) sums in T: the row's sums by blocks, the parameters' into pw/pb, which the caller flushes into
 * lw/lb every NN_FLUSH rows. */
static void FN(row_grad_sums)(const T *g, const T *x, const T *w, const norm_shape *s, int64_t c, double m, double r,
                              double *sgw, double *sgwx, double *lw, double *lb, T *pw, T *pb) {
    int64_t kb = (c % s->G) * s->KS;
    double a1 = 0, a2 = 0;
    for (int64_t a = 0; a < s->A; a++) {
        const T *gp = g + (a * s->C + c) * s->B, *xp = x + (a * s->C + c) * s->B;
        if (s->S == 1) {
            const T *wk = w + kb, mh = (T)m, ml = (T)(m - mh), tr = (T)r;
            for (int64_t b0 = 0; b0 < s->B; b0 += NN_BLOCK) {
                int64_t end = s->B - b0 < NN_BLOCK ? s->B : b0 + NN_BLOCK;
                T b1 = 0, b2 = 0;
#pragma omp simd reduction(+ : b1, b2)
                for (int64_t b = b0; b < end; b++) {
                    T gw = gp[b] * wk[b];
                    b1 += gw;
                    b2 += gw * (xp[b] - mh - ml);
                }
                a1 += b1;
                a2 += b2;
            }
            if (pw) {
                T *pwk = pw + kb, *pbk = pb + kb;
#pragma omp simd
                for (int64_t b = 0; b < s->B; b++) {
                    pwk[b] += gp[b] * (xp[b] - mh - ml) * tr;
                    pbk[b] += gp[b];
                }
            }
            continue;
        }
        for (int64_t j = 0; j < s->B / s->S; j++) {
            const T *gs = gp + j * s->S, *xs = xp + j * s->S;
            double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
            for (int64_t i = 0; i < s->S; i++) {
                sg += gs[i];
                sgx += (double)gs[i] * xs[i];
            }
            double wk = w[kb + j], cx = sgx - m * sg;   /* sum g (x - mean) */
            a1 += wk * sg;
            a2 += wk * cx;
            if (lw) {
                lw[kb + j] += cx * r;
                lb[kb + j] += sg;
            }
        }
    }
    *sgw = a1;
    *sgwx = a2;
}

/* gx over row c: g w rstd, less (with batch statistics) the parts through mean and variance:
 * gx = g w r - (x - mean) r^3 m2 - r m1, the mean subtracted as two T's as in run_apply */
static void FN(row_grad_input)(T *gx, const T *g, const T *x, const T *w, const norm_shape *s, int64_t c, double m,
                               double r, double m1, double m2, bool stats) {
    int64_t kb = (c % s->G) * s->KS;
    const T mh = (T)m, ml = (T)(m - mh), ta = stats ? (T)(r * r * r * m2) : 0, tc = stats ? (T)(r * m1) : 0;
    for (int64_t a = 0; a < s->A; a++) {
        int64_t off = (a * s->C + c) * s->B;
        const T *gp = g + off, *xp = x + off;
        T *op = gx + off;
        if (s->S == 1) {
            const T tr = (T)r, *wk = w + kb;
#pragma omp simd
            for (int64_t b = 0; b < s->B; b++) op[b] = gp[b] * wk[b] * tr - (xp[b] - mh - ml) * ta - tc;
            continue;
        }
        for (int64_t j = 0; j < s->B / s->S; j++) {
            const T tw = (T)(w[kb + j] * r);
            const T *gs = gp + j * s->S, *xs = xp + j * s->S;
            T *os = op + j * s->S;
#pragma omp simd
            for (int64_t i = 0; i < s->S; i++) os[i] = gs[i] * tw - (xs[i] - mh - ml) * ta - tc;
        }
    }
}

/* pw/pb (K each) added into lw/lb and cleared */
static void FN(flush_partials)(T *pw, T *pb, double *lw, double *lb, int64_t K) {
    for (int64_t k = 0; k < K; k++) {
        lw[k] += pw[k];
        lb[k] += pb[k];
        pw[k] = pb[k] = 0;
    }
}

/* tensors {gx, gw, gb, g, x, weight, mean, invstd}; gx, gw, gb may be NULL. Each thread sums
 * the parameters' gradients of its rows apart (acc: 2 K doubles per thread, part: 2 K T's per
 * thread for the S == 1 partials), then they add up. */
static int FN(norm_backward)(const ct_kernel_args *args, const norm_shape *s) {
    ct_tensor *const *t = args->tensors;
    T *gx = t[0] ? (T *)ct_data(t[0]) : NULL, *gw = t[1] ? (T *)ct_data(t[1]) : NULL;
    T *gb = t[2] ? (T *)ct_data(t[2]) : NULL;
    const T *g = (const T *)ct_data(t[3]), *x = (const T *)ct_data(t[4]), *w = (const T *)ct_data(t[5]);
    const T *mean = (const T *)ct_data(t[6]), *invstd = (const T *)ct_data(t[7]);
    bool stats = args->ints[6] & CT_NORM_BATCH_STATS, params = gw || gb, partials = params && s->S == 1;
    int64_t K = ct_numel(t[5]);
    double n = (double)(s->A * s->B);
    int nt = threads_for(s->A * s->B * s->C);
    double *acc = params ? calloc((size_t)(nt * 2 * K), sizeof(double)) : NULL;
    T *part = partials ? calloc((size_t)(nt * 2 * K), sizeof(T)) : NULL;
    if ((params && !acc) || (partials && !part)) {
        free(acc);
        return ct_error(CT_ERR_NOMEM, "norm backward: out of memory");
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int id = thread_id();
        double *lw = acc ? acc + 2 * K * id : NULL, *lb = lw ? lw + K : NULL;
        T *pw = part ? part + 2 * K * id : NULL, *pb = pw ? pw + K : NULL;
        int64_t rows = 0;
#pragma omp for schedule(static)
        for (int64_t c = 0; c < s->C; c++) {
            double m = mean[c], r = invstd[c], sgw = 0, sgwx = 0;
            if (params || stats) FN(row_grad_sums)(g, x, w, s, c, m, r, &sgw, &sgwx, lw, lb, pw, pb);
            if (gx) FN(row_grad_input)(gx, g, x, w, s, c, m, r, sgw / n, sgwx / n, stats);
            if (pw && ++rows % NN_FLUSH == 0) FN(flush_partials)(pw, pb, lw, lb, K);
        }
        if (pw) FN(flush_partials)(pw, pb, lw, lb, K);
    }
    for (int64_t k = 0; params && k < K; k++) {
        double sw = 0, sb = 0;
        for (int i = 0; i < nt; i++) {
            sw += acc[2 * K * i + k];
            sb += acc[2 * K * i + K + k];
        }
        if (gw) gw[k] = (T)sw;
        if (gb) gb[k] = (T)sb;
    }
    free(acc);
    free(part);
    return 0;
}

/* ---- softmax over (outer, D, inner), contiguous ---- */

/* one row (inner == 1): out = exp(x - max) / sum, or x - max - log(sum) */
static void FN(softmax_row)(T *o, const T *x, int64_t D, bool lg) {
    T mx = -INFINITY, sum = 0;
#pragma omp simd reduction(max : mx)
    for (int64_t d = 0; d < D; d++) mx = x[d] > mx ? x[d] : mx;
    if (lg) {
#pragma omp simd reduction(+ : sum)
        for (int64_t d = 0; d < D; d++) sum += NN_EXP(x[d] - mx);
        const T ls = (T)log((double)sum);
#pragma omp simd
        for (int64_t d = 0; d < D; d++) o[d] = x[d] - mx - ls;
        return;
    }
#pragma omp simd reduction(+ : sum)
    for (int64_t d = 0; d < D; d++) {
        o[d] = NN_EXP(x[d] - mx);
        sum += o[d];
    }
    const T inv = (T)1 / sum;
#pragma omp simd
    for (int64_t d = 0; d < D; d++) o[d] *= inv;
}

/* columns [i0, i0 + w) of one outer slice (inner > 1): the same, a vector of columns at a time */
static void FN(softmax_cols)(T *o, const T *x, int64_t D, int64_t inner, int64_t w, bool lg) {
    T mx[NN_COLS], sum[NN_COLS];
    for (int64_t i = 0; i < w; i++) mx[i] = -INFINITY, sum[i] = 0;
    for (int64_t d = 0; d < D; d++) {
        const T *xd = x + d * inner;
#pragma omp simd
        for (int64_t i = 0; i < w; i++) mx[i] = xd[i] > mx[i] ? xd[i] : mx[i];
    }
    for (int64_t d = 0; d < D; d++) {
        const T *xd = x + d * inner;
        T *od = o + d * inner;
#pragma omp simd
        for (int64_t i = 0; i < w; i++) {
            T e = NN_EXP(xd[i] - mx[i]);
            sum[i] += e;
            if (!lg) od[i] = e;
        }
    }
    for (int64_t i = 0; i < w; i++) sum[i] = lg ? (T)log((double)sum[i]) : (T)1 / sum[i];
    for (int64_t d = 0; d < D; d++) {
        const T *xd = x + d * inner;
        T *od = o + d * inner;
        if (lg) {
#pragma omp simd
            for (int64_t i = 0; i < w; i++) od[i] = xd[i] - mx[i] - sum[i];
        } else {
#pragma omp simd
            for (int64_t i = 0; i < w; i++) od[i] *= sum[i];
        }
    }
}

/* backward of one row: gx = out (g - sum g out), or (log) g - exp(out) sum g */
static void FN(softmax_grad_row)(T *gx, const T *g, const T *o, int64_t D, bool lg) {
    T sum = 0;
    if (lg) {
#pragma omp simd reduction(+ : sum)
        for (int64_t d = 0; d < D; d++) sum += g[d];
#pragma omp simd
        for (int64_t d = 0; d < D; d++) gx[d] = g[d] - NN_EXP(o[d]) * sum;
        return;
    }
#pragma omp simd reduction(+ : sum)
    for (int64_t d = 0; d < D; d++) sum += g[d] * o[d];
#pragma omp simd
    for (int64_t d = 0; d < D; d++) gx[d] = o[d] * (g[d] - sum);
}

static void FN(softmax_grad_cols)(T *gx, const T *g, const T *o, int64_t D, int64_t inner, int64_t w, bool lg) {
    T sum[NN_COLS];
    for (int64_t i = 0; i < w; i++) sum[i] = 0;
    for (int64_t d = 0; d < D; d++) {
        const T *gd = g + d * inner, *od = o + d * inner;
#pragma omp simd
        for (int64_t i = 0; i < w; i++) sum[i] += lg ? gd[i] : gd[i] * od[i];
    }
    for (int64_t d = 0; d < D; d++) {
        const T *gd = g + d * inner, *od = o + d * inner;
        T *xd = gx + d * inner;
        if (lg) {
#pragma omp simd
            for (int64_t i = 0; i < w; i++) xd[i] = gd[i] - NN_EXP(od[i]) * sum[i];
        } else {
#pragma omp simd
            for (int64_t i = 0; i < w; i++) xd[i] = od[i] * (gd[i] - sum[i]);
        }
    }
}

/* forward: tensors {out, x}; backward: {gx, g, out}. ints {outer, D, inner, log}. Work items:
 * rows (inner == 1), or blocks of NN_COLS columns of one outer slice. */
static void FN(softmax_run)(const ct_kernel_args *args, bool backward) {
    ct_tensor *const *t = args->tensors;
    int64_t outer = args->ints[0], D = args->ints[1], inner = args->ints[2];
    bool lg = args->ints[3];
    T *o = (T *)ct_data(t[0]);
    const T *a = (const T *)ct_data(t[1]), *b = backward ? (const T *)ct_data(t[2]) : NULL;
    int64_t blocks = (inner + NN_COLS - 1) / NN_COLS, items = outer * blocks;
    int nt = threads_for(outer * D * inner);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t it = 0; it < items; it++) {
        int64_t q = it / blocks, i0 = (it % blocks) * NN_COLS, off = q * D * inner + i0;
        int64_t w = inner - i0 < NN_COLS ? inner - i0 : NN_COLS;
        if (inner == 1) {
            if (backward) FN(softmax_grad_row)(o + off, a + off, b + off, D, lg);
            else FN(softmax_row)(o + off, a + off, D, lg);
        } else {
            if (backward) FN(softmax_grad_cols)(o + off, a + off, b + off, D, inner, w, lg);
            else FN(softmax_cols)(o + off, a + off, D, inner, w, lg);
        }
    }
}

#undef FN
#undef NN_CAT
#undef NN_CAT_
