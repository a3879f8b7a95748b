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
        /// The event ids come from the detection's `EventID` tests, not from the log source: an event
        /// whose id is not a single number (an array in JSON) must still be tried.
        let eventIDsFromDetection: Bool
        let providers: Set<String>
        let program: ProgramNode
        /// Filters (each is ANDed as `not`).
        let filters: [ProgramNode]
        /// The same, read without reference counting.
        let filterNodes: ChildNodes
        /// The slots one of whose literals must occur for the rule to match (empty: always evaluated).
        var prefilterSlots: [Int] = []
        /// The (channel, event id) keys this unit is listed under; empty for a unit that applies to any channel.
        var keys: [Int32] = []

        init(
            rule: Int, channels: Set<String>, eventIDs: Set<Int>, eventIDsFromDetection: Bool, providers: Set<String>,
            program: ProgramNode, filters: [ProgramNode]
        ) {
            self.rule = rule
            self.eventIDsFromDetection = eventIDsFromDetection
            self.channels = channels
            self.eventIDs = eventIDs
            self.providers = providers
            self.program = program
            self.filters = filters
            filterNodes = ChildNodes(filters)
        }
    }

    /// The multi-pattern prefilter of one slot: its automaton and, per pattern, the units requiring it.
    struct SlotFilter {
        var automaton: LiteralScanner
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
    /// The pseudo-slot of keyword literals (-1: none).
    let keywordSlot: Int
    let keywordValueKinds: KeywordValueKinds
    /// The name of the keyword pseudo-slot (no event field has it).
    static let keywordSlotName = "\u{0}keywords"
    /// What to do for one (channel, event id) key: the units always evaluated and the slots to scan
    /// (prefiltered units come from the scans).
    struct Candidates {
        var key: Int32
        var always: [Int32]
        var slots: [Int32]
    }

    /// ``Candidates`` as matching reads them: ranges of ``candidateTable`` (a plain value, so that copying
    /// one retains nothing).
    struct CandidateRef {
        var key: Int32
        var alwaysStart: Int32
        var alwaysCount: Int32
        var slotsStart: Int32
        var slotsCount: Int32
    }

    /// (channel, event id) → candidates; event id -1 is "any event id", -2 "an id that is not a number".
    let byChannelAndID: [String: [Int: CandidateRef]]
    /// Units that apply to every channel, by event id.
    let anyChannel: [Int: CandidateRef]
    /// Number of (channel, event id) keys.
    let keyCount: Int
    /// Prefilters by slot.
    let slotFilters: [SlotFilter?]
    let automata: [LiteralScanner?]
    /// The same, unretained (``automata`` keeps them alive): the hot path reads them without reference
    /// counting.
    let automatonRefs: [Unmanaged<LiteralScanner>?]
    let literalBases: [Int]
    /// Units with a prefilter.
    public let prefilteredUnits: Int
    /// Literals in all automata.
    let literalCount: Int
    /// Per channel with keyword rules of its own, the strided filter for the keys of every keyword rule that
    /// applies to it (see ``StridedUTF16Filter``), `nil` where those keys do not allow one (a key under 7
    /// bytes or not ASCII: that channel's text is then scanned as before); and the filter for the channels
    /// with no keyword rule of their own.
    let keywordFilters: [String: StridedUTF16Filter?]
    let anyChannelKeywordFilter: StridedUTF16Filter?
    /// Owns the memory of the keyword filters.
    let keywordFilterMemory = PrefilterMemory()
    /// The tables matching reads for every event, in memory this rule set owns (``tableMemory``): reading
    /// arrays through `withUnsafeBufferPointer` retained and released each array per call (about seven
    /// pairs per event).
    let tableMemory: PrefilterMemory
    /// Per literal (flat id), the range of ``literalUnitsTable`` holding the units that require it, as
    /// `unit << 1 | requirement` (a unit may have two requirements, both of which must be seen).
    let literalUnitStartsTable: UnsafeMutablePointer<Int32>
    let literalUnitsTable: UnsafeMutablePointer<Int32>
    /// Per unit: 1 for one requirement, 3 for two (the bits of ``EventView/passedBits`` to collect).
    let requiredBitsTable: UnsafeMutablePointer<UInt8>
    /// The units and slots of every candidate list, end to end.
    let candidateTable: UnsafeMutablePointer<Int32>
    /// ``units``, unretained (``units`` keeps them alive).
    let unitTable: UnsafeMutablePointer<Unmanaged<Unit>>
    /// Each unit's ``Unit/keys``, as ranges of ``unitKeysTable``.
    let unitKeyStartsTable: UnsafeMutablePointer<Int32>
    let unitKeysTable: UnsafeMutablePointer<Int32>
    /// Every provider a unit names (lower-cased), numbered; and each unit's ``Unit/providers`` by number,
    /// as ranges of ``unitProvidersTable`` (an empty range: any provider). Matching compares the event's
    /// provider number (``EventView/providerID(_:)``) instead of hashing its name per unit.
    let providerIDs: [String: Int32]
    let unitProviderStartsTable: UnsafeMutablePointer<Int32>
    let unitProvidersTable: UnsafeMutablePointer<Int32>

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
        var requirements: [[[(slot: Int, literal: [UInt8])]]] = []
        var unmapped: [Int] = []
        var below = 0
        // Keyword searches look at every value: their literals go to one pseudo-slot whose scan walks
        // the whole event (see ``scanKeywords(_:_:)``).
        var keywordSlotIndex = -1
        func keywordSlot() -> Int {
            if keywordSlotIndex < 0 && prefilter {
                keywordSlotIndex = slotNames.count
                slotNames.append(RuleSet.keywordSlotName)
            }
            return keywordSlotIndex
        }
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
                // The event ids the detection itself requires narrow the index (a `service: security`
                // rule with `EventID: 4624` is only tried on 4624 events).
                var ids = Set(t.eventIDs)
                var idsFromDetection = false
                if prefilter, let required = Program.eventIDs(detection) {
                    let narrowed = ids.isEmpty ? required : ids.intersection(required)
                    if !narrowed.isEmpty {
                        ids = narrowed
                        idsFromDetection = t.eventIDs.isEmpty
                    }
                }
                units.append(
                    Unit(
                        rule: index, channels: Set(t.channels.map { $0.lowercased() }), eventIDs: ids,
                        eventIDsFromDetection: idsFromDetection,
                        providers: Set(t.providers.map { $0.lowercased() }), program: Program.compile(detection),
                        filters: fs.map(Program.compile)))
                requirements.append(Program.requirements(detection, keywordSlot: keywordSlot()))
            }
        }
        // Prefilters: each unit with a requirement gets its literals in the automata of their slots.
        var perSlot: [Int: (patterns: [[UInt8]], ids: [[UInt8]: Int], units: [[Int32]])] = [:]
        var prefiltered = 0
        var requiredBits = [UInt8](repeating: 0, count: units.count)
        for (u, reqs) in requirements.enumerated() {
            guard prefilter, !reqs.isEmpty else { continue }
            // Each literal lists the unit with the requirement it belongs to (bit 0 or 1 of the entry).
            for (r, req) in reqs.enumerated() {
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
                    let entry = Int32(u << 1 | r)
                    if perSlot[slot]!.units[id].last != entry { perSlot[slot]!.units[id].append(entry) }
                }
            }
            requiredBits[u] = reqs.count == 2 ? 3 : 1
            units[u].prefilterSlots = Array(Set(reqs.joined().map(\.slot))).sorted()
            prefiltered += 1
        }
        // The index: per (channel, event id), the units always evaluated and the slots to scan.
        // Channel "" holds the units of every channel; event id -1 the units of any event id, -2 the
        // units to try on an event whose id is not a single number.
        var keyCount: Int32 = 0
        var index: [String: [Int: Candidates]] = [:]
        func add(_ u: Int, channel: String, id: Int) {
            if index[channel]?[id] == nil {
                index[channel, default: [:]][id] = Candidates(key: keyCount, always: [], slots: [])
                keyCount += 1
            }
            let unit = units[u]
            if unit.prefilterSlots.isEmpty {
                index[channel]![id]!.always.append(Int32(u))
            } else {
                for s in unit.prefilterSlots where !index[channel]![id]!.slots.contains(Int32(s)) {
                    index[channel]![id]!.slots.append(Int32(s))
                }
            }
            unit.keys.append(index[channel]![id]!.key)
        }
        for (u, unit) in units.enumerated() {
            for c in unit.channels.isEmpty ? [""] : unit.channels.sorted() {
                if unit.eventIDs.isEmpty {
                    add(u, channel: c, id: -1)
                    continue
                }
                for id in unit.eventIDs.sorted() { add(u, channel: c, id: id) }
                if unit.eventIDsFromDetection { add(u, channel: c, id: -2) }
            }
        }
        self.keyCount = Int(keyCount)
        let anyChannel = index.removeValue(forKey: "") ?? [:]
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
                    guard p.kind == 3, !p.literal.isEmpty, AhoCorasick.isExact(p.literal) else {
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
            let automaton = shared.flatMap { $0.patterns == entry.patterns ? $0 : nil } ?? LiteralScanner(patterns: entry.patterns)
            slotFilters[slot] = SlotFilter(automaton: automaton, units: entry.units, literalBase: literalBase)
            literalBase += entry.patterns.count
        }
        for (node, ids) in zip(fieldNodes, nodeIDs) where !ids.isEmpty {
            guard let base = slotFilters[node.slot]?.literalBase else { continue }
            node.literalIndices = ids.map { row in row.map { $0 < 0 ? -1 : Int32(base + $0) } }
        }
        self.literalCount = literalBase
        if keywordSlotIndex >= 0, let f = slotFilters[keywordSlotIndex] {
            keywordValueKinds = KeywordValueKinds(literals: f.automaton.patterns)
        } else {
            keywordValueKinds = KeywordValueKinds()
        }
        self.slotFilters = slotFilters
        // The hot path's copy of the filters: automata by slot, and per literal (flat ids) the units it
        // stands for in one array, so a scan touches no nested arrays.
        var starts: [Int32] = [0]
        var list: [Int32] = []
        for f in slotFilters {
            guard let f else { continue }
            for units in f.units {
                list += units
                starts.append(Int32(list.count))
            }
        }
        // The keyword literals each channel's rules need: those of the units for any channel and those of
        // the units for that channel.
        var keywordFilters: [String: StridedUTF16Filter?] = [:]
        var anyChannelKeywordFilter: StridedUTF16Filter? = nil
        if keywordSlotIndex >= 0, let f = slotFilters[keywordSlotIndex] {
            var anyLiterals = Set<Int>()
            var byChannel: [String: Set<Int>] = [:]
            for i in f.automaton.patterns.indices {
                let flat = f.literalBase + i
                for k in Int(starts[flat])..<Int(starts[flat + 1]) {
                    let unit = units[Int(list[k] >> 1)]
                    if unit.channels.isEmpty {
                        anyLiterals.insert(i)
                    } else {
                        for c in unit.channels { byChannel[c, default: []].insert(i) }
                    }
                }
            }
            let patterns = f.automaton.patterns
            if !anyLiterals.isEmpty { anyChannelKeywordFilter = StridedUTF16Filter(keys: anyLiterals.sorted().map { patterns[$0] }, memory: keywordFilterMemory) }
            for (c, literals) in byChannel {
                // An explicit entry, `nil` too: a channel whose own keys allow no filter must not get the
                // filter of the other channels, which would pass over texts holding only its keys.
                keywordFilters[c] = .some(
                    StridedUTF16Filter(keys: literals.union(anyLiterals).sorted().map { patterns[$0] }, memory: keywordFilterMemory))
            }
        }
        self.keywordFilters = keywordFilters
        self.anyChannelKeywordFilter = anyChannelKeywordFilter
        self.automata = slotFilters.map { $0?.automaton }
        self.automatonRefs = slotFilters.map { $0.map { Unmanaged.passUnretained($0.automaton) } }
        self.literalBases = slotFilters.map { $0?.literalBase ?? 0 }
        let memory = PrefilterMemory()
        tableMemory = memory
        literalUnitStartsTable = LiteralScanner.own(starts, &memory.storage)
        literalUnitsTable = LiteralScanner.own(list, &memory.storage)
        requiredBitsTable = LiteralScanner.own(requiredBits, &memory.storage)
        self.prefilteredUnits = prefiltered
        self.units = units
        var keyStarts: [Int32] = [0]
        var keys: [Int32] = []
        for u in units {
            keys += u.keys
            keyStarts.append(Int32(keys.count))
        }
        unitTable = LiteralScanner.own(units.map { Unmanaged.passUnretained($0) }, &memory.storage)
        unitKeyStartsTable = LiteralScanner.own(keyStarts, &memory.storage)
        unitKeysTable = LiteralScanner.own(keys, &memory.storage)
        var providerIDs: [String: Int32] = [:]
        var providerStarts: [Int32] = [0]
        var providerList: [Int32] = []
        for u in units {
            for p in u.providers.sorted() {
                if providerIDs[p] == nil { providerIDs[p] = Int32(providerIDs.count) }
                providerList.append(providerIDs[p]!)
            }
            providerStarts.append(Int32(providerList.count))
        }
        self.providerIDs = providerIDs
        unitProviderStartsTable = LiteralScanner.own(providerStarts, &memory.storage)
        unitProvidersTable = LiteralScanner.own(providerList, &memory.storage)
        self.slotNames = slotNames
        self.keywordSlot = keywordSlotIndex
        var store: [Int32] = []
        func ref(_ c: Candidates) -> CandidateRef {
            let a = Int32(store.count)
            store += c.always
            let sl = Int32(store.count)
            store += c.slots
            return CandidateRef(
                key: c.key, alwaysStart: a, alwaysCount: Int32(c.always.count), slotsStart: sl, slotsCount: Int32(c.slots.count))
        }
        var refs: [String: [Int: CandidateRef]] = [:]
        for channel in index.keys.sorted() { refs[channel] = index[channel]!.mapValues(ref) }
        self.byChannelAndID = refs
        self.anyChannel = anyChannel.mapValues(ref)
        candidateTable = LiteralScanner.own(store, &memory.storage)
        self.unmappedRules = unmapped
        self.belowLevel = below
    }

    /// Number of compiled (rule, log-source target) units.
    public var unitCount: Int { units.count }

    /// A fresh per-thread view for ``matches(_:)``.
    public func makeView() -> EventView {
        let v = EventView(slotNames: slotNames, unitCount: units.count, literalCount: literalCount, keyCount: keyCount)
        v.scanner = self
        return v
    }

    /// The indices (into ``rules``) of the rules that match the view's current event, ascending.
    public func matches(_ view: EventView) -> [Int] {
        // The view's per-unit memory (``EventView/hitList`` and the prefilter marks) must hold this set's
        // units: a view made by ``makeView()`` of this set, or of one of its copies.
        precondition(view.unitCapacity >= units.count, "an EventView made for a smaller rule set")
        var out: [Int] = []
        view.hitCount = 0
        let g = view.generation
        let id = view.eventID >= 0 ? view.eventID : (view.hasEventID ? -2 : -1)
        view.refreshCandidates(self)
        // The four candidate lists of this channel and event id, from the view's memo of recent ids (four
        // dictionary look-ups otherwise).
        let m = id & (EventView.candidateMemoSize - 1)
        if view.candidateMemo[m].id != id {
            let byID = view.cachedCandidates
            view.candidateMemo[m] = EventView.CandidateMemo(
                id: id, c0: byID?[id], c1: id == -1 ? nil : byID?[-1], c2: anyChannel.isEmpty ? nil : anyChannel[id],
                c3: id == -1 || anyChannel.isEmpty ? nil : anyChannel[-1])
        }
        let memo = view.candidateMemo[m]
        let (c0, c1, c2, c3) = (memo.c0, memo.c1, memo.c2, memo.c3)
        let units = unitTable
        let store = candidateTable
        let active = view.activeKeys
        // Evaluates unit `u` if it applies to the event's provider, read through an unretained reference
        // (see ``unitTable``).
        @inline(__always) func evaluateUnit(_ u: Int) {
            let start = Int(unitProviderStartsTable[u])
            let end = Int(unitProviderStartsTable[u &+ 1])
            if start != end {
                let id = view.providerID(self)
                guard (start..<end).contains(where: { unitProvidersTable[$0] == id }) else { return }
            }
            units[u]._withUnsafeGuaranteedRef { unit in
                if evaluate(unit, view) { out.append(unit.rule) }
            }
        }
        func consider(_ c: CandidateRef?) {
            guard let c else { return }
            active[Int(c.key)] = g
            for k in Int(c.slotsStart)..<Int(c.slotsStart + c.slotsCount) {
                let slot = Int(store[k])
                if view.scannedGeneration[slot] != g { scan(slot, view) }
            }
            for k in Int(c.alwaysStart)..<Int(c.alwaysStart + c.alwaysCount) { evaluateUnit(Int(store[k])) }
        }
        consider(c0)
        consider(c1)
        consider(c2)
        consider(c3)
        // The hits of the scans made so far, those made while evaluating the units above included. Scans
        // made while evaluating these hits add hits that are not evaluated, as before this list was plain
        // memory (a unit's prefilter slots are among its key's slots, scanned in `consider`).
        let hits = view.hitCount
        for h in 0..<hits {
            let u = Int(view.hitList[h])
            var listed = false
            let keys = unitKeysTable
            for k in Int(unitKeyStartsTable[u])..<Int(unitKeyStartsTable[u &+ 1]) where active[Int(keys[k])] == g {
                listed = true
                break
            }
            if listed { evaluateUnit(u) }
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
        if slot == keywordSlot {
            scanKeywords(slot, view)
            return
        }
        guard let ref = automatonRefs[slot] else { return }
        if view.currentSlots != nil {
            ref._withUnsafeGuaranteedRef { automaton in
                view.scanCacheRef(slot)._withUnsafeGuaranteedRef { scanLeaves(slot, automaton, $0, view) }
            }
            return
        }
        let automaton = ref.takeUnretainedValue()
        guard let values = view.values(slot) else { return }
        let marker = marker(view, base: literalBases[slot])
        for i in values.indices { automaton.scan(values[i].folded, marker.mark) }
    }

    /// ``scan(_:_:)`` for a record read through a layout: a string value still in UTF-16 is first looked
    /// up in the slot's ``ScanCache``; a value found there is not decoded, and its literals are replayed.
    func scanLeaves(_ slot: Int, _ automaton: LiteralScanner, _ cache: ScanCache, _ view: EventView) {
        guard let leaves = view.slotLeaves(slot) else { return }
        let ids = view.scanIDs
        // A plain value: the closures below capture no class reference (capturing the view retained and
        // released it at every scan).
        let marker = marker(view, base: literalBases[slot])
        for k in leaves.indices {
            let leaf = Int(leaves[k])
            if leaf >= 0, !view.leafInfo(leaf).isFixed, let raw = view.utf16Text(ofLeaf: leaf),
                raw.count <= ScanCache.longestValue
            {
                let h = ScanCache.hash(raw) ^ (UInt64(view.leafInfo(leaf).kind.rawValue) << 1)
                if let known = cache.lookup(raw, hash: h) {
                    for id in known { marker.mark(id) }
                    continue
                }
                var count = 0
                automaton.scan(view.leafText(leaf).folded) { id in
                    if count < EventView.scanIDCapacity { ids[count] = id }
                    count &+= 1
                    marker.mark(id)
                }
                if count <= EventView.scanIDCapacity {
                    cache.store(raw, hash: h, ids: UnsafeBufferPointer(start: ids, count: count))
                }
            } else {
                automaton.scan(view.leafText(leaf).folded, marker.mark)
            }
        }
    }

    /// Records, for the view's current event, the literals of the slot whose literals start at `base` as
    /// found (see ``LiteralMarker``).
    @inline(__always)
    func marker(_ view: EventView, base: Int) -> LiteralMarker {
        LiteralMarker(
            generation: view.generation, base: base, starts: literalUnitStartsTable, units: literalUnitsTable,
            required: requiredBitsTable, found: view.literalGeneration.baseAddress!,
            passed: view.passedGeneration.baseAddress!, bits: view.passedBits.baseAddress!,
            hits: view.hitList.baseAddress!, hitCount: view.hitCountStorage)
    }

    /// Runs the keyword automaton over every value of the event (the values keyword searches test),
    /// reading ASCII text in place.
    func scanKeywords(_ slot: Int, _ view: EventView) {
        guard let ref = automatonRefs[slot] else { return }
        ref._withUnsafeGuaranteedRef { scanKeywords(slot, $0, view) }
    }

    /// ``scanKeywords(_:_:)`` with the slot's automaton, read unretained.
    func scanKeywords(_ slot: Int, _ automaton: LiteralScanner, _ view: EventView) {
        let marker = marker(view, base: literalBases[slot])
        if let tablesRef = view.tablesRef {
            // Tables and cache read unretained.
            tablesRef._withUnsafeGuaranteedRef { tables in
                view.scanCacheRef(slot)._withUnsafeGuaranteedRef { cache in
                    scanKeywordLeaves(tables, cache, automaton, view, marker)
                }
            }
            return
        }
        func scanText(_ text: UnsafeBufferPointer<UInt8>) {
            var ascii = true
            var upper = false
            for b in text {
                if b >= 0x80 {
                    ascii = false
                    break
                }
                if b &- 0x41 < 26 { upper = true }
            }
            if ascii && !upper {
                automaton.scan(text, marker.mark)
            } else {
                CaseFolding.fold(Array(text)).withUnsafeBufferPointer { automaton.scan($0, marker.mark) }
            }
        }
        let kinds = keywordValueKinds
        func walk(_ v: EventValue) {
            switch v {
            case .object(let o):
                o.members.withUnsafeBufferPointer { members in
                    for i in members.indices { walk(members[i].value) }
                }
            case .array(let items):
                items.withUnsafeBufferPointer { items in
                    for i in items.indices { walk(items[i]) }
                }
            case .null: break
            case .string(var s), .guid(var s), .sid(var s): s.withUTF8(scanText)
            case .int, .uint: if kinds.integers { scanTextOf(v) }
            case .double: if kinds.doubles { scanTextOf(v) }
            case .timestamp: if kinds.timestamps { scanTextOf(v) }
            case .binary: if kinds.binary { scanTextOf(v) }
            case .bool: if kinds.booleans { scanTextOf(v) }
            }
        }
        func scanTextOf(_ v: EventValue) {
            var s = v.text ?? ""
            s.withUTF8(scanText)
        }
        walk(.object(view.event.fields))
    }

    /// ``scanKeywords(_:_:_:)`` for a record read through a layout (whose tables are `tables`), with the
    /// keyword slot's cache `cache`; `marker` records the literals found.
    func scanKeywordLeaves(
        _ tables: LayoutTables, _ cache: ScanCache, _ automaton: LiteralScanner, _ view: EventView,
        _ marker: LiteralMarker
    ) {
        let kinds = keywordValueKinds
        // The same values, leaf by leaf: only the leaves of the kinds scanned, and of the template's
        // own text only those holding a literal (both decided once per layout).
        if tables.keywordLeaves == nil {
            var list: [Int32] = []
            for i in 0..<tables.leafCount {
                let scanned: Bool
                switch tables.leaves[i].kind {
                case .null: scanned = false
                case .text, .timeOrText: scanned = true
                case .guid: scanned = kinds.guids
                case .sid: scanned = kinds.sids
                case .hex: scanned = kinds.hex
                case .integer: scanned = kinds.integers
                case .double: scanned = kinds.doubles
                case .timestamp: scanned = kinds.timestamps
                case .binary: scanned = kinds.binary
                case .boolean: scanned = kinds.booleans
                }
                if scanned && !(tables.leaves[i].isFixed && tables.keywordFree(i, automaton)) {
                    list.append(Int32(i))
                }
            }
            tables.keywordLeaves = list
        }
        let ids = view.scanIDs
        let filter = view.keywordFilter(self)
        let list = tables.keywordLeaves!
        let texts = view.keywordTextRoom(list.count)
        list.withUnsafeBufferPointer { view.utf16Texts(ofLeaves: $0, into: texts) }
        for (position, k) in list.enumerated() {
            let i = Int(k)
            if !tables.leaves[i].isFixed, let text = texts[position] {
                // A string value still in UTF-16: one that cannot hold a key of this channel's
                // keyword rules is passed over, a recent value's literals are replayed, and one that
                // cannot hold a literal is not decoded.
                if let strided = filter, !strided.mayContain(text) { continue }
                let cached = text.count <= ScanCache.longestValue
                let h = cached ? ScanCache.hash(text) ^ (UInt64(tables.leaves[i].kind.rawValue) << 1) : 0
                if cached, let known = cache.lookup(text, hash: h) {
                    for id in known { marker.mark(id) }
                    continue
                }
                if let filter = automaton.utf16, !filter.mayContain(text) {
                    if cached { cache.store(text, hash: h, ids: UnsafeBufferPointer(start: ids, count: 0)) }
                    continue
                }
                let t = view.leafText(i)
                if case .null = t.value { continue }
                var count = 0
                automaton.scan(t.folded) { id in
                    if count < EventView.scanIDCapacity { ids[count] = id }
                    count &+= 1
                    marker.mark(id)
                }
                if cached && count <= EventView.scanIDCapacity {
                    cache.store(text, hash: h, ids: UnsafeBufferPointer(start: ids, count: count))
                }
                continue
            }
            let t = view.leafText(i)
            switch t.value {
            case .null: continue
            case .timestamp: if !kinds.timestamps { continue }
            default: break
            }
            automaton.scan(t.folded, marker.mark)
        }
    }

    /// Which kinds of typed values a keyword literal could occur in (the text of a number, a time, binary
    /// or a boolean uses few characters): the keyword scan skips the others without rendering them.
    struct KeywordValueKinds {
        var integers = true
        var doubles = true
        var timestamps = true
        var binary = true
        var booleans = true
        var guids = true
        var sids = true
        var hex = true

        init() {}

        init(literals: [[UInt8]]) {
            func within(_ chars: String) -> Bool {
                let set = Set(chars.utf8)
                return literals.contains { l in l.allSatisfy { set.contains($0) } }
            }
            integers = within("0123456789-")
            doubles = within("0123456789.-+einfa")
            timestamps = within("0123456789-:.tz")
            binary = within("0123456789abcdef")
            booleans = within("truefals")
            guids = within("0123456789abcdef-")
            sids = within("s0123456789-")
            hex = within("0123456789abcdefx")
        }
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
        for i in 0..<unit.filterNodes.count where unit.filterNodes.evaluate(i, view) { return false }
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

/// Records literals of one slot as found for a view's current event, and the units that thereby pass
/// their prefilter (appended to ``EventView/hitList`` once each). Plain pointers into the rule set's
/// tables and the view's state: a closure that captures a marker captures no class reference, so it
/// retains nothing.
struct LiteralMarker {
    let generation: UInt32
    /// Where the slot's literals start in the flat literal table.
    let base: Int
    let starts: UnsafeMutablePointer<Int32>
    let units: UnsafeMutablePointer<Int32>
    let required: UnsafeMutablePointer<UInt8>
    let found: UnsafeMutablePointer<UInt32>
    let passed: UnsafeMutablePointer<UInt32>
    let bits: UnsafeMutablePointer<UInt8>
    let hits: UnsafeMutablePointer<Int32>
    let hitCount: UnsafeMutablePointer<Int>

    /// Records literal `id` of the slot as found.
    @inline(__always)
    func mark(_ id: Int32) {
        let g = generation
        let literal = base &+ Int(id)
        // Found again in the same event: its units are marked already.
        if found[literal] == g { return }
        found[literal] = g
        for j in Int(starts[literal])..<Int(starts[literal &+ 1]) {
            let entry = Int(units[j])
            let u = entry >> 1
            if passed[u] != g {
                passed[u] = g
                bits[u] = 0
            }
            // 0x80: already a hit in this event.
            let b = bits[u]
            if b & 0x80 != 0 { continue }
            let nb = b | UInt8(1 << (entry & 1))
            if nb == required[u] {
                bits[u] = 0x80
                hits[hitCount.pointee] = Int32(u)
                hitCount.pointee &+= 1
            } else {
                bits[u] = nb
            }
        }
    }
}
