/* Loop generators for the CPU backend: one op body, three paths (contiguous,
 * one scalar operand, strided) so the compiler vectorizes the common ones. */
#ifndef CT_CPU_LOOPS_H
#define CT_CPU_LOOPS_H

#include "ct_math.h"

/* one generic body is instantiated for bool and unsigned types too, where
 * tests like x < 0 are constant: that is intended, not a bug */
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wbool-compare"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#include "ctorch/ct_iter.h"
#include "ctorch/ct_ops.h"

/* The hot loop files (elementwise.c, reduce.c) are compiled twice: as they
 * are, for any x86-64, and included from *_avx2.c under AVX2+FMA, where
 * CT_ISA() gives their entry points an _avx2 suffix. The CPU backend picks
 * one at start-up (ct_cpu_has_avx2). */
#ifndef CT_ISA_SUFFIX
#define CT_ISA_SUFFIX
#endif
#define CT_ISA_CAT_(a, b) a##b
#define CT_ISA_CAT(a, b) CT_ISA_CAT_(a, b)
#define CT_ISA(name) CT_ISA_CAT(name, CT_ISA_SUFFIX)

/* result storage type and store, by dtype rule: PRED and CMP give bool */
#define CT_OUTT_SAME(T) T
#define CT_OUTT_FLOAT(T) T
#define CT_OUTT_ARITH(T) T
#define CT_OUTT_DIV(T) T
#define CT_OUTT_BITWISE(T) T
#define CT_OUTT_PRED(T) bool
#define CT_OUTT_CMP(T) bool
#define CT_OSTORE_SAME(E, p, v) CT_STORE_##E(p, v)
#define CT_OSTORE_FLOAT(E, p, v) CT_STORE_##E(p, v)
#define CT_OSTORE_ARITH(E, p, v) CT_STORE_##E(p, v)
#define CT_OSTORE_DIV(E, p, v) CT_STORE_##E(p, v)
#define CT_OSTORE_BITWISE(E, p, v) CT_STORE_##E(p, v)
#define CT_OSTORE_PRED(E, p, v) (*(p) = (bool)(v))
#define CT_OSTORE_CMP(E, p, v) (*(p) = (bool)(v))

#define CT_AT(T, base, i, stride) ((T *)((base) + (i) * (stride)))

/* C names the compute type inside a loop (bodies use it, e.g. (C)0) */
#define CT_PARAMS(CT_, m)                                           \
    typedef CT_ C;                                                  \
    const ct_loop_ctx *lc_ = (const ct_loop_ctx *)ctx_;             \
    const C s0 = (C)lc_->s[0].m, s1 = (C)lc_->s[1].m;               \
    (void)s0;                                                       \
    (void)s1

#define CT_DEF_UNARY_LOOP(E, T, C, m, name, rule, body)                                     \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx_) { \
        CT_PARAMS(C, m);                                                                    \
        typedef CT_OUTT_##rule(T) OT;                                                       \
        if (st[0] == sizeof(OT) && st[1] == sizeof(T)) {                                    \
            OT *o = (OT *)data[0];                                                          \
            const T *in = (const T *)data[1];                                               \
            for (int64_t i = 0; i < n; i++) {                                               \
                C x = CT_LOAD_##E(in + i);                                                  \
                CT_OSTORE_##rule(E, o + i, (body));                                         \
            }                                                                               \
        } else {                                                                            \
            for (int64_t i = 0; i < n; i++) {                                               \
                C x = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));                       \
                CT_OSTORE_##rule(E, CT_AT(OT, data[0], i, st[0]), (body));                  \
            }                                                                               \
        }                                                                                   \
    }

#define CT_DEF_BINARY_LOOP(E, T, C, m, name, rule, body)                                    \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx_) { \
        CT_PARAMS(C, m);                                                                    \
        typedef CT_OUTT_##rule(T) OT;                                                       \
        OT *o = (OT *)data[0];                                                              \
        const T *pa = (const T *)data[1], *pb = (const T *)data[2];                         \
        if (st[0] == sizeof(OT) && st[1] == sizeof(T) && st[2] == sizeof(T)) {              \
            for (int64_t i = 0; i < n; i++) {                                               \
                C a = CT_LOAD_##E(pa + i), b = CT_LOAD_##E(pb + i);                         \
                CT_OSTORE_##rule(E, o + i, (body));                                         \
            }                                                                               \
        } else if (st[0] == sizeof(OT) && st[1] == sizeof(T) && st[2] == 0) {               \
            const C b = CT_LOAD_##E(pb);                                                    \
            for (int64_t i = 0; i < n; i++) {                                               \
                C a = CT_LOAD_##E(pa + i);                                                  \
                CT_OSTORE_##rule(E, o + i, (body));                                         \
            }                                                                               \
        } else if (st[0] == sizeof(OT) && st[1] == 0 && st[2] == sizeof(T)) {               \
            const C a = CT_LOAD_##E(pa);                                                    \
            for (int64_t i = 0; i < n; i++) {                                               \
                C b = CT_LOAD_##E(pb + i);                                                  \
                CT_OSTORE_##rule(E, o + i, (body));                                         \
            }                                                                               \
        } else {                                                                            \
            for (int64_t i = 0; i < n; i++) {                                               \
                C a = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));                       \
                C b = CT_LOAD_##E(CT_AT(const T, data[2], i, st[2]));                       \
                CT_OSTORE_##rule(E, CT_AT(OT, data[0], i, st[0]), (body));                  \
            }                                                                               \
        }                                                                                   \
    }

#define CT_DEF_TERNARY_LOOP(E, T, C, m, name, rule, body)                                   \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx_) { \
        CT_PARAMS(C, m);                                                                    \
        typedef CT_OUTT_##rule(T) OT;                                                       \
        if (st[0] == sizeof(OT) && st[1] == sizeof(T) && st[2] == sizeof(T) &&              \
            st[3] == sizeof(T)) {                                                           \
            OT *o = (OT *)data[0];                                                          \
            const T *pa = (const T *)data[1], *pb = (const T *)data[2], *pc = (const T *)data[3]; \
            for (int64_t i = 0; i < n; i++) {                                               \
                C a = CT_LOAD_##E(pa + i), b = CT_LOAD_##E(pb + i), c = CT_LOAD_##E(pc + i); \
                CT_OSTORE_##rule(E, o + i, (body));                                         \
            }                                                                               \
        } else {                                                                            \
            for (int64_t i = 0; i < n; i++) {                                               \
                C a = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));                       \
                C b = CT_LOAD_##E(CT_AT(const T, data[2], i, st[2]));                       \
                C c = CT_LOAD_##E(CT_AT(const T, data[3], i, st[3]));                       \
                CT_OSTORE_##rule(E, CT_AT(OT, data[0], i, st[0]), (body));                  \
            }                                                                               \
        }                                                                                   \
    }

/* a table entry [CT_E] = loop_name_E */
#define CT_LOOP_ENTRY(E, T, C, m, name) [CT_##E] = loop_##name##_##E,


#endif
