// Packing for the bf16 kernels: float32 rounded to bf16 with `vcvtne2ps2bf16` (round to nearest
// even, NaN kept quiet, denormals to zero) and laid out as the kernels read it. Each function
// packs one panel or block; Swift decides which and where (Sources/Autograd/Kernels/BF16Packing.swift).
#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

#define ATTEND_PACK __attribute__((target("avx512f,avx512bw,avx512bf16")))

// Scalar rounding, as the instruction does it.
static inline uint32_t bf16_bits(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7f800000u) == 0) return (bits >> 16) & 0x8000u;                    // ±0, denormals
    if ((bits & 0x7fffffffu) > 0x7f800000u) return ((bits >> 16) | 0x40u) & 0xffffu;  // NaN: quiet
    return (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
}

static inline uint32_t pair(float even, float odd) { return bf16_bits(even) | bf16_bits(odd) << 16; }

// 16 words pairing x[0..32): word l holds (x[2l], x[2l + 1]).
ATTEND_PACK static inline __m512i pair_consecutive(const float *x) {
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(x));
}

// 16 words pairing e[l] with o[l].
ATTEND_PACK static inline __m512i pair_rows(const float *e, const float *o) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    __m512i halves = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(o), _mm512_loadu_ps(e));
    return _mm512_permutexvar_epi16(interleave, halves);
}

// Transposes 16 rows of 16 words in place: four perfect unshuffles of the 256 words (each
// rotates the bits of a word's index, row ‖ column, right by one).
ATTEND_PACK static inline void transpose16(__m512i r[16]) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int stage = 0; stage < 4; stage++) {
        __m512i t[16];
        for (int v = 0; v < 8; v++) {
            t[v] = _mm512_permutex2var_epi32(r[2 * v], even, r[2 * v + 1]);
            t[v + 8] = _mm512_permutex2var_epi32(r[2 * v], odd, r[2 * v + 1]);
        }
        for (int v = 0; v < 16; v++) r[v] = t[v];
    }
}

ATTEND_PACK
void attend_bf16_pack_b_plain(const float *b, long ldb, long depth, long columns, long pairs, uint32_t *target) {
    for (long q = 0; q < pairs; q++) {
        const long even = 2 * q, odd = even + 1;
        uint32_t *row = target + q * 32;
        if (columns == 32 && odd < depth) {
            _mm512_storeu_si512(row, pair_rows(b + even * ldb, b + odd * ldb));
            _mm512_storeu_si512(row + 16, pair_rows(b + even * ldb + 16, b + odd * ldb + 16));
            continue;
        }
        for (long j = 0; j < 32; j++) {
            float x = j < columns && even < depth ? b[even * ldb + j] : 0;
            float y = j < columns && odd < depth ? b[odd * ldb + j] : 0;
            row[j] = pair(x, y);
        }
    }
}

ATTEND_PACK
void attend_bf16_pack_b_transposed(const float *b, long ldb, long depth, long columns, long pairs,
                                   uint32_t *target) {
    const long full = depth / 2, used = (depth + 1) / 2;
    for (long half = 0; half < 32; half += 16) {
        long q = 0;
        if (half + 16 <= columns) {
            for (; q + 16 <= full; q += 16) {
                __m512i r[16];
                for (int l = 0; l < 16; l++) r[l] = pair_consecutive(b + (half + l) * ldb + 2 * q);
                transpose16(r);
                for (int l = 0; l < 16; l++) _mm512_storeu_si512(target + (q + l) * 32 + half, r[l]);
            }
        }
        for (long j = half; j < half + 16; j++) {
            const float *row = b + j * ldb;
            for (long p = q; p < pairs; p++) {
                const long odd = 2 * p + 1;
                target[p * 32 + j] = j < columns && p < used ? pair(row[2 * p], odd < depth ? row[odd] : 0) : 0;
            }
        }
    }
}

ATTEND_PACK
void attend_bf16_pack_a_plain(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                              uint32_t *target) {
    const long full = depth / 2, used = (depth + 1) / 2;
    for (long i = 0; i < rows; i++) {
        const float *source = a + i * lda;
        uint32_t *row = target + i * pairs;
        long q = 0;
        for (; q + 16 <= full; q += 16) _mm512_storeu_si512(row + q, pair_consecutive(source + 2 * q));
        for (; q < used; q++) row[q] = pair(source[2 * q], 2 * q + 1 < depth ? source[2 * q + 1] : 0);
        for (; q < pairs; q++) row[q] = 0;
    }
    memset(target + rows * pairs, 0, (size_t)((padded_rows - rows) * pairs) * 4);
}

ATTEND_PACK
void attend_bf16_pack_a_transposed(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                                   uint32_t *target) {
    const long full = depth / 2, used = (depth + 1) / 2;
    const long blocked_pairs = full & ~15L, blocked_rows = rows & ~15L;
    for (long q = 0; q < blocked_pairs; q += 16) {
        for (long i = 0; i < blocked_rows; i += 16) {
            __m512i r[16];
            for (int l = 0; l < 16; l++) {
                const float *even = a + 2 * (q + l) * lda + i;
                r[l] = pair_rows(even, even + lda);
            }
            transpose16(r);
            for (int l = 0; l < 16; l++) _mm512_storeu_si512(target + (i + l) * pairs + q, r[l]);
        }
        for (long i = blocked_rows; i < rows; i++)
            for (long p = q; p < q + 16; p++) target[i * pairs + p] = pair(a[2 * p * lda + i], a[(2 * p + 1) * lda + i]);
    }
    for (long q = blocked_pairs; q < used; q++) {
        const float *even = a + 2 * q * lda, *odd = 2 * q + 1 < depth ? even + lda : 0;
        for (long i = 0; i < rows; i++) target[i * pairs + q] = pair(even[i], odd ? odd[i] : 0);
    }
    for (long i = 0; i < rows; i++)
        for (long q = used; q < pairs; q++) target[i * pairs + q] = 0;
    memset(target + rows * pairs, 0, (size_t)((padded_rows - rows) * pairs) * 4);
}
