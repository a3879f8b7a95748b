import Foundation
import Events
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import Sigma

@Suite struct RuleLoaderTests {
    @Test func brokenYAMLIsReportedWithItsFile() {
        let c = RuleLoader.load(text: "title: x\n  bad: [", file: "bad.yml")
        #expect(c.rules.isEmpty)
        #expect(c.failures.count == 1)
        #expect(c.failures[0].file == "bad.yml")
        #expect(c.failures[0].category == "yaml")
        #expect(c.failures[0].description.hasPrefix("bad.yml: YAML:"))
    }

    @Test func missingAttributes() {
        #expect(RuleLoader.load(text: "title: x\nlogsource: {product: windows}").failures.first?.category == "attribute")
        #expect(RuleLoader.load(text: "detection: {a: {b: c}, condition: a}").failures.first?.category == "attribute")
        #expect(
            RuleLoader.load(text: "title: x\nlogsource: {product: windows}\ndetection: {a: {b: c}, condition: a}\nlevel: huge")
                .failures.first?.category == "attribute")
    }

    @Test func emptyTextLoadsNothing() {
        let c = RuleLoader.load(text: "")
        #expect(c.rules.isEmpty && c.failures.isEmpty)
    }

    @Test func emptyAndMissingFilesAreFailures() throws {
        var template = Array(((ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/sightline-rules-XXXXXX").utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        let fd = open(dir + "/empty.yml", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = write(fd, "  \n", 3)
        close(fd)
        let c = RuleLoader.load(paths: [dir, dir + "/missing.yml"])
        #expect(c.failures.count == 2)
        #expect(c.failures.contains { $0.file == dir + "/empty.yml" && $0.description.contains("empty file") })
        #expect(c.failures.contains { $0.file == dir + "/missing.yml" && $0.category == "io" })
    }

    @Test func multiDocumentAndGlobalAction() throws {
        let text = """
            action: global
            title: shared
            logsource:
                product: windows
                category: process_creation
            level: high
            ---
            id: one
            detection:
                sel:
                    Image|endswith: '\\a.exe'
                condition: sel
            ---
            id: two
            title: second
            detection:
                sel:
                    Image|endswith: '\\b.exe'
                condition: sel
            ---
            title: broken
            detection:
                condition: nothing
            """
        let c = RuleLoader.load(text: text, file: "multi.yml")
        #expect(c.rules.map(\.id) == ["one", "two"])
        #expect(c.rules.map(\.title) == ["shared", "second"])
        #expect(c.rules.allSatisfy { $0.level == .high })
        #expect(c.failures.count == 1)
        #expect(c.failures.first?.document == 3)
    }

    @Test func typesAreResolvedBySigmaNotYAML11() throws {
        let r = try Support.rule(Support.processRule("    sel:\n        A: yes\n        B: '4688'\n        C: 4688\n        D: ~\n    condition: sel"))
        guard case .field(let a) = try #require(searchParts(r).first) else { Issue.record("no field"); return }
        #expect(a.field == "A")
        #expect(try SigmaValue(.scalar("yes", plain: true)) == .string("yes"))
        #expect(try SigmaValue(.scalar("true", plain: true)) == .bool(true))
        #expect(try SigmaValue(.scalar("'4688'", plain: false)) == .string("'4688'"))
        #expect(try SigmaValue(.scalar("4688", plain: true)) == .number("4688"))
        #expect(try SigmaValue(.scalar("~", plain: true)) == .null)
    }

    func searchParts(_ r: SigmaRule) -> [SearchExpression] {
        if case .and(let parts) = r.detection.searches[0] { return parts }
        return [r.detection.searches[0]]
    }

    @Test func attackTechniquesFromTags() throws {
        var r = try Support.rule(Support.processRule("    sel:\n        A: b\n    condition: sel"))
        r.tags = ["attack.execution", "attack.t1059.001", "attack.T1105", "attack.g0032", "cve.2021-1"]
        #expect(r.attackTechniques == ["T1059.001", "T1105"])
    }

    @Test func correlationAndFilterDocuments() throws {
        let text = """
            title: base
            name: base_rule
            id: 11111111-1111-1111-1111-111111111111
            logsource: {product: windows, service: security}
            detection:
                sel: {EventID: 4625}
                condition: sel
            ---
            title: many failures
            correlation:
                type: event_count
                rules: [base_rule]
                group-by: [TargetUserName]
                timespan: 5m
                condition: {gte: 3}
            ---
            title: drop admins
            logsource: {product: windows, service: security}
            filter:
                rules: [11111111-1111-1111-1111-111111111111]
                selection: {TargetUserName|startswith: adm_}
                condition: selection
            """
        let c = RuleLoader.load(text: text)
        #expect(c.failures.isEmpty)
        #expect(c.rules.count == 1)
        #expect(c.correlations.first?.type == .eventCount)
        #expect(c.correlations.first?.timespan == 300)
        #expect(c.filters.first?.rules == ["11111111-1111-1111-1111-111111111111"])
    }

    @Test func filtersSuppressMatches() throws {
        let text = """
            title: base
            id: r1
            logsource: {product: windows, category: process_creation}
            detection:
                sel: {Image|endswith: '\\\\cmd.exe'}
                condition: sel
            ---
            title: f
            logsource: {product: windows, category: process_creation}
            filter:
                rules: [r1]
                selection: {User|startswith: adm_}
                condition: selection
            """
        let c = RuleLoader.load(text: text)
        #expect(c.failures.isEmpty)
        let set = RuleSet(rules: c.rules, filters: c.filters)
        let admin = Support.windowsEvent(data: [("Image", .string("C:\\cmd.exe")), ("User", .string("adm_x"))])
        let user = Support.windowsEvent(data: [("Image", .string("C:\\cmd.exe")), ("User", .string("bob"))])
        #expect(set.matches(admin).isEmpty)
        #expect(set.matches(user) == [0])
    }
}
