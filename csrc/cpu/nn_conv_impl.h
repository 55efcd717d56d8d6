/* The float kernels of cpu/nn_conv.c for one element type, included once per
 * type with CT_T (float, double), CT_GEMM (the BLAS gemm of that type) and
 * CT_SFX (a suffix for the names) defined.
 *
 * The column matrix of image n holds, for each image channel c and kernel
 * offset (i, j), one row of all output positions p = (oh, ow): the value of
 * the image at (oh * sh - ph + i * dh, ow * sw - pw + j * dw), or 0 outside.
 * Rows are ordered (c, i, j), so group g's rows are one block of ck rows.
 * Work goes by tiles of positions so that a tile's columns stay in cache. */
#define CT_NAME_(a, b) a##b
#define CT_NAME(a, b) CT_NAME_(a, b)

/* row (i, j) of one plane for positions [p0, p0 + tl) when the stride is 1 and the output is as wide as
 * the image: position p reads plane[p + shift] wherever it reads the image at all, so the row is one
 * copy, with the positions outside the image (whole rows, then the columns [0, lo) and [hi, W) of the
 * rows copied) zeroed */
static void CT_NAME(im2col_shifted, CT_SFX)(const geom *g, const CT_T *plane, int64_t i, int64_t j, int64_t p0,
                                          int64_t tl, CT_T *dst) {
    int64_t W = g->W, rs = i * g->dh - g->ph, off = j * g->dw - g->pw, shift = rs * W + off, lo, hi;
    int64_t a = -rs * W > p0 ? -rs * W : p0, b = (g->H - rs) * W < p0 + tl ? (g->H - rs) * W : p0 + tl;
    if (a < -shift) a = -shift;                     /* and reads inside the plane only */
    if (b > g->H * W - shift) b = g->H * W - shift;
    if (b < a) b = a = p0 + tl;
    for (int64_t p = p0; p < a; p++) dst[p - p0] = 0;
    if (b > a) memcpy(dst + (a - p0), plane + a + shift, (size_t)(b - a) * sizeof(CT_T));
    for (int64_t p = b; p < p0 + tl; p++) dst[p - p0] = 0;
    valid_cols(0, W, 1, off, W, &lo, &hi);
    if (lo == 0 && hi == W) return;
    for (int64_t r = b > a ? a / W * W : b; r < b; r += W) {
        for (int64_t p = r > a ? r : a; p < r + lo && p < b; p++) dst[p - p0] = 0;
        for (int64_t p = r + hi > a ? r + hi : a; p < r + W && p < b; p++) dst[p - p0] = 0;
    }
}

/* rows for channels [0, nch) of img (one image, from its channel c0) into col (rows ld apart), positions
 * [p0, p0 + tl). A row (c, i, j) is walked one output row (oh) at a time: the output columns
 * [lo, hi) read the image (the same for every oh), the others are padding. */
static void CT_NAME(im2col, CT_SFX)(const geom *g, const CT_T *img, int64_t nch, int64_t p0, int64_t tl, CT_T *col,
                                    int64_t ld) {
    bool shifted = g->sh == 1 && g->sw == 1 && g->OW == g->W;
    for (int64_t c = 0; c < nch; c++)
        for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++) {
                CT_T *dst = col + ((c * g->kh + i) * g->kw + j) * ld;
                const CT_T *plane = img + c * g->H * g->W;
                if (shifted) {
                    CT_NAME(im2col_shifted, CT_SFX)(g, plane, i, j, p0, tl, dst);
                    continue;
                }
                int64_t off = j * g->dw - g->pw, lo, hi;   /* output column q reads image column q * sw + off */
                valid_cols(0, g->OW, g->sw, off, g->W, &lo, &hi);
                for (int64_t oh = p0 / g->OW, ow = p0 % g->OW, left = tl; left > 0; oh++, ow = 0) {
                    int64_t end = g->OW - ow < left ? g->OW : ow + left, ih = oh * g->sh - g->ph + i * g->dh;
                    int64_t a = lo > ow ? lo : ow, b = hi < end ? hi : end;
                    if (ih < 0 || ih >= g->H || b < a) a = b = end;
                    for (int64_t q = ow; q < a; q++) dst[q - ow] = 0;
                    const CT_T *src = plane + (a < b ? ih * g->W + off : 0);
                    if (g->sw == 1)
                        for (int64_t q = a; q < b; q++) dst[q - ow] = src[q];
                    else
                        for (int64_t q = a; q < b; q++) dst[q - ow] = src[q * g->sw];
                    for (int64_t q = b; q < end; q++) dst[q - ow] = 0;
                    dst += end - ow;
                    left -= end - ow;
                }
            }
}

/* the inverse walk: every column value added into the image position it came from */
static void CT_NAME(col2im, CT_SFX)(const geom *g, CT_T *img, int64_t nch, int64_t p0, int64_t tl, const CT_T *col) {
    for (int64_t c = 0; c < nch; c++)
        for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++) {
                const CT_T *src = col + ((c * g->kh + i) * g->kw + j) * tl;
                CT_T *plane = img + c * g->H * g->W;
                int64_t off = j * g->dw - g->pw, lo, hi;
                valid_cols(0, g->OW, g->sw, off, g->W, &lo, &hi);
                for (int64_t oh = p0 / g->OW, ow = p0 % g->OW, left = tl; left > 0; oh++, ow = 0) {
                    int64_t end = g->OW - ow < left ? g->OW : ow + left, ih = oh * g->sh - g->ph + i * g->dh;
                    int64_t a = lo > ow ? lo : ow, b = hi < end ? hi : end;
                    if (ih >= 0 && ih < g->H && a < b) {
                        CT_T *dst = plane + ih * g->W + off;
                        if (g->sw == 1)
                            for (int64_t q = a; q < b; q++) dst[q] += src[q - ow];
                        else
                            for (int64_t q = a; q < b; q++) dst[q * g->sw] += src[q - ow];
                    }
                    src += end - ow;
                    left -= end - ow;
                }
            }
}

/* C (m x n, row stride ldc) = alpha * op(A) op(B) + beta * C, single-threaded BLAS */
static void CT_NAME(gemm, CT_SFX)(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const CT_T *a, int64_t lda,
                                  const CT_T *b, int64_t ldb, CT_T beta, CT_T *c, int64_t ldc) {
    CT_GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
            1, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* the columns of item t (see geom) into buf, or the image itself when it is its own column matrix;
 * their row stride in *ld */
static const CT_T *CT_NAME(item_cols, CT_SFX)(const geom *g, const CT_T *x, item t, CT_T *buf, int64_t *ld) {
    if (g->direct) {
        *ld = g->L;
        return x + t.n0 * g->C * g->L + t.p0;
    }
    *ld = t.nb * t.tl;
    for (int64_t b = 0; b < t.nb; b++)
        CT_NAME(im2col, CT_SFX)(g, x + (t.n0 + b) * g->C * g->H * g->W, g->C, t.p0, t.tl, buf + b * t.tl, *ld);
    return buf;
}

/* out (N, K, OH, OW) = conv(x (N, C, H, W), w (K, C/G, kh, kw)) + bias: one GEMM per group and item,
 * threads over the items; an item of several images goes through a buffer, then to each image */
static int CT_NAME(conv_forward, CT_SFX)(const geom *g, CT_T *out, const CT_T *x, const CT_T *w, const CT_T *bias) {
    int64_t items = item_count(g), col_elems = g->direct ? 0 : g->C * g->kh * g->kw * g->width;
    int64_t per = col_elems + (g->nimg > 1 ? g->kg * g->width : 0);
    int nt = team(items, 2.0 * (double)(g->N * g->K) * (double)(g->L * g->ck));
    CT_T *bufs = malloc((size_t)(nt * per + 1) * sizeof(CT_T));
    if (!bufs) return ct_error(CT_ERR_NOMEM, "conv2d: out of memory for the column buffer");
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t it = 0; it < items; it++) {
        item t = item_of(g, it);
        CT_T *mine = bufs + (int64_t)omp_get_thread_num() * per, *tmp = mine + col_elems;
        int64_t ld, width = t.nb * t.tl;
        const CT_T *cols = CT_NAME(item_cols, CT_SFX)(g, x, t, mine, &ld);
        for (int64_t grp = 0; grp < g->G; grp++) {
            const CT_T *wg = w + grp * g->kg * g->ck, *cg = cols + grp * g->ck * ld, *b = bias ? bias + grp * g->kg : NULL;
            CT_T *o = out + (t.n0 * g->K + grp * g->kg) * g->L + t.p0;
            if (t.nb == 1) {   /* straight into the output, over the bias */
                for (int64_t k = 0; b && k < g->kg; k++)
                    for (int64_t q = 0; q < t.tl; q++) o[k * g->L + q] = b[k];
                CT_NAME(gemm, CT_SFX)(false, false, g->kg, t.tl, g->ck, wg, g->ck, cg, ld, b ? 1 : 0, o, g->L);
                continue;
            }
            CT_NAME(gemm, CT_SFX)(false, false, g->kg, width, g->ck, wg, g->ck, cg, ld, 0, tmp, width);
            for (int64_t im = 0; im < t.nb; im++)
                for (int64_t k = 0; k < g->kg; k++)
                    for (int64_t q = 0; q < g->L; q++)
                        o[(im * g->K + k) * g->L + q] = tmp[k * width + im * g->L + q] + (b ? b[k] : 0);
        }
    }
    free(bufs);
    return 0;
}

/* img (N, C, H, W) = conv_transpose(cols (N, K, OH, OW), w (K, C/G, kh, kw)) + bias: per image, group
 * and chunk of channels, the columns w^T @ cols tile by tile, added back into the image; the items
 * write disjoint channels, so threads never share an element */
static int CT_NAME(conv_data, CT_SFX)(const geom *g, CT_T *img, const CT_T *in, const CT_T *w, const CT_T *bias) {
    int nt = team(g->N * g->G * g->cg, 2.0 * (double)(g->N * g->K) * (double)(g->L * g->ck));
    int64_t chunks = g->N * g->G >= nt ? 1 : (nt + g->N * g->G - 1) / (g->N * g->G);
    if (chunks > g->cg) chunks = g->cg;
    int64_t items = g->N * g->G * chunks, khw = g->kh * g->kw, per = (g->cg + chunks - 1) / chunks;
    CT_T *bufs = g->direct ? NULL : malloc((size_t)(nt * per * khw * g->tile) * sizeof(CT_T));
    if (!g->direct && !bufs) return ct_error(CT_ERR_NOMEM, "conv_transpose2d: out of memory for the column buffer");
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t it = 0; it < items; it++) {
        int64_t n = it / (g->G * chunks), grp = it / chunks % g->G, ch = it % chunks;
        int64_t c0 = ch * per, c1 = c0 + per < g->cg ? c0 + per : g->cg;   /* channels within the group */
        if (c0 >= c1) continue;
        CT_T *dst = img + (n * g->C + grp * g->cg + c0) * g->H * g->W;
        for (int64_t c = c0; c < c1; c++)
            for (int64_t q = 0; q < g->H * g->W; q++) dst[(c - c0) * g->H * g->W + q] = bias ? bias[grp * g->cg + c] : 0;
        const CT_T *src = in + (n * g->K + grp * g->kg) * g->L, *wg = w + grp * g->kg * g->ck + c0 * khw;
        CT_T *col = g->direct ? NULL : bufs + (int64_t)omp_get_thread_num() * per * khw * g->tile;
        for (int64_t p0 = 0; p0 < g->L; p0 += g->tile) {
            int64_t tl = g->L - p0 < g->tile ? g->L - p0 : g->tile;
            if (g->direct) {
                CT_NAME(gemm, CT_SFX)(true, false, c1 - c0, tl, g->kg, wg, g->ck, src + p0, g->L, 1, dst + p0, g->L);
                continue;
            }
            CT_NAME(gemm, CT_SFX)(true, false, (c1 - c0) * khw, tl, g->kg, wg, g->ck, src + p0, g->L, 0, col, tl);
            CT_NAME(col2im, CT_SFX)(g, dst, c1 - c0, p0, tl, col);
        }
    }
    free(bufs);
    return 0;
}

/* conv_transpose with stride 1 is the convolution of its input with the kernel flipped, its channel
 * dims swapped and padding d * (k - 1) - p: the forward kernel, with no col2im and the GEMM's long
 * inner dim. Other strides: conv_data. */
static int CT_NAME(conv_transposed, CT_SFX)(const geom *g, CT_T *img, const CT_T *in, const CT_T *w, const CT_T *bias) {
    if (g->sh != 1 || g->sw != 1) return CT_NAME(conv_data, CT_SFX)(g, img, in, w, bias);
    int64_t khw = g->kh * g->kw;
    int64_t ints[7] = {1, 1, g->dh * (g->kh - 1) - g->ph, g->dw * (g->kw - 1) - g->pw, g->dh, g->dw, g->G};
    geom f = geom_make(g->N, g->K, g->OH, g->OW, g->C, g->H, g->W, g->kh, g->kw, ints, sizeof(CT_T));
    CT_T *wf = malloc((size_t)(g->K * g->ck + 1) * sizeof(CT_T));
    if (!wf) return ct_error(CT_ERR_NOMEM, "conv_transpose2d: out of memory");
    for (int64_t grp = 0; grp < g->G; grp++)   /* wf[grp * cg + c, k, kh-1-i, kw-1-j] = w[grp * kg + k, c, i, j] */
        for (int64_t k = 0; k < g->kg; k++)
            for (int64_t c = 0; c < g->cg; c++)
                for (int64_t q = 0; q < khw; q++)
                    wf[((grp * g->cg + c) * g->kg + k) * khw + khw - 1 - q] = w[((grp * g->kg + k) * g->cg + c) * khw + q];
    int rc = CT_NAME(conv_forward, CT_SFX)(&f, img, in, wf, bias);
    free(wf);
    return rc;
}

/* gw (K, C/G, kh, kw) = sum over the items of grad @ cols^T: each thread sums its items into its own
 * buffer, transposed ((ck x kg) per group = cols @ grad^T, the shape BLAS runs fastest); the buffers
 * are added and transposed into gw at the end. An item of several images gathers their gradients
 * side by side first, as their columns are. */
static int CT_NAME(conv_weight, CT_SFX)(const geom *g, CT_T *gw, const CT_T *x, const CT_T *grad) {
    int64_t items = item_count(g), col_elems = g->direct ? 0 : g->C * g->kh * g->kw * g->width;
    int64_t gy_elems = g->nimg > 1 ? g->K * g->width : 0, acc_at = col_elems + gy_elems, per = acc_at + g->K * g->ck;
    int nt = team(items, 2.0 * (double)(g->N * g->K) * (double)(g->L * g->ck));
    CT_T *bufs = calloc((size_t)(nt * per), sizeof(CT_T));
    if (!bufs) return ct_error(CT_ERR_NOMEM, "convolution_backward: out of memory for the column buffer");
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t it = 0; it < items; it++) {
        item t = item_of(g, it);
        CT_T *mine = bufs + (int64_t)omp_get_thread_num() * per, *acc = mine + acc_at;
        int64_t ld, width = t.nb * t.tl, gld = g->L;
        const CT_T *cols = CT_NAME(item_cols, CT_SFX)(g, x, t, mine, &ld);
        const CT_T *gy = grad + t.n0 * g->K * g->L + t.p0;
        if (t.nb > 1) {
            CT_T *side = mine + col_elems;
            for (int64_t im = 0; im < t.nb; im++)
                for (int64_t k = 0; k < g->K; k++)
                    memcpy(side + k * width + im * g->L, gy + (im * g->K + k) * g->L, (size_t)g->L * sizeof(CT_T));
            gy = side;
            gld = width;
        }
        for (int64_t grp = 0; grp < g->G; grp++)
            CT_NAME(gemm, CT_SFX)(false, true, g->ck, g->kg, width, cols + grp * g->ck * ld, ld, gy + grp * g->kg * gld,
                                  gld, 1, acc + grp * g->ck * g->kg, g->kg);
    }
    /* gw[grp * kg + k, r] = the threads' acc[grp][r, k] summed, by 32 x 32 blocks (a transposition) */
    for (int64_t grp = 0; grp < g->G; grp++)
        for (int64_t k0 = 0; k0 < g->kg; k0 += 32)
            for (int64_t r0 = 0; r0 < g->ck; r0 += 32)
                for (int64_t k = k0; k < k0 + 32 && k < g->kg; k++)
                    for (int64_t r = r0; r < r0 + 32 && r < g->ck; r++) {
                        CT_T sum = 0;
                        for (int t = 0; t < nt; t++) sum += bufs[t * per + acc_at + (grp * g->ck + r) * g->kg + k];
                        gw[(grp * g->kg + k) * g->ck + r] = sum;
                    }
    free(bufs);
    return 0;
}

/* gw (K, C/G, kh, kw) = sum over images of grad (N, K, OH, OW) times x's columns, when the columns of all
 * images fit in memory: the columns (ck rows of N * L) and grad gathered as (K, N * L), then ONE GEMM per
 * group whose inner dimension is N * L, threads splitting gw's columns (no per-thread accumulators to sum).
 * Per-image items left that inner dimension at a few columns for small feature maps (ResNet's last stages),
 * with a full-size accumulator per item and a serial reduction. */
static int CT_NAME(conv_weight_whole, CT_SFX)(const geom *g, CT_T *gw, const CT_T *x, const CT_T *grad) {
    int64_t nl = g->N * g->L, rows = g->C * g->kh * g->kw;
    CT_T *cols = malloc((size_t)(rows + g->K) * (size_t)nl * sizeof(CT_T) + 1), *gy = cols + rows * nl;
    if (!cols) return ct_error(CT_ERR_NOMEM, "convolution_backward: out of memory for the column buffer");
    int nt = team(g->N, 2.0 * (double)(g->N * g->K) * (double)(g->L * g->ck));
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (int64_t n = 0; n < g->N; n++) {
            CT_NAME(im2col, CT_SFX)(g, x + n * g->C * g->H * g->W, g->C, 0, g->L, cols + n * g->L, nl);
            for (int64_t k = 0; k < g->K; k++)
                memcpy(gy + k * nl + n * g->L, grad + (n * g->K + k) * g->L, (size_t)g->L * sizeof(CT_T));
        }
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        int64_t c0 = g->ck * t / n, c1 = g->ck * (t + 1) / n;
        for (int64_t grp = 0; c0 < c1 && grp < g->G; grp++)
            CT_NAME(gemm, CT_SFX)(false, true, g->kg, c1 - c0, nl, gy + grp * g->kg * nl, nl,
                                  cols + (grp * g->ck + c0) * nl, nl, 0, gw + grp * g->kg * g->ck + c0, g->ck);
    }
    free(cols);
    return 0;
}

#undef CT_NAME
#undef CT_NAME_
