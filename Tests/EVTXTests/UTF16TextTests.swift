import Testing

@testable import EVTX

/// UTF-16LE to UTF-8 for leaf values (no escaping): plain ASCII runs go sixteen units at a time, the rest
/// unit by unit; the text ends at the first NUL, and unpaired surrogates become U+FFFD.
@Suite struct UTF16TextTests {
    func decoded(_ units: [UInt16]) -> [UInt8] {
        let bytes = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        var out = OutputBytes(capacity: 16)
        defer { out.free() }
        bytes.withUnsafeBytes { UTF16Text.appendUTF8($0, start: 0, units: units.count, into: &out, escape: .none) }
        return Array(out.bytes)
    }

    func reference(_ units: [UInt16]) -> [UInt8] {
        let upToNUL = units.prefix { $0 != 0 }
        return Array(String(decoding: upToNUL, as: UTF16.self).utf8)
    }

    @Test func agreesWithTheStandardLibrary() {
        var rng = SystemRandomNumberGenerator()
        let pools: [[UInt16]] = [
            Array(0x20...0x7E), [0x01, 0x09, 0x0A, 0x7F], [0x00], [0xE9, 0x4E2D, 0x20AC, 0x0400],
            [0xD83D, 0xDE00], [0xD800], [0xDC00],
        ]
        for length in 0..<70 {
            for round in 0..<40 {
                var units: [UInt16] = []
                for _ in 0..<length {
                    // Mostly ASCII (long runs for the sixteen-unit path), sometimes anything else.
                    let pool = round % 4 == 0 ? pools.randomElement(using: &rng)! : (Int.random(in: 0..<10, using: &rng) == 0 ? pools.randomElement(using: &rng)! : pools[0])
                    units.append(pool.randomElement(using: &rng)!)
                }
                #expect(decoded(units) == reference(units), "\(units)")
            }
        }
        #expect(decoded(Array("C:\\Windows\\System32\\cmd.exe /c whoami".utf16)) == Array("C:\\Windows\\System32\\cmd.exe /c whoami".utf8))
        #expect(decoded(Array(String(repeating: "a", count: 40).utf16) + [0] + Array("hidden".utf16)) == Array(String(repeating: "a", count: 40).utf8))
    }
}
