import ArgumentParser
import Foundation
import JSON
import TestSupport
import Testing

@testable import sightline

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HuntCommandTests {
    @Test func sweepsForTheIndicatorsOfAFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-hunt-ioc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("intel.json")
        let objects = [
            PatternMatchCommandTests.indicator(1, "[file:hashes.MD5 = '4C7586E3DCC47B145A42B6923DE1013E']"),
            PatternMatchCommandTests.indicator(2, "[ipv4-addr:value ISSUBSET '10.10.1.0/24'] WITHIN 60 SECONDS"),
            PatternMatchCommandTests.indicator(3, "[ipv4-addr:value = '10.10.1.5'] OR [domain-name:value = 'nothing.example']"),
        ]
        try #"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [\#(objects.joined(separator: ","))]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let logs = Corpus.packageRoot.appendingPathComponent("examples/darkseoul/logs").path
        let r = try CLI.run(["hunt", logs, "--indicators", file.path, "--format", "jsonl", "--threads", "1"])
        #expect(r.status == 0)
        let titles = r.stdout.split(separator: "\n").compactMap { line in
            (try? JSONParser.parse(String(line)))?.objectValue?["title"]?.stringValue
        }
        // The wiper's hash on six hosts; the deployment server's address in six connections.
        #expect(titles.filter { $0 == "Indicator match (hash) from intel.json" }.count == 6)
        #expect(titles.filter { $0 == "Indicator match (address) from intel.json" }.count == 6)
        #expect(titles.count == 12)
        #expect(r.stderr.contains("2 indicator(s) swept for; left out: 1 not plain value searches"))
    }

    @Test func validatesArguments() {
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "logs"]) }  // no --rules
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "--rules", "r"]) }  // no PATH
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "l", "--rules", "r", "--logsource", "x"]) }
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "l", "--rules", "r", "--format", "xml"]) }
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "l", "--rules", "r", "--min-level", "huge"]) }
        #expect(throws: (any Error).self) { try Sightline.parseAsRoot(["hunt", "l", "--rules", "r", "--threads", "0"]) }
        #expect(throws: Never.self) {
            try Sightline.parseAsRoot([
                "hunt", "a", "b", "--rules", "r1", "--rules", "r2", "--logsource", "sysmon", "--min-level", "high",
                "--format", "csv", "--threads", "2", "--out", "o.csv",
            ])
        }
    }

    @Test func huntWritesJSONLines() async throws {
        var template = Array(((ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/sightline-cli-XXXXXX").utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        func write(_ name: String, _ text: String) {
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var t = text
            t.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        write(
            "rule.yml",
            """
            title: Whoami
            id: r-1
            logsource: {product: windows, category: process_creation}
            detection:
                sel: {Image|endswith: '\\\\whoami.exe'}
                condition: sel
            level: high
            """)
        write(
            "log.jsonl",
            #"{"Event":{"System":{"EventID":1,"EventRecordID":5,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"PC"},"EventData":{"Image":"C:\\w\\whoami.exe"}}}"#
        )
        var command = try Sightline.parseAsRoot([
            "hunt", dir + "/log.jsonl", "--rules", dir + "/rule.yml", "--format", "jsonl", "--out", dir + "/out.jsonl",
        ])
        guard var hunt = command as? any AsyncParsableCommand else {
            Issue.record("not an async command")
            return
        }
        try await hunt.run()
        command = hunt
        let fd = open(dir + "/out.jsonl", O_RDONLY)
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        close(fd)
        let text = String(decoding: buf[0..<max(0, n)], as: UTF8.self)
        #expect(text.hasPrefix(#"{"rule_id":"r-1","title":"Whoami","level":"high""#))
        #expect(text.contains(#""record_id":5"#))
        #expect(text.split(separator: "\n").count == 1)
    }
}
