import JSON
import Testing

@testable import Patterning

/// Bad input is data, not a crash: mutated patterns and case lines always give exactly one result line.
@Suite struct RobustnessTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let alphabet = Array("[]()'.:,*=!<>-+0123456789abtfhxTZ ANDORNOTLIKE%_\\\"é\u{0}".utf8)

    func mutate(_ s: [UInt8], _ r: inout Random) -> [UInt8] {
        var b = s
        for _ in 0..<(1 + r.int(4)) {
            switch r.int(5) {
            case 0 where !b.isEmpty: b.remove(at: r.int(b.count))
            case 1: b.insert(Self.alphabet[r.int(Self.alphabet.count)], at: r.int(b.count + 1))
            case 2 where !b.isEmpty: b[r.int(b.count)] = UInt8(truncatingIfNeeded: r.next())
            case 3: b = Array(b.prefix(r.int(b.count + 1)))
            default:
                let i = r.int(b.count + 1)
                b.insert(contentsOf: Array(repeating: UInt8(ascii: "("), count: r.int(300)), at: i)
            }
        }
        return b
    }

    @Test func mutatedPatternsNeverCrashTheParserOrMatcher() {
        var generator = PatternCaseGenerator(seed: 7)
        var r = Random(state: 99)
        var parsed = 0
        for _ in 0..<3000 {
            let c = generator.nextCase()
            let bytes = mutate(Array(c.pattern.utf8), &r)
            let text = String(decoding: bytes, as: UTF8.self)
            guard let matcher = try? PatternMatcher(text, jit: false) else { continue }
            parsed += 1
            guard let observations = try? ObservationSet(objects: c.objects) else { continue }
            _ = try? matcher.matches(observations)
            _ = PatternValidator.check(matcher.pattern)
        }
        #expect(parsed > 100)
    }

    @Test func mutatedCaseLinesGiveOneResultLineEach() {
        var generator = PatternCaseGenerator(seed: 8)
        var r = Random(state: 5)
        for _ in 0..<1500 {
            let line = mutate(Array(generator.nextCase().line.utf8), &r)
            var out: [UInt8] = []
            line.withUnsafeBytes { PatternCaseRunner.run(line: $0, into: &out) }
            #expect(out.last == 0x0A)
            #expect(out.dropLast().contains(0x0A) == false)
            let result = try? JSONParser.parse(Array(out.dropLast()))
            #expect(result?["match"] != nil || result?["error"] != nil)
        }
    }

    @Test func extremeLiteralsAreHandled() throws {
        let od = Fixture.observedData(1, first: "0001-01-01T00:00:00Z", last: "9999-12-31T23:59:59.999999999Z", refs: ["file--1"])
        let objects = Fixture.objects([od, #"{"type":"file","id":"file--1","size":1e308,"name":"\u0000"}"#])
        #expect(try Fixture.match("[file:size > 99999999999999999999999999999999999999]", objects))
        #expect(try Fixture.match("[file:size = -9223372036854775808]", objects) == false)
        #expect(try Fixture.match("[file:name = '\u{0}']", objects))
        #expect(try Fixture.match("[file:size > 1] WITHIN 99999999999999999999999 SECONDS", objects))
        #expect(try Fixture.match("[file:size > 1] REPEATS 2147483647 TIMES", objects) == false)
        #expect(
            try Fixture.match(
                "[file:size > 1] START t'0001-01-01T00:00:00Z' STOP t'9999-12-31T23:59:59.999999999Z'", objects))
        #expect(try Fixture.match("[file:x[9223372036854775807] = 1 OR file:x[-9223372036854775808] = 1]", objects) == false)
    }

    /// Unclosed arrays take a node for one byte each, more than the tape sizes for valid JSON: the tape
    /// must stop at its buffer's end (this line once wrote ~6 KB past it) and the line still gets one
    /// error line.
    @Test func unclosedArraysDoNotOverrunTheTape() {
        for (opens, items) in [(500, 771), (499, 3000), (300, 10_000)] {
            let line = String(repeating: "[", count: opens) + String(repeating: "1,", count: items) + "1"
            var tape = JSONTape()
            var bytes = Array(line.utf8)
            #expect(bytes.withUnsafeMutableBytes { tape.scan(UnsafeRawBufferPointer($0)) } == false)
            let result = PatternCaseRunner.run(line: line)
            #expect(result.contains("\"error\""), "\(result.prefix(80))")
        }
    }
}
