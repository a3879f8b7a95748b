import Events

/// Rules compiled for evaluation: each rule's log source resolved to channels and event ids,
/// field names mapped and interned to slots, filters attached, and an index from
/// (channel, event id) to the rules that can apply.
public final class RuleSet: @unchecked Sendable {
    // Sendable: immutable after init; evaluation state lives in per-thread `EventView`s.

    /// A rule as compiled for one log-source target.
    struct Unit {
        var rule: Int
        var channels: Set<String>
        var eventIDs: Set<Int>
        var providers: Set<String>
        var detection: Detection
        /// Filters (each is ANDed as `not`).
        var filters: [Detection]
    }

    /// The rules, in load order (detections refer to them by index).
    public let rules: [SigmaRule]
    /// Rules that have no log-source mapping (loaded, never evaluated), with their log source.
    public let unmappedRules: [Int]
    /// Rules excluded by the minimum level.
    public let belowLevel: Int
    let units: [Unit]
    let slotNames: [String]
    /// (channel, event id) → unit indices; event id -1 is "any event id".
    let byChannelAndID: [String: [Int: [Int]]]
    /// Units that apply to every channel.
    let anyChannel: [Int]

    /// Compiles `rules` (and `filters`) for hunting.
    ///
    /// - Parameters:
    ///   - mapping: the log-source table (built-in, possibly with a user's file).
    ///   - variant: which variant of the table (`--logsource`).
    ///   - minimumLevel: rules below this level are left out (rules without a level count as informational).
    public init(
        rules: [SigmaRule], filters: [SigmaFilter] = [], mapping: LogSourceMapping = .windows,
        variant: LogSourceVariant = .both, minimumLevel: SigmaLevel = .informational
    ) {
        self.rules = rules
        var slots: [String: Int] = [:]
        var slotNames: [String] = []
        var units: [Unit] = []
        var unmapped: [Int] = []
        var below = 0
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slotNames.count
            slotNames.append(name)
            return slotNames.count - 1
        }
        for (index, rule) in rules.enumerated() {
            if (rule.level ?? .informational) < minimumLevel {
                below += 1
                continue
            }
            guard let targets = mapping.targets(for: rule.logsource, variant: variant) else {
                unmapped.append(index)
                continue
            }
            let ruleFilters = filters.filter { f in
                f.rules.contains { $0 == rule.id || ($0 == rule.name && rule.name != nil) }
            }
            let effective = targets.isEmpty ? [LogSourceTarget(channels: [])] : targets
            for t in effective {
                let detection = RuleSet.bind(rule.detection, fields: t.fields, slot: slot)
                let fs = ruleFilters.map { RuleSet.bind($0.detection, fields: t.fields, slot: slot) }
                units.append(
                    Unit(
                        rule: index, channels: Set(t.channels.map { $0.lowercased() }), eventIDs: Set(t.eventIDs),
                        providers: Set(t.providers.map { $0.lowercased() }), detection: detection, filters: fs))
            }
        }
        var index: [String: [Int: [Int]]] = [:]
        var any: [Int] = []
        for (u, unit) in units.enumerated() {
            if unit.channels.isEmpty {
                any.append(u)
                continue
            }
            for c in unit.channels {
                if unit.eventIDs.isEmpty {
                    index[c, default: [:]][-1, default: []].append(u)
                } else {
                    for id in unit.eventIDs { index[c, default: [:]][id, default: []].append(u) }
                }
            }
        }
        self.units = units
        self.slotNames = slotNames
        self.byChannelAndID = index
        self.anyChannel = any
        self.unmappedRules = unmapped
        self.belowLevel = below
    }

    /// Number of compiled (rule, log-source target) units.
    public var unitCount: Int { units.count }

    /// A fresh per-thread view for ``matches(_:)``.
    public func makeView() -> EventView { EventView(slotNames: slotNames) }

    /// The indices (into ``rules``) of the rules that match the view's current event, ascending.
    public func matches(_ view: EventView) -> [Int] {
        var out: [Int] = []
        var seen = Set<Int>()
        func consider(_ list: [Int]) {
            for u in list {
                let unit = units[u]
                if seen.contains(unit.rule) { continue }
                if !unit.providers.isEmpty && !unit.providers.contains(view.provider) { continue }
                if evaluate(unit, view) {
                    seen.insert(unit.rule)
                    out.append(unit.rule)
                }
            }
        }
        if let byID = byChannelAndID[view.channel] {
            if let l = byID[view.eventID] { consider(l) }
            if let l = byID[-1] { consider(l) }
        }
        consider(anyChannel)
        out.sort()
        return out
    }

    /// Convenience: the rules matching one event.
    public func matches(_ event: Event, view: EventView? = nil) -> [Int] {
        let v = view ?? makeView()
        v.reset(event)
        return matches(v)
    }

    func evaluate(_ unit: Unit, _ view: EventView) -> Bool {
        guard Evaluator.evaluate(unit.detection, view) else { return false }
        for f in unit.filters where Evaluator.evaluate(f, view) { return false }
        return true
    }

    /// Renames fields per the log-source target and assigns slots.
    static func bind(_ d: Detection, fields: [String: String], slot: (String) -> Int) -> Detection {
        func map(_ s: SearchExpression) -> SearchExpression {
            switch s {
            case .field(var t):
                if let renamed = fields[t.field] { t.field = renamed }
                t.slot = slot(t.field)
                t.matchers = t.matchers.map { m in
                    if case .fieldref(let other, let mode, let cased) = m, let renamed = fields[other] {
                        return .fieldref(renamed, mode, caseSensitive: cased)
                    }
                    return m
                }
                return .field(t)
            case .keywords(let t): return .keywords(t)
            case .and(let items): return .and(items.map(map))
            case .or(let items): return .or(items.map(map))
            }
        }
        var out = d
        out.searches = d.searches.map(map)
        return out
    }
}
