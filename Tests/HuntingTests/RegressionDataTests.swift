import Events
import Hunting
import Sigma
import Testing

/// SigmaHQ's regression data: every listed rule must fire on its EVTX file (corpus-gated).
@Suite struct RegressionDataTests {
    struct Case {
        var ruleIDs: [String]
        var evtx: String
        var matchCount: Int?
    }

    static func cases(root: String) -> [Case] {
        var out: [Case] = []
        for info in Support.find("info.yml", under: root + "/rules") {
            guard let text = Support.readText(info), let doc = try? YAMLNode.documents(text).first else { continue }
            guard case .sequence(let tests)? = doc["regression_tests_info"] else { continue }
            var ids: [String] = []
            if case .sequence(let meta)? = doc["rule_metadata"] {
                for m in meta { if let id = m["id"]?.string { ids.append(id) } }
            }
            for t in tests where t["type"]?.string == "evtx" {
                guard let path = t["path"]?.string else { continue }
                let relative = path.hasPrefix("regression_data/") ? String(path.dropFirst("regression_data/".count)) : path
                out.append(Case(ruleIDs: ids, evtx: root + "/" + relative, matchCount: t["match_count"]?.int.map(Int.init)))
            }
        }
        return out
    }

    @Test func everyListedRuleFiresOnItsEVTX() async throws {
        guard let root = Support.corpus("evtx/sigmahq-regression-data"),
            let rulesDir = Support.corpus("sigma/rules/windows")
        else { return }
        let cases = Self.cases(root: root)
        #expect(cases.count >= 190)
        let collection = RuleLoader.load(paths: [rulesDir])
        let set = RuleSet(rules: collection.rules, filters: collection.filters)
        let hunter = Hunter(ruleSet: set)
        var fired = 0
        var missingRule: [String] = []
        var failed: [String] = []
        var countMismatch: [String] = []
        for c in cases {
            let known = c.ruleIDs.filter { id in collection.rules.contains { $0.id == id } }
            if known.isEmpty {
                missingRule.append("\(c.ruleIDs) (\(c.evtx))")
                continue
            }
            let result = await hunter.hunt(paths: [c.evtx], threads: 1)
            var allFired = true
            for id in known {
                let n = result.sightings.filter { $0.ruleID == id }.count
                if n == 0 {
                    allFired = false
                    failed.append("\(id) \(c.evtx) (\(result.events) events)")
                } else if let want = c.matchCount, want != n {
                    countMismatch.append("\(id): \(n) matches, regression data says \(want)")
                }
            }
            if allFired { fired += 1 }
        }
        print("Regression data: \(fired)/\(cases.count) EVTX cases fired every listed rule")
        for f in failed { print("  did not fire: \(f)") }
        for m in missingRule { print("  rule not in the corpus: \(m)") }
        for m in countMismatch { print("  match count: \(m)") }
        #expect(failed.isEmpty)
        #expect(missingRule.isEmpty)
        #expect(fired == cases.count)
    }
}
