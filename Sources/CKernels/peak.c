// Instruction-throughput probes: independent chains of the bf16 dot-product instructions with
// no memory traffic, the ceiling no bf16 kernel can beat (`attend bench amx`).
#include "CKernels.h"
#include <immintrin.h>

// Twelve vdpbf16ps chains; each instruction is 16 lanes × 2 products (64 flops).
__attribute__((target("avx512f,avx512bf16")))
float attend_peak_avx512bf16(long iterations) {
    __m512 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm512_setzero_ps();
    __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80), b = (__m512bh)_mm512_set1_epi32(0x00010001);
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < 12; j++) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
        __asm__ volatile("" : "+v"(a));
    }
    float sum = 0;
    for (int i = 0; i < 12; i++) sum += _mm512_reduce_add_ps(acc[i]);
    return sum;
}

// Four tdpbf16ps into four accumulator tiles per iteration; each is 16 × 16 × 32 products
// (16,384 flops). The thread must have called attend_amx_configure.
__attribute__((target("amx-tile,amx-bf16")))
float attend_peak_amx(long iterations) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_zero(4);
    _tile_zero(5);
    _tile_zero(6);
    _tile_zero(7);
    for (long i = 0; i < iterations; i++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    float out[256] __attribute__((aligned(64)));
    _tile_stored(0, out, 64);
    return out[0];
}
