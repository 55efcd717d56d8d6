/* The attention kernels of cpu/attention.c for one element type, included once
 * per type with T (float, double), GEMM (the BLAS gemm of that type), EXP and
 * SFX (a suffix for the names) defined.
 *
 * Shapes, per batch item b (the leading dims of every operand, flattened):
 * q [L, E], k [S, E], v [S, Ev] (unit column stride, any row stride), mask
 * [L, S] (any strides), out [L, Ev], the probabilities P and the dropout
 * factors [L, S] (contiguous). */
#define FN_(a, b) a##b
#define FN2_(a, b) FN_(a, b)
#define FN(name) FN2_(name, SFX)

/* C[M, N] = alpha op(A) op(B), row-major, beta 0: empty products give zeros (BLAS may not write them) */
static void FN(gemm)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
                     int64_t ldb, T *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(T));
        return;
    }
    GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
         alpha, A, (int)lda, B, (int)ldb, (T)0, C, (int)ldc);
}

/* one row of scores x[0, S) into probabilities: columns >= valid (causal) and those the mask leaves out
 * are -inf, a float mask is added; a row with nothing left is all zeros (as PyTorch's CPU kernels) */
static void FN(softmax_row)(T *x, int64_t S, int64_t valid, const attn_mask *m, int64_t row) {
    if (m->kind == MASK_BOOL) {
        const bool *mr = (const bool *)m->data + row * m->s0;
        for (int64_t j = 0; j < valid; j++) x[j] = mr[j * m->s1] ? x[j] : (T)-INFINITY;
    } else if (m->kind == MASK_FLOAT) {
        const T *mr = (const T *)m->data + row * m->s0;
        for (int64_t j = 0; j < valid; j++) x[j] += mr[j * m->s1];
    }
    T mx = -INFINITY, sum = 0;
#pragma omp simd reduction(max : mx)
    for (int64_t j = 0; j < valid; j++) mx = x[j] > mx ? x[j] : mx;
    if (mx == -INFINITY) valid = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < valid; j++) {
        x[j] = EXP(x[j] - mx);
        sum += x[j];
    }
    const T inv = (T)1 / sum;
#pragma omp simd
    for (int64_t j = 0; j < valid; j++) x[j] *= inv;
    for (int64_t j = valid; j < S; j++) x[j] = 0;
}

/* tensors {out, P or NULL, q, k, v, mask or NULL, drop or NULL}; scratch: 2 L*S per thread */
static void FN(attn_forward)(const ct_kernel_args *a, const attn_dims *d, T *scratch) {
    ct_tensor *const *t = a->tensors;
    const T scale = (T)a->scalars[0].d;
    const bool causal = a->ints[0];
    T *out = (T *)ct_data(t[0]), *P = t[1] ? (T *)ct_data(t[1]) : NULL;
    const T *drop = t[6] ? (const T *)ct_data(t[6]) : NULL;
    const int64_t L = d->L, S = d->S, LS = L * S;
#pragma omp parallel for schedule(static) num_threads(d->nt) if (d->nt > 1)
    for (int64_t b = 0; b < d->B; b++) {
        T *own = scratch + (int64_t)omp_get_thread_num() * 2 * LS;
        T *p = P ? P + b * LS : own, *pd = own + LS;
        const T *q = (const T *)ct_data(t[2]) + batch_offset(t[2], d->nb, b);
        const T *k = (const T *)ct_data(t[3]) + batch_offset(t[3], d->nb, b);
        const T *v = (const T *)ct_data(t[4]) + batch_offset(t[4], d->nb, b);
        attn_mask m = mask_of(t[5], d->nb, b);
        FN(gemm)(false, true, L, S, d->E, scale, q, d->ldq, k, d->ldk, p, S);
        for (int64_t i = 0; i < L; i++) FN(softmax_row)(p + i * S, S, causal && i + 1 < S ? i + 1 : S, &m, i);
        if (drop) {   /* the dropped probabilities multiply v; P stays undropped for the backward */
            const T *db = drop + b * LS;
#pragma omp simd
            for (int64_t j = 0; j < LS; j++) pd[j] = p[j] * db[j];
            p = pd;
        }
        FN(gemm)(false, false, L, d->Ev, S, 1, p, S, v, d->ldv, out + b * L * d->Ev, d->Ev);
    }
}

/* tensors {gq, gk, gv, g, q, k, v, P, drop or NULL}: gradients over the full batch, contiguous.
 * dV = Pd^T dO; dPd = dO V^T; dP = dPd * drop; dS = P (dP - rowsum(P dP)); dQ = scale dS K; dK = scale dS^T Q */
static void FN(attn_backward)(const ct_kernel_args *a, const attn_dims *d, T *scratch) {
    ct_tensor *const *t = a->tensors;
    const T scale = (T)a->scalars[0].d;
    const int64_t L = d->L, S = d->S, E = d->E, Ev = d->Ev, LS = L * S;
    T *gq = (T *)ct_data(t[0]), *gk = (T *)ct_data(t[1]), *gv = (T *)ct_data(t[2]);
    const T *g = (const T *)ct_data(t[3]), *P = (const T *)ct_data(t[7]);
    const T *drop = t[8] ? (const T *)ct_data(t[8]) : NULL;
#pragma omp parallel for schedule(static) num_threads(d->nt) if (d->nt > 1)
    for (int64_t b = 0; b < d->B; b++) {
        T *pd = scratch + (int64_t)omp_get_thread_num() * 2 * LS, *ds = pd + LS;
        const T *q = (const T *)ct_data(t[4]) + batch_offset(t[4], d->nb, b);
        const T *k = (const T *)ct_data(t[5]) + batch_offset(t[5], d->nb, b);
        const T *v = (const T *)ct_data(t[6]) + batch_offset(t[6], d->nb, b);
        const T *p = P + b * LS, *gb = g + b * L * Ev, *db = drop ? drop + b * LS : NULL;
        if (db) {
#pragma omp simd
            for (int64_t j = 0; j < LS; j++) pd[j] = p[j] * db[j];
        }
        FN(gemm)(true, false, S, Ev, L, 1, db ? pd : p, S, gb, Ev, gv + b * S * Ev, Ev);
        FN(gemm)(false, true, L, S, Ev, 1, gb, Ev, v, d->ldv, ds, S);
        for (int64_t i = 0; i < L; i++) {
            T *r = ds + i * S, dot = 0;
            const T *pr = p + i * S, *dr = db ? db + i * S : NULL;
            if (dr) {
#pragma omp simd
                for (int64_t j = 0; j < S; j++) r[j] *= dr[j];
            }
#pragma omp simd reduction(+ : dot)
            for (int64_t j = 0; j < S; j++) dot += pr[j] * r[j];
#pragma omp simd
            for (int64_t j = 0; j < S; j++) r[j] = pr[j] * (r[j] - dot);
        }
        FN(gemm)(false, false, L, E, S, scale, ds, S, k, d->ldk, gq + b * L * E, E);
        FN(gemm)(true, false, S, E, L, scale, ds, S, q, d->ldq, gk + b * S * E, E);
    }
}

#undef FN_
#undef FN2_
#undef FN
