// The AMX block: 32 × 32 of C in four 16 × 16 fp32 tiles, fed by two A and two B tiles.
//
// Tile registers: 0–3 accumulate C (C[0:16, 0:16], C[0:16, 16:32], C[16:32, 0:16],
// C[16:32, 16:32]); 4 and 5 hold A rows 0–15 and 16–31 (16 rows × 32 bf16 of depth);
// 6 and 7 hold B columns 0–15 and 16–31 (16 depth pairs × 16 columns × 2 bf16, the VNNI
// layout `tdpbf16ps` reads).
#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

#define ATTEND_AMX __attribute__((target("amx-tile,amx-bf16,avx512f")))

/// The 64-byte LDTILECFG operand: palette 1, then bytes-per-row and rows of each tile.
struct tile_config {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
};

static __thread int configured;

ATTEND_AMX
void attend_amx_configure(void) {
    if (configured) return;
    struct tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) {
        config.bytes_per_row[t] = 64;  // 16 fp32, 32 bf16 or 16 bf16 pairs
        config.rows[t] = 16;
    }
    _tile_loadconfig(&config);
    configured = 1;
}

ATTEND_AMX
void attend_bf16_block_amx(long chunks, const uint32_t *a, long a_stride, const uint32_t *b,
                           float *c, long ldc, float alpha, float beta, float *scratch) {
    const long a_bytes = a_stride * 4;   // between rows of A
    const long b_bytes = 32 * 4;         // between depth pairs of B
    const uint32_t *a_low = a, *a_high = a + 16 * a_stride;
    if (alpha == 1 && beta == 1) {       // accumulate onto C: start the tiles from it
        _tile_loadd(0, c, ldc * 4);
        _tile_loadd(1, c + 16, ldc * 4);
        _tile_loadd(2, c + 16 * ldc, ldc * 4);
        _tile_loadd(3, c + 16 * ldc + 16, ldc * 4);
    } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
    }
    for (long chunk = 0; chunk < chunks; chunk++) {
        _tile_loadd(4, a_low + chunk * 16, a_bytes);
        _tile_loadd(5, a_high + chunk * 16, a_bytes);
        _tile_loadd(6, b + chunk * 16 * 32, b_bytes);
        _tile_loadd(7, b + chunk * 16 * 32 + 16, b_bytes);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    if ((alpha == 1 && beta == 1) || (alpha == 1 && beta == 0)) {
        _tile_stored(0, c, ldc * 4);
        _tile_stored(1, c + 16, ldc * 4);
        _tile_stored(2, c + 16 * ldc, ldc * 4);
        _tile_stored(3, c + 16 * ldc + 16, ldc * 4);
        return;
    }
    // C = alpha · T + beta · C through the scratch block (beta == 0 never reads C).
    _tile_stored(0, scratch, 32 * 4);
    _tile_stored(1, scratch + 16, 32 * 4);
    _tile_stored(2, scratch + 16 * 32, 32 * 4);
    _tile_stored(3, scratch + 16 * 32 + 16, 32 * 4);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < 32; i++) {
        float *row = c + i * ldc;
        for (int half = 0; half < 2; half++) {
            __m512 t = _mm512_mul_ps(va, _mm512_load_ps(scratch + i * 32 + half * 16));
            if (beta != 0) t = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + half * 16), t);
            _mm512_storeu_ps(row + half * 16, t);
        }
    }
}
