import ArgumentParser
import Foundation
import Testing

@testable import sightline

@Suite struct PatternCommandTests {
    @Test func validateAcceptsAValidPattern() async throws {
        let command = try Sightline.parseAsRoot(["pattern", "validate", "[ipv4-addr:value ISSUBSET '175.45.176.0/22']"])
        let validate = try #require(command as? Pattern.Validate)
        try await validate.run()
    }

    @Test(arguments: ["[file:name = 'a'", "[file:size = 'big']", "[fiel:name = 'a']"])
    func validateRejectsWithExitCode1(_ pattern: String) async throws {
        let command = try Sightline.parseAsRoot(["pattern", "validate", pattern])
        let validate = try #require(command as? Pattern.Validate)
        do {
            try await validate.run()
            Issue.record("accepted \(pattern)")
        } catch let e as ExitCode {
            #expect(e == ExitCode(1))
        }
    }

    @Test func evalAndHiddenCommandsParse() throws {
        #expect(try Sightline.parseAsRoot(["pattern", "eval"]) is Pattern.Eval)
        let generate = try #require(
            try Sightline.parseAsRoot(["pattern", "generate", "--count", "3", "--seed", "9"]) as? Pattern.Generate)
        #expect(generate.count == 3 && generate.seed == 9)
        #expect(try Sightline.parseAsRoot(["pattern", "index-bench", "--indicators", "10"]) is Pattern.IndexBench)
    }
}

@Suite struct PatternMatchCommandTests {
    static func indicator(_ n: Int, _ pattern: String, type: String = "stix") -> String {
        let id = String(format: "indicator--00000000-0000-4000-8000-%012d", n)
        return #"{"type": "indicator", "spec_version": "2.1", "id": "\#(id)", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "pattern": "\#(pattern)", "pattern_type": "\#(type)", "valid_from": "2024-01-01T00:00:00Z"}"#
    }

    @Test func matchesObservedObjectsThroughTheIndexAndReportsWhatItLeftOut() throws {
        let objects = [
            Self.indicator(1, "[ipv4-addr:value ISSUBSET '175.45.178.0/24']"),
            Self.indicator(2, "[domain-name:value = 'evil.example.com']"),
            Self.indicator(3, "[file:hashes.'SHA-256' = 'aa'] AND"),
            Self.indicator(4, "alert tcp any any", type: "snort"),
            Self.indicator(5, "[ipv4-addr:value = '175.45.178.19'] OR [url:value LIKE 'http://evil.%']"),
            Self.indicator(6, "[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']"),
            #"{"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000007", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "x", "is_family": true}"#,
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-match-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("indicators.json")
        try #"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [\#(objects.joined(separator: ","))]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let input = [
            #"{"type": "ipv4-addr", "value": "175.45.178.19"}"#, "", #"{"type": "ipv4-addr", "value": "10.0.0.1"}"#,
            "not json", #"{"value": 1}"#, #"{"type": "domain-name", "value": "evil.example.com"}"#,
            #"{"type": "url", "value": "http://evil.example.com/x"}"#,
            #"{"type": "file", "hashes": {"MD5": "0123456789abcdef0123456789abcdef"}}"#,
        ].joined(separator: "\n")
        let r = try CLI.run(["pattern", "match", "--indicators", file.path], stdin: input + "\n")
        #expect(r.status == 0)
        let id = { (n: Int) in String(format: "indicator--00000000-0000-4000-8000-%012d", n) }
        #expect(
            r.stdout.split(separator: "\n").map(String.init) == [
                #"{"line": 1, "matches": ["\#(id(1))", "\#(id(5))"]}"#,
                #"{"line": 3, "matches": []}"#,
                #"{"line": 4, "error": "not a JSON object: unexpected character 'o' at byte 1"}"#,
                #"{"line": 5, "error": "an observed object needs a \"type\" string"}"#,
                #"{"line": 6, "matches": ["\#(id(2))"]}"#,
                #"{"line": 7, "matches": ["\#(id(5))"]}"#,
                #"{"line": 8, "matches": ["\#(id(6))"]}"#,
            ])
        #expect(r.stderr.contains("loaded 4 indicator(s)"))
        #expect(r.stderr.contains("1 other object(s), 1 indicator(s) in other pattern languages, 1 invalid pattern(s)"))
        #expect(r.stderr.contains("\(id(3)): invalid pattern:"))
        #expect(r.stderr.contains("5 observation(s), 4 matched at least one indicator, 2 line(s) not an observed object"))

        let only = try CLI.run(["pattern", "match", "--indicators", file.path, "--matches-only"], stdin: input + "\n")
        #expect(!only.stdout.contains(#""matches": []"#) && only.stdout.contains(#""line": 8"#))
        let missing = try CLI.run(["pattern", "match", "--indicators", dir.appendingPathComponent("none.json").path], stdin: "")
        #expect(missing.status != 0 && missing.stderr.contains("cannot read"))
    }
}
