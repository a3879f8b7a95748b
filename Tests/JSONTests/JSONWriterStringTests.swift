import Testing

@testable import JSON

/// String escaping: the eight-bytes-at-a-time skip must find every quote, backslash and control
/// character wherever it falls, and the output must parse back to the same string.
@Suite struct JSONWriterStringTests {
    /// Escapes one byte at a time (the reference).
    func reference(_ s: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for c in s.utf8 {
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        return out + [0x22]
    }

    @Test func escapesAtEveryPosition() throws {
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "é", "\u{7F}", " ", "!"]
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            for _ in 0..<60 {
                var s = ""
                for _ in 0..<length {
                    s.append(Bool.random(using: &generator) ? "a" : specials.randomElement(using: &generator)!)
                }
                var out: [UInt8] = []
                JSONWriter.writeString(s, into: &out)
                #expect(out == reference(s), "\(s.debugDescription)")
                let back = try JSONParser.parse(out)
                #expect(back == .string(s))
            }
        }
    }

    @Test func windowsPathsAndLongRuns() {
        for s in [
            "C:\\Windows\\System32\\cmd.exe", String(repeating: "abcdefgh", count: 100) + "\"",
            "\"" + String(repeating: "x", count: 63), "NT AUTHORITY\\SYSTEM", "",
        ] {
            var out: [UInt8] = []
            JSONWriter.writeString(s, into: &out)
            #expect(out == reference(s))
        }
    }
}
