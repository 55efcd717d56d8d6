/* The recurrence of one RNN / LSTM / GRU layer and direction (cpu/nn_rnn.c)
 * for one element type, included once per type with CT_T (float, double),
 * CT_GEMM (the BLAS gemm of that type), CT_SIGMOID, CT_TANH and CT_SFX defined.
 *
 * Rows are packed by time step: step t holds rows [off[t], off[t] + bs[t]),
 * the first bs[t] sequences of the batch. The running state lives in the
 * result's h_n (B, R) and c_n (B, H) parts: a step updates its rows only, so
 * the others keep the state they ended (forward) or start (reverse) with. */
#define CT_NAME_(a, b) a##b
#define CT_NAME(a, b) CT_NAME_(a, b)

/* c (m x n, ldc) = beta * c + a (m x k, or k x m when ta) @ b (k x n, or n x k when tb) */
static void CT_NAME(gemm, CT_SFX)(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const CT_T *a, int64_t lda,
                                  const CT_T *b, int64_t ldb, CT_T beta, CT_T *c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    CT_GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
            (CT_T)1, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* one row of a step, forward: x the projected input (G*H), gh = h_prev @ W_hh^T + b_hh (G*H); h (R) and
 * c (H) the row's running state (h is written here unless an LSTM projects) */
static void CT_NAME(row_forward, CT_SFX)(const rnn_geom *g, const CT_T *restrict x, const CT_T *restrict gh,
                                         CT_T *restrict w, CT_T *restrict h, CT_T *restrict c, CT_T *restrict out) {
    int64_t H = g->H;
    if (g->mode == CT_RNN_LSTM) { /* w: i f g o | tanh(c) | c_prev | m = o tanh(c) | h_prev */
        memcpy(w + 7 * H, h, sizeof(CT_T) * (size_t)g->R);
#pragma omp simd
        for (int64_t j = 0; j < 2 * H; j++) w[j] = CT_SIGMOID(x[j] + gh[j]);
#pragma omp simd
        for (int64_t j = 2 * H; j < 3 * H; j++) w[j] = CT_TANH(x[j] + gh[j]);
#pragma omp simd
        for (int64_t j = 3 * H; j < 4 * H; j++) w[j] = CT_SIGMOID(x[j] + gh[j]);
        const CT_T *restrict gi = w, *restrict gf = w + H, *restrict gg = w + 2 * H, *restrict go = w + 3 * H;
        CT_T *restrict tc = w + 4 * H, *restrict cp = w + 5 * H, *restrict m = w + 6 * H;
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            CT_T cn = gf[j] * c[j] + gi[j] * gg[j];
            tc[j] = CT_TANH(cn), cp[j] = c[j], m[j] = go[j] * tc[j];
            c[j] = cn;
        }
        if (!g->proj) {
            memcpy(h, w + 6 * H, sizeof(CT_T) * (size_t)H);
            memcpy(out, w + 6 * H, sizeof(CT_T) * (size_t)H);
        }
    } else if (g->mode == CT_RNN_GRU) { /* w: r z n | hn = W_hn h_prev + b_hn | h_prev */
        memcpy(w + 4 * H, h, sizeof(CT_T) * (size_t)H);
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            CT_T r = CT_SIGMOID(x[j] + gh[j]);
            CT_T z = CT_SIGMOID(x[H + j] + gh[H + j]);
            CT_T hn = gh[2 * H + j], n = CT_TANH(x[2 * H + j] + r * hn);
            w[j] = r, w[H + j] = z, w[2 * H + j] = n, w[3 * H + j] = hn;
            h[j] = out[j] = ((CT_T)1 - z) * n + z * h[j];
        }
    } else { /* w: h_prev | h */
        memcpy(w, h, sizeof(CT_T) * (size_t)H);
        if (g->mode == CT_RNN_TANH)
#pragma omp simd
            for (int64_t j = 0; j < H; j++) w[H + j] = CT_TANH(x[j] + gh[j]);
        else
#pragma omp simd
            for (int64_t j = 0; j < H; j++) w[H + j] = x[j] + gh[j] > 0 ? x[j] + gh[j] : (CT_T)0;
        memcpy(h, w + H, sizeof(CT_T) * (size_t)H);
        memcpy(out, w + H, sizeof(CT_T) * (size_t)H);
    }
}

/* the whole layer: res = out (N, R) | h_n (B, R) | c_n (B, H), from state = h0 | c0; scratch: gates (B, G*H)
 * and W_hh^T (R, G*H) (BLAS runs h @ W_hh^T faster from it than from W_hh) */
static void CT_NAME(rnn_forward, CT_SFX)(const rnn_geom *g, CT_T *res, CT_T *work, const CT_T *xw,
                                         const CT_T *params, const CT_T *state, CT_T *gates, CT_T *wt) {
    int64_t H = g->H, R = g->R, GH = g->G * H, W = g->W;
    const CT_T *whh = params, *bhh = g->bias ? params + GH * R : NULL, *whr = params + GH * R + (g->bias ? GH : 0);
    for (int64_t n = 0; n < GH; n++)
        for (int64_t k = 0; k < R; k++) wt[k * GH + n] = whh[n * R + k];
    CT_T *out = res, *hs = res + g->N * R, *cs = hs + g->B * R;
    memcpy(hs, state, sizeof(CT_T) * (size_t)(g->B * R + (g->mode == CT_RNN_LSTM ? g->B * H : 0)));
    for (int64_t s = 0; s < g->T; s++) {
        int64_t t = g->reverse ? g->T - 1 - s : s, bs = g->bs[t], r0 = g->off[t];
        /* threads split the GEMM by columns, then the gates by rows */
#pragma omp parallel num_threads(g->threads) if (g->threads > 1)
        {
            int64_t th = omp_get_thread_num(), nth = omp_get_num_threads();
            int64_t c0 = GH * th / nth, c1 = GH * (th + 1) / nth;
            for (int64_t b = 0; bhh && b < bs; b++)
                memcpy(gates + b * GH + c0, bhh + c0, sizeof(CT_T) * (size_t)(c1 - c0));
            CT_NAME(gemm, CT_SFX)(false, false, bs, c1 - c0, R, hs, R, wt + c0, GH, bhh ? 1 : 0, gates + c0, GH);
#pragma omp barrier
            for (int64_t b = bs * th / nth; b < bs * (th + 1) / nth; b++)
                CT_NAME(row_forward, CT_SFX)(g, xw + (r0 + b) * GH, gates + b * GH, work + (r0 + b) * W, hs + b * R,
                                             cs + b * H, out + (r0 + b) * R);
        }
        if (g->proj && bs > 0) { /* h = m @ W_hr^T */
            CT_NAME(gemm, CT_SFX)(false, true, bs, R, H, work + r0 * W + 6 * H, W, whr, H, 0, out + r0 * R, R);
            memcpy(hs, out + r0 * R, sizeof(CT_T) * (size_t)(bs * R));
        }
    }
}

/* one row of a step, backward: dh (R) the gradient of its h (dm (H) that of m when an LSTM projects) and
 * dc (H) of its c become those of h_prev (the direct part: a GRU's; the GEMM adds the rest) and c_prev;
 * gx (G*H) the gradient of the projected input, gh that of W_hh h_prev + b_hh (a GRU's differs; the others
 * pass gx again, and an LSTM without projection passes dh as dm: restrict holds, as each branch touches one) */
static void CT_NAME(row_backward, CT_SFX)(const rnn_geom *g, const CT_T *restrict w, CT_T *restrict dh,
                                          const CT_T *restrict dm, CT_T *restrict dc, CT_T *restrict gx,
                                          CT_T *restrict gh) {
    int64_t H = g->H;
    if (g->mode == CT_RNN_LSTM) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            CT_T i = w[j], f = w[H + j], gg = w[2 * H + j], o = w[3 * H + j], tc = w[4 * H + j];
            CT_T d = dm[j], dct = dc[j] + d * o * ((CT_T)1 - tc * tc);
            gx[j] = dct * gg * i * ((CT_T)1 - i);
            gx[H + j] = dct * w[5 * H + j] * f * ((CT_T)1 - f);
            gx[2 * H + j] = dct * i * ((CT_T)1 - gg * gg);
            gx[3 * H + j] = d * tc * o * ((CT_T)1 - o);
            dc[j] = dct * f;
        }
    } else if (g->mode == CT_RNN_GRU) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            CT_T r = w[j], z = w[H + j], n = w[2 * H + j], hn = w[3 * H + j], hp = w[4 * H + j], d = dh[j];
            CT_T dn = d * ((CT_T)1 - z) * ((CT_T)1 - n * n);
            gx[j] = gh[j] = dn * hn * r * ((CT_T)1 - r);
            gx[H + j] = gh[H + j] = d * (hp - n) * z * ((CT_T)1 - z);
            gx[2 * H + j] = dn;
            gh[2 * H + j] = dn * r;
            dh[j] = d * z;
        }
    } else {
        const CT_T *h = w + H;
        if (g->mode == CT_RNN_TANH)
#pragma omp simd
            for (int64_t j = 0; j < H; j++) gx[j] = dh[j] * ((CT_T)1 - h[j] * h[j]);
        else
#pragma omp simd
            for (int64_t j = 0; j < H; j++) gx[j] = h[j] > 0 ? dh[j] : (CT_T)0;
    }
}

/* gradients of the projected input gxw (N, G*H), of params (W_hh | b_hh | W_hr) and of state (h0 | c0) from
 * gres, the gradient of res; dgh (N, G*H): a GRU's W_hh-side gradients; dhs (N, R), dm (B, H): a projecting
 * LSTM's gradients of h per row and of m per step */
static void CT_NAME(rnn_backward, CT_SFX)(const rnn_geom *g, CT_T *gxw, CT_T *gparams, CT_T *gstate,
                                          const CT_T *gres, const CT_T *work, const CT_T *params, CT_T *dgh,
                                          CT_T *dhs, CT_T *dm) {
    int64_t H = g->H, R = g->R, GH = g->G * H, W = g->W, N = g->N;
    int64_t whr_at = GH * R + (g->bias ? GH : 0);   /* where W_hr starts in params */
    const CT_T *whh = params, *whr = params + whr_at;
    CT_T *dh = gstate, *dc = gstate + g->B * R, *gd = g->mode == CT_RNN_GRU ? dgh : gxw;
    bool lstm = g->mode == CT_RNN_LSTM;
    memcpy(gstate, gres + N * R, sizeof(CT_T) * (size_t)(g->B * R + (lstm ? g->B * H : 0)));
    for (int64_t s = g->T - 1; s >= 0; s--) {
        int64_t t = g->reverse ? g->T - 1 - s : s, bs = g->bs[t], r0 = g->off[t];
        if (bs == 0) continue;
        for (int64_t k = 0; k < bs * R; k++) dh[k] += gres[r0 * R + k];
        if (g->proj) { /* dm = dh @ W_hr */
            memcpy(dhs + r0 * R, dh, sizeof(CT_T) * (size_t)(bs * R));
            CT_NAME(gemm, CT_SFX)(false, false, bs, H, R, dh, R, whr, H, 0, dm, H);
        }
        /* threads split the gates by rows, then the GEMM by columns: dh_prev (+)= gd @ W_hh */
#pragma omp parallel num_threads(g->threads) if (g->threads > 1)
        {
            int64_t th = omp_get_thread_num(), nth = omp_get_num_threads();
            for (int64_t b = bs * th / nth; b < bs * (th + 1) / nth; b++)
                CT_NAME(row_backward, CT_SFX)(g, work + (r0 + b) * W, dh + b * R, g->proj ? dm + b * H : dh + b * R,
                                              dc + b * H, gxw + (r0 + b) * GH, gd + (r0 + b) * GH);
#pragma omp barrier
            int64_t c0 = R * th / nth, c1 = R * (th + 1) / nth;
            CT_NAME(gemm, CT_SFX)(false, false, bs, c1 - c0, GH, gd + r0 * GH, GH, whh + c0, R,
                                  g->mode == CT_RNN_GRU ? 1 : 0, dh + c0, R);
        }
    }
    /* over all rows at once: dW_hh = gd^T @ h_prev, db_hh = sum of gd, dW_hr = dhs^T @ m */
    int64_t hprev = lstm ? 7 * H : g->mode == CT_RNN_GRU ? 4 * H : 0;
    memset(gparams, 0, sizeof(CT_T) * (size_t)(whr_at + (g->proj ? R * H : 0)));
#pragma omp parallel num_threads(g->threads) if (g->threads > 1)
    {
        int64_t th = omp_get_thread_num(), nth = omp_get_num_threads(), r0 = GH * th / nth, r1 = GH * (th + 1) / nth;
        CT_NAME(gemm, CT_SFX)(true, false, r1 - r0, R, N, gd + r0, GH, work + hprev, W, 1, gparams + r0 * R, R);
    }
    for (int64_t r = 0; g->bias && r < N; r++)
#pragma omp simd
        for (int64_t j = 0; j < GH; j++) gparams[GH * R + j] += gd[r * GH + j];
    if (g->proj) CT_NAME(gemm, CT_SFX)(true, false, R, H, N, dhs, R, work + 6 * H, W, 1, gparams + whr_at, H);
}

#undef CT_NAME
#undef CT_NAME_
