import Events
import Hunting
import Sigma
import Testing

/// JSON logs in the three layouts the reader detects per event: Windows XML as JSON, Winlogbeat, flat.
@Suite struct JSONLayoutTests {
    static let rule = """
        title: Whoami
        id: w-1
        logsource: {product: windows, category: process_creation}
        detection:
            sel: {Image|endswith: '\\\\whoami.exe'}
            condition: sel
        """

    @Test func everyLayoutIsHunted() async throws {
        let dir = Support.temporaryDirectory()
        let lines = [
            // Winlogbeat / ECS.
            #"{"@timestamp":"2024-05-01T10:00:00Z","winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,"computer_name":"WS1","record_id":11,"event_data":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"#,
            // Flat (NXLog-style Sysmon).
            #"{"EventTime":"2024-05-01 10:00:01","Hostname":"WS2","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe"}"#,
            // `sightline events dump` line.
            #"{"record_id":13,"timestamp":"2024-05-01T10:00:02.0000000Z","file":"x.evtx","event":{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS3"},"EventData":{"Image":"C:\\whoami.exe"}}}}"#,
            // Not a process creation: no detection.
            #"{"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":3,"event_data":{"Image":"C:\\whoami.exe"}}}"#,
        ]
        Support.write(dir + "/mixed.jsonl", lines.joined(separator: "\n"))
        let c = RuleLoader.load(text: Self.rule)
        let r = await Hunter(ruleSet: RuleSet(rules: c.rules)).hunt(paths: [dir], threads: 1)
        #expect(r.events == 4)
        #expect(r.sightings.map(\.computer) == ["WS1", "WS2", "WS3"])
        #expect(r.sightings.map(\.recordID) == [11, nil, 13])
        #expect(r.sightings.first?.timestamp?.iso8601(fractionDigits: 0) == "2024-05-01T10:00:00Z")
    }
}
