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
        /// The slots one of whose literals must occur for the rule to match (empty: always evaluated).
        var prefilterSlots: [Int] = []
        /// The (channel, event id) keys this unit is listed under; empty for a unit that applies to any channel.
        var keys: [Int32] = []

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
        /// Where this slot's literals start in the flat literal table of ``EventView``.
        var literalBase: Int
    }

    /// The rules, in load order (detections refer to them by index).
    public let rules: [SigmaRule]
    let filters: [SigmaFilter]
    let mapping: LogSourceMapping
    let variant: LogSourceVariant
    let minimumLevel: SigmaLevel
    let prefilterEnabled: Bool
    /// Rules that have no log-source mapping (loaded, never evaluated), with their log source.
    public let unmappedRules: [Int]
    /// Rules excluded by the minimum level.
    public let belowLevel: Int
    let units: [Unit]
    let slotNames: [String]
    /// What to do for one (channel, event id) key: the units always evaluated and the slots to scan
    /// (prefiltered units come from the scans).
    struct Candidates {
        var key: Int32
        var always: [Int32]
        var slots: [Int32]
    }

    /// (channel, event id) → candidates; event id -1 is "any event id".
    let byChannelAndID: [String: [Int: Candidates]]
    /// Units that apply to every channel.
    let anyChannel: Candidates
    /// Prefilters by slot.
    let slotFilters: [SlotFilter?]
    /// Units with a prefilter.
    public let prefilteredUnits: Int
    /// Literals in all automata.
    let literalCount: Int

    /// Compiles `rules` (and `filters`) for hunting.
    ///
    /// - Parameters:
    ///   - mapping: the log-source table (built-in, possibly with a user's file).
    ///   - variant: which variant of the table (`--logsource`).
    ///   - minimumLevel: rules below this level are left out (rules without a level count as informational).
    ///   - prefilter: build the per-field multi-pattern prefilters (off only to check that they change nothing).
    public convenience init(
        rules: [SigmaRule], filters: [SigmaFilter] = [], mapping: LogSourceMapping = .windows,
        variant: LogSourceVariant = .both, minimumLevel: SigmaLevel = .informational, prefilter: Bool = true
    ) {
        self.init(rules: rules, filters: filters, mapping: mapping, variant: variant, minimumLevel: minimumLevel,
            prefilter: prefilter, deepCopy: false, automataFrom: nil)
    }

    init(
        rules: [SigmaRule], filters: [SigmaFilter], mapping: LogSourceMapping, variant: LogSourceVariant,
        minimumLevel: SigmaLevel, prefilter: Bool, deepCopy: Bool, automataFrom source: RuleSet?
    ) {
        self.rules = rules
        self.filters = filters
        self.mapping = mapping
        self.variant = variant
        self.minimumLevel = minimumLevel
        self.prefilterEnabled = prefilter
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
                let detection = RuleSet.bind(rule.detection, fields: t.fields, deepCopy: deepCopy, slot: slot)
                let fs = ruleFilters.map { RuleSet.bind($0.detection, fields: t.fields, deepCopy: deepCopy, slot: slot) }
                units.append(
                    Unit(
                        rule: index, channels: Set(t.channels.map { $0.lowercased() }), eventIDs: Set(t.eventIDs),
                        providers: Set(t.providers.map { $0.lowercased() }), program: Program.compile(detection),
                        filters: fs.map(Program.compile)))
                requirements.append(Program.requirement(detection))
            }
        }
        // Prefilters: each unit with a requirement gets its literals in the automata of their slots.
        var perSlot: [Int: (patterns: [[UInt8]], ids: [[UInt8]: Int], units: [[Int32]])] = [:]
        var prefiltered = 0
        for (u, req) in requirements.enumerated() {
            guard prefilter, let req, !req.isEmpty else { continue }
            for (slot, lit) in req {
                if perSlot[slot] == nil { perSlot[slot] = ([], [:], []) }
                let id: Int
                if let existing = perSlot[slot]!.ids[lit] {
                    id = existing
                } else {
                    id = perSlot[slot]!.patterns.count
                    perSlot[slot]!.ids[lit] = id
                    perSlot[slot]!.patterns.append(lit)
                    perSlot[slot]!.units.append([])
                }
                if perSlot[slot]!.units[id].last != Int32(u) { perSlot[slot]!.units[id].append(Int32(u)) }
            }
            units[u].prefilterSlots = Array(Set(req.map(\.slot))).sorted()
            prefiltered += 1
        }
        // The index: per (channel, event id), the units always evaluated and the slots to scan.
        var keyCount: Int32 = 1
        var index: [String: [Int: Candidates]] = [:]
        var any = Candidates(key: 0, always: [], slots: [])
        func add(_ u: Int, to c: inout Candidates) {
            let unit = units[u]
            if unit.prefilterSlots.isEmpty {
                c.always.append(Int32(u))
            } else {
                for s in unit.prefilterSlots where !c.slots.contains(Int32(s)) { c.slots.append(Int32(s)) }
            }
        }
        for (u, unit) in units.enumerated() {
            if unit.channels.isEmpty {
                add(u, to: &any)
                continue
            }
            for c in unit.channels {
                for id in unit.eventIDs.isEmpty ? [-1] : unit.eventIDs.sorted() {
                    if index[c]?[id] == nil {
                        index[c, default: [:]][id] = Candidates(key: keyCount, always: [], slots: [])
                        keyCount += 1
                    }
                    add(u, to: &index[c]![id]!)
                    unit.keys.append(index[c]![id]!.key)
                }
            }
        }
        // Every case-insensitive `contains` literal short enough for the automaton joins its slot's
        // automaton too, so field tests read the scan's result instead of searching again.
        var fieldNodes: [FieldNode] = []
        if prefilter {
            for unit in units {
                unit.program.visitFields { fieldNodes.append($0) }
                for f in unit.filters { f.visitFields { fieldNodes.append($0) } }
            }
        }
        var nodeIDs: [[[Int]]] = []
        for node in fieldNodes {
            guard let groups = node.groups else {
                nodeIDs.append([])
                continue
            }
            var ids: [[Int]] = []
            for g in groups {
                var row: [Int] = []
                for p in g {
                    guard p.kind == 3, !p.literal.isEmpty, p.literal.count <= AhoCorasick.maxLength else {
                        row.append(-1)
                        continue
                    }
                    let slot = node.slot
                    if perSlot[slot] == nil { perSlot[slot] = ([], [:], []) }
                    if let existing = perSlot[slot]!.ids[p.literal] {
                        row.append(existing)
                    } else {
                        let id = perSlot[slot]!.patterns.count
                        perSlot[slot]!.ids[p.literal] = id
                        perSlot[slot]!.patterns.append(p.literal)
                        perSlot[slot]!.units.append([])
                        row.append(id)
                    }
                }
                ids.append(row)
            }
            nodeIDs.append(ids)
        }
        var slotFilters = [SlotFilter?](repeating: nil, count: slotNames.count)
        var literalBase = 0
        for (slot, entry) in perSlot.sorted(by: { $0.key < $1.key }) {
            // A copy for another worker builds the same patterns in the same order: it shares the
            // (read-only, large) automata of the original.
            let shared = source?.slotFilters[slot]?.automaton
            let automaton = shared.flatMap { $0.patterns == entry.patterns ? $0 : nil } ?? AhoCorasick(patterns: entry.patterns)
            slotFilters[slot] = SlotFilter(automaton: automaton, units: entry.units, literalBase: literalBase)
            literalBase += entry.patterns.count
        }
        for (node, ids) in zip(fieldNodes, nodeIDs) where !ids.isEmpty {
            guard let base = slotFilters[node.slot]?.literalBase else { continue }
            node.literalIndices = ids.map { row in row.map { $0 < 0 ? -1 : Int32(base + $0) } }
        }
        self.literalCount = literalBase
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
    public func makeView() -> EventView {
        let v = EventView(slotNames: slotNames, unitCount: units.count, literalCount: literalCount)
        v.scanner = self
        return v
    }

    /// The indices (into ``rules``) of the rules that match the view's current event, ascending.
    public func matches(_ view: EventView) -> [Int] {
        var out: [Int] = []
        view.hits.removeAll(keepingCapacity: true)
        let byID = byChannelAndID[view.channel]
        let exact = byID?[view.eventID]
        let anyID = byID?[-1]
        let keyA = exact?.key ?? -1
        let keyB = anyID?.key ?? -1
        for c in [exact, anyID, anyChannel] {
            guard let c else { continue }
            for slot in c.slots where view.scannedGeneration[Int(slot)] != view.generation { scan(Int(slot), view) }
        }
        units.withUnsafeBufferPointer { units in
            for c in [exact, anyID, anyChannel] {
                guard let c else { continue }
                for u in c.always {
                    let unit = units[Int(u)]
                    if !unit.providers.isEmpty && !unit.providers.contains(view.provider) { continue }
                    if evaluate(unit, view) { out.append(unit.rule) }
                }
            }
            for u in view.hits {
                let unit = units[Int(u)]
                guard unit.keys.isEmpty || unit.keys.contains(keyA) || unit.keys.contains(keyB) else { continue }
                if !unit.providers.isEmpty && !unit.providers.contains(view.provider) { continue }
                if evaluate(unit, view) { out.append(unit.rule) }
            }
        }
        if out.count > 1 {
            out.sort()
            var unique: [Int] = []
            for r in out where unique.last != r { unique.append(r) }
            return unique
        }
        return out
    }

    /// Runs the slot's automaton over the field's values and marks the units whose literals occur.
    func scan(_ slot: Int, _ view: EventView) {
        view.scannedGeneration[slot] = view.generation
        guard let filter = slotFilters[slot], let values = view.values(slot) else { return }
        let g = view.generation
        var hits = view.hits
        view.hits = []
        let base = filter.literalBase
        view.literalGeneration.withUnsafeMutableBufferPointer { found in
            view.passedGeneration.withUnsafeMutableBufferPointer { passed in
                for v in values {
                    v.folded.withUnsafeBufferPointer { text in
                        filter.automaton.scan(text) { id in
                            found[base + Int(id)] = g
                            for u in filter.units[Int(id)] where passed[Int(u)] != g {
                                passed[Int(u)] = g
                                hits.append(u)
                            }
                        }
                    }
                }
            }
        }
        view.hits = hits
    }

    /// Convenience: the rules matching one event.
    public func matches(_ event: Event, view: EventView? = nil) -> [Int] {
        let v = view ?? makeView()
        v.reset(event)
        return matches(v)
    }

    func evaluate(_ unit: Unit, _ view: EventView) -> Bool {
        view.evaluations &+= 1
        guard unit.program.evaluate(view) else { return false }
        for f in unit.filters where f.evaluate(view) { return false }
        return true
    }

    /// An independent copy for another worker thread: the same rules compiled again into storage that
    /// shares no reference counts with this one, so threads do not contend on them.
    public func copy() -> RuleSet {
        RuleSet(
            rules: rules, filters: filters, mapping: mapping, variant: variant, minimumLevel: minimumLevel,
            prefilter: prefilterEnabled, deepCopy: true, automataFrom: self)
    }

    /// Renames fields per the log-source target and assigns slots (copying matchers when `deepCopy`).
    static func bind(_ d: Detection, fields: [String: String], deepCopy: Bool = false, slot: (String) -> Int) -> Detection {
        func map(_ s: SearchExpression) -> SearchExpression {
            switch s {
            case .keywords(var t) where deepCopy:
                t.matchers = t.matchers.map { $0.copy() }
                return .keywords(t)
            case .field(var t):
                if deepCopy { t.matchers = t.matchers.map { $0.copy() } }
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
