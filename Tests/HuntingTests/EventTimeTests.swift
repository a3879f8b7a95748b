import Events
import Hunting
import Sigma
import Testing

/// A sighting's time is when the event happened (`System/TimeCreated/@SystemTime`), not when its record
/// was written: logs exported again carry the export time in their record headers, and some sample files
/// leave it at zero (corpus-gated for the EVTX files).
@Suite struct EventTimeTests {
    static let anyEvent = RuleLoader.load(text: """
        title: any event
        id: any-event
        logsource: {product: windows}
        detection:
            sel: {EventID|gte: 0}
            condition: sel
        """).rules

    static func times(_ path: String) async -> [UInt64: String] {
        let r = await Hunter(ruleSet: RuleSet(rules: anyEvent)).hunt(paths: [path], threads: 1)
        var out: [UInt64: String] = [:]
        for s in r.sightings { out[s.recordID ?? 0] = s.timestamp?.iso8601 ?? "none" }
        return out
    }

    /// Record 7 of this file has a zero header time (1601-01-01); its event was created in 2019.
    @Test func aZeroRecordHeaderTimeGivesWayToTimeCreated() async throws {
        guard let root = Support.corpus("evtx/EVTX-ATTACK-SAMPLES") else { return }
        guard let file = Support.find("Sysmon_UACME_39.evtx", under: root).first else {
            print("skipping: Sysmon_UACME_39.evtx not in the corpus")
            return
        }
        let times = await Self.times(file)
        #expect(times.count == 7)
        #expect(times[7] == "2019-08-03T15:08:07.5589177Z")
        #expect(!times.values.contains { $0.hasPrefix("1601") || $0 == "none" })
    }

    /// Records 121–130 of this file were written on 2021-09-29; their events happened on 2021-09-14.
    @Test func anExportedLogKeepsItsEventsTimes() async throws {
        guard let root = Support.corpus("evtx/hayabusa-sample-evtx") else { return }
        guard let file = Support.find("ID4622-New SSP loaded in LSA (only legitim).evtx", under: root).first else {
            print("skipping: the ID4622 sample is not in the corpus")
            return
        }
        let times = await Self.times(file)
        #expect(times.count == 420)
        #expect(times[121] == "2021-09-14T15:02:40.1616246Z")  // written 2021-09-29T09:52:18.5053612Z
        #expect(times[130] == "2021-09-14T15:02:40.3848708Z")
        #expect(times[1] == "2021-05-10T06:22:54.6336269Z")  // written 1.3 s before it was created
    }

    /// A zero time is no time, in JSON logs too.
    @Test func aZeroTimeIsNoTime() async throws {
        let dir = Support.temporaryDirectory()
        Support.write(dir + "/a.jsonl", [
            HunterTests.sysmonLine(1, image: "C:\\\\a.exe", time: "1601-01-01T00:00:00Z"),
            HunterTests.sysmonLine(2, image: "C:\\\\b.exe", time: "2013-03-20T05:00:00Z"),
        ].joined(separator: "\n"))
        let times = await Self.times(dir + "/a.jsonl")
        #expect(times == [1: "none", 2: "2013-03-20T05:00:00.0000000Z"])
    }
}
