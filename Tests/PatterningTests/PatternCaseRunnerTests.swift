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
}
