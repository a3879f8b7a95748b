import Events
import Foundation
import JSON
import Testing

@testable import EVTX

/// Our JSON against the Rust `evtx` crate's output for the fixtures (recorded in `*.expected.jsonl`).
@Suite struct EVTXGoldenTests {
    @Test(arguments: ["powershell-service-creation", "security-pass-the-hash"])
    func matchesTheEvtxCrate(name: String) async throws {
        let (lines, summary) = try await Support.dump(try Support.fixture("\(name).evtx"))
        let expectedText = try Support.bytes(try Support.fixture("\(name).expected.jsonl"))
        let expected = try expectedText.split(separator: 0x0A).map { try JSONParser.parse(Array($0)) }
        #expect(summary.errors.isEmpty)
        #expect(summary.records == expected.count)
        #expect(lines.count == expected.count)
        for (ours, theirs) in zip(lines, expected) {
            #expect(ours["record_id"] == theirs["record_id"])
            #expect(ours["event"] == theirs["event"])
            let a = try #require(ours["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) })
            let b = try #require(theirs["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) })
            #expect(a == b)
        }
    }

    @Test func threadsDoNotChangeTheOutput() async throws {
        let path = try Support.fixture("security-pass-the-hash.evtx")
        var bytes = try Support.bytes(path)
        // Three copies of the chunk make a multi-chunk file.
        let chunk = Array(bytes[4096..<(4096 + 65536)])
        bytes += chunk + chunk
        Support.putU16(3, at: 42, in: &bytes)
        Support.fixHeaderChecksum(&bytes)
        let big = try Support.temporaryFile(bytes)
        let (one, s1) = try await Support.dump(big, threads: 1)
        let (two, s2) = try await Support.dump(big, threads: 2)
        let (three, _) = try await Support.dump(big, threads: 3)
        #expect(one.count == 24)
        // Templates parsed in the first chunk are reused (relocated) in the next ones.
        #expect(one[0..<8].map { $0["event"] } == one[8..<16].map { $0["event"] })
        #expect(one[0..<8].map { $0["event"] } == one[16..<24].map { $0["event"] })
        #expect(one == two)
        #expect(one == three)
        #expect(s1.records == s2.records)
        #expect(s1.errors.isEmpty && s2.errors.isEmpty)
    }

    @Test func fileHeaderIsRead() throws {
        let file = try EVTXFile(path: try Support.fixture("security-pass-the-hash.evtx"))
        let header = try #require(file.header)
        #expect(header.majorVersion == 3)
        #expect(header.headerBlockSize == 4096)
        #expect(file.chunkCount == 1)
        #expect(file.headerErrors.isEmpty)
    }

    @Test func eventsHaveTypedFieldsAndFlatNames() throws {
        let file = try EVTXFile(path: try Support.fixture("security-pass-the-hash.evtx"))
        let (events, summary) = EVTXReader.events(in: file, name: "pth.evtx")
        #expect(summary.records == 8)
        let logon = try #require(events.first { $0.value(forField: "EventID") == .uint(4624) })
        #expect(logon.value(forField: "Channel") == .string("Security"))
        #expect(logon.value(forField: "Provider_Name") == .string("Microsoft-Windows-Security-Auditing"))
        #expect(logon.value(atPath: "Event.System.EventID") == .uint(4624))
        #expect(logon.value(atPath: "EventData.LogonType") != nil)
        if case .sid = logon.value(forField: "TargetUserSid") {} else { Issue.record("TargetUserSid is not a SID") }
        if case .guid = logon.value(forField: "LogonGuid") {} else { Issue.record("LogonGuid is not a GUID") }
        if case .timestamp = logon.value(atPath: "Event.System.TimeCreated.#attributes.SystemTime") {
        } else {
            Issue.record("SystemTime is not a timestamp")
        }
        #expect(logon.source.file == "pth.evtx")
        #expect(logon.source.recordID != nil)
        #expect(logon.source.offset >= 4096 + 512)
        // Fields keep document order.
        #expect(logon.fields["Event"]?.objectValue?.keys.prefix(2) == ["#attributes", "System"])
    }

    @Test func xmlOutputIsWellFormedLooking() async throws {
        let file = try EVTXFile(path: try Support.fixture("powershell-service-creation.evtx"))
        var out: [UInt8] = []
        _ = await EVTXReader.render(file, displayName: "x", format: .xml, threads: 1) { out.append(contentsOf: $0) }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event xmlns="))
        #expect(text.components(separatedBy: "<Event ").count - 1 == 8)
        #expect(text.components(separatedBy: "</Event>").count - 1 == 8)
        #expect(text.contains("<EventID Qualifiers=\"0\">800</EventID>"))
    }
}
