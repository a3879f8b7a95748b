import Events
import Testing

@testable import Sigma

@Suite struct ConditionTests {
    static let event = Support.windowsEvent(data: [
        ("CommandLine", .string("powershell -nop -w hidden")), ("Image", .string("C:\\x\\powershell.exe")),
        ("User", .string("bob")),
    ])

    static func fires(_ condition: String) throws -> Bool {
        let body = """
                sel_a:
                    CommandLine|contains: 'nop'
                sel_b:
                    Image|endswith: '\\powershell.exe'
                filter_x:
                    User: 'alice'
                _private:
                    User: 'nobody'
                condition: \(condition)
            """
        return try Support.fires(Support.processRule(body), event)
    }

    @Test(arguments: [
        ("sel_a and sel_b", true), ("sel_a and not sel_b", false), ("sel_a or filter_x", true),
        ("not filter_x", true), ("sel_a and (filter_x or sel_b)", true), ("(sel_a and filter_x) or sel_b", true),
        ("sel_a and filter_x or sel_b", true), ("not sel_a or filter_x", false), ("not (sel_a and sel_b)", false),
        ("1 of sel_*", true), ("all of sel_*", true), ("all of sel_* and not 1 of filter_*", true),
        ("1 of them", true), ("all of them", false), ("any of filter_*", false), ("2 of them", true),
        ("3 of them", false), ("not not sel_a", true), ("SEL_A and sel_b", nil),
    ] as [(String, Bool?)])
    func conditions(_ condition: String, _ expected: Bool?) throws {
        if let expected {
            #expect(try Self.fires(condition) == expected, "\(condition)")
        } else {
            #expect(throws: SigmaError.self) { try Self.fires(condition) }
        }
    }

    @Test func themExcludesUnderscoreNames() throws {
        // `_private` does not match; with it, "all of them" would still be false because of filter_x,
        // so test with a detection whose only failing search starts with an underscore.
        let body = """
                sel:
                    User: 'bob'
                _other:
                    User: 'nobody'
                condition: all of them
            """
        #expect(try Support.fires(Support.processRule(body), Self.event))
    }

    @Test func malformedConditions() {
        for c in ["sel_a and", "(sel_a", "sel_a sel_b", "1 of nothing_*", "sel_a | count() > 5", "unknown"] {
            let r = RuleLoader.load(
                text: Support.processRule("    sel_a:\n        User: x\n    sel_b:\n        User: y\n    condition: \(c)"))
            #expect(r.rules.isEmpty, "\(c)")
            #expect(r.failures.first?.category == "condition", "\(c)")
        }
    }

    @Test func keywords() throws {
        let body = """
                keywords:
                    - 'hidden'
                    - 'nothing'
                condition: keywords
            """
        #expect(try Support.fires(Support.processRule(body), Self.event))
        let all = """
                keywords:
                    '|all':
                        - 'hidden'
                        - 'nothing'
                condition: keywords
            """
        #expect(try !Support.fires(Support.processRule(all), Self.event))
    }

    @Test func listOfMapsIsOr() throws {
        let body = """
                sel:
                    - User: 'alice'
                    - User: 'bob'
                      Image|endswith: '.exe'
                condition: sel
            """
        #expect(try Support.fires(Support.processRule(body), Self.event))
    }

    @Test func conditionListIsOr() throws {
        let body = """
                a:
                    User: 'alice'
                b:
                    User: 'bob'
                condition:
                    - a
                    - b
            """
        #expect(try Support.fires(Support.processRule(body), Self.event))
    }
}
