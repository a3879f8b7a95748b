/// Serializes ``JSONValue``s to UTF-8 bytes, keeping object members in their order.
public struct JSONWriter: Sendable {
    /// Indentation per level for pretty output; `nil` writes compact JSON.
    public var indent: Int?

    public init(indent: Int? = nil) {
        self.indent = indent
    }

    /// The value as UTF-8 JSON bytes.
    public func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, level: 0)
        return out
    }

    /// The value as a JSON string.
    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends the value's JSON to `out`.
    public func write(_ value: JSONValue, into out: inout [UInt8]) {
        write(value, into: &out, level: 0)
    }

    func newline(_ out: inout [UInt8], level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<(indent * level) { out.append(0x20) }
    }

    func write(_ value: JSONValue, into out: inout [UInt8], level: Int) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            // Swift prints the shortest text that reads back to the same Double; 2.0 stays "2.0".
            out.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            if a.isEmpty {
                out.append(UInt8(ascii: "]"))
                return
            }
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, level: level + 1)
                write(e, into: &out, level: level + 1)
            }
            newline(&out, level: level)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            if o.isEmpty {
                out.append(UInt8(ascii: "}"))
                return
            }
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, level: level + 1)
                JSONWriter.writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(0x20) }
                write(m.value, into: &out, level: level + 1)
            }
            newline(&out, level: level)
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            let n = buf.count
            let raw = UnsafeRawPointer(base)
            var runStart = 0
            var i = 0
            while i < n {
                // Eight bytes at a time while none needs escaping (most text: names, paths between
                // their backslashes).
                while i &+ 8 <= n && !JSONWriter.mayNeedEscape(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i &+= 8
                }
                if i >= n { break }
                let c = base[i]
                i &+= 1
                if c >= 0x20 && c != 0x22 && c != 0x5C { continue }
                if runStart < i &- 1 { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i &- 1 &- runStart)) }
                runStart = i
                out.append(0x5C)
                switch c {
                case 0x22, 0x5C: out.append(c)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(UInt8(ascii: "u"))
                    out.append(0x30)
                    out.append(0x30)
                    out.append(hexDigits[Int(c >> 4)])
                    out.append(hexDigits[Int(c & 0xF)])
                }
            }
            if runStart < n { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: n &- runStart)) }
        }
        out.append(0x22)
    }

    /// Whether any of the eight bytes of `w` may be a quote, a backslash or a control character (false
    /// only when none is; a true answer is checked byte by byte).
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let control = (w &- ones &* 0x20) & ~w & highs != 0
        return control || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5C))
    }
}

extension JSONValue {
    /// Compact JSON text of the value.
    public var jsonString: String { JSONWriter().string(self) }
}
