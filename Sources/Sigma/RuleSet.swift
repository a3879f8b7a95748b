import Events

/// Rules compiled for evaluation: each rule's log source resolved to channels and event ids,
/// field names mapped and interned to slots, filters attached, and an index from
/// (channel, event id) to the rules that can apply.
public final class RuleSet: @unchecked Sendable {
    // Sendable: immutable after init; evaluation state lives in per-thread `EventView`s.

    /// A rule as compiled for one log-source target.
    final class Unit {
        let rule: Int
        let channels: Set<String>
        let eventIDs: Set<Int>
        let providers: Set<String>
        let program: ProgramNode
        /// Filters (each is ANDed as `not`).
        let filters: [ProgramNode]
        /// The slot whose literals must occur for the rule to match, or -1 (always evaluated).
        var prefilterSlot: Int = -1

        init(rule: Int, channels: Set<String>, eventIDs: Set<Int>, providers: Set<String>, program: ProgramNode, filters: [ProgramNode]) {
            self.rule = rule
            self.channels = channels
            self.eventIDs = eventIDs
            self.providers = providers
            self.program = program
            self.filters = filters
        }
    }

    /// The multi-pattern prefilter of one slot: its automaton and, per pattern, the units requiring it.
    struct SlotFilter {
        var automaton: AhoCorasick
        var units: [[Int32]]
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
    /// Prefilters by slot.
    let slotFilters: [SlotFilter?]
    /// Units with a prefilter.
    public let prefilteredUnits: Int

    /// Compiles `rules` (and `filters`) for hunting.
    ///
    /// - Parameters:
    ///   - mapping: the log-source table (built-in, possibly with a user's file).
    ///   - variant: which variant of the table (`--logsource`).
    ///   - minimumLevel: rules below this level are left out (rules without a level count as informational).
    ///   - prefilter: build the per-field multi-pattern prefilters (off only to check that they change nothing).
    public init(
        rules: [SigmaRule], filters: [SigmaFilter] = [], mapping: LogSourceMapping = .windows,
        variant: LogSourceVariant = .both, minimumLevel: SigmaLevel = .informational, prefilter: Bool = true
    ) {
        self.rules = rules
        var slots: [String: Int] = [:]
        var slotNames: [String] = []
        var units: [Unit] = []
        var requirements: [[(slot: Int, literal: [UInt8])]?] = []
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
                        providers: Set(t.providers.map { $0.lowercased() }), program: Program.compile(detection),
                        filters: fs.map(Program.compile)))
                requirements.append(Program.requirement(detection))
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
        // Prefilters: a unit whose requirement lies on one slot gets that slot's automaton.
        var perSlot: [Int: (patterns: [[UInt8]], ids: [[UInt8]: Int], units: [[Int32]])] = [:]
        var prefiltered = 0
        for (u, req) in requirements.enumerated() {
            guard prefilter, let req, let first = req.first, req.allSatisfy({ $0.slot == first.slot }) else { continue }
            var entry = perSlot[first.slot] ?? ([], [:], [])
            for (_, lit) in req {
                let id: Int
                if let existing = entry.ids[lit] {
                    id = existing
                } else {
                    id = entry.patterns.count
                    entry.ids[lit] = id
                    entry.patterns.append(lit)
                    entry.units.append([])
                }
                if entry.units[id].last != Int32(u) { entry.units[id].append(Int32(u)) }
            }
            perSlot[first.slot] = entry
            units[u].prefilterSlot = first.slot
            prefiltered += 1
        }
        var slotFilters = [SlotFilter?](repeating: nil, count: slotNames.count)
        for (slot, entry) in perSlot {
            slotFilters[slot] = SlotFilter(automaton: AhoCorasick(patterns: entry.patterns), units: entry.units)
        }
        self.slotFilters = slotFilters
        self.prefilteredUnits = prefiltered
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
    public func makeView() -> EventView { EventView(slotNames: slotNames, unitCount: units.count) }

    /// The indices (into ``rules``) of the rules that match the view's current event, ascending.
    public func matches(_ view: EventView) -> [Int] {
        var out: [Int] = []
        if let byID = byChannelAndID[view.channel] {
            if let l = byID[view.eventID] { consider(l, view, &out) }
            if let l = byID[-1] { consider(l, view, &out) }
        }
        consider(anyChannel, view, &out)
        if out.count > 1 {
            out.sort()
            var unique: [Int] = []
            for r in out where unique.last != r { unique.append(r) }
            return unique
        }
        return out
    }

    func consider(_ list: [Int], _ view: EventView, _ out: inout [Int]) {
        for u in list {
            let unit = units[u]
            let slot = unit.prefilterSlot
            if slot >= 0 {
                if view.scannedGeneration[slot] != view.generation { scan(slot, view) }
                if view.passedGeneration[u] != view.generation { continue }
            }
            if !unit.providers.isEmpty && !unit.providers.contains(view.provider) { continue }
            if evaluate(unit, view) { out.append(unit.rule) }
        }
    }

    /// Runs the slot's automaton over the field's values and marks the units whose literals occur.
    func scan(_ slot: Int, _ view: EventView) {
        view.scannedGeneration[slot] = view.generation
        guard let filter = slotFilters[slot], let values = view.values(slot) else { return }
        let g = view.generation
        view.passedGeneration.withUnsafeMutableBufferPointer { passed in
            for v in values {
                v.folded.withUnsafeBufferPointer { text in
                    filter.automaton.scan(text) { id in
                        for u in filter.units[Int(id)] { passed[Int(u)] = g }
                    }
                }
            }
        }
    }

    /// Convenience: the rules matching one event.
    public func matches(_ event: Event, view: EventView? = nil) -> [Int] {
        let v = view ?? makeView()
        v.reset(event)
        return matches(v)
    }

    func evaluate(_ unit: Unit, _ view: EventView) -> Bool {
        guard unit.program.evaluate(view) else { return false }
        for f in unit.filters where f.evaluate(view) { return false }
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
