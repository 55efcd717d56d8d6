/* CPU loops of every op in ops/elementwise.def, and the kernel that runs them. */
#include "loops.h"

#define CT_UNARY(name, rule, dtypes, body)                            \
    CT_DTYPES_##dtypes(CT_DEF_UNARY_LOOP, name, rule, body)           \
    static const ct_loop_fn loops_##name[CT_NUM_DTYPES] = {CT_DTYPES_##dtypes(CT_LOOP_ENTRY, name)};
#define CT_BINARY(name, rule, dtypes, body)                           \
    CT_DTYPES_##dtypes(CT_DEF_BINARY_LOOP, name, rule, body)          \
    static const ct_loop_fn loops_##name[CT_NUM_DTYPES] = {CT_DTYPES_##dtypes(CT_LOOP_ENTRY, name)};
#define CT_TERNARY(name, rule, dtypes, body)                          \
    CT_DTYPES_##dtypes(CT_DEF_TERNARY_LOOP, name, rule, body)         \
    static const ct_loop_fn loops_##name[CT_NUM_DTYPES] = {CT_DTYPES_##dtypes(CT_LOOP_ENTRY, name)};
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY

/* the loops of one op, by compute dtype (NULL: no kernel for that dtype) */
static const ct_loop_fn *const elementwise_loops[CT_NUM_OPS] = {
#define CT_UNARY(name, rule, dtypes, body) [CT_OP_##name] = loops_##name,
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
};

/* where(cond, a, b): operands out, cond (bool), a, b */
#define CT_DEF_WHERE_LOOP(E, T, C, m, unused)                                                \
    static void loop_where_##E(char **data, const int64_t *st, int64_t n, void *ctx_) {     \
        (void)ctx_;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                      \
            *CT_AT(T, data[0], i, st[0]) = *CT_AT(const bool, data[1], i, st[1])             \
                                               ? *CT_AT(const T, data[2], i, st[2])          \
                                               : *CT_AT(const T, data[3], i, st[3]);         \
    }
CT_DTYPES_ALL(CT_DEF_WHERE_LOOP, 0)
static const ct_loop_fn loops_where[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, where)};

int CT_ISA(ct_cpu_elementwise)(const ct_kernel_args *args) {
    const ct_iter *it = args->iter;
    bool is_where = args->op == CT_OP_where;
    /* the compute dtype is the dtype of the (value) inputs */
    ct_dtype dt = it->tensors[is_where ? 2 : 1]->dtype;
    ct_loop_fn loop = is_where ? loops_where[dt] : elementwise_loops[args->op][dt];
    if (!loop)
        return ct_error_dtype(args->op == CT_OP_bitwise_left_shift ? "lshift"
                              : args->op == CT_OP_bitwise_right_shift ? "rshift" : ct_op_name(args->op), dt);
    ct_loop_ctx ctx = {{{0, 0}, {0, 0}}, args->flags};
    for (int i = 0; i < args->nscalars && i < 2; i++) ctx.s[i] = args->scalars[i];
    ct_iter_run(it, loop, &ctx);
    return 0;
}
