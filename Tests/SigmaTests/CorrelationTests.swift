import Events
import Testing

@testable import Sigma

@Suite struct CorrelationTests {
    static let base = """
        title: failed logon
        name: failed
        id: 00000000-0000-0000-0000-00000000000a
        logsource: {product: windows, service: security}
        detection:
            sel: {EventID: 4625}
            condition: sel
        ---
        title: success
        name: success
        id: 00000000-0000-0000-0000-00000000000b
        logsource: {product: windows, service: security}
        detection:
            sel: {EventID: 4624}
            condition: sel
        ---
        title: recon c
        name: recon_c
        logsource: {product: windows, service: security}
        detection:
            sel: {EventID: 1}
            condition: sel
        """

    static func correlation(_ body: String) throws -> (SigmaCorrelation, [SigmaRule]) {
        let c = RuleLoader.load(text: base + "\n---\ntitle: corr\nid: corr\n" + body)
        if let f = c.failures.first { throw f }
        return (try #require(c.correlations.first), c.rules)
    }

    /// An event of rule `rule` at `second`, with field values.
    static func e(_ rule: Int, _ second: Int64, _ values: [String: String], _ ref: Int) -> CorrelationEvent {
        CorrelationEvent(rule: rule, timestamp: Timestamp(unixSeconds: 1_700_000_000 + second), values: values, reference: ref)
    }

    @Test func eventCountWithGroupByAndTimespan() throws {
        let (c, rules) = try Self.correlation("""
            correlation:
                type: event_count
                rules: [failed]
                group-by: [TargetUserName]
                timespan: 1m
                condition: {gte: 3}
            """)
        let events = [
            Self.e(0, 0, ["TargetUserName": "bob"], 0), Self.e(0, 10, ["TargetUserName": "alice"], 1),
            Self.e(0, 20, ["TargetUserName": "bob"], 2), Self.e(0, 100, ["TargetUserName": "bob"], 3),  // first bob expired
            Self.e(0, 110, ["TargetUserName": "bob"], 4), Self.e(0, 115, ["TargetUserName": "bob"], 5),
        ]
        let m = Correlator.evaluate([c], rules: rules, events: events)
        #expect(m.count == 1)
        #expect(m.first?.events == [3, 4, 5])
        #expect(m.first?.group.first?.1 == "bob")
        #expect(m.first?.value == 3)
    }

    @Test func valueCount() throws {
        let (c, rules) = try Self.correlation("""
            correlation:
                type: value_count
                rules: [failed]
                group-by: [IpAddress]
                timespan: 1h
                condition: {field: TargetUserName, gt: 2}
            """)
        let users = ["a", "b", "a", "c"]
        let events = users.enumerated().map { Self.e(0, Int64($0.offset), ["IpAddress": "10.0.0.1", "TargetUserName": $0.element], $0.offset) }
        let m = Correlator.evaluate([c], rules: rules, events: events)
        #expect(m.map(\.events) == [[0, 1, 2, 3]])
        #expect(m.first?.value == 3)
    }

    @Test func temporalAnyOrderAndOrdered() throws {
        let (t, rules) = try Self.correlation("""
            correlation:
                type: temporal
                rules: [success, failed]
                group-by: [TargetUserName]
                timespan: 5m
            """)
        let events = [Self.e(1, 0, ["TargetUserName": "x"], 0), Self.e(0, 30, ["TargetUserName": "x"], 1)]
        #expect(Correlator.evaluate([t], rules: rules, events: events).count == 1)
        let (o, _) = try Self.correlation("""
            correlation:
                type: temporal_ordered
                rules: [failed, success]
                group-by: [TargetUserName]
                timespan: 5m
            """)
        // success then failed: wrong order.
        #expect(Correlator.evaluate([o], rules: rules, events: events).isEmpty)
        let ordered = [Self.e(0, 0, ["TargetUserName": "x"], 0), Self.e(1, 30, ["TargetUserName": "x"], 1)]
        #expect(Correlator.evaluate([o], rules: rules, events: ordered).map(\.events) == [[0, 1]])
        // Too far apart.
        let late = [Self.e(0, 0, ["TargetUserName": "x"], 0), Self.e(1, 600, ["TargetUserName": "x"], 1)]
        #expect(Correlator.evaluate([o], rules: rules, events: late).isEmpty)
    }

    @Test func valueSumAvgPercentile() throws {
        let (sum, rules) = try Self.correlation("""
            correlation:
                type: value_sum
                rules: [success]
                group-by: [User]
                timespan: 1h
                condition: {field: Bytes, gt: 1000}
            """)
        let events = [600, 300, 200].enumerated().map { Self.e(1, Int64($0.offset), ["User": "u", "Bytes": String($0.element)], $0.offset) }
        #expect(Correlator.evaluate([sum], rules: rules, events: events).map(\.value) == [1100])
        let (avg, _) = try Self.correlation("""
            correlation:
                type: value_avg
                rules: [success]
                group-by: [User]
                timespan: 1h
                condition: {field: Bytes, gte: 450}
            """)
        #expect(Correlator.evaluate([avg], rules: rules, events: events).map(\.value) == [600])
        let (pct, _) = try Self.correlation("""
            correlation:
                type: value_percentile
                rules: [success]
                group-by: [Host]
                timespan: 1d
                condition: {field: Image, lte: 10}
            """)
        var many: [CorrelationEvent] = []
        for i in 0..<20 { many.append(Self.e(1, Int64(i), ["Host": "h", "Image": "common.exe"], i)) }
        many.append(Self.e(1, 30, ["Host": "h", "Image": "rare.exe"], 20))
        let m = Correlator.evaluate([pct], rules: rules, events: many)
        #expect(m.count == 1)
        #expect(m.first?.events.last == 20)
    }

    @Test func aliasesMapFieldsPerRule() throws {
        let (c, rules) = try Self.correlation("""
            correlation:
                type: temporal
                rules: [failed, success]
                group-by: [account]
                timespan: 1m
                aliases:
                    account:
                        failed: TargetUserName
                        success: SubjectUserName
            """)
        let events = [Self.e(0, 0, ["TargetUserName": "bob"], 0), Self.e(1, 5, ["SubjectUserName": "bob"], 1)]
        #expect(Correlator.evaluate([c], rules: rules, events: events).count == 1)
        let other = [Self.e(0, 0, ["TargetUserName": "bob"], 0), Self.e(1, 5, ["SubjectUserName": "eve"], 1)]
        #expect(Correlator.evaluate([c], rules: rules, events: other).isEmpty)
    }

    @Test func unresolvedReferencesAreListed() throws {
        let (c, rules) = try Self.correlation("""
            correlation:
                type: temporal
                rules: [failed, nobody]
                group-by: [User]
                timespan: 1m
            """)
        #expect(Correlator.unresolved(for: c, in: rules) == ["nobody"])
        #expect(Correlator.ruleIndices(for: c, in: rules) == [0])
    }

    @Test func malformedCorrelations() {
        for body in [
            "correlation: {type: nope, rules: [failed], timespan: 1m}",
            "correlation: {type: event_count, rules: [failed], timespan: 1m}",
            "correlation: {type: value_count, rules: [failed], timespan: 1m, condition: {gte: 2}}",
            "correlation: {type: event_count, rules: [failed], timespan: soon, condition: {gte: 2}}",
            "correlation: {type: event_count, timespan: 1m, condition: {gte: 2}}",
        ] {
            let c = RuleLoader.load(text: "title: x\n" + body)
            #expect(c.correlations.isEmpty, "\(body)")
            #expect(c.failures.first?.category == "correlation", "\(body)")
        }
        #expect(SigmaCorrelation.seconds("90s") == 90)
        #expect(SigmaCorrelation.seconds("2h") == 7200)
        #expect(SigmaCorrelation.seconds("1d") == 86_400)
    }

    @Test func specExamplesLoad() throws {
        guard let dir = Support.corpus("sigma-spec/examples") else { return }
        let c = RuleLoader.load(paths: [dir])
        for f in c.failures { print("  \(f)") }
        #expect(c.failures.isEmpty)
        #expect(c.correlations.count == 8)
        #expect(Set(c.correlations.map(\.type)) == Set(CorrelationType.allCases))
        #expect(c.filters.count == 2)
    }
}
