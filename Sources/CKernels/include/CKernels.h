// The only C in Attend: CPU feature detection, the bf16 matrix kernels, and three inline
// wrappers Swift's kernels call (a prefetch, a masked load, a masked store): instructions
// (AVX512-BF16 `vdpbf16ps`, AMX `tdpbf16ps`, `prefetcht2`, AVX-512 masked moves) Swift cannot
// emit. Each function is a kernel loop or one instruction and nothing more; blocking, packing,
// threading and dispatch live in Swift (Sources/Autograd/Kernels). The kernels are compiled
// for their own instruction sets through target attributes, so one binary runs on CPUs with
// and without them; the inline wrappers are compiled with the Swift code that calls them.
#ifndef ATTEND_CKERNELS_H
#define ATTEND_CKERNELS_H

#include <stdint.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/// Feature bits returned by `attend_cpu_features`.
enum {
    ATTEND_CPU_AVX512F = 1 << 0,     // AVX-512 Foundation, and the OS saves ZMM state
    ATTEND_CPU_AVX512BF16 = 1 << 1,  // vdpbf16ps (CPUID.(7,1):EAX[5])
    ATTEND_CPU_AMX_BF16 = 1 << 2,    // AMX-TILE and AMX-BF16 (CPUID.(7,0):EDX[24], EDX[22])
};

/// The instruction sets this CPU offers and the OS enables (XGETBV), as `ATTEND_CPU_*` bits.
/// AMX is reported by the CPU, but a Linux process must still ask for it: `attend_request_amx`.
int attend_cpu_features(void);

/// Asks Linux for permission to use AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM,
/// XFEATURE_XTILEDATA). Returns 0 when granted, -1 otherwise (or on other systems).
int attend_request_amx(void);

/// Asks for the cache lines of `p[0 ..< count]` to be brought into L2 (`prefetcht2`), for the
/// packing loops: operands usually arrive cold, written by an op long before, and the hardware
/// prefetchers lose the stream at every row of a strided block. Inline, so Swift's packing
/// (which cannot emit the instruction) calls it at no cost.
static inline void attend_prefetch(const float *p, long count) {
    for (long x = 0; x < count; x += 16) __builtin_prefetch(p + x, 0, 1);
}

/// The first `n` of 16 lanes as an AVX-512 mask (none for `n ≤ 0`), for the kernels' edges.
static inline uint16_t attend_first_lanes(long n) {
    return n >= 16 ? (uint16_t)0xffff : n <= 0 ? (uint16_t)0 : (uint16_t)((1u << n) - 1);
}

/// Sixteen floats, as Swift's `SIMD16<Float>`.
typedef float attend_lanes __attribute__((ext_vector_type(16)));

/// The first `n` (0 … 16) floats at `p`, the other lanes `padding`, for the row kernels' last,
/// partial block: one masked load where the build has AVX-512 (Swift's SIMD types cannot mask a
/// load, and lane-by-lane inserts cost more than the row's arithmetic), else lane by lane.
/// Nothing past `p[n − 1]` is read. Inline, so Swift calls it at no cost.
static inline attend_lanes attend_load_first(const float *p, long n, float padding) {
#if defined(__AVX512F__)
    return (attend_lanes)_mm512_mask_loadu_ps(_mm512_set1_ps(padding), attend_first_lanes(n), p);
#else
    attend_lanes v = padding;
    for (long i = 0; i < n && i < 16; i++) v[i] = p[i];
    return v;
#endif
}

/// Stores the first `n` (0 … 16) lanes of `v` at `p`, writing nothing past `p[n − 1]`.
static inline void attend_store_first(attend_lanes v, float *p, long n) {
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, attend_first_lanes(n), (__m512)v);
#else
    for (long i = 0; i < n && i < 16; i++) p[i] = v[i];
#endif
}

/// Rows of the AVX512-BF16 register tile; its columns are 32 (two 16-lane vectors).
#define ATTEND_BF16_TILE_ROWS 8

/// One 8 × 32 tile with AVX512-BF16: `C = alpha · Σ_q a(:, q) ⊗ b(q, :) + beta · C`.
///
/// Operands are packed bf16 pairs (one `uint32_t` holds two consecutive depth elements,
/// the lower-indexed in the low half): `a[i · a_stride + q]` is row `i`'s pair `q`;
/// `b[q · 32 + j]` is column `j`'s pair `q`. `beta == 0` never reads `C`. Only the first `rows`
/// (≥ 1) rows and `columns` (1 … 32) columns of the tile are read and written: the rest of an
/// edge tile is padding. A `bias` (the tile's `columns` values, or NULL) is added to every row,
/// and with `relu` the stored values are `max(·, 0)` (for the last depth block's stores only).
void attend_bf16_tile_avx512(long pairs, const uint32_t *a, long a_stride, const uint32_t *b,
                             float *c, long ldc, float alpha, float beta, long rows, long columns, const float *bias,
                             int relu);

/// Rows and columns of the AMX block: two 16-row tiles of `A` times two 16-column tiles of `B`.
#define ATTEND_AMX_BLOCK 32

/// Loads the tile configuration the AMX kernel uses into the calling thread (once per thread;
/// cheap to call again).
void attend_amx_configure(void);

/// One 32 × 32 block with AMX: `C = alpha · A · B + beta · C` over `chunks · 32` depth.
///
/// `a` holds 32 rows of bf16 pairs, row `i` at `a + i · a_stride` (`a_stride` in pairs, a
/// multiple of 16); `b` is packed as for `attend_bf16_tile_avx512` (32 pairs per depth pair,
/// the VNNI layout `tdpbf16ps` reads). `scratch` has room for 32 × 32 floats, 64-byte
/// aligned. The thread must have called `attend_amx_configure`.
void attend_bf16_block_amx(long chunks, const uint32_t *a, long a_stride, const uint32_t *b,
                           float *c, long ldc, float alpha, float beta, float *scratch);

/// Packing (AVX-512 with AVX512-BF16's `vcvtne2ps2bf16`: round to nearest even, NaN quiet,
/// denormals to zero). A pair word holds two consecutive depth elements, the lower-indexed in
/// its low half; depth past `depth` (up to `pairs` pairs) and rows or columns past the operand
/// are zero.
///
/// One 32-column panel of `op(B)`, `op(B)(p, j) = b[p · ldb + j]`: `target[q · 32 + j]`.
void attend_bf16_pack_b_plain(const float *b, long ldb, long depth, long columns, long pairs, uint32_t *target);
/// The same from a stored-transposed `B`, `op(B)(p, j) = b[j · ldb + p]`.
void attend_bf16_pack_b_transposed(const float *b, long ldb, long depth, long columns, long pairs,
                                   uint32_t *target);
/// A block of `op(A)`, `op(A)(i, p) = a[i · lda + p]`: `target[i · pairs + q]`, rows up to `padded_rows`.
void attend_bf16_pack_a_plain(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                              uint32_t *target);
/// The same from a stored-transposed `A`, `op(A)(i, p) = a[p · lda + i]`, with rows `stride`
/// words apart (≥ `pairs`): a block can be packed in runs of depth, each into its own columns.
void attend_bf16_pack_a_transposed(const float *a, long lda, long rows, long depth, long pairs, long padded_rows,
                                   long stride, uint32_t *target);

/// Throughput probes (`attend bench amx`): `iterations` rounds of twelve independent `vdpbf16ps`
/// (64 flops each), or of four `tdpbf16ps` (16,384 flops each; configure the thread first).
float attend_peak_avx512bf16(long iterations);
float attend_peak_amx(long iterations);

#endif
