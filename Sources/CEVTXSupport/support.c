// CRC-32 folding with PCLMULQDQ, for the EVTX chunk checksums, and the ASCII run copier for JSON text (see
// CEVTXSupport.h).
//
// Four 128-bit accumulators each absorb the block 64 bytes further on: a = a.lo * K1 ^ a.hi * K2 ^ next,
// where K1 and K2 are x^(512+32) and x^(512-32) mod P, bit-reflected and shifted left by one (the reflected
// domain). Then the four are folded into one with the 128-bit distance constants, and any remaining whole
// 16-byte blocks are folded in the same way. The caller finishes the CRC of the 16 folded bytes and the tail.
#include "CEVTXSupport.h"

#include <string.h>

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

static inline int json_plain(uint16_t u) {
    return u >= 0x20 && u < 0x80 && u != 0x22 && u != 0x5C;
}

static inline int utf16_plain(uint16_t u) { return u >= 0x01 && u < 0x80; }

/* Copies units from `i` on while `plain` says so (the tail after the SIMD loops, or all of it elsewhere). */
static inline size_t plain_run(const uint8_t *src, size_t count, uint8_t *dst, size_t i, int (*plain)(uint16_t)) {
    while (i < count) {
        uint16_t u = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        if (!plain(u)) break;
        dst[i] = (uint8_t)u;
        i += 1;
    }
    return i;
}

size_t sightline_json_ascii_run(const uint8_t *src, size_t count, uint8_t *dst) {
    size_t i = 0;
#if defined(__x86_64__)
    const __m128i bias = _mm_set1_epi16((short)0x8000);
    const __m128i limit = _mm_set1_epi16((short)(0x5F ^ 0x8000));
    const __m128i space = _mm_set1_epi16(0x20);
    const __m128i quote = _mm_set1_epi16(0x22);
    const __m128i backslash = _mm_set1_epi16(0x5C);
    while (i + 8 <= count) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + 2 * i));
        // Unsigned (v - 0x20) > 0x5F, through a signed compare of biased values; or a quote or backslash.
        __m128i bad = _mm_cmpgt_epi16(_mm_xor_si128(_mm_sub_epi16(v, space), bias), limit);
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi16(v, quote), _mm_cmpeq_epi16(v, backslash)));
        int mask = _mm_movemask_epi8(bad);
        // Bad lanes may pack to anything: only the good prefix counts, and dst has room for the eight bytes.
        _mm_storel_epi64((__m128i *)(dst + i), _mm_packus_epi16(v, v));
        if (mask != 0) return i + (size_t)(__builtin_ctz((unsigned)mask) / 2);
        i += 8;
    }
#endif
    return plain_run(src, count, dst, i, json_plain);
}

size_t sightline_utf16_ascii_run(const uint8_t *src, size_t count, uint8_t *dst) {
    size_t i = 0;
#if defined(__x86_64__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i limit = _mm_set1_epi16(0x80);
    while (i + 16 <= count) {
        __m128i a = _mm_loadu_si128((const __m128i *)(src + 2 * i));
        __m128i b = _mm_loadu_si128((const __m128i *)(src + 2 * i + 16));
        /* 1 <= u < 0x80 as signed 16-bit (units from 0x8000 are negative). */
        __m128i va = _mm_and_si128(_mm_cmpgt_epi16(a, zero), _mm_cmplt_epi16(a, limit));
        __m128i vb = _mm_and_si128(_mm_cmpgt_epi16(b, zero), _mm_cmplt_epi16(b, limit));
        if (_mm_movemask_epi8(_mm_and_si128(va, vb)) != 0xFFFF) break;
        _mm_storeu_si128((__m128i *)(dst + i), _mm_packus_epi16(a, b));
        i += 16;
    }
#endif
    return plain_run(src, count, dst, i, utf16_plain);
}

int sightline_utf16_is_ascii(const uint8_t *src, size_t count) {
    /* One pass OR-ing 8-byte words, no early exit, and the last word loaded overlapping: values are
       short, and a loop per width (16, 4, 1 units) cost a mispredicted exit each. */
    size_t n = 2 * count;
    if (n < 8) {
        int ok = 1;
        for (size_t i = 0; i + 1 < n; i += 2) ok &= ((src[i] & 0x80) == 0) & (src[i + 1] == 0);
        return ok;
    }
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, src + i, 8);
        acc |= w;
    }
    memcpy(&w, src + n - 8, 8);
    acc |= w;
    /* Each unit's high byte and its low byte's top bit, as bytes (whatever the host's byte order). */
    const uint8_t m[8] = {0x80, 0xFF, 0x80, 0xFF, 0x80, 0xFF, 0x80, 0xFF};
    uint64_t mask;
    memcpy(&mask, m, 8);
    return (acc & mask) == 0;
}

int sightline_all_zero(const uint8_t *data, size_t count) {
    size_t i = 0;
#if defined(__x86_64__)
    const __m128i zero = _mm_setzero_si128();
    while (i + 64 <= count) {
        __m128i a = _mm_loadu_si128((const __m128i *)(data + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(data + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(data + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(data + i + 48));
        __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, zero)) != 0xFFFF) return 0;
        i += 64;
    }
#endif
    while (i < count) {
        if (data[i] != 0) return 0;
        i += 1;
    }
    return 1;
}
