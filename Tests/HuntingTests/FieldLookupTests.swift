import EVTX
import Events
import Hunting
import Testing

@testable import Sigma

/// The matcher's own field lookup (containers found once per event, names split once) gives what
/// `Event.value(forField:)` gives, for every field the Windows rules use, on every corpus EVTX record
/// (corpus-gated).
@Suite struct FieldLookupTests {
    @Test func slotLookupsAgreeWithEventLookups() throws {
        guard let evtx = Support.corpus("evtx"), let rules = Support.corpus("sigma/rules/windows") else { return }
        let set = RuleSet(rules: RuleLoader.load(paths: [rules]).rules)
        var names = set.slotNames.filter { $0 != RuleSet.keywordSlotName }
        names += ["Channel", "EventID", "Provider_Name", "Security_UserID", "Execution_ProcessID", "System.Computer", "No_Such"]
        let fields = names.map(FieldName.init)
        var files: [(path: String, format: FileFormat)] = []
        var skipped: [(path: String, reason: String)] = []
        FileCollector.collect(evtx, into: &files, skipped: &skipped)
        let parser = EVTXChunkParser()
        var records = 0
        var mismatches: [String] = []
        for f in files where f.format == .evtx {
            let file = try EVTXFile(path: f.path)
            for c in 0..<file.chunkCount {
                _ = parser.parse(file, chunk: c) { record in
                    let event = record.event(file: f.path)
                    let parts = WindowsEventParts(event)
                    for (name, field) in zip(names, fields) where parts.value(field, in: event) != event.value(forField: name) {
                        if mismatches.count < 20 { mismatches.append("\(f.path)#\(record.recordID): \(name)") }
                    }
                    records += 1
                }
            }
        }
        #expect(records > 10_000)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
