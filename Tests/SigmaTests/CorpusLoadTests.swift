import Events
import Testing

@testable import Sigma

/// Every SigmaHQ Windows rule of the corpus loads (corpus-gated).
@Suite struct CorpusLoadTests {
    @Test func allWindowsRulesLoad() throws {
        guard let dir = Support.corpus("sigma/rules/windows") else { return }
        let c = RuleLoader.load(paths: [dir])
        var reasons: [String: Int] = [:]
        for f in c.failures { reasons[f.category, default: 0] += 1 }
        print("Sigma corpus: \(c.files) files, \(c.rules.count) rules loaded, \(c.failures.count) failed \(reasons)")
        for f in c.failures.prefix(30) { print("  \(f)") }
        #expect(c.files == 2407)
        #expect(c.rules.count == 2407)
        #expect(c.failures.isEmpty)
        let set = RuleSet(rules: c.rules)
        print("Sigma corpus: \(set.unitCount) compiled units, \(set.unmappedRules.count) rules without a log-source mapping")
        for i in set.unmappedRules.prefix(40) { print("  unmapped: \(c.rules[i].logsource) \(c.rules[i].file)") }
    }

    @Test func everyRuleInTheCorpusLoadsOrFailsCleanly() throws {
        guard let dir = Support.corpus("sigma/rules") else { return }
        let c = RuleLoader.load(paths: [dir])
        print("Sigma corpus (all products): \(c.files) files, \(c.rules.count) rules, \(c.correlations.count) correlations, \(c.failures.count) failed")
        for f in c.failures.prefix(30) { print("  \(f)") }
        #expect(c.rules.count + c.failures.count + c.correlations.count + c.filters.count >= c.files)
    }
}
