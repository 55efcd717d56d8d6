/* dtype table and PyTorch's type promotion (docs/interop-formats.md section 5). */
#include <stdio.h>

#include "ctorch/ct_dtype.h"
#include "ctorch/ct_status.h"

const ct_dtype_info ct_dtype_infos[CT_NUM_DTYPES] = {
#define CT_X(E, n, l, T, C, m) [CT_##E] = {#n, #l, (int)sizeof(T), CT_##E >= CT_FLOAT16, CT_##E != CT_BOOL && CT_##E != CT_UINT8},
    CT_FOR_EACH_DTYPE(CT_X)
#undef CT_X
};

static ct_dtype default_dtype = CT_FLOAT32;

ct_dtype ct_get_default_dtype(void) { return default_dtype; }

int ct_set_default_dtype(ct_dtype d) {
    if (d != CT_FLOAT32 && d != CT_FLOAT64 && d != CT_FLOAT16 && d != CT_BFLOAT16) return -1;
    default_dtype = d;
    return 0;
}

/* PyTorch's promoteTypes lattice for the ten dtypes (b1 u1 i1 i2 i4 i8 f2 bf f4 f8) */
#define b1 CT_BOOL
#define u1 CT_UINT8
#define i1 CT_INT8
#define i2 CT_INT16
#define i4 CT_INT32
#define i8 CT_INT64
#define f2 CT_FLOAT16
#define bf CT_BFLOAT16
#define f4 CT_FLOAT32
#define f8 CT_FLOAT64
static const ct_dtype promote_table[CT_NUM_DTYPES][CT_NUM_DTYPES] = {
    /*        b1  u1  i1  i2  i4  i8  f2  bf  f4  f8 */
    /* b1 */ {b1, u1, i1, i2, i4, i8, f2, bf, f4, f8},
    /* u1 */ {u1, u1, i2, i2, i4, i8, f2, bf, f4, f8},
    /* i1 */ {i1, i2, i1, i2, i4, i8, f2, bf, f4, f8},
    /* i2 */ {i2, i2, i2, i2, i4, i8, f2, bf, f4, f8},
    /* i4 */ {i4, i4, i4, i4, i4, i8, f2, bf, f4, f8},
    /* i8 */ {i8, i8, i8, i8, i8, i8, f2, bf, f4, f8},
    /* f2 */ {f2, f2, f2, f2, f2, f2, f2, f4, f4, f8},
    /* bf */ {bf, bf, bf, bf, bf, bf, f4, bf, f4, f8},
    /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f4, f8},
    /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8, f8},
};
#undef b1
#undef u1
#undef i1
#undef i2
#undef i4
#undef i8
#undef f2
#undef bf
#undef f4
#undef f8

ct_dtype ct_promote_types(ct_dtype a, ct_dtype b) {
    if (a == CT_UNDEFINED) return b;
    if (b == CT_UNDEFINED) return a;
    return promote_table[a][b];
}

/* category order: bool < integral < floating */
static int category(ct_dtype d) { return d == CT_BOOL ? 0 : ct_is_floating(d) ? 2 : 1; }

bool ct_can_cast(ct_dtype from, ct_dtype to) {
    return category(from) <= category(to);
}

int ct_error_kernel_dtype(const char *kernel, ct_dtype d) {
    return ct_error(CT_ERR_NOTIMPL, "\"%s\" not implemented for '%s'", kernel, ct_dtype_infos[d].legacy);
}

int ct_error_dtype(const char *op, ct_dtype d) {
    char kernel[96];
    snprintf(kernel, sizeof kernel, "%s_cpu", op);
    return ct_error_kernel_dtype(kernel, d);
}

void ct_result_init(ct_result_state *st) {
    st->bucket[0] = st->bucket[1] = st->bucket[2] = CT_UNDEFINED;
}

void ct_result_add(ct_result_state *st, ct_dtype d, ct_bucket b) {
    st->bucket[b] = ct_promote_types(st->bucket[b], d);
}

/* combine(higher, lower): the rules of section 5, without complex */
static ct_dtype combine(ct_dtype higher, ct_dtype lower) {
    if (higher == CT_UNDEFINED) return lower;
    if (lower == CT_UNDEFINED) return higher;
    if (ct_is_floating(higher)) return higher;
    if (higher == CT_BOOL || ct_is_floating(lower)) return ct_promote_types(higher, lower);
    return higher;
}

ct_dtype ct_result_finish(const ct_result_state *st) {
    return combine(st->bucket[CT_BUCKET_DIM],
                   combine(st->bucket[CT_BUCKET_ZERODIM], st->bucket[CT_BUCKET_WRAPPED]));
}

/* one value between a ct_scalar and memory of a dtype (bool: nonzero) */
void ct_store_scalar(void *p, ct_dtype dtype, ct_scalar v) {
    switch (dtype) {
#define CT_X(E, n, l, T, C, m) \
    case CT_##E: CT_STORE_##E((T *)p, CT_##E == CT_BOOL ? (C)(v.d != 0) : (C)v.m); break;
        CT_FOR_EACH_DTYPE(CT_X)
#undef CT_X
    default: break;
    }
}

ct_scalar ct_load_scalar(const void *p, ct_dtype dtype) {
    switch (dtype) {
#define CT_X(E, n, l, T, C, m) \
    case CT_##E: return ct_is_floating(CT_##E) ? ct_scalar_f((double)CT_LOAD_##E((const T *)p)) \
                                               : ct_scalar_i((int64_t)CT_LOAD_##E((const T *)p));
        CT_FOR_EACH_DTYPE(CT_X)
#undef CT_X
    default: return ct_scalar_i(0);
    }
}
