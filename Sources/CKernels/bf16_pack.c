// Packing for the bf16 kernels: float32 rounded to bf16 with `vcvtne2ps2bf16` (round to nearest
// even, NaN kept quiet, denormals to zero) and laid out as the kernels read it. Each function
// packs one panel or block; Swift decides which and where (Sources/Autograd/Kernels/BF16Packing.swift).
#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

#define ATTEND_PACK __attribute__((target("avx512f,avx512bw,avx512bf16")))

// 16 words pairing x[0..32): word l holds (x[2l], x[2l + 1]); elements from x[n] on read as zero
// (masked loads never touch them).
ATTEND_PACK static inline __m512i pair_consecutive(const float *x, long n) {
    if (n <= 0) return _mm512_setzero_si512();
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(attend_first_lanes(n - 16), x + 16),
                                        _mm512_maskz_loadu_ps(attend_first_lanes(n), x));
}

// 16 words pairing e[l] with o[l] for l < n, zero past n; a missing row (NULL) reads as zeros.
ATTEND_PACK static inline __m512i pair_rows(const float *e, const float *o, long n) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    if (!e || n <= 0) return _mm512_setzero_si512();
    const __mmask16 lanes = attend_first_lanes(n);
    __m512 odd = o ? _mm512_maskz_loadu_ps(lanes, o) : _mm512_setzero_ps();
    __m512i halves = (__m512i)_mm512_cvtne2ps_pbh(odd, _mm512_maskz_loadu_ps(lanes, e));
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

static inline long min_long(long x, long y) { return x < y ? x : y; }

// Row `p` of a stored matrix, or NULL past its `depth` rows.
static inline const float *row_or_null(const float *m, long ld, long p, long depth) { return p < depth ? m + p * ld : 0; }

// The loops that read a stored row a cache line or two at a time also ask for what they read a
// few rows later (`attend_prefetch`): packing 1280 × 768 from memory ran 1.6–2× faster with it on
// Zen 4, and no slower from cache. The transposed packs read long runs of each row instead.

// Every loop below runs whole 16-word vectors: edges (columns, rows or depth running out) are
// masked loads that read zeros, so there is no scalar path.

ATTEND_PACK
void attend_bf16_pack_b_plain(const float *b, long ldb, long depth, long columns, long pairs, uint32_t *target) {
    for (long q = 0; q < pairs; q++) {
        const float *even = row_or_null(b, ldb, 2 * q, depth), *odd = row_or_null(b, ldb, 2 * q + 1, depth);
        uint32_t *row = target + q * 32;
        if (2 * q + 33 < depth) {  // the pair 16 ahead
            attend_prefetch(b + (2 * q + 32) * ldb, columns);
            attend_prefetch(b + (2 * q + 33) * ldb, columns);
        }
        _mm512_storeu_si512(row, pair_rows(even, odd, columns));
        _mm512_storeu_si512(row + 16, pair_rows(even ? even + 16 : 0, odd ? odd + 16 : 0, columns - 16));
    }
}

// A stored-transposed B: 16 stored rows (columns of op(B)) at a time, each read 256 depth elements
// (1 KiB) in one run into eight 16 × 16 blocks of pairs, then transposed. Read 32 elements per row
// at a time, asking for the next 32, an 8 × 1024 × 1024 product with this pack took 300 µs instead
// of 220 (one thread, from cache).
ATTEND_PACK
void attend_bf16_pack_b_transposed(const float *b, long ldb, long depth, long columns, long pairs,
                                   uint32_t *target) {
    enum { run = 128, blocks = run / 16 };  // pairs per stored row read in one run, and their 16 × 16 blocks
    for (long half = 0; half < 32; half += 16) {
        const long live = columns - half;  // columns of this half that exist (≤ 0: none)
        for (long q = 0; q < pairs; q += run) {
            const long live_blocks = min_long(blocks, (pairs - q + 15) / 16);
            __m512i r[blocks][16];
            for (long l = 0; l < 16; l++)
                for (long u = 0; u < live_blocks; u++)
                    r[u][l] = l < live ? pair_consecutive(b + (half + l) * ldb + 2 * (q + 16 * u), depth - 2 * (q + 16 * u))
                                       : _mm512_setzero_si512();
            for (long u = 0; u < live_blocks; u++) {
                if (live > 0) transpose16(r[u]);
                const long first = q + 16 * u;
                for (long l = 0; l < min_long(16, pairs - first); l++) _mm512_storeu_si512(target + (first + l) * 32 + half, r[u][l]);
            }
        }
    }
}

ATTEND_PACK
void attend_bf16_pack_a_plain(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                              uint32_t *target) {
    for (long i = 0; i < rows; i++) {
        const float *source = a + i * lda;
        uint32_t *row = target + i * pairs;
        if (i + 4 < rows) attend_prefetch(source + 4 * lda, depth);  // four rows ahead
        for (long q = 0; q < pairs; q += 16)
            _mm512_mask_storeu_epi32(row + q, attend_first_lanes(pairs - q), pair_consecutive(source + 2 * q, depth - 2 * q));
    }
    memset(target + rows * pairs, 0, (size_t)((padded_rows - rows) * pairs) * 4);
}

// A stored-transposed A: 16 pairs of depth (32 stored rows) at a time, each row read 128 columns
// (512 bytes) in one run, which the hardware prefetchers follow, into eight 16 × 16 blocks that
// are then transposed. Read 16 columns (one cache line) per row at a time, with or without asking
// for the next block, the loads stalled: the pack took 16% of a 1024 × 256 × 1280 `Aᵀ` product
// (one thread, packed B) at 82% of the peak; this way 87–88%.
ATTEND_PACK
void attend_bf16_pack_a_transposed(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                                   long stride, uint32_t *target) {
    enum { run = 128, blocks = run / 16 };
    for (long q = 0; q < pairs; q += 16) {
        const __mmask16 stored = attend_first_lanes(pairs - q);
        for (long i = 0; i < rows; i += run) {
            const long live_blocks = min_long(blocks, (rows - i + 15) / 16);
            __m512i r[blocks][16];
            for (long l = 0; l < 16; l++) {
                const float *even = row_or_null(a, lda, 2 * (q + l), depth), *odd = row_or_null(a, lda, 2 * (q + l) + 1, depth);
                for (long u = 0; u < live_blocks; u++)
                    r[u][l] = pair_rows(even ? even + i + 16 * u : 0, odd ? odd + i + 16 * u : 0, rows - i - 16 * u);
            }
            for (long u = 0; u < live_blocks; u++) {
                transpose16(r[u]);
                const long first = i + 16 * u, live = min_long(16, rows - first);
                for (long l = 0; l < live; l++) _mm512_mask_storeu_epi32(target + (first + l) * stride + q, stored, r[u][l]);
            }
        }
    }
    for (long i = rows; i < padded_rows; i++) memset(target + i * stride, 0, (size_t)pairs * 4);
}
