// CRC-32 folding with PCLMULQDQ, for the EVTX chunk checksums (see CEVTXSupport.h).
//
// Four 128-bit accumulators each absorb the block 64 bytes further on: a = a.lo * K1 ^ a.hi * K2 ^ next,
// where K1 and K2 are x^(512+32) and x^(512-32) mod P, bit-reflected and shifted left by one (the reflected
// domain). Then the four are folded into one with the 128-bit distance constants, and any remaining whole
// 16-byte blocks are folded in the same way. The caller finishes the CRC of the 16 folded bytes and the tail.
#include "CEVTXSupport.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define K1 0x154442bd4ULL  // x^(4*128+32) mod P
#define K2 0x1c6e41596ULL  // x^(4*128-32) mod P
#define K3 0x1751997d0ULL  // x^(128+32) mod P
#define K4 0x0ccaa009eULL  // x^(128-32) mod P

__attribute__((target("pclmul,sse2")))
static inline __m128i fold_block(__m128i a, __m128i k, __m128i next) {
    __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse2")))
static size_t fold(const uint8_t *p, size_t count, uint32_t register_, uint8_t folded[16]) {
    const __m128i k12 = _mm_set_epi64x((long long)K2, (long long)K1);
    const __m128i k34 = _mm_set_epi64x((long long)K4, (long long)K3);
    __m128i a0 = _mm_loadu_si128((const __m128i *)(p + 0));
    __m128i a1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i a2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i a3 = _mm_loadu_si128((const __m128i *)(p + 48));
    a0 = _mm_xor_si128(a0, _mm_cvtsi32_si128((int)register_));
    size_t at = 64;
    while (at + 64 <= count) {
        a0 = fold_block(a0, k12, _mm_loadu_si128((const __m128i *)(p + at + 0)));
        a1 = fold_block(a1, k12, _mm_loadu_si128((const __m128i *)(p + at + 16)));
        a2 = fold_block(a2, k12, _mm_loadu_si128((const __m128i *)(p + at + 32)));
        a3 = fold_block(a3, k12, _mm_loadu_si128((const __m128i *)(p + at + 48)));
        at += 64;
    }
    __m128i a = fold_block(a0, k34, a1);
    a = fold_block(a, k34, a2);
    a = fold_block(a, k34, a3);
    while (at + 16 <= count) {
        a = fold_block(a, k34, _mm_loadu_si128((const __m128i *)(p + at)));
        at += 16;
    }
    _mm_storeu_si128((__m128i *)folded, a);
    return at;
}

static int has_pclmul(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
    }
    return known;
}

size_t sightline_crc32_fold(const uint8_t *data, size_t count, uint32_t register_, uint8_t folded[16]) {
    if (count < 64 || !has_pclmul()) return 0;
    return fold(data, count, register_, folded);
}

#else

size_t sightline_crc32_fold(const uint8_t *data, size_t count, uint32_t register_, uint8_t folded[16]) {
    (void)data;
    (void)count;
    (void)register_;
    (void)folded;
    return 0;
}

#endif
