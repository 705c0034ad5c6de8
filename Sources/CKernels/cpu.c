// CPU feature detection: CPUID and XGETBV, which Swift cannot issue.
#include "CKernels.h"
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int attend_cpu_features(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    uint64_t xcr0 = read_xcr0();
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    unsigned leaf7_ebx = ebx, leaf7_edx = edx;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    unsigned leaf7_1_eax = eax;

    int features = 0;
    // XCR0 bits 1, 2 (SSE, AVX) and 5, 6, 7 (opmask, ZMM upper halves, ZMM 16–31).
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if (os_avx512 && (leaf7_ebx & (1u << 16))) features |= ATTEND_CPU_AVX512F;
    if ((features & ATTEND_CPU_AVX512F) && (leaf7_1_eax & (1u << 5))) features |= ATTEND_CPU_AVX512BF16;
    // XCR0 bits 17, 18: tile configuration and tile data.
    int os_amx = (xcr0 & (3u << 17)) == (3u << 17);
    if (os_amx && (leaf7_edx & (1u << 24)) && (leaf7_edx & (1u << 22))) features |= ATTEND_CPU_AMX_BF16;
    return features;
}

int attend_request_amx(void) {
#if defined(__linux__) && defined(SYS_arch_prctl)
    const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 ? 0 : -1;
#else
    return -1;
#endif
}
