import EVTX
import Events
import Hunting
import Sigma
import Testing

/// Records read through compiled layouts (``EventLayout``) match exactly as their ``Event`` trees do: the
/// same rules, field texts, data fields, channel, event id and provider, record by record over the corpus
/// event logs (corpus-gated).
@Suite struct LayoutDifferentialTests {
    @Test func layoutsReadAsTrees() throws {
        guard let rules = Support.corpus("sigma/rules/windows"), let evtx = Support.corpus("evtx") else { return }
        let c = RuleLoader.load(paths: [rules])
        let set = RuleSet(rules: c.rules, filters: c.filters)
        let treeView = set.makeView()
        let layoutView = set.makeView()
        let parser = EVTXChunkParser()
        parser.readsLayouts = true
        var listed: [FileCollector.Listed] = []
        FileCollector.list(evtx, into: &listed)
        var records = 0
        var throughLayouts = 0
        var mismatches: [String] = []
        let fixedNames = [
            "Channel", "EventID", "Computer", "Provider_Name", "Provider_Guid", "Security_UserID",
            "Execution_ProcessID", "TimeCreated_SystemTime", "Keywords", "Level", "Task", "EventRecordID",
            "CommandLine", "Image", "ParentImage", "Hashes", "TargetUserName", "Data", "param1",
            "ScriptBlockText", "EventData.Data", "System.TimeCreated.SystemTime", "Event.System.EventID",
            "UserData", "Missing_Field",
        ]
        for entry in listed where entry.path.hasSuffix(".evtx") {
            guard let file = try? EVTXFile(path: entry.path) else { continue }
            for chunk in 0..<file.chunkCount {
                _ = parser.parse(file, chunk: chunk) { record in
                    records += 1
                    let event = record.event(file: entry.path)
                    guard let layout = record.layout else { return }
                    throughLayouts += 1
                    treeView.reset(event)
                    layoutView.reset(layout: layout, reader: record.leafReader)
                    let where_ = "\(entry.path) record \(record.recordID)"
                    if set.matches(treeView) != set.matches(layoutView) { mismatches.append("\(where_): rules") }
                    if treeView.channel != layoutView.channel || treeView.eventID != layoutView.eventID
                        || treeView.hasEventID != layoutView.hasEventID || treeView.provider != layoutView.provider
                    {
                        mismatches.append("\(where_): channel, event id or provider")
                    }
                    let fields = Hunter.dataFields(event)
                    let layoutFields = layoutView.dataFields()
                    if fields.map(\.0) != layoutFields.map(\.0) || fields.map(\.1) != layoutFields.map(\.1) {
                        mismatches.append("\(where_): data fields")
                    }
                    for name in fixedNames + fields.map(\.0) {
                        let a = treeView.text(ofField: name)
                        let b = layoutView.text(ofField: name)
                        if a != b { mismatches.append("\(where_): \(name) \(a ?? "nil") vs \(b ?? "nil")") }
                    }
                }
            }
        }
        print("Layouts: \(throughLayouts) of \(records) records read through layouts, \(mismatches.count) mismatches")
        for m in mismatches.prefix(20) { print("  \(m)") }
        #expect(mismatches.isEmpty)
        #expect(throughLayouts > records * 9 / 10)
        // The layout view answered most prefilter look-ups from its cache of recent values (so the rules
        // matched above went through the cache), the tree view never.
        let cache = layoutView.scanCacheCounts
        print("Prefilter cache: \(cache.hits) of \(cache.lookups) look-ups answered")
        #expect(cache.hits > cache.lookups / 2)
        #expect(treeView.scanCacheCounts.lookups == 0)
    }
}
