/* PyTorch's AVX2 Box-Muller block for float normal_ (ct_kernels.h), bit for bit.
 *
 * On AVX2 and AVX-512 CPUs PyTorch turns 16 float uniforms into normals with
 * Cephes-style polynomial log, sin and cos over 8 lanes (ATen's avx_mathfun,
 * built with FMA contraction), not with libm; matching its values means
 * evaluating the same polynomials with the same roundings. Every fused
 * multiply-add below stands where the compiler contracts PyTorch's code. */
#include "ct_kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#define SPLAT(v) _mm256_set1_ps(v)
#define ISPLAT(v) _mm256_set1_epi32(v)

/* log(x) for x in (0, 1]: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), a degree-9
 * polynomial in m - 1, and e * log(2) added in two parts */
static __m256 log8(__m256 x) {
    const __m256 one = SPLAT(1.0f);
    x = _mm256_max_ps(x, _mm256_castsi256_ps(ISPLAT(0x00800000)));   /* no subnormals */
    __m256i ei = _mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(x), 23), ISPLAT(0x7f));
    x = _mm256_or_ps(_mm256_and_ps(x, _mm256_castsi256_ps(ISPLAT(~0x7f800000))), SPLAT(0.5f));
    __m256 e = _mm256_add_ps(_mm256_cvtepi32_ps(ei), one);
    __m256 small = _mm256_cmp_ps(x, SPLAT(0.707106781186547524f), _CMP_LT_OS);
    __m256 keep = _mm256_and_ps(x, small);   /* x < sqrt(1/2): use 2x - 1 and e - 1 */
    x = _mm256_sub_ps(x, one);
    e = _mm256_sub_ps(e, _mm256_and_ps(one, small));
    x = _mm256_add_ps(x, keep);
    __m256 z = _mm256_mul_ps(x, x);
    static const float p[9] = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
                               1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f,
                               3.3333331174E-1f};
    __m256 y = SPLAT(p[0]);
    for (int i = 1; i < 9; i++) y = _mm256_fmadd_ps(y, x, SPLAT(p[i]));
    y = _mm256_mul_ps(y, x);
    y = _mm256_fmadd_ps(y, z, _mm256_mul_ps(e, SPLAT(-2.12194440e-4f)));
    y = _mm256_fnmadd_ps(z, SPLAT(0.5f), y);
    return _mm256_fmadd_ps(e, SPLAT(0.693359375f), _mm256_add_ps(x, y));
}

/* sin and cos of x >= 0: octant j of x * 4/pi (rounded up to even), x reduced by
 * j * pi/4 in three parts, then the cosine and sine polynomials of the octant */
static void sincos8(__m256 x, __m256 *s, __m256 *c) {
    __m256 sign_sin = _mm256_and_ps(x, _mm256_castsi256_ps(ISPLAT((int)0x80000000)));
    x = _mm256_and_ps(x, _mm256_castsi256_ps(ISPLAT(0x7fffffff)));
    __m256i j = _mm256_cvttps_epi32(_mm256_mul_ps(x, SPLAT(1.27323954473516f)));
    j = _mm256_and_si256(_mm256_add_epi32(j, ISPLAT(1)), ISPLAT(~1));
    __m256 y = _mm256_cvtepi32_ps(j);
    __m256 swap_sin = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_and_si256(j, ISPLAT(4)), 29));
    __m256 poly = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(j, ISPLAT(2)), _mm256_setzero_si256()));
    x = _mm256_fmadd_ps(y, SPLAT(-0.78515625f), x);
    x = _mm256_fmadd_ps(y, SPLAT(-2.4187564849853515625e-4f), x);
    x = _mm256_fmadd_ps(y, SPLAT(-3.77489497744594108e-8f), x);
    __m256i jc = _mm256_andnot_si256(_mm256_sub_epi32(j, ISPLAT(2)), ISPLAT(4));
    __m256 sign_cos = _mm256_castsi256_ps(_mm256_slli_epi32(jc, 29));
    sign_sin = _mm256_xor_ps(sign_sin, swap_sin);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 yc = _mm256_fmadd_ps(SPLAT(2.443315711809948E-005f), z, SPLAT(-1.388731625493765E-003f));
    yc = _mm256_fmadd_ps(yc, z, SPLAT(4.166664568298827E-002f));
    yc = _mm256_mul_ps(yc, z);
    yc = _mm256_fmsub_ps(yc, z, _mm256_mul_ps(z, SPLAT(0.5f)));
    yc = _mm256_add_ps(yc, SPLAT(1.0f));
    __m256 ys = _mm256_fmadd_ps(SPLAT(-1.9515295891E-4f), z, SPLAT(8.3321608736E-3f));
    ys = _mm256_fmadd_ps(ys, z, SPLAT(-1.6666654611E-1f));
    ys = _mm256_mul_ps(ys, z);
    ys = _mm256_fmadd_ps(ys, x, x);
    /* octants 0, 3, 4, 7 take sin from the sine polynomial, the others swap */
    __m256 sin_s = _mm256_and_ps(poly, ys), sin_c = _mm256_andnot_ps(poly, yc);
    *s = _mm256_xor_ps(_mm256_add_ps(sin_c, sin_s), sign_sin);
    *c = _mm256_xor_ps(_mm256_add_ps(_mm256_sub_ps(yc, sin_c), _mm256_sub_ps(ys, sin_s)), sign_cos);
}

void ct_normal16_avx2(float *d, float mean, float std) {
    __m256 u1 = _mm256_sub_ps(SPLAT(1.0f), _mm256_loadu_ps(d)), u2 = _mm256_loadu_ps(d + 8);
    __m256 radius = _mm256_sqrt_ps(_mm256_mul_ps(SPLAT(-2.0f), log8(u1)));
    __m256 s, c;
    sincos8(_mm256_mul_ps(SPLAT((float)(2.0 * 3.14159265358979323846)), u2), &s, &c);
    _mm256_storeu_ps(d, _mm256_fmadd_ps(_mm256_mul_ps(radius, c), SPLAT(std), SPLAT(mean)));
    _mm256_storeu_ps(d + 8, _mm256_fmadd_ps(_mm256_mul_ps(radius, s), SPLAT(std), SPLAT(mean)));
}
#else
/* not x86: never selected */
void ct_normal16_avx2(float *d, float mean, float std) { (void)d, (void)mean, (void)std; }
#endif
