import Events

extension BinXMLDecoder {

    /// Appends the text of a value, entity or character reference node, the way the `evtx` crate
    /// renders it (numbers in decimal, GUIDs upper-case without braces, times as
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, binary as upper-case hex, hex integers as `0x…`, arrays joined
    /// by commas).
    func appendText<O: ByteSink>(_ n: Node, into out: inout O, escape: Escape) {
        switch n.kind {
        case .element, .placeholder:
            return
        case .ansi:
            UTF16Text.appendEscaping(tree.extra[Int(n.a)..<Int(n.a + n.b)], into: &out, escape: escape)
        case .entity:
            let name = names[Int(n.a)]
            let resolved: UInt8?
            switch name {
            case Array("quot".utf8): resolved = 0x22
            case Array("apos".utf8): resolved = 0x27
            case Array("amp".utf8): resolved = 0x26
            case Array("lt".utf8): resolved = 0x3C
            case Array("gt".utf8): resolved = 0x3E
            default: resolved = nil
            }
            if let resolved, escape != .xmlText, escape != .xmlAttribute {
                UTF16Text.appendEscaping(CollectionOfOne(resolved), into: &out, escape: escape)
            } else {
                out.append(UInt8(ascii: "&"))
                out.append(contentsOf: name)
                out.append(UInt8(ascii: ";"))
            }
        case .charRef:
            if escape == .xmlText || escape == .xmlAttribute {
                out.append(contentsOf: Array("&#\(n.a);".utf8))
            } else if let s = Unicode.Scalar(UInt32(n.a)) {
                if s.value < 0x80 {
                    UTF16Text.appendEscaping(CollectionOfOne(UInt8(s.value)), into: &out, escape: escape)
                } else {
                    UTF16Text.appendScalar(s.value, into: &out)
                }
            }
        case .value:
            if n.type & ValueType.array != 0 {
                let count = arrayCount(n)
                for k in 0..<count {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    if let item = arrayItem(n, k) { appendScalarText(item, into: &out, escape: escape) }
                }
            } else {
                appendScalarText(n, into: &out, escape: escape)
            }
        }
    }

    @inline(__always)
    func appendDecimal<T: BinaryInteger, O: ByteSink>(_ v: T, into out: inout O) {
        if v >= 0 && v < 10 {
            out.append(UInt8(48 + Int(v)))
            return
        }
        let negative = v < 0
        let magnitude = negative ? UInt64(0) &- UInt64(truncatingIfNeeded: Int64(v)) : UInt64(v)
        out.write(maxCount: 21) { dst in
            var digits = 1
            var m = magnitude
            while m >= 10 {
                digits += 1
                m /= 10
            }
            var n = 0
            if negative {
                dst[0] = UInt8(ascii: "-")
                n = 1
            }
            m = magnitude
            var i = n + digits
            repeat {
                i -= 1
                dst[i] = UInt8(48 + m % 10)
                m /= 10
            } while m > 0
            return n + digits
        }
    }

    func appendHex<O: ByteSink>(_ v: UInt64, into out: inout O) {
        out.write(maxCount: 18) { dst in
            dst[0] = UInt8(ascii: "0")
            dst[1] = UInt8(ascii: "x")
            if v == 0 {
                dst[2] = UInt8(ascii: "0")
                return 3
            }
            var n = 2
            var shift = (64 - v.leadingZeroBitCount + 3) / 4 * 4
            while shift > 0 {
                shift -= 4
                dst[n] = HexDigits.lower[Int((v >> UInt64(shift)) & 0xF)]
                n += 1
            }
            return n
        }
    }

    func appendScalarText<O: ByteSink>(_ n: Node, into out: inout O, escape: Escape) {
        let o = Int(n.a)
        let size = Int(n.b)
        switch n.type {
        case ValueType.null, ValueType.evtHandle, ValueType.evtXML, ValueType.binXML:
            return
        case ValueType.string:
            UTF16Text.appendUTF8(bytes, start: o, units: size / 2, into: &out, escape: escape)
        case ValueType.int8: appendDecimal(Int8(bitPattern: bytes[o]), into: &out)
        case ValueType.uint8: appendDecimal(bytes[o], into: &out)
        case ValueType.int16: appendDecimal(Int16(bitPattern: bytes.u16(o)), into: &out)
        case ValueType.uint16: appendDecimal(bytes.u16(o), into: &out)
        case ValueType.int32: appendDecimal(Int32(bitPattern: bytes.u32(o)), into: &out)
        case ValueType.uint32: appendDecimal(bytes.u32(o), into: &out)
        case ValueType.int64: appendDecimal(Int64(bitPattern: bytes.u64(o)), into: &out)
        case ValueType.uint64: appendDecimal(bytes.u64(o), into: &out)
        case ValueType.real32:
            out.append(contentsOf: BinXMLDecoder.shortest(Float(bitPattern: bytes.u32(o)).description).utf8)
        case ValueType.real64:
            out.append(contentsOf: BinXMLDecoder.shortest(Double(bitPattern: bytes.u64(o)).description).utf8)
        case ValueType.bool:
            if bytes.u32(o) != 0 {
                out.append("true")
            } else {
                out.append("false")
            }
        case ValueType.binary:
            if size == 0 { return }
            out.write(maxCount: 2 * size) { dst in
                for i in 0..<size {
                    let b = bytes[o + i]
                    dst[2 * i] = HexDigits.upper[Int(b >> 4)]
                    dst[2 * i + 1] = HexDigits.upper[Int(b & 0xF)]
                }
                return 2 * size
            }
        case ValueType.guid:
            BinXMLDecoder.appendGUID(bytes, o, into: &out)
        case ValueType.sizeT:
            appendHex(size == 4 ? UInt64(bytes.u32(o)) : bytes.u64(o), into: &out)
        case ValueType.hexInt32:
            appendHex(UInt64(bytes.u32(o)), into: &out)
        case ValueType.hexInt64:
            appendHex(bytes.u64(o), into: &out)
        case ValueType.filetime:
            let ticks = bytes.u64(o)
            appendISO8601(Timestamp(filetime: Int64(clamping: ticks)), fractionDigits: 6, into: &out)
        case ValueType.systemtime:
            BinXMLDecoder.appendSystemTime(bytes, o, into: &out)
        case ValueType.sid:
            appendSID(o, size, into: &out)
        default:
            return
        }
    }

    static func appendGUID<O: ByteSink>(_ bytes: UnsafeRawBufferPointer, _ o: Int, into out: inout O) {
        // Data1..Data3 little-endian, Data4 in order: 8-4-4-4-12 upper-case hex digits.
        let d1 = bytes.u32(o)
        let d2 = bytes.u16(o + 4)
        let d3 = bytes.u16(o + 6)
        out.write(maxCount: 36) { dst in
            @inline(__always) func hex(_ v: UInt64, _ digits: Int, at: Int) {
                var v = v
                var k = at + digits
                while k > at {
                    k -= 1
                    dst[k] = HexDigits.upper[Int(v & 0xF)]
                    v >>= 4
                }
            }
            hex(UInt64(d1), 8, at: 0)
            dst[8] = UInt8(ascii: "-")
            hex(UInt64(d2), 4, at: 9)
            dst[13] = UInt8(ascii: "-")
            hex(UInt64(d3), 4, at: 14)
            dst[18] = UInt8(ascii: "-")
            hex(UInt64(bytes[o + 8]) << 8 | UInt64(bytes[o + 9]), 4, at: 19)
            dst[23] = UInt8(ascii: "-")
            var tail: UInt64 = 0
            for k in 10..<16 { tail = tail << 8 | UInt64(bytes[o + k]) }
            hex(tail, 12, at: 24)
            return 36
        }
    }

    static func appendSystemTime<O: ByteSink>(_ bytes: UnsafeRawBufferPointer, _ o: Int, into out: inout O) {
        let f = (0..<8).map { Int(bytes.u16(o + 2 * $0)) }
        if f.allSatisfy({ $0 == 0 }) {
            appendISO8601(Timestamp(filetime: 0), fractionDigits: 6, into: &out)
            return
        }
        func put(_ v: Int, _ w: Int) {
            let s = String(v)
            for _ in s.utf8.count..<max(w, s.utf8.count) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: s.utf8)
        }
        put(f[0], 4)
        out.append(UInt8(ascii: "-"))
        put(f[1], 2)
        out.append(UInt8(ascii: "-"))
        put(f[3], 2)
        out.append(UInt8(ascii: "T"))
        put(f[4], 2)
        out.append(UInt8(ascii: ":"))
        put(f[5], 2)
        out.append(UInt8(ascii: ":"))
        put(f[6], 2)
        out.append(UInt8(ascii: "."))
        put(f[7] * 1000, 6)
        out.append(UInt8(ascii: "Z"))
    }

    func appendSID<O: ByteSink>(_ o: Int, _ size: Int, into out: inout O) {
        guard size >= 8 else {
            out.append("S-?")
            return
        }
        out.append(UInt8(ascii: "S"))
        out.append(UInt8(ascii: "-"))
        appendDecimal(bytes[o], into: &out)
        out.append(UInt8(ascii: "-"))
        var authority: UInt64 = 0
        for i in 2..<8 { authority = authority << 8 | UInt64(bytes[o + i]) }
        appendDecimal(authority, into: &out)
        let subs = min(Int(bytes[o + 1]), (size - 8) / 4)
        for k in 0..<subs {
            out.append(UInt8(ascii: "-"))
            appendDecimal(bytes.u32(o + 8 + 4 * k), into: &out)
        }
    }

    /// Swift's shortest round-trip text, with the exponent written as Rust's formatters write it
    /// (`1e20`, `1.5e-7`).
    static func shortest(_ s: String) -> String {
        guard let e = s.firstIndex(of: "e") else { return s }
        var exp = s[s.index(after: e)...]
        var sign = ""
        if exp.first == "+" {
            exp = exp.dropFirst()
        } else if exp.first == "-" {
            sign = "-"
            exp = exp.dropFirst()
        }
        while exp.count > 1 && exp.first == "0" { exp = exp.dropFirst() }
        return String(s[..<e]) + "e" + sign + exp
    }
}

/// Hex digit tables, as tuples (no array bounds checks or reference counting in loops).
enum HexDigits {
    static let upper: StaticTable = StaticTable("0123456789ABCDEF")
    static let lower: StaticTable = StaticTable("0123456789abcdef")
}

/// A read-only byte table backed by a static string's storage.
struct StaticTable: @unchecked Sendable {
    // Sendable: the pointer is to immutable, static string storage.
    let base: UnsafePointer<UInt8>

    init(_ s: StaticString) {
        base = s.utf8Start
    }

    @inline(__always)
    subscript(_ i: Int) -> UInt8 { base[i] }
}

/// Appends `t` as `YYYY-MM-DDTHH:MM:SS[.f…]Z` with `digits` (1…7) fractional digits, as
/// ``Events/Timestamp/appendISO8601(to:fractionDigits:)`` does (years clamped to 0…9999).
func appendISO8601<O: ByteSink>(_ t: Timestamp, fractionDigits digits: Int, into out: inout O) {
    let c = t.components
    out.write(maxCount: 28) { dst in
        @inline(__always) func put(_ v: Int, _ width: Int, at: Int) {
            var v = v
            var k = at + width
            while k > at {
                k -= 1
                dst[k] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
            }
        }
        put(max(0, min(9999, c.year)), 4, at: 0)
        dst[4] = UInt8(ascii: "-")
        put(c.month, 2, at: 5)
        dst[7] = UInt8(ascii: "-")
        put(c.day, 2, at: 8)
        dst[10] = UInt8(ascii: "T")
        put(c.hour, 2, at: 11)
        dst[13] = UInt8(ascii: ":")
        put(c.minute, 2, at: 14)
        dst[16] = UInt8(ascii: ":")
        put(c.second, 2, at: 17)
        dst[19] = UInt8(ascii: ".")
        var f = c.fraction
        for _ in 0..<(7 - digits) { f /= 10 }
        put(f, digits, at: 20)
        dst[20 + digits] = UInt8(ascii: "Z")
        return 21 + digits
    }
}
