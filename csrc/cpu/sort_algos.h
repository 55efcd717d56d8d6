/* The sorting and selection algorithms of PyTorch's CPU kernels, step for
 * step, so that elements with equal keys come out in PyTorch's order:
 * libstdc++'s std::sort (introsort), std::partial_sort (heap select) and
 * std::nth_element (introselect), and TH's quickselect (kthvalue).
 *
 * CT_SORT_ALGOS(P, E, LESS, GUARDED) defines static functions P_name over an
 * array of elements of type E ordered by LESS(a, b) (it may use the context
 * pointer cx that every function passes on). Scans that the C++ code leaves
 * unguarded rely on sentinels, which only a strict weak order guarantees;
 * GUARDED 1 bounds them, which changes nothing for such an order and keeps a
 * looser comparator (unique(dim=) with NaNs) inside the array. */
#ifndef CT_SORT_ALGOS_H
#define CT_SORT_ALGOS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CT_SORT_THRESHOLD 16   /* libstdc++'s _S_threshold: runs left to insertion sort */
#define CT_SORT_FN static __attribute__((unused))   /* an instantiation may use only some */

/* floor(log2(n)) for n > 0 (std::__lg) */
static inline int64_t ct_lg(int64_t n) { return 63 - __builtin_clzll((unsigned long long)n); }

#define CT_SORT_ALGOS(P, E, LESS, GUARDED)                                                                      \
    CT_SORT_FN inline void P##_swap(E *a, int64_t i, int64_t j) {                                               \
        E t_ = a[i];                                                                                            \
        a[i] = a[j];                                                                                            \
        a[j] = t_;                                                                                              \
    }                                                                                                           \
    /* __insertion_sort: an element less than the first goes to the front at once */                            \
    CT_SORT_FN void P##_insertion(E *a, int64_t first, int64_t last, const void *cx) {                          \
        (void)cx;                                                                                               \
        for (int64_t i = first + 1; i < last; i++) {                                                            \
            E v = a[i];                                                                                         \
            if (LESS(v, a[first])) {                                                                            \
                memmove(a + first + 1, a + first, (size_t)(i - first) * sizeof(E));                             \
                a[first] = v;                                                                                   \
                continue;                                                                                       \
            }                                                                                                   \
            int64_t j = i;                                                                                      \
            while (j > first + 1 && LESS(v, a[j - 1])) a[j] = a[j - 1], j--;                                    \
            a[j] = v;                                                                                           \
        }                                                                                                       \
    }                                                                                                           \
    /* __final_insertion_sort: the first 16, then each later element moved left into place */                   \
    CT_SORT_FN void P##_final_insertion(E *a, int64_t n, const void *cx) {                                      \
        (void)cx;                                                                                               \
        if (n <= CT_SORT_THRESHOLD) {                                                                           \
            P##_insertion(a, 0, n, cx);                                                                         \
            return;                                                                                             \
        }                                                                                                       \
        P##_insertion(a, 0, CT_SORT_THRESHOLD, cx);                                                             \
        for (int64_t i = CT_SORT_THRESHOLD; i < n; i++) {                                                       \
            E v = a[i];                                                                                         \
            int64_t j = i;                                                                                      \
            while ((!(GUARDED) || j > 0) && LESS(v, a[j - 1])) a[j] = a[j - 1], j--;                            \
            a[j] = v;                                                                                           \
        }                                                                                                       \
    }                                                                                                           \
    /* __push_heap / __adjust_heap over the heap a[0, len) */                                                   \
    CT_SORT_FN void P##_adjust_heap(E *a, int64_t hole, int64_t len, E v, const void *cx) {                     \
        (void)cx;                                                                                               \
        int64_t top = hole, child = hole;                                                                       \
        while (child < (len - 1) / 2) {                                                                         \
            child = 2 * (child + 1);                                                                            \
            if (LESS(a[child], a[child - 1])) child--;                                                          \
            a[hole] = a[child];                                                                                 \
            hole = child;                                                                                       \
        }                                                                                                       \
        if ((len & 1) == 0 && child == (len - 2) / 2) {                                                         \
            child = 2 * (child + 1);                                                                            \
            a[hole] = a[child - 1];                                                                             \
            hole = child - 1;                                                                                   \
        }                                                                                                       \
        int64_t parent = (hole - 1) / 2;                                                                        \
        while (hole > top && LESS(a[parent], v)) {                                                              \
            a[hole] = a[parent];                                                                                \
            hole = parent;                                                                                      \
            parent = (hole - 1) / 2;                                                                            \
        }                                                                                                       \
        a[hole] = v;                                                                                            \
    }                                                                                                           \
    CT_SORT_FN void P##_make_heap(E *a, int64_t len, const void *cx) {                                          \
        if (len < 2) return;                                                                                    \
        for (int64_t parent = (len - 2) / 2;; parent--) {                                                       \
            P##_adjust_heap(a, parent, len, a[parent], cx);                                                     \
            if (parent == 0) return;                                                                            \
        }                                                                                                       \
    }                                                                                                           \
    /* __pop_heap: the top goes to *out, *out's old value into the heap a[0, len) */                            \
    CT_SORT_FN inline void P##_pop_heap(E *a, int64_t len, E *out, const void *cx) {                            \
        E v = *out;                                                                                             \
        *out = a[0];                                                                                            \
        P##_adjust_heap(a, 0, len, v, cx);                                                                      \
    }                                                                                                           \
    CT_SORT_FN void P##_sort_heap(E *a, int64_t len, const void *cx) {                                          \
        while (len > 1) {                                                                                       \
            len--;                                                                                              \
            P##_pop_heap(a, len, &a[len], cx);                                                                  \
        }                                                                                                       \
    }                                                                                                           \
    /* __heap_select: the m least of a[0, n) into a max-heap a[0, m) */                                         \
    CT_SORT_FN void P##_heap_select(E *a, int64_t m, int64_t n, const void *cx) {                               \
        P##_make_heap(a, m, cx);                                                                                \
        for (int64_t i = m; i < n; i++)                                                                         \
            if (LESS(a[i], a[0])) P##_pop_heap(a, m, &a[i], cx);                                                \
    }                                                                                                           \
    /* __move_median_to_first + __unguarded_partition around a[first] */                                        \
    CT_SORT_FN int64_t P##_partition(E *a, int64_t first, int64_t last, const void *cx) {                       \
        (void)cx;                                                                                               \
        int64_t x = first + 1, y = first + (last - first) / 2, z = last - 1;                                    \
        if (LESS(a[x], a[y])) {                                                                                 \
            if (LESS(a[y], a[z])) P##_swap(a, first, y);                                                        \
            else if (LESS(a[x], a[z])) P##_swap(a, first, z);                                                   \
            else P##_swap(a, first, x);                                                                         \
        } else if (LESS(a[x], a[z])) P##_swap(a, first, x);                                                     \
        else if (LESS(a[y], a[z])) P##_swap(a, first, z);                                                       \
        else P##_swap(a, first, y);                                                                             \
        E *base = a + first, *lo = base + 1, *hi = a + last, *end = a + last, pv = *base;                       \
        for (;;) { /* the pivot stays at a[first] meanwhile: compare with a copy */                             \
            while ((!(GUARDED) || lo < end - 1) && LESS(*lo, pv)) lo++;                                         \
            hi--;                                                                                               \
            while ((!(GUARDED) || hi > base) && LESS(pv, *hi)) hi--;                                            \
            if (!(lo < hi)) return lo - a;                                                                      \
            E t_ = *lo;                                                                                         \
            *lo = *hi;                                                                                          \
            *hi = t_;                                                                                           \
            lo++;                                                                                               \
        }                                                                                                       \
    }                                                                                                           \
    /* __introsort_loop over a[first, last); right parts of at least par_min elements (when > 0)                \
     * become OpenMP tasks: parts are disjoint, so the result is the serial one */                              \
    CT_SORT_FN void P##_introsort_loop(E *a, int64_t first, int64_t last, int64_t depth, const void *cx,        \
                                   int64_t par_min) {                                                           \
        while (last - first > CT_SORT_THRESHOLD) {                                                              \
            if (depth == 0) {                                                                                   \
                P##_heap_select(a + first, last - first, last - first, cx);                                     \
                P##_sort_heap(a + first, last - first, cx);                                                     \
                return;                                                                                         \
            }                                                                                                   \
            depth--;                                                                                            \
            int64_t cut = P##_partition(a, first, last, cx);                                                    \
            if (par_min > 0 && last - cut >= par_min) {                                                         \
                _Pragma("omp task firstprivate(cut, last, depth)")                                              \
                P##_introsort_loop(a, cut, last, depth, cx, par_min);                                           \
            } else {                                                                                            \
                P##_introsort_loop(a, cut, last, depth, cx, par_min);                                           \
            }                                                                                                   \
            last = cut;                                                                                         \
        }                                                                                                       \
    }                                                                                                           \
    /* std::sort */                                                                                             \
    CT_SORT_FN void P##_sort(E *a, int64_t n, const void *cx) {                                                 \
        if (n < 2) return;                                                                                      \
        P##_introsort_loop(a, 0, n, 2 * ct_lg(n), cx, 0);                                                       \
        P##_final_insertion(a, n, cx);                                                                          \
    }                                                                                                           \
    /* std::nth_element(a, a + nth, a + n) */                                                                   \
    CT_SORT_FN void P##_nth_element(E *a, int64_t nth, int64_t n, const void *cx) {                             \
        if (n == 0 || nth == n) return;                                                                         \
        int64_t first = 0, last = n, depth = 2 * ct_lg(n);                                                      \
        while (last - first > 3) {                                                                              \
            if (depth == 0) {                                                                                   \
                P##_heap_select(a + first, nth + 1 - first, last - first, cx);                                  \
                P##_swap(a, first, nth);                                                                        \
                return;                                                                                         \
            }                                                                                                   \
            depth--;                                                                                            \
            int64_t cut = P##_partition(a, first, last, cx);                                                    \
            if (cut <= nth) first = cut;                                                                        \
            else last = cut;                                                                                    \
        }                                                                                                       \
        P##_insertion(a, first, last, cx);                                                                      \
    }                                                                                                           \
    /* TH's quickselect (Sedgewick): a[k] is the k-th least; GT(x, y) is LESS(y, x) */                          \
    CT_SORT_FN void P##_quickselect(E *a, int64_t n, int64_t k, const void *cx) {                               \
        (void)cx;                                                                                               \
        int64_t L = 0, R = n - 1;                                                                               \
        for (;;) {                                                                                              \
            if (R <= L) return;                                                                                 \
            if (R == L + 1) {                                                                                   \
                if (LESS(a[R], a[L])) P##_swap(a, L, R);                                                        \
                return;                                                                                         \
            }                                                                                                   \
            P##_swap(a, (L + R) >> 1, L + 1);                                                                   \
            if (LESS(a[R], a[L + 1])) P##_swap(a, L + 1, R);                                                    \
            if (LESS(a[R], a[L])) P##_swap(a, L, R);                                                            \
            if (LESS(a[L], a[L + 1])) P##_swap(a, L + 1, L);                                                    \
            int64_t i = L + 1, j = R;                                                                           \
            E piv = a[L];                                                                                       \
            for (;;) {                                                                                          \
                do i++;                                                                                         \
                while (LESS(a[i], piv));                                                                        \
                do j--;                                                                                         \
                while (LESS(piv, a[j]));                                                                        \
                if (j < i) break;                                                                               \
                P##_swap(a, i, j);                                                                              \
            }                                                                                                   \
            P##_swap(a, L, j);                                                                                  \
            if (j <= k) L = i;                                                                                  \
            if (j >= k) R = j - 1;                                                                              \
        }                                                                                                       \
    }

#endif
