import Testing

@testable import Patterning

@Suite struct PatternCaseRunnerTests {
    static let od =
        #"{"type":"observed-data","id":"observed-data--1","first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--1"]},{"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19"}"#

    @Test func linesInLinesOut() {
        #expect(
            PatternCaseRunner.run(
                line: #"{"id": "c1", "pattern": "[ipv4-addr:value = '175.45.178.19']", "observed_data": [\#(Self.od)]}"#
            ) == #"{"id": "c1", "match": true}"#)
        #expect(
            PatternCaseRunner.run(
                line: #"{"id": "c2", "pattern": "[ipv4-addr:value = '1.1.1.1']", "observed_data": [\#(Self.od)]}"#)
                == #"{"id": "c2", "match": false}"#)
        #expect(
            PatternCaseRunner.run(line: #"{"id": 7, "pattern": "[ipv4-addr:value = '1.1.1.1']", "observed_data": []}"#)
                == #"{"id": 7, "match": false}"#)
    }

    @Test(arguments: [
        (
            #"{"id": "e1", "pattern": "[ipv4-addr:value = ", "observed_data": []}"#,
            "invalid pattern: expected a literal after '=', found end of pattern at position 19"
        ),
        (#"{"id": "e2", "pattern": 5, "observed_data": []}"#, "missing string 'pattern'"),
        (#"{"id": "e3", "pattern": "[a:b = 1]"}"#, "missing array 'observed_data'"),
        (
            #"{"id": "e4", "pattern": "[a:b = 1]", "observed_data": [{"type":"observed-data","id":"x","first_observed":"2024-13-01T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1,"object_refs":[]}]}"#,
            "invalid observed_data: x: invalid first_observed '2024-13-01T00:00:00Z'"
        ),
        (
            #"{"id": "e5", "pattern": "[a:b = 99999999999999999999999999999999999999999999999999999]", "observed_data": [{"id": 1}]}"#,
            "invalid observed_data: object 0 has no string 'type'"
        ),
        (
            #"{"id": "e6", "pattern": "[a:b = t'2024-02-30T00:00:00Z']", "observed_data": []}"#,
            "invalid pattern: invalid timestamp"
        ),
        (#"{"id": "e7" "pattern": "[a:b = 1]"}"#, "invalid JSON: expected ',' or '}' at byte 12"),
        (#"[1, 2]"#, "a case must be a JSON object"),
    ])
    func badInputIsAnErrorLine(_ line: String, _ message: String) {
        let out = PatternCaseRunner.run(line: line)
        #expect(out.contains(#""error": ""#), "\(out)")
        #expect(out.contains(message), "\(out)")
    }

    @Test func invalidUTF8IsAnErrorAndTheNextCaseStillRuns() {
        var out: [UInt8] = []
        let bad: [UInt8] =
            Array(#"{"id": "u", "pattern": "[a:b = '"#.utf8) + [0xFF, 0xFE] + Array(#"']", "observed_data": []}"#.utf8)
        bad.withUnsafeBytes { PatternCaseRunner.run(line: $0, into: &out) }
        let good = Array(
            #"{"id": "g", "pattern": "[ipv4-addr:value = '175.45.178.19']", "observed_data": [\#(Self.od)]}"#.utf8)
        good.withUnsafeBytes { PatternCaseRunner.run(line: $0, into: &out) }
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(#"{"id": "u", "error": "invalid JSON: invalid UTF-8"#))
        #expect(lines[1] == #"{"id": "g", "match": true}"#)
    }

    /// The tape path (one runner, pattern cache included) and the decoding path give the same line.
    static func bothPaths(_ lines: [String]) -> [(String, String)] {
        var runner = PatternCaseRunner()
        var fast: [UInt8] = []
        var slow: [UInt8] = []
        var out: [(String, String)] = []
        for var line in lines {
            fast.removeAll()
            slow.removeAll()
            line.withUTF8 {
                runner.evaluate(line: UnsafeRawBufferPointer($0), into: &fast)
                PatternCaseRunner.evaluateDecoded(line: UnsafeRawBufferPointer($0), into: &slow)
            }
            out.append((String(decoding: fast, as: UTF8.self), String(decoding: slow, as: UTF8.self)))
        }
        return out
    }

    @Test func tapePathAgreesWithDecodingOnGeneratedCases() {
        var generator = PatternCaseGenerator(seed: 77)
        let lines = (0..<3000).map { _ in generator.nextCase().line }
        // Twice, so that the second round reads compiled patterns from the cache.
        for (fast, slow) in Self.bothPaths(lines + lines) { #expect(fast == slow) }
    }

    /// Broken lines (truncated, a byte changed, a structural byte inserted or removed, white space added)
    /// exercise the tape's scanner on invalid JSON: both paths must still write the same line.
    @Test func tapePathAgreesWithDecodingOnMutatedLines() {
        var generator = PatternCaseGenerator(seed: 91)
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
        let specials: [UInt8] = Array(#"{}[]:,"\ 0-etfn."#.utf8) + [0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xFF]
        var runner = PatternCaseRunner()
        var fast: [UInt8] = []
        var slow: [UInt8] = []
        var disagreements = 0
        for _ in 0..<2000 {
            var b = Array(generator.nextCase().line.utf8)
            for _ in 0...next(3) {
                let at = next(b.count)
                switch next(5) {
                case 0: b.removeSubrange(at...)
                case 1: if at < b.count { b[at] = specials[next(specials.count)] }
                case 2: b.insert(specials[next(specials.count)], at: at)
                case 3: if at < b.count { b.remove(at: at) }
                default: b.insert(contentsOf: [0x20, 0x0A, 0x09], at: at)
                }
            }
            fast.removeAll()
            slow.removeAll()
            b.withUnsafeBytes {
                runner.evaluate(line: $0, into: &fast)
                PatternCaseRunner.evaluateDecoded(line: $0, into: &slow)
            }
            if fast != slow {
                disagreements += 1
                if disagreements <= 3 {
                    Issue.record("\(String(decoding: b, as: UTF8.self))\n  tape: \(String(decoding: fast, as: UTF8.self))  decoded: \(String(decoding: slow, as: UTF8.self))")
                }
            }
        }
        #expect(disagreements == 0)
    }

    @Test func tapePathAgreesWithDecodingOnUnusualInput() {
        let sco = #"{"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19"}"#
        func od(_ extra: String = "", refs: String = #""object_refs":["ipv4-addr--1"]"#) -> String {
            #"{"type":"observed-data","id":"od--1","first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:01Z","number_observed":1,\#(refs)\#(extra)}"#
        }
        let pattern = #""pattern": "[ipv4-addr:value = '175.45.178.19']""#
        let lines = [
            #"{"id": "a", \#(pattern), "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "b", "pattern": "[ipv4-addr:value = '1.1.1.1']", \#(pattern), "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "c", \#(pattern), "pattern": "[x:y = 1]", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "d", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19","value":"1"}]}"#,
            #"{"id": "e", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"1"}, \#(sco)]}"#,
            #"{"id": "f", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19"}]}"#,
            #"{"id": "g", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19"}]}"#,
            #"{"id": "h", \#(pattern), "observed_data": [\#(od(refs: #""objects":{"0":{"type":"ipv4-addr","value":"175.45.178.19"}}"#))]}"#,
            #"{"id": "i", \#(pattern), "observed_data": [\#(od(refs: #""object_refs":"x","objects":{"0":{"type":"ipv4-addr","value":"175.45.178.19"}}"#))]}"#,
            #"{"id": "j", \#(pattern), "observed_data": [\#(od(#","number_observed":0"#)), \#(sco)]}"#,
            #"{"id": "k", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","value":"175.45.178.19"}]}"#,
            #"{"id": "l", \#(pattern), "observed_data": [\#(od()), 5]}"#,
            #"{"id": "m", \#(pattern), "observed_data": [\#(od()), \#(sco)], "id": "n"}"#,
            #"{"id": {"x": [1, 2.5, null]}, \#(pattern), "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "café "q"", \#(pattern), "observed_data": [\#(od()), \#(sco)]}"#,
            #"{\#(pattern), "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "o", "pattern": "[network-traffic:src_ref.value = '175.45.178.19']", "observed_data": [\#(od(refs: #""object_refs":["nt--1","ipv4-addr--1"]"#)), {"type":"network-traffic","id":"nt--1","src_ref":"ipv4-addr--1"}, \#(sco)]}"#,
            #"{"id": "p", "pattern": "[ipv4-addr:value = 'café']", "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"café"}]}"#,
            #"{"id": "q", \#(pattern), "observed_data": [\#(od()), \#(sco)]} x"#,
            #"{"id": "r", \#(pattern), "observed_data": [\#(od()), \#(sco),]}"#,
            #"{"id": "s", \#(pattern), "observed_data": [\#(od(#","first_observed":"2024-01-01T00:00:00.5Z"#)), \#(sco)]}"#,
            #"{"id": "t", \#(pattern), "observed_data": [\#(od()), {"type":"observed-data","id":"od--2","first_observed":"2024-01-02T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1,"object_refs":[]}, \#(sco)]}"#,
            #"{"id": "u", \#(pattern), "observed_data": [\#(od(#","number_observed":1.0"#)), \#(sco)]}"#,
            #"{"id": "v", \#(pattern), "observed_data": [\#(od()), {"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19","type":"file"}]}"#,
            // Types the bundle does not hold: no matcher is needed, but compile errors still come first.
            #"{"id": "w1", "pattern": "[x-a:b = 1]", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "w2", "pattern": "[x-a:b MATCHES '(']", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "w3", "pattern": "[x-a:b ISSUBSET '10.0.0.0/99']", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "w4", "pattern": "([x-a:b = 1] AND [x-a:c = 2]) REPEATS 600 TIMES", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "w5", "pattern": "([x-a:b = 1] START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z') REPEATS 2000 TIMES", "observed_data": [\#(od()), \#(sco)]}"#,
            #"{"id": "w6", "pattern": "[x-a:b MATCHES '(']", "observed_data": [\#(od(#","number_observed":0"#)), \#(sco)]}"#,
            #"{"id": "w7", "pattern": "[x-a:b = 1] AND [ipv4-addr:value = '175.45.178.19']", "observed_data": [\#(od()), \#(sco)]}"#,
        ]
        for (fast, slow) in Self.bothPaths(lines) { #expect(fast == slow) }
    }
}
