// Byte scanning for the JSON tape of `pattern eval`: the loops Swift's SIMD types do not compile to
// vector instructions (they are scalarized), written once in C with SSE2 on x86-64 and a word-at-a-time
// fallback elsewhere. Header-only and `static inline`, so Swift inlines them into its own loops.
#ifndef CJSONSCAN_H
#define CJSONSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Offset of the first byte in `p[0..<n]` that ends a plain JSON string run: a quote, a backslash, a
/// control character (below 0x20) or a non-ASCII byte (0x80 and above); `n` when there is none.
static inline size_t sl_json_string_run(const uint8_t *p, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        // As signed bytes, control characters and non-ASCII bytes are exactly those below 0x20.
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                       _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        const uint64_t ones = 0x0101010101010101ULL;
        uint64_t q = w ^ (ones * 0x22), b = w ^ (ones * 0x5C);
        uint64_t special = (((q - ones) & ~q) | ((b - ones) & ~b) | (w - ones * 0x20) | w) & (ones * 0x80);
        // Borrows only disturb bytes above the first special one, so the lowest flag is exact.
        if (special != 0) return i + (size_t)(__builtin_ctzll(special) >> 3);
        i += 8;
    }
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return i;
    }
    return n;
}

#endif
