import EVTX
import Events
import Foundation
import JSON
import LogFormats
import Testing

@Suite struct JSONEventReaderTests {
    func read(_ text: String, layout: JSONEventLayout = .auto) -> ([Event], LogReadSummary) {
        var events: [Event] = []
        let summary = JSONEventReader(layout: layout).read(bytes: Array(text.utf8), file: "t.json") {
            events.append($0)
        }
        return (events, summary)
    }

    static let evtxLine =
        ##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"2019-04-27T15:57:25.868863Z"}},"EventRecordID":42,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"CommandLine":"cmd.exe /c whoami","ProcessId":7504}}}"##

    @Test func evtxCrateShape() throws {
        let (events, summary) = read(Self.evtxLine + "\n" + Self.evtxLine + "\n")
        #expect(summary.errors.isEmpty)
        #expect(events.count == 2)
        let e = try #require(events.first)
        #expect(e.layout == .windowsXML)
        #expect(e.value(forField: "EventID") == .int(1))
        #expect(e.value(forField: "CommandLine") == .string("cmd.exe /c whoami"))
        #expect(e.value(forField: "ProcessId") == .int(7504))
        #expect(e.value(forField: "Provider_Name") == .string("Microsoft-Windows-Sysmon"))
        #expect(e.value(atPath: "Event.System.Channel") == .string("Microsoft-Windows-Sysmon/Operational"))
        #expect(e.timestamp == Timestamp(iso8601: "2019-04-27T15:57:25.868863Z"))
        #expect(e.source.recordID == 42)
        #expect(e.source.line == 1)
        #expect(events[1].source.line == 2)
        #expect(events[1].source.offset == Self.evtxLine.utf8.count + 1)
    }

    @Test func malformedLineIsSkippedWithItsLocation() {
        let text = Self.evtxLine + "\n" + #"{"Event": {"System": nope}}"# + "\n" + Self.evtxLine + "\n"
        let (events, summary) = read(text)
        #expect(events.count == 2)
        #expect(summary.errors.count == 1)
        let e = summary.errors[0]
        #expect(e.line == 2)
        #expect(e.offset == Self.evtxLine.utf8.count + 1 + 22)  // the 'o' of "nope"
        #expect(events[1].source.line == 3)
    }

    @Test func nonObjectIsAnError() {
        let (events, summary) = read("[1, " + Self.evtxLine + "]")
        #expect(events.count == 1)
        #expect(summary.errors.map(\.message) == ["not a JSON object"])
    }

    @Test func prettyConcatenatedDocumentsAndArrays() {
        let pretty = """
            {
              "Event": {"System": {"EventID": 4624, "Channel": "Security"},
                        "EventData": {"TargetUserName": "admin"}}
            }
            {
              "Event": {"System": {"EventID": 4625, "Channel": "Security"}}
            }
            """
        let (events, summary) = read(pretty)
        #expect(summary.errors.isEmpty)
        #expect(events.map { $0.value(forField: "EventID") } == [.int(4624), .int(4625)])
        #expect(events[1].source.line == 5)
        let (array, s2) = read("[" + Self.evtxLine + ",\n" + Self.evtxLine + "]")
        #expect(s2.errors.isEmpty)
        #expect(array.count == 2)
    }

    @Test func winlogbeat() throws {
        let line =
            #"{"@timestamp":"2019-05-01T10:00:00.123Z","host":{"name":"ws1"},"winlog":{"channel":"Security","event_id":4688,"provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"ws1.corp","record_id":77,"event_data":{"NewProcessName":"C:\\Windows\\System32\\cmd.exe","SubjectUserName":"bob"}}}"#
        let (events, _) = read(line)
        let e = try #require(events.first)
        #expect(e.layout == .winlogbeat)
        #expect(e.value(forField: "EventID") == .int(4688))
        #expect(e.value(forField: "Channel") == .string("Security"))
        #expect(e.value(forField: "Provider_Name") == .string("Microsoft-Windows-Security-Auditing"))
        #expect(e.value(forField: "NewProcessName") == .string("C:\\Windows\\System32\\cmd.exe"))
        #expect(e.value(forField: "Computer") == .string("ws1.corp"))
        #expect(e.value(forField: "winlog.event_data.SubjectUserName") == .string("bob"))
        #expect(e.timestamp == Timestamp(iso8601: "2019-05-01T10:00:00.123Z"))
        #expect(e.source.recordID == 77)
    }

    @Test func flatSysmonAndNXLog() throws {
        let line =
            #"{"EventTime":"2019-05-01 10:00:00","Hostname":"ws1","EventID":1,"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\x.exe","CommandLine":"x.exe -a","RecordNumber":9}"#
        let (events, _) = read(line)
        let e = try #require(events.first)
        #expect(e.layout == .flat)
        #expect(e.value(forField: "EventID") == .int(1))
        #expect(e.value(forField: "CommandLine") == .string("x.exe -a"))
        #expect(e.value(forField: "Provider_Name") == .string("Microsoft-Windows-Sysmon"))
        #expect(e.value(forField: "Computer") == .string("ws1"))
        #expect(e.timestamp == Timestamp(iso8601: "2019-05-01T10:00:00Z"))
        #expect(e.source.recordID == 9)
    }

    @Test func sightlineDumpLines() throws {
        let line =
            #"{"record_id":5,"timestamp":"2020-01-01T00:00:00.0000001Z","file":"a.evtx","event":"# + Self.evtxLine + "}"
        let (events, _) = read(line)
        let e = try #require(events.first)
        #expect(e.layout == .windowsXML)
        #expect(e.source.recordID == 5)
        #expect(e.value(forField: "CommandLine") == .string("cmd.exe /c whoami"))
    }

    @Test func fileReadInBlocksKeepsEveryEvent() throws {
        // Over 1 MiB so values straddle the reader's block boundary.
        var text = ""
        for i in 0..<12_000 {
            text += #"{"EventID":\#(i),"Message":"\#(String(repeating: "x", count: 80))"}"# + "\n"
        }
        text += "{\n  \"EventID\": 99999,\n  \"Message\": \"pretty\"\n}\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var ids: [Int64] = []
        var last: Event? = nil
        let summary = try JSONEventReader().read(path: url.path) {
            ids.append($0.value(forField: "EventID")?.intValue ?? -1)
            last = $0
        }
        #expect(
            last?.source.offset == text.utf8.count
                - "{\n  \"EventID\": 99999,\n  \"Message\": \"pretty\"\n}\n".utf8.count
        )
        #expect(last?.source.line == 12_001)
        #expect(summary.errors.isEmpty)
        #expect(ids.count == 12_001)
        #expect(ids.last == 99999)
        #expect(ids.prefix(12_000) == ArraySlice((0..<12_000).map(Int64.init)))
    }

    @Test func missingFileThrows() {
        #expect(throws: LogFormatError.self) { try JSONEventReader().read(path: "/nonexistent/x.json") { _ in } }
    }
}

/// SigmaHQ regression data: each `.json` holds the events of the `.evtx` beside it, in the evtx crate's
/// shape. Reading both must give the same events (the JSON copies have trailing spaces trimmed).
@Suite struct SigmaRegressionDataTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/evtx/sigmahq-regression-data")

    static func trimmed(_ v: EventValue) -> EventValue {
        switch v {
        case .string(let s):
            var s = Substring(s)
            while s.last == " " { s = s.dropLast() }
            return .string(String(s))
        case .object(let o):
            return .object(EventObject(o.members.map { .init(key: $0.key, value: trimmed($0.value)) }))
        case .array(let a): return .array(a.map(trimmed))
        case .uint(let u): return u <= UInt64(Int64.max) ? .int(Int64(u)) : v
        default: return v
        }
    }

    /// Copies that do not come from the `.evtx` beside them: in this one the JSON's ParentCommandLine
    /// (`Explorer.exe` vs `Explorer.EXE`) and TimeCreated differ from the record in the EVTX file,
    /// which the `evtx` crate reads exactly as we do.
    static let editedCopies: Set<String> = ["ad691d92-15f2-4181-9aa4-723c74f9ddc3.json"]

    @Test func jsonCopiesMatchTheEvtxFiles() async throws {
        guard let e = FileManager.default.enumerator(at: Self.corpus, includingPropertiesForKeys: nil) else {
            print("SigmaHQ regression data: skipped (no corpus at \(Self.corpus.path))")
            return
        }
        var files = 0
        var events = 0
        var mismatches = 0
        let clock = ContinuousClock()
        var jsonTime = Duration.zero
        var evtxTime = Duration.zero
        for case let url as URL in e where url.pathExtension == "json" {
            let evtxPath = url.deletingPathExtension().appendingPathExtension("evtx").path
            guard FileManager.default.fileExists(atPath: evtxPath), !Self.editedCopies.contains(url.lastPathComponent)
            else { continue }
            files += 1
            var fromJSON: [Event] = []
            let t0 = clock.now
            let summary = try JSONEventReader().read(path: url.path) { fromJSON.append($0) }
            jsonTime += clock.now - t0
            let t1 = clock.now
            defer { evtxTime += clock.now - t1 }
            #expect(summary.errors.isEmpty, "\(url.path)")
            // Our EVTX reader's JSON, read back through the JSON reader: typed the same way.
            let file = try EVTXFile(path: evtxPath)
            var out: [UInt8] = []
            _ = await EVTXReader.render(file, displayName: evtxPath, format: .jsonl, threads: 1) {
                out.append(contentsOf: $0)
            }
            var fromEVTX: [UInt64: Event] = [:]
            JSONEventReader().read(bytes: out, file: evtxPath) { ev in
                if let id = ev.value(forField: "EventRecordID")?.intValue { fromEVTX[UInt64(id)] = ev }
            }
            for ev in fromJSON {
                events += 1
                guard let id = ev.value(forField: "EventRecordID")?.intValue, let other = fromEVTX[UInt64(id)] else {
                    mismatches += 1
                    continue
                }
                if Self.trimmed(.object(ev.fields)) != Self.trimmed(.object(other.fields)) {
                    mismatches += 1
                    print("SigmaHQ regression data: \(url.path) record \(id) differs")
                }
            }
        }
        print(
            "SigmaHQ regression data: \(files) files, \(events) JSON events, \(mismatches) differ from the EVTX (JSON \(jsonTime), EVTX \(evtxTime))"
        )
        if files > 0 {
            #expect(events > 0)
            #expect(mismatches == 0)
        }
    }
}
