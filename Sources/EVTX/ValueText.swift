import Events

extension BinXMLDecoder {
    static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)
    static let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the text of a value, entity or character reference node, the way the `evtx` crate
    /// renders it (numbers in decimal, GUIDs upper-case without braces, times as
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, binary as upper-case hex, hex integers as `0x…`, arrays joined
    /// by commas).
    func appendText(_ n: Node, into out: inout [UInt8], escape: Escape) {
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
    func appendDecimal<T: BinaryInteger>(_ v: T, into out: inout [UInt8]) {
        if v >= 0 && v < 10 {
            out.append(UInt8(48 + Int(v)))
            return
        }
        var buf: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buf) { b in
            var i = 24
            let negative = v < 0
            var m = negative ? UInt64(0) &- UInt64(truncatingIfNeeded: Int64(v)) : UInt64(v)
            repeat {
                i -= 1
                b[i] = UInt8(48 + m % 10)
                m /= 10
            } while m > 0
            if negative {
                i -= 1
                b[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[i..<24]))
        }
    }

    func appendHex(_ v: UInt64, into out: inout [UInt8]) {
        var buf: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buf) { b in
            b[0] = UInt8(ascii: "0")
            b[1] = UInt8(ascii: "x")
            var n = 2
            if v == 0 {
                b[2] = UInt8(ascii: "0")
                n = 3
            } else {
                var shift = (64 - v.leadingZeroBitCount + 3) / 4 * 4
                while shift > 0 {
                    shift -= 4
                    b[n] = BinXMLDecoder.lowerHex[Int((v >> UInt64(shift)) & 0xF)]
                    n += 1
                }
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[0..<n]))
        }
    }

    func appendScalarText(_ n: Node, into out: inout [UInt8], escape: Escape) {
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
                out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        case ValueType.binary:
            if size == 0 { return }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * size) { tmp in
                for i in 0..<size {
                    let b = bytes[o + i]
                    tmp[2 * i] = BinXMLDecoder.upperHex[Int(b >> 4)]
                    tmp[2 * i + 1] = BinXMLDecoder.upperHex[Int(b & 0xF)]
                }
                out.append(contentsOf: UnsafeBufferPointer(tmp))
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
            Timestamp(filetime: Int64(clamping: ticks)).appendISO8601(to: &out, fractionDigits: 6)
        case ValueType.systemtime:
            BinXMLDecoder.appendSystemTime(bytes, o, into: &out)
        case ValueType.sid:
            appendSID(o, size, into: &out)
        default:
            return
        }
    }

    static func appendGUID(_ bytes: UnsafeRawBufferPointer, _ o: Int, into out: inout [UInt8]) {
        // Data1..Data3 little-endian, Data4 in order: 8-4-4-4-12 upper-case hex digits.
        let order = (3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15)
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buf) { b in
            withUnsafeBytes(of: order) { ord in
                var n = 0
                for k in 0..<16 {
                    if k == 4 || k == 6 || k == 8 || k == 10 {
                        b[n] = UInt8(ascii: "-")
                        n += 1
                    }
                    let v = bytes[o + Int(ord.load(fromByteOffset: k * MemoryLayout<Int>.stride, as: Int.self))]
                    b[n] = upperHex[Int(v >> 4)]
                    b[n + 1] = upperHex[Int(v & 0xF)]
                    n += 2
                }
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[0..<36]))
        }
    }

    static func appendSystemTime(_ bytes: UnsafeRawBufferPointer, _ o: Int, into out: inout [UInt8]) {
        let f = (0..<8).map { Int(bytes.u16(o + 2 * $0)) }
        if f.allSatisfy({ $0 == 0 }) {
            Timestamp(filetime: 0).appendISO8601(to: &out, fractionDigits: 6)
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

    func appendSID(_ o: Int, _ size: Int, into out: inout [UInt8]) {
        guard size >= 8 else {
            out.append(contentsOf: Array("S-?".utf8))
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
