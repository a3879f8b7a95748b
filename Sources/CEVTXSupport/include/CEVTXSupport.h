#ifndef CEVTX_SUPPORT_H
#define CEVTX_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Folds the leading 16-byte blocks of `data` (CRC-32, IEEE, reflected) with carry-less multiplication.
///
/// `register_` is XOR-ed into the first four bytes (0xFFFFFFFF for a standard CRC-32 from the start). On
/// return, `folded` holds 16 bytes with the same CRC remainder as the consumed prefix, so that the raw CRC
/// (initial register 0, no final XOR) of `folded` followed by the unconsumed bytes equals the raw CRC of
/// the modified `data`. Returns the number of bytes consumed: a multiple of 16, at least 64; or 0 when
/// `count` is below 64 or the CPU lacks PCLMULQDQ (then nothing is written and the caller uses another
/// implementation).
size_t sightline_crc32_fold(const uint8_t *data, size_t count, uint32_t register_, uint8_t folded[16]);

/// Copies the leading run of UTF-16LE units at `src` (at most `count`) that JSON string content takes as
/// they are — ASCII from 0x20 to 0x7F except `"` and `\` — to `dst` as bytes, and returns how many there
/// were. `dst` must have room for `count` bytes. Eight units at a time with SSE2 on x86-64.
size_t sightline_json_ascii_run(const uint8_t *src, size_t count, uint8_t *dst);

/// Copies the leading run of UTF-16LE units at `src` (at most `count`) that are ASCII from 0x01 to 0x7F to
/// `dst` as bytes, and returns how many there were. `dst` must have room for `count` bytes. Sixteen units
/// at a time with SSE2 on x86-64.
size_t sightline_utf16_ascii_run(const uint8_t *src, size_t count, uint8_t *dst);

/// Whether all `count` UTF-16LE units at `src` are below 0x80: one pass over 8-byte words, without an early
/// exit (the values tested are short).
int sightline_utf16_is_ascii(const uint8_t *src, size_t count);
/// Whether all `count` bytes at `data` are zero: 64 bytes at a time with SSE2 on x86-64 (a preallocated
/// log is mostly zeroed chunks).
int sightline_all_zero(const uint8_t *data, size_t count);

#endif
