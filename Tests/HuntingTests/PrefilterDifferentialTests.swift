import Hunting
import Sigma
import Testing

/// The prefilter only skips rules that cannot match: results with and without it are identical
/// over the corpus event logs (corpus-gated).
@Suite struct PrefilterDifferentialTests {
    @Test func prefilterChangesNothing() async throws {
        guard let rules = Support.corpus("sigma/rules/windows"), let evtx = Support.corpus("evtx") else { return }
        let c = RuleLoader.load(paths: [rules])
        let fast = Hunter(ruleSet: RuleSet(rules: c.rules, filters: c.filters))
        let slow = Hunter(ruleSet: RuleSet(rules: c.rules, filters: c.filters, prefilter: false))
        #expect(fast.ruleSet.prefilteredUnits > fast.ruleSet.unitCount / 2)
        let a = await fast.hunt(paths: [evtx], threads: 2)
        let b = await slow.hunt(paths: [evtx], threads: 2)
        print("Prefilter: \(fast.ruleSet.prefilteredUnits)/\(fast.ruleSet.unitCount) units prefiltered; \(a.events) events, \(a.sightings.count) detections")
        #expect(a.events == b.events)
        #expect(a.sightings.count == b.sightings.count)
        let ka = a.sightings.map { "\($0.file)#\($0.recordID ?? 0)#\($0.ruleID)" }
        let kb = b.sightings.map { "\($0.file)#\($0.recordID ?? 0)#\($0.ruleID)" }
        #expect(ka == kb)
        if ka != kb {
            let sa = Set(ka)
            let sb = Set(kb)
            for m in sb.subtracting(sa).sorted().prefix(20) { print("  missed with prefilter: \(m)") }
            for m in sa.subtracting(sb).sorted().prefix(20) { print("  extra with prefilter: \(m)") }
        }
    }
}
