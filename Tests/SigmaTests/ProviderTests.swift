import Events
import Testing

@testable import Sigma

/// A log source restricted to providers applies only to events of those providers (matching compares
/// provider numbers, looked up once per provider and rule set).
@Suite struct ProviderTests {
    static let mapping = """
        mappings:
          - product: windows
            service: appservice
            targets:
              - channels: [Application]
                providers: [App-One, App-Two]
          - product: windows
            service: anyservice
            targets:
              - channels: [Application]
        """

    static func rule(_ service: String, id: Int) -> String {
        """
        title: \(service) \(id)
        id: 00000000-0000-0000-0000-00000000000\(id)
        logsource:
            product: windows
            service: \(service)
        detection:
            sel:
                Message|contains: 'needle'
            condition: sel
        """
    }

    static func event(provider: String, message: String = "a needle here") -> Event {
        Support.windowsEvent(channel: "Application", eventID: 7, provider: provider, data: [("Message", .string(message))])
    }

    @Test func onlyTheNamedProvidersMatch() throws {
        let mapping = try LogSourceMapping(yaml: Self.mapping)
        let rules = [try Support.rule(Self.rule("appservice", id: 1)), try Support.rule(Self.rule("anyservice", id: 2))]
        let set = RuleSet(rules: rules, mapping: mapping)
        let view = set.makeView()
        // One view across events whose provider changes, in both directions and back.
        for (provider, expected) in [
            ("App-One", [0, 1]), ("app-two", [0, 1]), ("Other", [1]), ("App-One", [0, 1]), ("", [1]),
            ("App-Two", [0, 1]),
        ] {
            #expect(set.matches(Self.event(provider: provider), view: view) == expected, "provider \(provider)")
        }
        #expect(set.matches(Self.event(provider: "App-One", message: "nothing"), view: view) == [])
    }

    @Test func aViewMovedToAnotherRuleSetLooksTheProviderUpAgain() throws {
        let mapping = try LogSourceMapping(yaml: Self.mapping)
        let a = RuleSet(rules: [try Support.rule(Self.rule("appservice", id: 1))], mapping: mapping)
        // Here App-Two is the first provider numbered: the numbers differ between the two sets.
        let otherMapping = try LogSourceMapping(yaml: Self.mapping.replacing("[App-One, App-Two]", with: "[App-Two]"))
        let b = RuleSet(rules: [try Support.rule(Self.rule("appservice", id: 1))], mapping: otherMapping)
        let view = a.makeView()
        #expect(a.matches(Self.event(provider: "App-Two"), view: view) == [0])
        #expect(b.matches(Self.event(provider: "App-Two"), view: view) == [0])
        #expect(b.matches(Self.event(provider: "App-One"), view: view) == [])
        #expect(a.matches(Self.event(provider: "App-One"), view: view) == [0])
    }
}
