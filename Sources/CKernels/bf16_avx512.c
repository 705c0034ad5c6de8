// The AVX512-BF16 register tile: 8 rows × 32 columns of C in 16 zmm accumulators.
#include "CKernels.h"
#include <immintrin.h>

#define ATTEND_AVX512BF16 __attribute__((target("avx512f,avx512bf16")))

ATTEND_AVX512BF16
static inline void store_row(__m512 low, __m512 high, float *row, float alpha, float beta, __mmask16 ml, __mmask16 mh,
                             const float *bias, int relu) {
    __m512 va = _mm512_set1_ps(alpha);
    low = _mm512_mul_ps(low, va);
    high = _mm512_mul_ps(high, va);
    if (beta != 0) {  // beta == 0 must not read C: its old contents may be NaN
        __m512 vb = _mm512_set1_ps(beta);
        low = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(ml, row), low);
        high = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mh, row + 16), high);
    }
    if (bias) {
        low = _mm512_add_ps(low, _mm512_maskz_loadu_ps(ml, bias));
        high = _mm512_add_ps(high, _mm512_maskz_loadu_ps(mh, bias + 16));
    }
    if (relu) {
        low = _mm512_max_ps(low, _mm512_setzero_ps());
        high = _mm512_max_ps(high, _mm512_setzero_ps());
    }
    _mm512_mask_storeu_ps(row, ml, low);
    _mm512_mask_storeu_ps(row + 16, mh, high);
}

// Each depth pair: two 32-pair loads of B, eight broadcasts of A, sixteen vdpbf16ps
// (each 16 lanes × 2 products).
ATTEND_AVX512BF16
void attend_bf16_tile_avx512(long pairs, const uint32_t *a, long a_stride, const uint32_t *b,
                             float *c, long ldc, float alpha, float beta, long rows, long columns, const float *bias,
                             int relu) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
           c61 = c00, c70 = c00, c71 = c00;
    const uint32_t *a0 = a, *a1 = a + a_stride, *a2 = a1 + a_stride, *a3 = a2 + a_stride,
                   *a4 = a3 + a_stride, *a5 = a4 + a_stride, *a6 = a5 + a_stride, *a7 = a6 + a_stride;
    for (long q = 0; q < pairs; q++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b);
        __m512bh b1 = (__m512bh)_mm512_load_si512(b + 16);
        __m512bh x;
#define ATTEND_ROW(r) \
        x = (__m512bh)_mm512_set1_epi32((int)a##r[q]); \
        c##r##0 = _mm512_dpbf16_ps(c##r##0, x, b0); \
        c##r##1 = _mm512_dpbf16_ps(c##r##1, x, b1);
        ATTEND_ROW(0) ATTEND_ROW(1) ATTEND_ROW(2) ATTEND_ROW(3)
        ATTEND_ROW(4) ATTEND_ROW(5) ATTEND_ROW(6) ATTEND_ROW(7)
#undef ATTEND_ROW
        b += 32;
    }
    // Only the tile's first `rows` rows and `columns` columns are C's: masked stores, no scratch.
    const __mmask16 ml = attend_first_lanes(columns), mh = attend_first_lanes(columns - 16);
    store_row(c00, c01, c, alpha, beta, ml, mh, bias, relu);
    if (rows > 1) store_row(c10, c11, c + ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 2) store_row(c20, c21, c + 2 * ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 3) store_row(c30, c31, c + 3 * ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 4) store_row(c40, c41, c + 4 * ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 5) store_row(c50, c51, c + 5 * ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 6) store_row(c60, c61, c + 6 * ldc, alpha, beta, ml, mh, bias, relu);
    if (rows > 7) store_row(c70, c71, c + 7 * ldc, alpha, beta, ml, mh, bias, relu);
}
