import EVTX
import Events
import Foundation
import Hunting
import Sigma
import Testing

/// Records written without templates (their values inline in their elements, as some tools write event
/// logs) are read through compiled layouts like template instances, and an event's channel is read afresh
/// whenever the record before it did not read it from one string value.
@Suite struct InlineRecordTests {
    static let evtx = "hayabusa-sample-evtx/EVTX-to-MITRE-Attack/"

    /// In the corpus, a Security record of one string channel, then a record whose channel is fixed and
    /// empty (an event forwarder's), then Security records again: the view used to keep the empty channel
    /// (the string was the same as two records before), and the Security rules missed every later record.
    @Test func channelIsReadAgainAfterAFixedOne() async throws {
        guard let corpus = Support.corpus("evtx"), let rules = Support.corpus("sigma/rules/windows") else { return }
        let files = [
            "TA0007-Discovery/T1135.xxx-Network Share Discovery/ID4688-Network share discovery or connection via commandline.evtx",
            "TA0007-Discovery/T1135.xxx-Network Share Discovery/ID5140-5145-Bloodhound-SharpHound enumeration via SMB.evtx",
            "TA0007-Discovery/T1201-Password Policy Discovery/ID4661-Password policy enumeration.evtx",
        ].map { corpus + "/" + Self.evtx + $0 }
        let rule = try #require(Support.find("win_security_password_policy_enumerated.yml", under: rules).first)
        let c = RuleLoader.load(paths: [rule])
        #expect(c.rules.count == 1)
        let hunter = Hunter(ruleSet: RuleSet(rules: c.rules))
        let alone = await hunter.hunt(paths: [files[2]], threads: 1)
        #expect(alone.sightings.count == 4)
        // The same file after the other two, through one view: the same four.
        let dir = Support.temporaryDirectory()
        for (i, f) in files.enumerated() { #expect(symlink(f, dir + "/\(i).evtx") == 0) }
        let after = await hunter.hunt(paths: [dir], threads: 1)
        #expect(after.sightings.map(\.recordID) == alone.sightings.map(\.recordID))
    }

    /// Every record of a file written without templates is read through a layout, and its fields read
    /// through the layout are the tree's.
    @Test func recordsWithoutTemplatesHaveLayouts() throws {
        guard let corpus = Support.corpus("evtx") else { return }
        let path = corpus + "/" + Self.evtx
            + "TA0003-Persistence/T1547-Boot or Logon Autostart Execution/ID4622-New SSP loaded in LSA (only legitim).evtx"
        let file = try EVTXFile(path: path)
        let parser = EVTXChunkParser()
        parser.readsLayouts = true
        let set = RuleSet(rules: [])
        let treeView = set.makeView()
        let layoutView = set.makeView()
        var records = 0
        var layouts = 0
        var mismatches: [String] = []
        for chunk in 0..<file.chunkCount {
            _ = parser.parse(file, chunk: chunk) { record in
                records += 1
                let event = record.event(file: path)
                guard let layout = record.layout else { return }
                layouts += 1
                treeView.reset(event)
                layoutView.reset(layout: layout, reader: record.leafReader)
                let fields = Hunter.dataFields(event)
                let layoutFields = layoutView.dataFields()
                if fields.map(\.0) != layoutFields.map(\.0) || fields.map(\.1) != layoutFields.map(\.1) {
                    mismatches.append("record \(record.recordID): data fields")
                }
                for name in ["Channel", "EventID", "Computer", "Provider_Name", "TimeCreated_SystemTime"] + fields.map(\.0) {
                    if treeView.text(ofField: name) != layoutView.text(ofField: name) {
                        mismatches.append("record \(record.recordID): \(name)")
                    }
                }
                if treeView.channel != layoutView.channel || treeView.eventID != layoutView.eventID {
                    mismatches.append("record \(record.recordID): channel or event id")
                }
            }
        }
        #expect(records == 420)
        #expect(layouts == records)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// A channel's own keyword rule with a key too short for the strided filter (System's `netpr` here)
    /// is still found in records read through layouts: its channel must not get the filter built for the
    /// keyword rules of every channel, which would pass over texts holding only `netpr`.
    @Test func shortKeywordsOfAChannelAreFound() async throws {
        guard let corpus = Support.corpus("evtx") else { return }
        let file = corpus + "/hayabusa-sample-evtx/DeepBlueCLI/disablestop-eventlog.evtx"
        let rules = """
            title: Everywhere
            id: 11111111-0000-0000-0000-0000000000b1
            logsource: {product: windows}
            detection:
                keywords: ['sekurlsa::', 'privilege::debug']
                condition: keywords
            level: high
            ---
            title: System only
            id: 11111111-0000-0000-0000-0000000000b2
            logsource: {product: windows, service: system}
            detection:
                keywords: ['netpr']
                condition: keywords
            level: high
            """
        let c = RuleLoader.load(text: rules)
        #expect(c.rules.count == 2)
        let r = await Hunter(ruleSet: RuleSet(rules: c.rules)).hunt(paths: [file], threads: 1)
        #expect(r.sightings.map(\.recordID) == [5, 8, 11])
        #expect(r.sightings.allSatisfy { $0.title == "System only" })
    }
}
