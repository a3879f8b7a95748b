import EVTX
import Events
import Foundation
import JSON
import Testing

/// Parity with the Rust `evtx` crate (PyPI `evtx`) on every `.evtx` file of the shared corpus.
///
/// Runs when `SIGHTLINE_PYTHON` names a Python with the `evtx` package and `../shared/corpus/evtx`
/// exists beside the package; otherwise it prints why it was skipped.
@Suite struct EVTXParityTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/evtx")

    static let script = """
        import sys, json
        from evtx import PyEvtxParser
        out = open(sys.argv[1], 'w', encoding='utf-8', errors='replace')
        for path in sys.stdin.read().split('\\0'):
            if not path: continue
            try:
                for r in PyEvtxParser(path, 1).records_json():
                    out.write(json.dumps({'file': path, 'record_id': r['event_record_id'], 'timestamp': r['timestamp'],
                        'event': json.loads(r['data'])}, ensure_ascii=False, separators=(',', ':')) + '\\n')
            except Exception as e:
                out.write(json.dumps({'file': path, 'error': str(e)}) + '\\n')
        out.close()
        """

    static func corpusFiles() -> [String] {
        guard let e = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: nil) else { return [] }
        var files: [String] = []
        for case let url as URL in e where url.pathExtension.lowercased() == "evtx" { files.append(url.path) }
        return files.sorted()
    }

    @Test func sameRecordsAndValuesAsTheEvtxCrate() async throws {
        guard let python = ProcessInfo.processInfo.environment["SIGHTLINE_PYTHON"], !python.isEmpty else {
            print("EVTX parity: skipped (SIGHTLINE_PYTHON is not set)")
            return
        }
        let files = Self.corpusFiles()
        guard !files.isEmpty else {
            print("EVTX parity: skipped (no corpus at \(Self.corpus.path))")
            return
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import evtx"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            print("EVTX parity: skipped (\(python) has no evtx package)")
            return
        }

        // The reference: one JSON line per record, grouped by file in the order given.
        let reference = FileManager.default.temporaryDirectory.appendingPathComponent(
            "evtx-ref-\(UUID().uuidString).jsonl"
        )
        defer { try? FileManager.default.removeItem(at: reference) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", Self.script, reference.path]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(files.joined(separator: "\0").utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)

        var expected: [String: [JSONValue]] = [:]
        let text = try Data(contentsOf: reference)
        for line in text.split(separator: 0x0A) {
            let v = try JSONParser.parse([UInt8](line), repairingInvalidUTF8: true)
            guard let file = v["file"]?.stringValue else { continue }
            expected[file, default: []].append(v)
        }

        var records = 0
        var differences = 0
        var missing = 0
        var extra = 0
        var referenceErrors = 0
        var shown = 0
        for path in files {
            let theirs = expected[path] ?? []
            referenceErrors += theirs.filter { $0["error"] != nil }.count
            let file = try EVTXFile(path: path)
            var out: [UInt8] = []
            _ = await EVTXReader.render(file, displayName: path, format: .jsonl, threads: 1) {
                out.append(contentsOf: $0)
            }
            var ours: [Int64: JSONValue] = [:]
            for line in out.split(separator: 0x0A) {
                let v = try JSONParser.parse(Array(line), repairingInvalidUTF8: true)
                if let id = v["record_id"]?.intValue { ours[id] = v }
            }
            var matched = 0
            for r in theirs {
                guard let id = r["record_id"]?.intValue else { continue }
                records += 1
                guard let o = ours[id] else {
                    missing += 1
                    continue
                }
                matched += 1
                let sameTime =
                    o["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
                    == r["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
                if o["event"] != r["event"] || !sameTime {
                    differences += 1
                    if shown < 5 {
                        shown += 1
                        print("EVTX parity: difference in \(path) record \(id)")
                    }
                }
            }
            extra += ours.count - matched
        }
        print(
            "EVTX parity: \(files.count) files, \(records) reference records, \(differences) differences, "
                + "\(missing) missing, \(extra) extra, \(referenceErrors) reference errors"
        )
        #expect(records > 0)
        #expect(differences == 0)
        #expect(missing == 0)
        #expect(extra == 0)
    }
}
