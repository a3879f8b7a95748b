import Events
import Testing

@testable import Sigma

/// The parts of the prefilter that decide which rules an event is tried against: literals read from
/// regular expressions, event ids read from detections, keyword literals.
@Suite struct PrefilterTests {
    static func literals(_ pattern: String, caseInsensitive: Bool = false) -> [String]? {
        SigmaRegex.requiredLiterals(Array(pattern.utf8), caseInsensitive: caseInsensitive)?.map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    @Test(arguments: [
        ("ipconfig\\s+/all", ["ipconfig"]),
        ("netsh\\s+interface show interface|arp\\s+-a", ["interface show interface", "arp"]),
        ("\\.exe[\"']?\\s+\\d{2,10}", [".exe"]),
        ("abc?de", ["ab"]),
        ("abcd*e", ["abc"]),
        ("ab+c", ["ab"]),
        ("(foo|bar)bazz", ["bazz"]),
        ("[a-z]+\\\\Temp\\\\", ["\\temp\\"]),
        ("x{2}yz{1,3}", ["y"]),
        ("Q{a}", ["q{a}"]),
    ])
    func regexLiterals(pattern: String, expected: [String]) {
        #expect(PrefilterTests.literals(pattern) == expected)
    }

    @Test func regexWithoutSafeLiterals() {
        #expect(PrefilterTests.literals("(?x) a b") == nil)
        #expect(PrefilterTests.literals("\\x41bc") == nil)
        #expect(PrefilterTests.literals("abc|") == nil)
        #expect(PrefilterTests.literals("^.*$") == nil)
        #expect(PrefilterTests.literals("\\Qa.b\\E") == nil)
    }

    @Test func caselessRegexStopsAtKAndS() {
        // PCRE2 matches `k` with U+212A and `s` with U+017F under caseless matching.
        #expect(PrefilterTests.literals("werfaultsecure", caseInsensitive: true) == ["werfault"])
        #expect(PrefilterTests.literals("(?i)werfaultsecure") == ["werfault"])
        #expect(PrefilterTests.literals("werfaultsecure") == ["werfaultsecure"])
    }

    @Test func regexPrefilterKeepsMatches() throws {
        let yaml = Support.processRule(
            """
                selection:
                    CommandLine|re: 'net\\s+config'
                condition: selection
            """)
        let hit = Support.windowsEvent(data: [("CommandLine", .string("net   config server"))])
        let miss = Support.windowsEvent(data: [("CommandLine", .string("netconfig"))])
        let set = RuleSet(rules: [try Support.rule(yaml)])
        #expect(set.prefilteredUnits == 2)
        #expect(!set.matches(hit).isEmpty)
        #expect(set.matches(miss).isEmpty)
    }

    @Test func eventIDsFromDetection() throws {
        let rule = try Support.rule(
            """
            title: test
            logsource:
                product: windows
                service: security
            detection:
                a:
                    EventID: 4624
                    LogonType: 10
                b:
                    EventID:
                        - 4625
                        - 4771
                condition: a or b
            """)
        let d = rule.detection
        #expect(Program.eventIDs(d) == [4624, 4625, 4771])
        let set = RuleSet(rules: [rule])
        func event(_ id: Int, _ data: [(String, EventValue)]) -> Event {
            Support.windowsEvent(channel: "Security", eventID: id, data: data)
        }
        #expect(!set.matches(event(4624, [("LogonType", .uint(10))])).isEmpty)
        #expect(!set.matches(event(4771, [])).isEmpty)
        #expect(set.matches(event(4634, [("LogonType", .uint(10))])).isEmpty)
        // A condition that does not constrain the id in every branch leaves the rule on every id.
        let open = try Support.rule(
            """
            title: test
            logsource:
                product: windows
                service: security
            detection:
                a:
                    EventID: 4624
                b:
                    TargetUserName: admin
                condition: a or b
            """)
        #expect(Program.eventIDs(open.detection) == nil)
        #expect(!RuleSet(rules: [open]).matches(event(4634, [("TargetUserName", .string("Admin"))])).isEmpty)
    }

    @Test func twoRequirementsMustBothBeSeen() throws {
        let rule = try Support.rule(
            Support.processRule(
                """
                    selection_img:
                        Image|endswith: '\\cmd.exe'
                    selection_cli:
                        CommandLine|contains: 'secret-token'
                    filter:
                        User: admin
                    condition: selection_img and selection_cli and not filter
                """))
        let set = RuleSet(rules: [rule])
        let view = set.makeView()
        func run(_ image: String, _ cli: String) -> Bool {
            !set.matches(Support.windowsEvent(data: [("Image", .string(image)), ("CommandLine", .string(cli))]), view: view)
                .isEmpty
        }
        #expect(run("C:\\Windows\\System32\\cmd.exe", "cmd /c echo SECRET-TOKEN"))
        #expect(view.evaluations == 1)
        #expect(!run("C:\\Windows\\System32\\cmd.exe", "cmd /c dir"))
        #expect(!run("C:\\x\\other.exe", "secret-token"))
        // Neither event showed both literals: no evaluation.
        #expect(view.evaluations == 1)
    }

    @Test func keywordRulesArePrefiltered() throws {
        let rule = try Support.rule(
            """
            title: test
            logsource:
                product: windows
            detection:
                keywords:
                    - 'sekurlsa::'
                    - 'Kiwi Legit'
                condition: keywords
            """)
        let set = RuleSet(rules: [rule])
        #expect(set.prefilteredUnits == 1)
        #expect(!set.matches(Support.windowsEvent(data: [("CommandLine", .string("x SEKURLSA::logonpasswords"))])).isEmpty)
        #expect(!set.matches(Support.windowsEvent(data: [("Note", .string("ÄÖ kiwi legit"))])).isEmpty)
        #expect(set.matches(Support.windowsEvent(data: [("CommandLine", .string("kiwi"))])).isEmpty)
    }
}
