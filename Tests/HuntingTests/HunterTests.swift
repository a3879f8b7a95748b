import Events
import Foundation
import Hunting
import JSON
import Sigma
import Testing

@Suite struct HunterTests {
    static let rule = """
        title: Whoami
        id: 11111111-0000-0000-0000-000000000001
        logsource: {product: windows, category: process_creation}
        detection:
            sel: {Image|endswith: '\\\\whoami.exe'}
            condition: sel
        level: high
        tags: [attack.discovery, attack.t1033]
        """

    static func sysmonLine(_ id: Int, image: String, time: String = "2024-01-01T00:00:00Z", user: String = "bob") -> String {
        """
        {"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"EventRecordID":\(id),\
        "Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"PC1","TimeCreated":{"#attributes":{"SystemTime":"\(time)"}}},\
        "EventData":{"Image":"\(image)","User":"\(user)"}}}
        """
    }

    static func setup() -> (dir: String, hunter: Hunter) {
        let dir = Support.temporaryDirectory()
        Support.write(dir + "/a.jsonl", [
            sysmonLine(1, image: "C:\\\\Windows\\\\whoami.exe"), sysmonLine(2, image: "C:\\\\x.exe"),
            "{broken", sysmonLine(3, image: "C:\\\\Windows\\\\WHOAMI.EXE"),
        ].joined(separator: "\n"))
        Support.write(dir + "/b.json", "[" + sysmonLine(7, image: "c:\\\\whoami.exe") + "]")
        Support.write(dir + "/notes.txt", "not a log")
        Support.write(dir + "/empty.evtx", "")
        Support.write(dir + "/garbage.json", "hello")
        let c = RuleLoader.load(text: rule)
        return (dir, Hunter(ruleSet: RuleSet(rules: c.rules)))
    }

    /// Linked files and folders: a link with a log's extension is opened without being `stat`ed first,
    /// and one that turns out to be a folder is hunted in its place, in the same order as a real folder.
    /// A folder is hunted once: where the listing first reaches it (a linked folder in the listing is walked
    /// as it is listed; a link named like a log is opened later, and finds its folder already hunted).
    @Test func linkedFilesAndFoldersAreHuntedInOrder() async throws {
        let (dir, hunter) = Self.setup()
        let links = Support.temporaryDirectory()
        #expect(symlink(dir + "/a.jsonl", links + "/1.jsonl") == 0)
        #expect(symlink(dir, links + "/2-folder.evtx") == 0)  // a folder named like a log
        #expect(symlink(dir + "/b.json", links + "/3.json") == 0)
        #expect(symlink(dir, links + "/4-folder") == 0)
        let r = await hunter.hunt(paths: [links], threads: 1)
        let inside = [dir + "/a.jsonl", dir + "/a.jsonl", dir + "/b.json"]
        #expect(
            r.sightings.map(\.file)
                == [links + "/1.jsonl", links + "/1.jsonl", links + "/3.json"]
                + inside.map { $0.replacingOccurrences(of: dir, with: links + "/4-folder") })
        #expect(r.sightings.map(\.recordID) == [1, 3, 7, 1, 3, 7])
        #expect(r.skippedFiles.count == 2)  // empty.evtx and garbage.json, under the linked folder
        let two = await hunter.hunt(paths: [links], threads: 2)
        #expect(two.sightings.map(\.file) == r.sightings.map(\.file))
    }

    /// Links that branch (two per level to the next folder) or lead back to an ancestor walk each folder
    /// once: the log is hunted once, not 2^levels times.
    @Test func branchingAndLoopingLinksWalkEachFolderOnce() async throws {
        let (dir, hunter) = Self.setup()
        let root = Support.temporaryDirectory()
        var level = root
        for i in 0..<12 {
            let next = root + "/level-\(i)"
            mkdir(next, 0o755)
            #expect(symlink(next, level + "/a") == 0 && symlink(next, level + "/b") == 0)
            level = next
        }
        #expect(symlink(dir + "/b.json", level + "/log.json") == 0)
        #expect(symlink(root, level + "/back") == 0 && symlink(root, level + "/back.json") == 0)
        let r = await hunter.hunt(paths: [root], threads: 1)
        #expect(r.sightings.map(\.recordID) == [7])
    }

    @Test func huntsFoldersCountsSkipsAndIsDeterministic() async throws {
        let (dir, hunter) = Self.setup()
        let one = await hunter.hunt(paths: [dir], threads: 1)
        hunter.prepare(threads: 4)  // the workers' copies compiled before the hunt, then used
        let four = await hunter.hunt(paths: [dir], threads: 4)
        #expect(one.sightings.map(\.recordID) == [1, 3, 7])
        #expect(four.sightings.map(\.recordID) == one.sightings.map(\.recordID))
        #expect(one.sightings.map(\.file) == [dir + "/a.jsonl", dir + "/a.jsonl", dir + "/b.json"])
        #expect(one.events == 4)
        #expect(one.skippedRecords == 1)  // the broken line
        // Empty and unrecognized files are skipped with a reason; .txt files in folders are not tried.
        #expect(one.skippedFiles.map(\.path).sorted() == [dir + "/empty.evtx", dir + "/garbage.json"])
        #expect(one.skippedFiles.contains { $0.reason == "empty file" })
        let s = try #require(one.sightings.first)
        #expect(s.attack == ["T1033"])
        #expect(s.level == .high)
        #expect(s.computer == "PC1")
        #expect(s.eventID == 1)
        #expect(s.fields.first { $0.0 == "User" }?.1 == "bob")
    }

    @Test func jsonLinesOutputHasTheIssueFields() async throws {
        let (dir, hunter) = Self.setup()
        let r = await hunter.hunt(paths: [dir + "/a.jsonl"], threads: 1)
        var out: [UInt8] = []
        SightingFormatter.jsonLine(try #require(r.sightings.first), into: &out)
        let v = try JSONParser.parse(Array(out.dropLast()))
        let keys = v.objectValue?.keys ?? []
        #expect(keys == [
            "rule_id", "title", "level", "tags", "attack", "timestamp", "computer", "channel", "event_id", "record_id",
            "file", "fields",
        ])
        #expect(v["timestamp"]?.stringValue == "2024-01-01T00:00:00.0000000Z")
        #expect(v["attack"] == .array([.string("T1033")]))
        #expect(v["fields"]?["Image"]?.stringValue == "C:\\Windows\\whoami.exe")
    }

    @Test func csvTimelineForTimesketch() async throws {
        let (dir, hunter) = Self.setup()
        let r = await hunter.hunt(paths: [dir + "/a.jsonl"], threads: 1)
        var out: [UInt8] = []
        SightingFormatter.csvRow(try #require(r.sightings.first), into: &out)
        let row = String(decoding: out, as: UTF8.self)
        #expect(SightingFormatter.csvHeader.hasPrefix("datetime,timestamp_desc,message,"))
        #expect(row.hasPrefix("2024-01-01T00:00:00.000000Z,Sigma detection,[high] Whoami on PC1,"))
        let table = SightingFormatter.table(r, rulesLoaded: 1, rulesFailed: 0, seconds: 0)
        #expect(table.contains("Detections: 2"))
        #expect(table.contains("T1033"))
    }

    @Test func correlationsOverHuntedEvents() async throws {
        let dir = Support.temporaryDirectory()
        var lines: [String] = []
        for i in 0..<5 {
            lines.append(Self.sysmonLine(i + 1, image: "C:\\\\w\\\\whoami.exe", time: "2024-01-01T00:00:0\(i)Z"))
        }
        lines.append(Self.sysmonLine(9, image: "C:\\\\w\\\\whoami.exe", time: "2024-01-01T05:00:00Z"))
        Support.write(dir + "/c.jsonl", lines.joined(separator: "\n"))
        let text = Self.rule + """

            name: whoami
            ---
            title: Many whoami
            id: corr-1
            level: critical
            correlation:
                type: event_count
                rules: [whoami]
                group-by: [Computer]
                timespan: 1m
                condition: {gte: 3}
            """
        let c = RuleLoader.load(text: text)
        #expect(c.failures.isEmpty)
        let hunter = Hunter(ruleSet: RuleSet(rules: c.rules), correlations: c.correlations)
        let r = await hunter.hunt(paths: [dir], threads: 2)
        // The base rule is referenced without `generate: true`: only the correlation is reported.
        #expect(r.sightings.map(\.ruleID) == ["corr-1"])
        #expect(r.sightings.first?.records.map(\.recordID) == [1, 2, 3])
        #expect(r.sightings.first?.correlation == .eventCount)
    }
}
