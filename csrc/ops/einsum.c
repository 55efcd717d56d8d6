/* einsum and tensordot: contractions written as permutes, reshapes, sums and
 * batched matrix products of the core's recorded ops, so autograd follows
 * them through the existing nodes.
 *
 * einsum follows PyTorch's algorithm (left-to-right, no path search): parse
 * the equation; align every operand to one dim order (the output's dims
 * first, then the summed ones), taking diagonals for repeated labels and
 * adding size-1 dims for missing ones; then contract the operands pairwise,
 * each pair as one bmm after summing the dims no later operand needs. */
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_ops.h"

#define NUM_LETTERS 26
#define NUM_LABELS 52            /* A-Z are 0..25, a-z 26..51 */
#define ELLIPSIS NUM_LABELS      /* the label code of "..." */

static bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int label_code(unsigned char c) { return c <= 'Z' ? c - 'A' : c - 'a' + NUM_LETTERS; }
static char label_char(int s) { return (char)(s < NUM_LETTERS ? 'A' + s : 'a' + s - NUM_LETTERS); }

/* t <- r (taking r's reference), releasing the old t; -1 when r is NULL */
static int swap_in(ct_tensor **t, ct_tensor *r) {
    if (!r) return -1;
    ct_decref(*t);
    *t = r;
    return 0;
}

static ct_tensor *sum_keepdim(ct_tensor *t, int n, const int64_t *dims) {
    return ct_reduce(CT_RED_SUM, t, n, dims, true, CT_UNDEFINED);
}

typedef struct {
    int nops;
    unsigned char *labels;      /* every operand's labels in order, ELLIPSIS for "..." */
    int *first;                 /* operand i's labels: labels[first[i]] .. labels[first[i + 1] - 1] */
    int count[NUM_LABELS];      /* uses of each label by the operands */
    int pos[NUM_LABELS];        /* each label's dim in the aligned order, -1 when unused */
    int ell_ndim;               /* dims covered by the widest ellipsis */
    int ell_pos;                /* the first ellipsis dim in the aligned order */
    int out_ndim, ndim;         /* the output's dims (first in the aligned order), all aligned dims */
} equation;

/* the labels of the operands, left of "->" (len bytes of lhs) */
static int parse_inputs(equation *e, const char *lhs, size_t len) {
    int op = 0, n = 0;
    bool ell = false;
    e->first[0] = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)lhs[i];
        if (c == ' ') continue;
        if (c == '.') {
            if (ell)
                return ct_error(CT_ERR_RUNTIME, "einsum(): found '.' for operand %d for which an ellipsis was already "
                                "found", op);
            if (!(i + 2 < len && lhs[i + 1] == '.' && lhs[i + 2] == '.'))
                return ct_error(CT_ERR_RUNTIME, "einsum(): found '.' for operand %d that is not part of any ellipsis",
                                op);
            i += 2;
            e->labels[n++] = ELLIPSIS;
            ell = true;
        } else if (c == ',') {
            if (++op >= e->nops)
                return ct_error(CT_ERR_RUNTIME, "einsum(): fewer operands were provided than specified in the "
                                "equation");
            e->first[op] = n;
            ell = false;
        } else {
            if (!is_letter(c))
                return ct_error(CT_ERR_RUNTIME, "einsum(): invalid subscript given at index %zu in the equation "
                                "string, subscripts must be in [a-zA-Z]", i);
            e->labels[n++] = (unsigned char)label_code(c);
        }
    }
    if (op != e->nops - 1)
        return ct_error(CT_ERR_RUNTIME, "einsum(): more operands were provided than specified in the equation");
    e->first[e->nops] = n;
    return 0;
}

/* label uses, and each operand's labels against its dims */
static int count_labels(equation *e, ct_tensor *const *ops) {
    for (int i = 0; i < e->nops; i++) {
        int nl = 0;
        bool ell = false;
        for (int k = e->first[i]; k < e->first[i + 1]; k++) {
            if (e->labels[k] == ELLIPSIS) {
                ell = true;
            } else {
                nl++;
                e->count[e->labels[k]]++;
            }
        }
        int nd = ops[i]->ndim;
        if (ell && nl > nd)
            return ct_error(CT_ERR_RUNTIME, "einsum(): the number of subscripts in the equation (%d) is more than the "
                            "number of dimensions (%d) for operand %d", nl, nd, i);
        if (!ell && nl != nd)
            return ct_error(CT_ERR_RUNTIME, "einsum(): the number of subscripts in the equation (%d) does not match "
                            "the number of dimensions (%d) for operand %d and no ellipsis was given", nl, nd, i);
        if (ell && nd - nl > e->ell_ndim) e->ell_ndim = nd - nl;
    }
    return 0;
}

/* the aligned order: the output's dims (rhs, or implicitly the ellipsis and
 * the labels used once, in label order), then the ellipsis if the output
 * lacks it, then the summed labels. rhs NULL: implicit; at: its index in the
 * equation (for messages). */
static int order_dims(equation *e, const char *rhs, size_t at) {
    int k = 0;
    bool ell_out = false;
    for (int s = 0; s < NUM_LABELS; s++) e->pos[s] = -1;
    if (!rhs) {
        k = e->ell_ndim;
        ell_out = true;
        for (int s = 0; s < NUM_LABELS; s++)
            if (e->count[s] == 1) e->pos[s] = k++;
    }
    for (size_t i = 0; rhs && rhs[i]; i++) {
        unsigned char c = (unsigned char)rhs[i];
        if (c == ' ') continue;
        if (c == '.') {
            if (ell_out)
                return ct_error(CT_ERR_RUNTIME, "einsum(): found '.' for output but an ellipsis (...) was already "
                                "found");
            if (!(rhs[i + 1] == '.' && rhs[i + 2] == '.'))
                return ct_error(CT_ERR_RUNTIME, "einsum(): found '.' for output that is not part of any ellipsis "
                                "(...)");
            i += 2;
            e->ell_pos = k;
            k += e->ell_ndim;
            ell_out = true;
            continue;
        }
        if (!is_letter(c))
            return ct_error(CT_ERR_RUNTIME, "einsum(): invalid subscript given at index %zu in the equation string, "
                            "subscripts must be in [a-zA-Z]", at + i);
        int s = label_code(c);
        if (e->count[s] == 0 || e->pos[s] != -1)
            return ct_error(CT_ERR_RUNTIME, "einsum(): output subscript %c %s", c,
                            e->pos[s] != -1 ? "appears more than once in the output"
                                            : "does not appear in the equation for any input operand");
        e->pos[s] = k++;
    }
    e->out_ndim = k;
    if (!ell_out) {
        e->ell_pos = k;
        k += e->ell_ndim;
    }
    for (int s = 0; s < NUM_LABELS; s++)
        if (e->count[s] > 0 && e->pos[s] == -1) e->pos[s] = k++;
    e->ndim = k;
    if (k > CT_MAX_DIMS)
        return ct_error(CT_ERR_RUNTIME, "einsum(): the equation needs %d dimensions; ctorch supports at most %d", k,
                        CT_MAX_DIMS);
    return 0;
}

/* dims d1 < d2 (equal sizes n) of t replaced by their diagonal at d1: d2
 * moved beside d1, the pair flattened, every (n+1)-th element taken */
static ct_tensor *diagonal(ct_tensor *t, int d1, int d2) {
    int64_t n = t->sizes[d1], perm[CT_MAX_DIMS];
    int k = 0;
    for (int d = 0; d <= d1; d++) perm[k++] = d;
    perm[k++] = d2;
    for (int d = d1 + 1; d < t->ndim; d++)
        if (d != d2) perm[k++] = d;
    ct_tensor *p = d2 == d1 + 1 ? ct_incref(t) : ct_permute(t, t->ndim, perm);
    ct_tensor *f = p ? ct_flatten(p, d1, d1 + 1) : NULL;
    ct_tensor *r = f ? ct_slice(f, d1, 0, n * n, n + 1) : NULL;
    ct_xdecref(p);
    ct_xdecref(f);
    return r;
}

/* sizes seen so far, for the broadcast checks, and each aligned dim's count
 * of operands where it is not 1 */
typedef struct {
    int64_t label_size[NUM_LABELS], ell_size[CT_MAX_DIMS], dim_count[CT_MAX_DIMS];
} sizes_seen;

/* operand i in the aligned order (e->ndim dims) */
static ct_tensor *align(const equation *e, int i, ct_tensor *op, sizes_seen *z) {
    int64_t perm[CT_MAX_DIMS];
    for (int d = 0; d < e->ndim; d++) perm[d] = -1;
    ct_tensor *t = ct_incref(op);
    int dim = 0, covered = op->ndim - (e->first[i + 1] - e->first[i] - 1);   /* dims under an ellipsis */
    for (int k = e->first[i]; k < e->first[i + 1]; k++) {
        int s = e->labels[k];
        if (s == ELLIPSIS) {
            for (int j = e->ell_ndim - covered; j < e->ell_ndim; j++, dim++) {
                int64_t size = t->sizes[dim];
                if (size != 1) {
                    if (z->ell_size[j] != 1 && z->ell_size[j] != size) {
                        ct_error(CT_ERR_RUNTIME, "einsum(): dimension %d covered by ellipsis in operand %dhas size "
                                 "%lld which does not broadcast with previously seen ellipsis with size %lld for the "
                                 "respective dimension", dim, i, (long long)size, (long long)z->ell_size[j]);
                        goto fail;
                    }
                    z->ell_size[j] = size;
                    z->dim_count[e->ell_pos + j]++;
                }
                perm[e->ell_pos + j] = dim;
            }
        } else if (perm[e->pos[s]] == -1) {
            int64_t size = t->sizes[dim];
            if (size != 1) {
                if (z->label_size[s] != 1 && z->label_size[s] != size) {
                    ct_error(CT_ERR_RUNTIME, "einsum(): subscript %c has size %lld for operand %d which does not "
                             "broadcast with previously seen size %lld", label_char(s), (long long)size, i,
                             (long long)z->label_size[s]);
                    goto fail;
                }
                z->label_size[s] = size;
                z->dim_count[e->pos[s]]++;
            }
            perm[e->pos[s]] = dim++;
        } else {   /* a repeated label: its diagonal, in place of its first dim */
            int prev = (int)perm[e->pos[s]];
            if (t->sizes[dim] != t->sizes[prev]) {
                ct_error(CT_ERR_RUNTIME, "einsum(): subscript %c is repeated for operand %d but the sizes don't match, "
                         "%lld != %lld", label_char(s), i, (long long)t->sizes[dim], (long long)t->sizes[prev]);
                goto fail;
            }
            if (swap_in(&t, diagonal(t, prev, dim)) < 0) goto fail;
        }
    }
    for (int d = 0; d < e->ndim; d++) {
        if (perm[d] != -1) continue;
        if (swap_in(&t, ct_unsqueeze(t, dim)) < 0) goto fail;
        perm[d] = dim++;
    }
    if (swap_in(&t, ct_permute(t, e->ndim, perm)) < 0) goto fail;
    return t;
fail:
    ct_decref(t);
    return NULL;
}

/* (left * right).sum(sum_dims, keepdim=True) of two aligned operands as one
 * bmm: dims in both (lro), in left only (lo), in right only (ro) and summed
 * become left (lro, lo, sum) @ right (lro, sum, ro), then the original order */
static ct_tensor *sumproduct_pair(ct_tensor *left, ct_tensor *right, int nsum, const int64_t *sum_dims) {
    if (nsum == 0) return ct_binary(CT_OP_mul, left, right, NULL, NULL);
    int nd = left->ndim, nlro = 0, nlo = 0, nro = 0;
    int64_t lro[CT_MAX_DIMS], lo[CT_MAX_DIMS], ro[CT_MAX_DIMS];
    int64_t lro_size = 1, lo_size = 1, ro_size = 1, sum_size = 1;
    bool summed[CT_MAX_DIMS] = {false};
    for (int k = 0; k < nsum; k++) summed[sum_dims[k]] = true;
    ct_tensor *L = ct_incref(left), *R = ct_incref(right), *res = NULL;
    for (int64_t d = 0; d < nd; d++) {
        bool sl = L->sizes[d] != 1, sr = R->sizes[d] != 1;
        if (summed[d] && sl && sr) {
            sum_size *= L->sizes[d];
        } else if (summed[d]) {   /* in one side only: summed there now */
            if ((sl && swap_in(&L, sum_keepdim(L, 1, &d)) < 0) || (sr && swap_in(&R, sum_keepdim(R, 1, &d)) < 0))
                goto done;
        } else if (sl && sr) {
            lro[nlro++] = d;
            lro_size *= L->sizes[d];
        } else if (sl) {
            lo[nlo++] = d;
            lo_size *= L->sizes[d];
        } else {
            ro[nro++] = d;
            ro_size *= R->sizes[d];
        }
    }
    if (L->dtype == CT_BOOL) {
        ct_error_kernel_dtype("bmm", CT_BOOL);
        goto done;
    }
    if (L->dtype != R->dtype) {
        ct_error(CT_ERR_RUNTIME, "expected scalar type %s but found %s", ct_dtype_infos[L->dtype].legacy,
                 ct_dtype_infos[R->dtype].legacy);
        goto done;
    }
    /* permutations of left and right, the product's shape and its way back */
    int64_t lperm[CT_MAX_DIMS], rperm[CT_MAX_DIMS], oshape[CT_MAX_DIMS], operm[CT_MAX_DIMS];
    int k = 0;
    const int64_t *groups[4] = {lro, lo, sum_dims, ro};
    int counts[4] = {nlro, nlo, nsum, nro};
    for (int g = 0; g < 4; g++)
        for (int j = 0; j < counts[g]; j++, k++) {
            int64_t d = groups[g][j];
            lperm[k] = d;
            operm[d] = k;
            oshape[k] = g == 2 ? 1 : g == 3 ? R->sizes[d] : L->sizes[d];
        }
    memcpy(rperm, lro, sizeof(int64_t) * (size_t)nlro);
    memcpy(rperm + nlro, sum_dims, sizeof(int64_t) * (size_t)nsum);
    memcpy(rperm + nlro + nsum, ro, sizeof(int64_t) * (size_t)nro);
    memcpy(rperm + nlro + nsum + nro, lo, sizeof(int64_t) * (size_t)nlo);
    int64_t l3[3] = {lro_size, lo_size, sum_size}, r3[3] = {lro_size, sum_size, ro_size};
    if (swap_in(&L, ct_permute(L, nd, lperm)) < 0 || swap_in(&L, ct_reshape(L, 3, l3)) < 0 ||
        swap_in(&R, ct_permute(R, nd, rperm)) < 0 || swap_in(&R, ct_reshape(R, 3, r3)) < 0)
        goto done;
    ct_tensor *p = ct_bmm(L, R), *v = p ? ct_view(p, nd, oshape) : NULL;
    res = v ? ct_permute(v, nd, operm) : NULL;
    ct_xdecref(p);
    ct_xdecref(v);
done:
    ct_decref(L);
    ct_decref(R);
    return res;
}

/* contract the aligned operands left to right; ops are released */
static ct_tensor *contract(const equation *e, ct_tensor **ops, sizes_seen *z) {
    int64_t *count = z->dim_count;
    for (int h = 0; h + 1 < e->nops; h++) {
        ct_tensor **a = &ops[h], **b = &ops[h + 1];
        int64_t sum_dims[CT_MAX_DIMS], a_dims[CT_MAX_DIMS], b_dims[CT_MAX_DIMS];
        int ns = 0, na = 0, nb = 0;
        for (int d = e->out_ndim; d < e->ndim; d++) {
            bool in_a = (*a)->sizes[d] != 1, in_b = (*b)->sizes[d] != 1;
            if (in_a && in_b) {
                if (--count[d] == 1) {   /* no later operand has it */
                    sum_dims[ns++] = d;
                    count[d] = 0;
                }
            } else if (count[d] == 1 && (in_a || in_b)) {   /* only one of the pair has it: sum it there */
                if (in_a) a_dims[na++] = d;
                else b_dims[nb++] = d;
                count[d] = 0;
            }
        }
        if ((na > 0 && swap_in(a, sum_keepdim(*a, na, a_dims)) < 0) ||
            (nb > 0 && swap_in(b, sum_keepdim(*b, nb, b_dims)) < 0) ||
            swap_in(b, sumproduct_pair(*a, *b, ns, sum_dims)) < 0)
            return NULL;
        ct_decref(*a);
        *a = NULL;
    }
    ct_tensor *t = ops[e->nops - 1];
    ops[e->nops - 1] = NULL;
    if (e->ndim == e->out_ndim) return t;
    ct_tensor *r;
    if (e->nops > 1) {   /* the summed dims are all 1 by now */
        r = ct_view(t, e->out_ndim, t->sizes);
    } else {
        int64_t dims[CT_MAX_DIMS];
        for (int d = e->out_ndim; d < e->ndim; d++) dims[d - e->out_ndim] = d;
        r = ct_reduce(CT_RED_SUM, t, e->ndim - e->out_ndim, dims, false, CT_UNDEFINED);
    }
    ct_decref(t);
    return r;
}

ct_tensor *ct_einsum(const char *equation_str, int nops, ct_tensor *const *operands) {
    if (nops < 1) return ct_error_null(CT_ERR_RUNTIME, "einsum(): must provide at least one operand");
    size_t len = strlen(equation_str);
    const char *arrow = strstr(equation_str, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - equation_str) : len;
    equation e = {.nops = nops, .labels = malloc(len + 1), .first = malloc(sizeof(int) * (size_t)(nops + 1))};
    ct_tensor **ops = calloc((size_t)nops, sizeof *ops), *res = NULL;
    sizes_seen z;
    if (!e.labels || !e.first || !ops) {
        ct_error(CT_ERR_NOMEM, "einsum(): out of memory");
        goto done;
    }
    if (parse_inputs(&e, equation_str, lhs_len) < 0 || count_labels(&e, operands) < 0 ||
        order_dims(&e, arrow ? arrow + 2 : NULL, lhs_len + 2) < 0)
        goto done;
    for (int s = 0; s < NUM_LABELS; s++) z.label_size[s] = 1;
    for (int d = 0; d < CT_MAX_DIMS; d++) z.ell_size[d] = 1, z.dim_count[d] = 0;
    for (int i = 0; i < nops; i++)
        if (!(ops[i] = align(&e, i, operands[i], &z))) goto done;
    res = contract(&e, ops, &z);
done:
    for (int i = 0; ops && i < nops; i++) ct_xdecref(ops[i]);
    free(ops);
    free(e.labels);
    free(e.first);
    return res;
}

/* ---- tensordot ---- */

/* a contracted dim of t wrapped to 0..ndim-1 */
static int wrap_contracted(const ct_tensor *t, int64_t dim, int64_t *out) {
    if (t->ndim == 0)
        return ct_error(CT_ERR_INDEX, "dimension specified as %lld but tensor has no dimensions", (long long)dim);
    return ct_wrap_dim(dim, t->ndim, out);
}

static int check_unique(int n, const int64_t *wrapped) {
    bool seen[CT_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        if (seen[wrapped[i]])
            return ct_error(CT_ERR_RUNTIME, "dim %lld appears multiple times in the list of dims",
                            (long long)wrapped[i]);
        seen[wrapped[i]] = true;
    }
    return 0;
}

/* t permuted to (kept dims, contracted dims in list order) or the reverse,
 * as a matrix; kept dims' sizes appended to shape */
static ct_tensor *as_matrix(ct_tensor *t, int n, const int64_t *wrapped, bool contracted_first, int64_t csize,
                            int64_t *shape, int *nshape) {
    bool c[CT_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) c[wrapped[i]] = true;
    int64_t perm[CT_MAX_DIMS], kept = 1;
    int k = contracted_first ? n : 0;
    for (int d = 0; d < t->ndim; d++) {
        if (c[d]) continue;
        perm[k++] = d;
        kept *= t->sizes[d];
        shape[(*nshape)++] = t->sizes[d];
    }
    memcpy(perm + (contracted_first ? 0 : t->ndim - n), wrapped, sizeof(int64_t) * (size_t)n);
    int64_t m[2] = {contracted_first ? csize : kept, contracted_first ? kept : csize};
    ct_tensor *p = ct_permute(t, t->ndim, perm), *r = p ? ct_reshape(p, 2, m) : NULL;
    ct_xdecref(p);
    return r;
}

ct_tensor *ct_tensordot(ct_tensor *a, ct_tensor *b, int na, const int64_t *dims_a, int nb, const int64_t *dims_b) {
    if (na != nb) return ct_error_null(CT_ERR_RUNTIME, "both dimension lists should have same length");
    if (a->dtype != b->dtype) return ct_error_null(CT_ERR_RUNTIME, "both inputs should have same dtype");
    if (na > CT_MAX_DIMS)
        return ct_error_null(CT_ERR_RUNTIME, "tensordot(): at most %d dims can be contracted", CT_MAX_DIMS);
    int64_t wa[CT_MAX_DIMS], wb[CT_MAX_DIMS], csize = 1, shape[2 * CT_MAX_DIMS];
    int nshape = 0;
    ct_tensor *t1 = ct_incref(a), *t2 = ct_incref(b), *m1 = NULL, *m2 = NULL, *res = NULL;
    for (int i = 0; i < na; i++) {
        if (wrap_contracted(a, dims_a[i], wa + i) < 0 || wrap_contracted(b, dims_b[i], wb + i) < 0) goto done;
        int64_t s1 = a->sizes[wa[i]], s2 = b->sizes[wb[i]];
        if (s2 == 1) {   /* a broadcast dim: summed right away */
            if (swap_in(&t1, sum_keepdim(t1, 1, wa + i)) < 0) goto done;
        } else if (s1 == 1) {
            if (swap_in(&t2, sum_keepdim(t2, 1, wb + i)) < 0) goto done;
        } else if (s1 != s2) {
            ct_error(CT_ERR_RUNTIME, "contracted dimensions need to match, but first has size %lld in dim %lld and "
                     "second has size %lld in dim %lld", (long long)s1, (long long)dims_a[i], (long long)s2,
                     (long long)dims_b[i]);
            goto done;
        } else {
            csize *= s1;
        }
    }
    if (check_unique(na, wa) < 0 || check_unique(nb, wb) < 0) goto done;
    if (t1->dtype == CT_BOOL) {
        ct_error_kernel_dtype("addmm_impl_cpu_", CT_BOOL);
        goto done;
    }
    if (!(m1 = as_matrix(t1, na, wa, false, csize, shape, &nshape)) ||
        !(m2 = as_matrix(t2, nb, wb, true, csize, shape, &nshape)))
        goto done;
    if (nshape > CT_MAX_DIMS) {
        ct_error(CT_ERR_RUNTIME, "tensordot(): the result would have %d dimensions; ctorch supports at most %d", nshape,
                 CT_MAX_DIMS);
        goto done;
    }
    ct_tensor *p = ct_mm(m1, m2);
    res = p ? ct_reshape(p, nshape, shape) : NULL;
    ct_xdecref(p);
done:
    ct_decref(t1);
    ct_decref(t2);
    ct_xdecref(m1);
    ct_xdecref(m2);
    return res;
}
