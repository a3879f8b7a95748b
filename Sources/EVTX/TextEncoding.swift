import CEVTXSupport

/// How text is escaped while it is transcoded.
enum Escape {
    case none
    case json
    case xmlText
    case xmlAttribute
}

enum UTF16Text {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Transcodes `units` UTF-16LE code units at `start` to UTF-8, stopping at the first NUL unit.
    /// Unpaired surrogates become U+FFFD.
    ///
    /// The text is transcoded into a temporary buffer and appended to `out` in one copy.
    @inline(__always)
    static func appendUTF8<O: ByteSink>(
        _ bytes: UnsafeRawBufferPointer,
        start: Int,
        units: Int,
        into out: inout O,
        escape: Escape
    ) {
        if units <= 0 { return }
        // Worst case: 6 bytes per unit (`\u00XX` or `&quot;`).
        if escape == .json {
            out.write(maxCount: units * 6) { transcodeJSON(bytes, start: start, units: units, into: $0) }
        } else {
            out.write(maxCount: units * 6) { transcode(bytes, start: start, units: units, into: $0, escape: escape) }
        }
    }

    /// ``transcode(_:start:units:into:escape:)`` for JSON string content, the hot case: runs of plain ASCII
    /// are copied by `sightline_json_ascii_run` (SSE2), the units between them one by one.
    static func transcodeJSON(
        _ bytes: UnsafeRawBufferPointer,
        start: Int,
        units: Int,
        into dst: UnsafeMutablePointer<UInt8>
    ) -> Int {
        var n = 0
        var i = 0
        let src = bytes.baseAddress! + start
        while i < units {
            let run = sightline_json_ascii_run(
                src.assumingMemoryBound(to: UInt8.self) + 2 * i,
                units - i,
                dst + n
            )
            i += run
            n += run
            // Units that are not plain ASCII, until the next plain one.
            while i < units {
                let u = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                if u >= 0x20 && u < 0x80 && u != 0x22 && u != 0x5C { break }
                i += 1
                if u == 0x22 || u == 0x5C {
                    dst[n] = 0x5C
                    dst[n + 1] = UInt8(u)
                    n += 2
                } else if u == 0 {
                    return n
                } else if u < 0x20 {
                    n += writeEscaped(UInt8(u), into: dst + n, escape: .json)
                } else {
                    n += encodeNonASCII(u, src, &i, units, into: dst + n)
                }
            }
        }
        return n
    }

    /// Writes the UTF-8 of unit `u` (0x80 or above; a high surrogate takes the next unit at `i` when it is
    /// the low half). Returns the number of bytes written.
    @inline(__always)
    static func encodeNonASCII(
        _ u: UInt16,
        _ src: UnsafeRawPointer,
        _ i: inout Int,
        _ units: Int,
        into dst: UnsafeMutablePointer<UInt8>
    ) -> Int {
        if u < 0x800 {
            dst[0] = UInt8(0xC0 | (u >> 6))
            dst[1] = UInt8(0x80 | (u & 0x3F))
            return 2
        }
        var scalar = UInt32(u)
        if u >= 0xD800 && u < 0xDC00 {
            scalar = 0xFFFD
            if i < units {
                let low = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                if low >= 0xDC00 && low < 0xE000 {
                    scalar = 0x10000 + ((UInt32(u) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    i += 1
                }
            }
        } else if u >= 0xDC00 && u < 0xE000 {
            scalar = 0xFFFD
        }
        if scalar < 0x10000 {
            dst[0] = UInt8(0xE0 | (scalar >> 12))
            dst[1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            dst[2] = UInt8(0x80 | (scalar & 0x3F))
            return 3
        }
        dst[0] = UInt8(0xF0 | (scalar >> 18))
        dst[1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
        dst[2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
        dst[3] = UInt8(0x80 | (scalar & 0x3F))
        return 4
    }

    /// Transcodes into `dst` (room for `6 * units` bytes); returns the number of bytes written.
    @inline(__always)
    static func transcode(
        _ bytes: UnsafeRawBufferPointer,
        start: Int,
        units: Int,
        into dst: UnsafeMutablePointer<UInt8>,
        escape: Escape
    ) -> Int {
        var n = 0
        var i = 0
        let src = bytes.baseAddress! + start
        while i < units {
            if escape == .none {
                // Runs of plain ASCII units (no NUL), sixteen at a time in C with SSE2.
                let run = sightline_utf16_ascii_run(
                    src.assumingMemoryBound(to: UInt8.self) + 2 * i, units - i, dst + n)
                i += run
                n += run
                if i >= units { break }
            }
            // Fast path: plain ASCII units (no NUL, nothing to escape), eight or four at a time. (Swift's
            // generic SIMD types were measured: much slower here than these 64-bit words.)
            if escape != .xmlText && escape != .xmlAttribute && i + 4 <= units {
                let x = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt64.self))
                if i + 8 <= units {
                    let y = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i + 8, as: UInt64.self))
                    if plainASCII(x, escape) && plainASCII(y, escape) {
                        let packed = UInt64(narrow(x)) | UInt64(narrow(y)) << 32
                        UnsafeMutableRawPointer(dst + n).storeBytes(of: packed.littleEndian, as: UInt64.self)
                        n += 8
                        i += 8
                        continue
                    }
                }
                if plainASCII(x, escape) {
                    UnsafeMutableRawPointer(dst + n).storeBytes(of: narrow(x).littleEndian, as: UInt32.self)
                    n += 4
                    i += 4
                    continue
                }
            }
            let u = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            i += 1
            if u == 0 { break }
            if u < 0x80 {
                let c = UInt8(u)
                if escape == .none || !needsEscape(c, escape) {
                    dst[n] = c
                    n += 1
                } else {
                    n += writeEscaped(c, into: dst + n, escape: escape)
                }
                continue
            }
            n += encodeNonASCII(u, src, &i, units, into: dst + n)
        }
        return n
    }

    /// True when four UTF-16 units (little-endian in `x`) are ASCII that `.none` or `.json` copies as is:
    /// no NUL, and for JSON nothing below 0x20, no `"` and no `\`.
    @inline(__always)
    static func plainASCII(_ x: UInt64, _ escape: Escape) -> Bool {
        let ones: UInt64 = 0x0001_0001_0001_0001
        let high: UInt64 = 0x8000_8000_8000_8000
        @inline(__always) func hasZeroUnit(_ v: UInt64) -> Bool { (v &- ones) & ~v & high != 0 }
        if x & 0xFF80_FF80_FF80_FF80 != 0 { return false }
        if escape == .none { return !hasZeroUnit(x) }
        // Units are below 0x80 here, so adding 0x60 sets bit 7 of a unit exactly when it is 0x20 or more.
        if (x &+ 0x0060_0060_0060_0060) & 0x0080_0080_0080_0080 != 0x0080_0080_0080_0080 { return false }
        return !hasZeroUnit(x ^ (ones &* 0x22)) && !hasZeroUnit(x ^ (ones &* 0x5C))
    }

    /// The low bytes of four UTF-16 units.
    @inline(__always)
    static func narrow(_ x: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (x & 0xFF) | (x >> 8 & 0xFF00) | (x >> 16 & 0xFF_0000) | (x >> 24 & 0xFF00_0000))
    }

    /// Writes the escaped form of an ASCII byte; returns its length.
    @inline(__always)
    static func writeEscaped(_ c: UInt8, into dst: UnsafeMutablePointer<UInt8>, escape: Escape) -> Int {
        if escape == .json {
            dst[0] = 0x5C
            switch c {
            case 0x22, 0x5C:
                dst[1] = c
                return 2
            case 0x0A: dst[1] = UInt8(ascii: "n")
            case 0x0D: dst[1] = UInt8(ascii: "r")
            case 0x09: dst[1] = UInt8(ascii: "t")
            case 0x08: dst[1] = UInt8(ascii: "b")
            case 0x0C: dst[1] = UInt8(ascii: "f")
            default:
                dst[1] = UInt8(ascii: "u")
                dst[2] = 0x30
                dst[3] = 0x30
                dst[4] = hexDigits[Int(c >> 4)]
                dst[5] = hexDigits[Int(c & 0xF)]
                return 6
            }
            return 2
        }
        var tmp: [UInt8] = []
        appendEscaped(c, into: &tmp, escape: escape)
        for (k, b) in tmp.enumerated() { dst[k] = b }
        return tmp.count
    }

    @inline(__always)
    static func needsEscape(_ c: UInt8, _ escape: Escape) -> Bool {
        switch escape {
        case .none: return false
        case .json: return c < 0x20 || c == 0x22 || c == 0x5C
        case .xmlText: return c == 0x26 || c == 0x3C || c == 0x3E
        case .xmlAttribute: return c == 0x26 || c == 0x3C || c == 0x3E || c == 0x22 || c == 0x27
        }
    }

    static func appendEscaped<O: ByteSink>(_ c: UInt8, into out: inout O, escape: Escape) {
        switch escape {
        case .none: out.append(c)
        case .json:
            switch c {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            default:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigits[Int(c >> 4)])
                out.append(hexDigits[Int(c & 0xF)])
            }
        case .xmlText, .xmlAttribute:
            switch c {
            case 0x26: out.append(contentsOf: Array("&amp;".utf8))
            case 0x3C: out.append(contentsOf: Array("&lt;".utf8))
            case 0x3E: out.append(contentsOf: Array("&gt;".utf8))
            case 0x22: out.append(contentsOf: Array("&quot;".utf8))
            case 0x27: out.append(contentsOf: Array("&apos;".utf8))
            default: out.append(c)
            }
        }
    }

    @inline(__always)
    static func appendScalar<O: ByteSink>(_ s: UInt32, into out: inout O) {
        if s < 0x80 {
            out.append(UInt8(s))
        } else if s < 0x800 {
            out.append(UInt8(0xC0 | (s >> 6)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            out.append(UInt8(0xE0 | (s >> 12)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (s >> 18)))
            out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    /// Appends UTF-8 bytes, escaping as asked.
    static func appendEscaping<O: ByteSink>(_ utf8: some Collection<UInt8>, into out: inout O, escape: Escape) {
        if escape == .none {
            out.append(contentsOf: utf8)
            return
        }
        for c in utf8 {
            if needsEscape(c, escape) { appendEscaped(c, into: &out, escape: escape) } else { out.append(c) }
        }
    }
}

enum ANSI {
    /// Windows-1252 bytes 0x80...0x9F (the rest is Latin-1).
    static let high: [UInt16] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ]

    /// Decodes Windows-1252 bytes to UTF-8, dropping NUL bytes (as the `evtx` crate does).
    static func appendWindows1252(_ bytes: UnsafeRawBufferPointer, start: Int, count: Int, into out: inout [UInt8]) {
        for i in start..<(start + count) {
            let b = bytes[i]
            if b == 0 { continue }
            if b < 0x80 {
                out.append(b)
            } else if b < 0xA0 {
                UTF16Text.appendScalar(UInt32(high[Int(b - 0x80)]), into: &out)
            } else {
                UTF16Text.appendScalar(UInt32(b), into: &out)
            }
        }
    }
}
