import Events

/// A base-rule match handed to the correlator: the rule, the time, the field values the correlations
/// need, and a reference the caller uses to find the event again.
public struct CorrelationEvent: Sendable {
    public var rule: Int
    public var timestamp: Timestamp?
    public var values: [String: String]
    public var reference: Int

    public init(rule: Int, timestamp: Timestamp?, values: [String: String], reference: Int) {
        self.rule = rule
        self.timestamp = timestamp
        self.values = values
        self.reference = reference
    }
}

/// A correlation that fired: which one, for which group, and the events that formed it.
public struct CorrelationMatch: Sendable {
    /// Index into the correlations given to ``Correlator/evaluate(_:rules:events:)``.
    public var correlation: Int
    /// The group-by values (alias names where the correlation defines aliases).
    public var group: [(String, String)]
    /// References of the events, in time order.
    public var events: [Int]
    /// The time of the last event.
    public var timestamp: Timestamp?
    /// The aggregate that satisfied the condition (count, distinct values, sum, average, percentage).
    public var value: Double
}

/// Evaluates correlation rules over the time-ordered matches of their base rules.
///
/// Per correlation and group, a sliding window of `timespan` seconds is kept. When the condition holds
/// after an event enters the window, a match is emitted with the window's events and the window is
/// cleared, so one burst gives one detection.
public enum Correlator {
    /// The indices of the rules a correlation refers to (by id or name), in the correlation's order.
    public static func ruleIndices(for c: SigmaCorrelation, in rules: [SigmaRule]) -> [Int] {
        var out: [Int] = []
        for ref in c.rules {
            if let i = rules.firstIndex(where: { $0.id == ref || ($0.name != nil && $0.name == ref) }) { out.append(i) }
        }
        return out
    }

    /// The references of a correlation that name no loaded rule (the correlation then ignores them;
    /// with none resolved it never fires).
    public static func unresolved(for c: SigmaCorrelation, in rules: [SigmaRule]) -> [String] {
        c.rules.filter { ref in !rules.contains { $0.id == ref || ($0.name != nil && $0.name == ref) } }
    }

    /// Runs every correlation over `events` (any order; sorted here by time, ties by reference).
    public static func evaluate(_ correlations: [SigmaCorrelation], rules: [SigmaRule], events: [CorrelationEvent])
        -> [CorrelationMatch]
    {
        let sorted = events.filter { $0.timestamp != nil }.sorted {
            $0.timestamp! != $1.timestamp! ? $0.timestamp! < $1.timestamp! : $0.reference < $1.reference
        }
        var out: [CorrelationMatch] = []
        for (ci, c) in correlations.enumerated() {
            let indices = ruleIndices(for: c, in: rules)
            guard !indices.isEmpty else { continue }
            let position = Dictionary(indices.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let span = Int64(c.timespan * 10_000_000)
            var windows: [[String]: [CorrelationEvent]] = [:]
            var groupOrder: [[String]] = []
            for e in sorted where position[e.rule] != nil {
                let key = c.groupBy.map { field(c, $0, rules[e.rule], e) ?? "" }
                if windows[key] == nil { groupOrder.append(key) }
                var w = windows[key] ?? []
                w.append(e)
                let now = e.timestamp!.ticks
                w.removeAll { now - $0.timestamp!.ticks > span }
                if let value = fires(c, w, position: position, rules: rules, newest: e) {
                    out.append(
                        CorrelationMatch(
                            correlation: ci, group: Array(zip(c.groupBy, key)), events: w.map(\.reference),
                            timestamp: e.timestamp, value: value))
                    w.removeAll()
                }
                windows[key] = w
            }
        }
        return out.sorted {
            let a = $0.timestamp?.ticks ?? 0
            let b = $1.timestamp?.ticks ?? 0
            return a != b ? a < b : $0.correlation < $1.correlation
        }
    }

    /// The value of `name` for an event, resolving a correlation alias for the event's rule.
    static func field(_ c: SigmaCorrelation, _ name: String, _ rule: SigmaRule, _ e: CorrelationEvent) -> String? {
        if let perRule = c.aliases[name] {
            if let n = rule.name, let f = perRule[n] { return e.values[f] }
            if let id = rule.id, let f = perRule[id] { return e.values[f] }
        }
        return e.values[name]
    }

    static func fires(
        _ c: SigmaCorrelation, _ w: [CorrelationEvent], position: [Int: Int], rules: [SigmaRule],
        newest: CorrelationEvent
    ) -> Double? {
        let fieldNames = c.condition.field?.split(separator: ",").map(String.init) ?? []
        func fieldValue(_ e: CorrelationEvent) -> String? {
            if fieldNames.isEmpty { return nil }
            let parts = fieldNames.map { field(c, $0, rules[e.rule], e) }
            if parts.contains(where: { $0 == nil }) { return nil }
            return parts.map { $0! }.joined(separator: "\u{1F}")
        }
        let value: Double
        switch c.type {
        case .eventCount:
            value = Double(w.count)
        case .valueCount:
            value = Double(Set(w.compactMap(fieldValue)).count)
        case .valueSum, .valueAvg:
            let numbers = w.compactMap { fieldValue($0).flatMap(Double.init) }
            guard !numbers.isEmpty else { return nil }
            let sum = numbers.reduce(0, +)
            value = c.type == .valueSum ? sum : sum / Double(numbers.count)
        case .valuePercentile:
            guard let mine = fieldValue(newest) else { return nil }
            let same = w.filter { fieldValue($0) == mine }.count
            value = 100 * Double(same) / Double(w.count)
        case .temporal:
            value = Double(Set(w.compactMap { position[$0.rule] }).count)
        case .temporalOrdered:
            // The longest prefix of the rule list seen in order within the window.
            var next = 0
            for e in w where position[e.rule] == next {
                next += 1
                if next == position.count { break }
            }
            value = Double(next)
        }
        return c.condition.holds(value) ? value : nil
    }
}
