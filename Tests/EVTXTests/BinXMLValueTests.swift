import Events
import Testing

@testable import EVTX

/// Every substitution value type renders as the `evtx` crate renders it.
@Suite struct BinXMLValueTests {
    /// Renders `payload` as a value of `type`, as JSON-escaped text, and as a typed event value.
    func render(_ type: UInt8, _ payload: [UInt8]) -> (String, EventValue) {
        var chunk = [UInt8](repeating: 0, count: 16)
        chunk += payload
        chunk += [UInt8](repeating: 0, count: 16)
        return chunk.withUnsafeBytes { raw in
            var d = BinXMLDecoder()
            d.reset(chunk: raw)
            let n = Node(.value, type: type, a: 16, b: Int32(payload.count))
            var out: [UInt8] = []
            d.appendText(n, into: &out, escape: .json)
            return (String(decoding: out, as: UTF8.self), d.typedValue(n))
        }
    }

    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func utf16(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    @Test func integers() {
        #expect(render(ValueType.int8, [0xFF]) == ("-1", .int(-1)))
        #expect(render(ValueType.uint8, [0xFF]) == ("255", .uint(255)))
        #expect(render(ValueType.int16, le(Int16(-300))) == ("-300", .int(-300)))
        #expect(render(ValueType.uint16, le(UInt16(4624))) == ("4624", .uint(4624)))
        #expect(render(ValueType.int32, le(Int32.min)) == ("-2147483648", .int(Int64(Int32.min))))
        #expect(render(ValueType.uint32, le(UInt32.max)) == ("4294967295", .uint(UInt64(UInt32.max))))
        #expect(render(ValueType.int64, le(Int64.min)) == ("-9223372036854775808", .int(Int64.min)))
        #expect(render(ValueType.uint64, le(UInt64.max)) == ("18446744073709551615", .uint(UInt64.max)))
    }

    @Test func hexAndSizes() {
        #expect(render(ValueType.hexInt32, le(UInt32(0x1F))) == ("0x1f", .string("0x1f")))
        #expect(render(ValueType.hexInt64, le(UInt64(0x8000_0000_0000_0000))).0 == "0x8000000000000000")
        #expect(render(ValueType.hexInt64, le(UInt64(0))).0 == "0x0")
        #expect(render(ValueType.sizeT, le(UInt32(4096))).0 == "0x1000")
        #expect(render(ValueType.sizeT, le(UInt64(0xdead_beef_00))).0 == "0xdeadbeef00")
    }

    @Test func realsAndBool() {
        #expect(render(ValueType.real64, le((1.5).bitPattern)) == ("1.5", .double(1.5)))
        #expect(render(ValueType.real64, le((1e20).bitPattern)).0 == "1e20")
        #expect(render(ValueType.real32, le(Float(0.25).bitPattern)).0 == "0.25")
        #expect(render(ValueType.bool, le(UInt32(1))) == ("true", .bool(true)))
        #expect(render(ValueType.bool, le(UInt32(0))) == ("false", .bool(false)))
    }

    @Test func guidSidBinary() {
        let guid: [UInt8] = [0x72, 0xBB, 0x5A, 0x36, 0xCC, 0x7A, 0xC4, 0x5C, 0, 0, 0, 0x10, 0xB2, 0x47, 0x03, 0]
        #expect(
            render(ValueType.guid, guid) == (
                "365ABB72-7ACC-5CC4-0000-0010B2470300", .guid("365ABB72-7ACC-5CC4-0000-0010B2470300")
            )
        )
        let sid: [UInt8] = [1, 2, 0, 0, 0, 0, 0, 5] + le(UInt32(32)) + le(UInt32(544))
        #expect(render(ValueType.sid, sid) == ("S-1-5-32-544", .sid("S-1-5-32-544")))
        #expect(render(ValueType.binary, [0x00, 0xAB, 0x10]) == ("00AB10", .binary([0x00, 0xAB, 0x10])))
    }

    @Test func times() throws {
        // 2019-04-27T15:57:25.868863Z as FILETIME.
        let t = try #require(Timestamp(iso8601: "2019-04-27T15:57:25.8688630Z"))
        let r = render(ValueType.filetime, le(UInt64(t.ticks)))
        #expect(r.0 == "2019-04-27T15:57:25.868863Z")
        #expect(r.1 == .timestamp(t))
        let st: [UInt8] = [2020, 12, 5, 11, 12, 28, 1, 177].flatMap { le(UInt16($0)) }
        let s = render(ValueType.systemtime, st)
        #expect(s.0 == "2020-12-11T12:28:01.177000Z")
        #expect(s.1 == .timestamp(try #require(Timestamp(iso8601: "2020-12-11T12:28:01.177Z"))))
        #expect(render(ValueType.systemtime, [UInt8](repeating: 0, count: 16)).0 == "1601-01-01T00:00:00.000000Z")
    }

    @Test func stringsAreEscapedAndStopAtNUL() {
        #expect(render(ValueType.string, utf16("a\"b\\c\nd")).0 == #"a\"b\\c\nd"#)
        #expect(render(ValueType.string, utf16("abc") + [0, 0] + utf16("zzz")).0 == "abc")
        #expect(render(ValueType.string, utf16("한국 😀")).0 == "한국 😀")
        // A lone surrogate becomes U+FFFD.
        #expect(render(ValueType.string, [0x00, 0xD8, 0x41, 0x00]).0 == "\u{FFFD}A")
        #expect(render(ValueType.ansiString, []).0 == "")
    }

    /// Long and short strings mixing plain ASCII runs (copied eight units at a time) with characters to
    /// escape and non-ASCII text at every position.
    @Test func mixedStringsMatchAPlainJSONEscaper() {
        let palette: [String] = ["a", "Z", "0", " ", "~", "\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{7F}", "é", "한", "😀"]
        func escaped(_ s: String) -> String {
            var out = ""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where u.value < 0x20:
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(u)
                }
            }
            return out
        }
        var state: UInt64 = 42
        for length in 0..<60 {
            for _ in 0..<20 {
                var s = ""
                for _ in 0..<length {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let r = Int(state >> 33)
                    // Mostly plain ASCII, like real event data.
                    s += r % 4 == 0 ? palette[r / 4 % palette.count] : String(UnicodeScalar(UInt8(0x41 + r % 26)))
                }
                #expect(render(ValueType.string, utf16(s)).0 == escaped(s), "\(s.debugDescription)")
            }
        }
    }

    @Test func arrays() {
        let strings = utf16("a") + [0, 0] + [0, 0] + utf16("bc") + [0, 0]
        let (text, value) = render(ValueType.string | ValueType.array, strings)
        #expect(text == "a,,bc")
        #expect(value == .array([.string("a"), .string(""), .string("bc")]))
        let ints = le(UInt16(1)) + le(UInt16(2)) + le(UInt16(3))
        #expect(render(ValueType.uint16 | ValueType.array, ints) == ("1,2,3", .array([.uint(1), .uint(2), .uint(3)])))
        let sids: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 5] + le(UInt32(18)) + [1, 1, 0, 0, 0, 0, 0, 5] + le(UInt32(19))
        #expect(render(ValueType.sid | ValueType.array, sids).0 == "S-1-5-18,S-1-5-19")
    }

    @Test func ansiStringsAreWindows1252() {
        let bytes: [UInt8] = [0x80, 0x41, 0x00, 0xE9]
        let text = bytes.withUnsafeBytes { raw -> String in
            var out: [UInt8] = []
            ANSI.appendWindows1252(raw, start: 0, count: 4, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text == "€Aé")
    }
}
