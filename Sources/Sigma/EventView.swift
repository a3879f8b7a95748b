#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Events

typealias FieldScalar = EventScalar

extension EventScalar {
    /// ``Events/EventValue/intValue`` of the value whose text is `text`.
    func intValue(text: UnsafeBufferPointer<UInt8>) -> Int64? {
        switch self {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .bool(let b): return b ? 1 : 0
        case .text: return Int64(String(decoding: text, as: UTF8.self))
        default: return nil
        }
    }
}

/// One field value prepared for matching: its raw UTF-8 text and the case-folded text, both in the
/// view's ``TextArena`` (valid until the view moves to the next event). Plain data.
struct FieldText {
    var value: FieldScalar
    var raw: UnsafeBufferPointer<UInt8>
    var folded: UnsafeBufferPointer<UInt8>

    // The arena is borrowed (`__shared`): an initializer's parameters are otherwise owned, which cost a
    // retain and a release of the arena per value read.
    init(_ value: EventValue, text: String, arena: __shared TextArena) {
        var text = text
        self = text.withUTF8 { FieldText(FieldScalar(value), bytes: $0, arena: arena) }
    }

    init(_ value: FieldScalar, bytes: UnsafeBufferPointer<UInt8>, arena: __shared TextArena) {
        self.init(value, raw: arena.copy(bytes), arena: arena)
    }

    /// A value whose text `raw` is in the arena already.
    init(_ value: FieldScalar, raw: UnsafeBufferPointer<UInt8>, arena: __shared TextArena) {
        self.value = value
        self.raw = raw
        let n = raw.count
        guard let base = raw.baseAddress, n > 0 else {
            folded = raw
            return
        }
        // ASCII, and upper-case letters, eight bytes at a time (bytes below 0x80 add without carries).
        let text = UnsafeRawPointer(base)
        var ascii = true
        var upper = false
        var i = 0
        while i &+ 8 <= n {
            let w = text.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if w & 0x8080_8080_8080_8080 != 0 {
                ascii = false
                break
            }
            if FieldText.upperCase(w) != 0 { upper = true }
            i &+= 8
        }
        if ascii {
            while i < n {
                let b = base[i]
                if b >= 0x80 {
                    ascii = false
                    break
                }
                if b &- 0x41 < 26 { upper = true }
                i &+= 1
            }
        }
        if ascii && !upper {
            folded = raw
        } else if ascii {
            let p = arena.allocate(n)
            let out = UnsafeMutableRawPointer(p)
            var i = 0
            while i &+ 8 <= n {
                let w = text.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                out.storeBytes(of: w | FieldText.upperCase(w) >> 2, toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            while i < n {
                let b = base[i]
                p[i] = b &- 0x41 < 26 ? b | 0x20 : b
                i &+= 1
            }
            folded = UnsafeBufferPointer(start: p, count: n)
        } else {
            folded = CaseFolding.fold(Array(raw)).withUnsafeBufferPointer { arena.copy($0) }
        }
    }

    /// 0x80 in each byte of `w` (all bytes below 0x80) that is an upper-case ASCII letter.
    @inline(__always)
    static func upperCase(_ w: UInt64) -> UInt64 {
        let atLeastA = w &+ 0x3F3F_3F3F_3F3F_3F3F
        let pastZ = w &+ 0x2525_2525_2525_2525
        return atLeastA & ~pastZ & 0x8080_8080_8080_8080
    }
}

/// Per layout, for one view: the field slots of its rule set resolved to leaves, the fixed leaves' values,
/// and the leaves of the fields every event is indexed by.
final class LayoutTables {
    /// A leaf as the view reads it (plain data).
    struct LeafInfo {
        var isFixed: Bool
        var kind: EventLayout.Kind
        var scalar: FieldScalar
        /// A fixed leaf's text in the layout's ``Events/EventLayout/text``.
        var text: Range<Int32>
    }

    /// Per slot: -2 while not resolved, -1 when the layout has no such field, else where its leaves are
    /// listed in ``lists`` (a count, then the leaf ids; -1 for a null).
    let slots: UnsafeMutablePointer<Int32>
    private(set) var lists: UnsafeMutablePointer<Int32>
    var listCount = 0
    var listCapacity = 64
    let channel: EventLayout.Shape?
    let eventID: EventLayout.Shape?
    let provider: EventLayout.Shape?
    /// The same when each is one leaf (its id), else -1.
    let channelLeaf: Int32
    let eventIDLeaf: Int32
    let providerLeaf: Int32
    let leafCount: Int
    let leaves: UnsafeMutablePointer<LeafInfo>
    /// The fixed leaves' text (the layout's, copied: read without reference counting).
    let text: UnsafeMutablePointer<UInt8>

    init(_ layout: EventLayout, slotCount: Int) {
        slots = .allocate(capacity: max(1, slotCount))
        slots.initialize(repeating: -2, count: max(1, slotCount))
        lists = .allocate(capacity: listCapacity)
        channel = layout.value(forField: "Channel")
        eventID = layout.value(forField: "EventID")
        provider = layout.value(forField: "Provider_Name")
        func leaf(_ node: EventLayout.Shape?) -> Int32 {
            if case .leaf(let i)? = node { return i }
            return -1
        }
        channelLeaf = leaf(channel)
        eventIDLeaf = leaf(eventID)
        providerLeaf = leaf(provider)
        leafCount = layout.leaves.count
        leaves = .allocate(capacity: max(1, leafCount))
        for (i, leaf) in layout.leaves.enumerated() {
            let scalar = layout.values[i].map(FieldScalar.init) ?? .text
            (leaves + i).initialize(to: LeafInfo(isFixed: leaf.isFixed, kind: leaf.kind, scalar: scalar, text: leaf.range))
        }
        text = .allocate(capacity: max(1, layout.text.count))
        for (i, b) in layout.text.enumerated() { text[i] = b }
    }

    deinit {
        leaves.deallocate()
        text.deallocate()
        slots.deallocate()
        lists.deallocate()
    }

    /// The leaves the keyword scan reads (see ``RuleSet/scanKeywords(_:_:)``), once known.
    var keywordLeaves: [Int32]?
    /// Per fixed leaf: 0 while not known, 1 when its text holds no keyword literal, 2 when it may.
    var keywordStates: [UInt8] = []
    /// The data fields' names and shapes (see ``EventView/dataFields()``), once known.
    var dataFieldPlan: [(name: String, node: EventLayout.Shape)]?
    /// Per field name asked by ``EventView/text(ofField:)``: its leaves (nil when the layout lacks it).
    var textLeaves: [String: [Int32]?] = [:]

    /// Whether fixed leaf `i`'s text holds none of the literals of `keywords` (the keyword scanner).
    func keywordFree(_ i: Int, _ keywords: LiteralScanner) -> Bool {
        if keywordStates.isEmpty { keywordStates = [UInt8](repeating: 0, count: leafCount) }
        if keywordStates[i] == 0 {
            var found = false
            let r = leaves[i].text
            let folded = CaseFolding.fold(Array(UnsafeBufferPointer(start: text + Int(r.lowerBound), count: r.count)))
            folded.withUnsafeBufferPointer { keywords.scan($0) { _ in found = true } }
            keywordStates[i] = found ? 2 : 1
        }
        return keywordStates[i] == 1
    }

    /// Resolves `slot` (field `name`) in `layout` (``lists`` may move).
    func resolve(_ slot: Int, name: FieldName, in layout: EventLayout) -> Int32 {
        var at: Int32 = -1
        if name.name != RuleSet.keywordSlotName, let node = layout.value(forField: name.name) {
            var leaves: [Int32] = []
            EventLayout.flatten(node, into: &leaves)
            if listCount + leaves.count + 1 > listCapacity {
                let capacity = max(listCapacity * 2, listCount + leaves.count + 1)
                let moved = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
                moved.update(from: lists, count: listCount)
                lists.deallocate()
                lists = moved
                listCapacity = capacity
            }
            at = Int32(listCount)
            lists[listCount] = Int32(leaves.count)
            for (k, l) in leaves.enumerated() { lists[listCount + 1 + k] = l }
            listCount += leaves.count + 1
        }
        slots[slot] = at
        return at
    }
}

/// An event being matched, with the values of the fields rules ask for cached by slot.
///
/// One view per thread is reused from event to event. It reads either an ``Events/Event`` (``reset(_:)``)
/// or a record of a compiled ``Events/EventLayout`` (``reset(layout:reader:)``): then field names are
/// resolved to leaves once per layout, and only the leaves that rules test are read, each at most once
/// per event. A field is looked up and folded at most once per event however many rules test it.
public final class EventView {
    /// The current event; empty while the view reads a layout's record.
    public private(set) var event: Event
    /// The current record's layout and reader (layout mode), `nil` for an ``Events/Event``. Not retained:
    /// both are only used while the record is current, and the reader's caches own the layout.
    private(set) unowned(unsafe) var layout: EventLayout?
    private(set) unowned(unsafe) var reader: EventLeafReader?
    /// The same two, for calls that must not retain them.
    var unmanagedLayout: Unmanaged<EventLayout>?
    var unmanagedReader: Unmanaged<EventLeafReader>?
    /// Room asked for a leaf's text at first.
    static let leafRoom = 4096
    /// The current layout's tables (owned by the layout).
    unowned(unsafe) var tables: LayoutTables?
    /// The same, for calls that must not retain them.
    var tablesRef: Unmanaged<LayoutTables>?
    /// The tables' arrays, read on the hot path without retaining the tables (`nil` for an ``Events/Event``).
    var currentLeaves: UnsafeMutablePointer<LayoutTables.LeafInfo>?
    var currentText: UnsafeMutablePointer<UInt8>?
    var currentSlots: UnsafeMutablePointer<Int32>?
    var currentLists: UnsafeMutablePointer<Int32>?
    /// The layout the tables above belong to.
    var currentLayout: ObjectIdentifier?
    /// Per leaf of the current layout: the generation in which its text was read, and the text.
    var leafCapacity = 0
    var leafGeneration: UnsafeMutablePointer<UInt32>
    var leafTexts: UnsafeMutablePointer<FieldText>
    var lastRawChannelBytes: [UInt8] = []
    /// The UTF-16 of the last layout record's channel and provider, when each was one string value.
    var lastChannelUTF16: [UInt8]?
    var lastProviderUTF16: [UInt8]?
    var lastRawProviderBytes: [UInt8] = []
    let slotNames: [String]
    let slotFields: [FieldName]
    /// The current event's containers, for lookups by slot.
    var parts = WindowsEventParts()
    static let channelField = FieldName("Channel")
    static let eventIDField = FieldName("EventID")
    static let providerField = FieldName("Provider_Name")
    /// Per slot: the generation in which its values were read, and the values (in the arena) when
    /// ``slotPresent`` says the event has the field.
    let slotGeneration: UnsafeMutablePointer<UInt32>
    let slotValues: UnsafeMutablePointer<UnsafeBufferPointer<FieldText>>
    let slotPresent: UnsafeMutablePointer<Bool>
    /// Reused while an ``Events/Event``'s values are flattened.
    var flattened: [FieldText] = []
    /// The bytes of the current event's prepared values.
    let arena = TextArena()
    var generation: UInt32 = 1
    var keywordTexts = UnsafeBufferPointer<FieldText>(start: nil, count: 0)
    var keywordGeneration: UInt32 = 0
    let scratch = RegexScratch()
    /// Regex tests neither engine could decide (limits), counted as no match.
    public var undecidedRegexTests: Int { scratch.undecided }
    /// The event's channel (lower-cased) and event id, read once.
    public private(set) var channel: String = ""
    public private(set) var eventID: Int = -1
    public private(set) var provider: String = ""
    /// The event has an `EventID` field (``eventID`` is -1 when it is not a single number).
    public private(set) var hasEventID = false
    var candidatesValid = false
    var candidatesOwner: ObjectIdentifier?
    var cachedCandidates: [Int: RuleSet.CandidateRef]?
    var cachedKeywordFilter: StridedUTF16Filter?
    var keywordFilterMemory: PrefilterMemory?
    /// The candidate lists of recent event ids of the current channel (see ``RuleSet/matches(_:)``),
    /// direct-mapped by id; cleared when the channel or the rule set changes.
    struct CandidateMemo {
        var id: Int
        var c0, c1, c2, c3: RuleSet.CandidateRef?
    }
    static let candidateMemoSize = 64
    var candidateMemo = [CandidateMemo](
        repeating: CandidateMemo(id: Int.min, c0: nil, c1: nil, c2: nil, c3: nil), count: EventView.candidateMemoSize)
    /// Per index key: the generation in which the current event selected it.
    let activeKeys: UnsafeMutableBufferPointer<UInt32>

    /// Per slot: the generation in which the slot's prefilter last ran.
    let scannedGeneration: UnsafeMutableBufferPointer<UInt32>
    /// Per unit: the generation in which its prefilter literals were found.
    let passedGeneration: UnsafeMutableBufferPointer<UInt32>
    /// Per unit, valid when ``passedGeneration`` is current: the requirements seen (bits 0 and 1), or
    /// 0x80 once the unit is a hit.
    let passedBits: UnsafeMutableBufferPointer<UInt8>
    /// Units whose prefilter literals were found in this event, in the order found: the first
    /// ``hitCount`` entries (a unit is listed at most once per event, so one entry per unit is room
    /// enough; plain memory, where an array was swapped in and out of the view at every scan).
    let hitList: UnsafeMutableBufferPointer<Int32>
    /// Units the per-unit memory has room for.
    let unitCapacity: Int
    var hitCount: Int {
        get { hitCountStorage.pointee }
        set { hitCountStorage.pointee = newValue }
    }
    /// ``hitCount``'s memory (written through a ``LiteralMarker``).
    let hitCountStorage: UnsafeMutablePointer<Int>
    /// Per slot-literal (flat table of the rule set's automata): the generation in which it was found.
    let literalGeneration: UnsafeMutableBufferPointer<UInt32>
    /// The rule set whose automata scan slots on demand.
    unowned(unsafe) var scanner: RuleSet?
    /// Per slot: recent values and the literals the prefilter found in them (layout mode), within one
    /// budget of bytes.
    var scanCaches: [ScanCache?]
    let scanCacheBudget = ScanCache.Budget()
    /// The UTF-16 texts of the current record's keyword leaves (``keywordTextRoom(_:)``).
    var keywordTextPointers = UnsafeMutablePointer<UnsafeRawBufferPointer?>.allocate(capacity: 64)
    var keywordTextCapacity = 64
    /// Literal ids found in one value while it is scanned for the cache.
    let scanIDs = UnsafeMutablePointer<Int32>.allocate(capacity: EventView.scanIDCapacity)
    static let scanIDCapacity = 256
    /// Rule evaluations made through this view (for measurements).
    public internal(set) var evaluations = 0

    init(slotNames: [String], unitCount: Int = 0, literalCount: Int = 0, keyCount: Int = 0) {
        self.slotNames = slotNames
        slotFields = slotNames.map(FieldName.init)
        scanCaches = [ScanCache?](repeating: nil, count: slotNames.count)
        // Plain buffers (owned by the view): the hot path reads and writes them without exclusivity
        // checks or reference counting.
        // At least one element: the hot path takes their base addresses.
        func zeroed<T: FixedWidthInteger>(_ count: Int) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, count))
            b.initialize(repeating: 0)
            return UnsafeMutableBufferPointer(rebasing: b[0..<count])
        }
        activeKeys = zeroed(keyCount)
        literalGeneration = zeroed(literalCount)
        scannedGeneration = zeroed(slotNames.count)
        passedGeneration = zeroed(unitCount)
        passedBits = zeroed(unitCount)
        hitList = zeroed(unitCount)
        unitCapacity = unitCount
        hitCountStorage = .allocate(capacity: 1)
        hitCountStorage.initialize(to: 0)
        let slots = max(1, slotNames.count)
        slotGeneration = .allocate(capacity: slots)
        slotGeneration.initialize(repeating: 0, count: slots)
        slotValues = .allocate(capacity: slots)
        slotValues.initialize(repeating: UnsafeBufferPointer(start: nil, count: 0), count: slots)
        slotPresent = .allocate(capacity: slots)
        slotPresent.initialize(repeating: false, count: slots)
        leafGeneration = .allocate(capacity: 1)
        leafTexts = .allocate(capacity: 1)
        event = EventView.emptyEvent
    }

    deinit {
        activeKeys.deallocate()
        literalGeneration.deallocate()
        scannedGeneration.deallocate()
        passedGeneration.deallocate()
        passedBits.deallocate()
        hitList.deallocate()
        hitCountStorage.deallocate()
        slotGeneration.deallocate()
        slotValues.deallocate()
        slotPresent.deallocate()
        leafGeneration.deallocate()
        leafTexts.deallocate()
        scanIDs.deallocate()
        keywordTextPointers.deallocate()
    }

    static let emptyEvent = Event(fields: EventObject(), source: EventSource(file: "", offset: 0), layout: .flat)

    /// Points the view at a new event.
    public func reset(_ event: Event) {
        self.event = event
        layout = nil
        reader = nil
        unmanagedLayout = nil
        unmanagedReader = nil
        tables = nil
        tablesRef = nil
        lastChannelUTF16 = nil
        lastProviderUTF16 = nil
        currentLeaves = nil
        currentText = nil
        currentSlots = nil
        currentLists = nil
        currentLayout = nil
        advance()
        // Consecutive events mostly share their channel and provider: fold them only when they change.
        parts = WindowsEventParts(event)
        let rawChannel = parts.value(EventView.channelField, in: event)?.text ?? ""
        setChannel(rawChannel.utf8)
        if let v = parts.value(EventView.eventIDField, in: event) {
            eventID = v.intValue.map { Int($0) } ?? Int(v.text ?? "") ?? -1
            hasEventID = true
        } else {
            eventID = -1
            hasEventID = false
        }
        setProvider((parts.value(EventView.providerField, in: event)?.text ?? "").utf8)
    }

    /// Points the view at the current record of `reader`, whose layout is `layout`.
    ///
    /// `reader` and `layout` must stay alive while the view reads this record (the reader's own caches
    /// hold its layouts).
    public func reset(layout: EventLayout, reader: EventLeafReader) {
        if unmanagedLayout == nil {
            event = EventView.emptyEvent
            parts = WindowsEventParts()
        }
        self.layout = layout
        self.reader = reader
        unmanagedLayout = Unmanaged.passUnretained(layout)
        unmanagedReader = Unmanaged.passUnretained(reader)
        advance()
        // The same layout as the record before (and still this view's): its tables are current.
        if ObjectIdentifier(layout) != currentLayout || layout.consumer != ObjectIdentifier(self) {
            let t: LayoutTables
            if layout.consumer == ObjectIdentifier(self), let cached = layout.consumerState {
                t = unsafeDowncast(cached, to: LayoutTables.self)
            } else {
                t = LayoutTables(layout, slotCount: slotNames.count)
                layout.consumerState = t
                layout.consumer = ObjectIdentifier(self)
            }
            tables = t
            tablesRef = Unmanaged.passUnretained(t)
            currentLayout = ObjectIdentifier(layout)
            currentLeaves = t.leaves
            currentText = t.text
            currentSlots = t.slots
            currentLists = t.lists
            if leafCapacity < t.leafCount { growLeaves(t.leafCount) }
        }
        // Read unretained (a strong copy of the tables was one retain and release per record).
        tablesRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { readSystem($0, layout) }
    }

    /// The channel, event id and provider of the record just reset to, per the layout's tables `t`.
    @inline(__always)
    private func readSystem(_ t: LayoutTables, _ layout: EventLayout) {
        // The channel and provider are read again unless they are one string value equal to the last one
        // read that way; one read any other way forgets that value.
        if t.channelLeaf < 0 {
            lastChannelUTF16 = nil
            withText(of: t.channel) { setChannel($0) }
        } else if !sameUTF16(Int(t.channelLeaf), as: &lastChannelUTF16) {
            withText(of: t.channel) { setChannel($0) }
        }
        if t.eventIDLeaf >= 0 {
            hasEventID = true
            // An unsigned value (the usual event id) is read as a number: its text is decoded only if a
            // rule reads the field.
            if let v = unmanagedReader.unsafelyUnwrapped._withUnsafeGuaranteedRef({
                $0.unsignedValue(ofLeaf: Int(t.eventIDLeaf), in: layout)
            }), v <= UInt64(Int.max) {
                eventID = Int(v)
            } else {
                let v = leafText(Int(t.eventIDLeaf))
                eventID = v.value.intValue(text: v.raw).map { Int($0) } ?? Int(String(decoding: v.raw, as: UTF8.self)) ?? -1
            }
        } else if let node = t.eventID {
            hasEventID = true
            eventID = -1
            withText(of: node) { eventID = Int(String(decoding: $0, as: UTF8.self)) ?? -1 }
        } else {
            eventID = -1
            hasEventID = false
        }
        if t.providerLeaf < 0 {
            lastProviderUTF16 = nil
            withText(of: t.provider) { setProvider($0) }
        } else if !sameUTF16(Int(t.providerLeaf), as: &lastProviderUTF16) {
            withText(of: t.provider) { setProvider($0) }
        }
    }

    /// Whether leaf `i` is one string value whose UTF-16 is `last` (the channel or provider of the event
    /// before, unchanged: nothing to read); remembers it in `last` otherwise (`nil` when it is not one
    /// string value).
    func sameUTF16(_ i: Int, as last: inout [UInt8]?) -> Bool {
        guard let leaves = currentLeaves, !leaves[i].isFixed, let raw = utf16Text(ofLeaf: i) else {
            last = nil
            return false
        }
        // Compared in place (a copy of `last` was a retain and a release per record).
        let same =
            last?.withUnsafeBytes { p in
                p.count == raw.count
                    && (raw.count == 0 || memcmp(p.baseAddress!, raw.baseAddress!, raw.count) == 0)
            } ?? false
        if same { return true }
        last = Array(raw)
        return false
    }

    func growLeaves(_ count: Int) {
        let capacity = max(count, leafCapacity * 2, 64)
        leafGeneration.deallocate()
        leafTexts.deallocate()
        leafGeneration = .allocate(capacity: capacity)
        leafGeneration.initialize(repeating: 0, count: capacity)
        leafTexts = .allocate(capacity: capacity)
        leafCapacity = capacity
    }

    func advance() {
        generation &+= 1
        if generation == 0 {
            generation = 1
            for i in 0..<slotNames.count { slotGeneration[i] = 0 }
            for i in scannedGeneration.indices { scannedGeneration[i] = 0 }
            for i in passedGeneration.indices { passedGeneration[i] = 0 }
            for i in literalGeneration.indices { literalGeneration[i] = 0 }
            for i in activeKeys.indices { activeKeys[i] = 0 }
            for i in 0..<leafCapacity { leafGeneration[i] = 0 }
            keywordGeneration = 0
        }
        arena.reset()
    }

    /// Brings ``cachedCandidates`` (the index entries of the event's channel, cached while the channel stays
    /// the same) and the keyword filter up to date with the event's channel.
    @inline(__always)
    func refreshCandidates(_ rules: RuleSet) {
        if !candidatesValid || candidatesOwner != ObjectIdentifier(rules) { loadCandidates(rules) }
    }

    @inline(never)
    func loadCandidates(_ rules: RuleSet) {
        for i in candidateMemo.indices { candidateMemo[i].id = Int.min }
        cachedCandidates = rules.byChannelAndID[channel]
        if let own = rules.keywordFilters[channel] {
            cachedKeywordFilter = own
        } else {
            cachedKeywordFilter = rules.anyChannelKeywordFilter
        }
        // The filter points into this memory: held while the filter is.
        keywordFilterMemory = rules.keywordFilterMemory
        candidatesOwner = ObjectIdentifier(rules)
        candidatesValid = true
    }

    /// The strided keyword filter for the current channel's keyword rules (see ``RuleSet/keywordFilters``).
    func keywordFilter(_ rules: RuleSet) -> StridedUTF16Filter? {
        refreshCandidates(rules)
        return cachedKeywordFilter
    }

    func setChannel<C: Collection<UInt8>>(_ raw: C) {
        if !raw.elementsEqual(lastRawChannelBytes) {
            lastRawChannelBytes = Array(raw)
            channel = String(decoding: raw, as: UTF8.self).lowercased()
            candidatesValid = false
        }
    }

    func setProvider<C: Collection<UInt8>>(_ raw: C) {
        if !raw.elementsEqual(lastRawProviderBytes) {
            lastRawProviderBytes = Array(raw)
            provider = String(decoding: raw, as: UTF8.self).lowercased()
            providerOwner = nil
        }
    }

    /// The rule set whose provider numbers ``providerID`` holds (`nil`: to be looked up again).
    var providerOwner: ObjectIdentifier?
    /// ``provider``'s number in ``providerOwner``'s ``RuleSet/providerIDs`` (-1: no unit names it).
    var providerID: Int32 = -1

    /// ``provider``'s number in `rules`' ``RuleSet/providerIDs``, looked up once per provider.
    @inline(__always)
    func providerID(_ rules: RuleSet) -> Int32 {
        if providerOwner != ObjectIdentifier(rules) {
            providerID = rules.providerIDs[provider] ?? -1
            providerOwner = ObjectIdentifier(rules)
        }
        return providerID
    }

    /// Calls `body` with the UTF-8 of what ``Events/EventValue/text`` gives for `node` (empty when it
    /// gives nothing or there is no node).
    func withText(of node: EventLayout.Shape?, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let node else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        switch node {
        case .leaf(let i):
            body(leafText(Int(i)).raw)
        case .object:
            body(UnsafeBufferPointer(start: nil, count: 0))
        case .array:
            var bytes: [UInt8] = []
            appendText(of: node, into: &bytes)
            bytes.withUnsafeBufferPointer(body)
        }
    }

    /// Appends ``Events/EventValue/text`` of `node`; false when it is `nil` (an object). With `raw` (for
    /// output), leaves not prepared for matching yet are read as they are, without being case-folded or
    /// kept.
    @discardableResult
    func appendText(of node: EventLayout.Shape, into out: inout [UInt8], raw: Bool = false) -> Bool {
        switch node {
        case .leaf(let i):
            if raw { appendRawLeaf(Int(i), into: &out) } else { out += leafText(Int(i)).raw }
            return true
        case .object:
            return false
        case .array(let items):
            var first = true
            for item in items {
                var text: [UInt8] = []
                guard appendText(of: item, into: &text, raw: raw) else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += text
            }
            return true
        }
    }

    /// A null value (no text).
    func nullText() -> FieldText {
        FieldText(.null, bytes: UnsafeBufferPointer(start: nil, count: 0), arena: arena)
    }

    /// The prepared text of leaf `i` of the current layout (-1: a null), read at most once per event.
    @inline(__always)
    func leafText(_ i: Int) -> FieldText {
        guard i >= 0, let leaves = currentLeaves, let text = currentText else { return nullText() }
        if leafGeneration[i] == generation { return leafTexts[i] }
        let info = leaves[i]
        let t: FieldText
        if info.isFixed {
            let bytes = UnsafeBufferPointer(start: text + Int(info.text.lowerBound), count: info.text.count)
            t = FieldText(info.scalar, bytes: bytes, arena: arena)
        } else {
            t = readLeaf(i)
        }
        leafGeneration[i] = generation
        (leafTexts + i).initialize(to: t)
        return t
    }

    /// Reads substituted leaf `i` from the record and prepares it for matching.
    @inline(never)
    func readLeaf(_ i: Int) -> FieldText {
        let (v, raw) = writeLeaf(i)
        return FieldText(v, raw: raw, arena: arena)
    }

    /// Writes the text of substituted leaf `i` straight into the arena.
    @inline(__always)
    func writeLeaf(_ i: Int) -> (EventScalar, UnsafeBufferPointer<UInt8>) {
        guard let unmanagedReader, let unmanagedLayout else { return (.null, UnsafeBufferPointer(start: nil, count: 0)) }
        // Room for most texts first; a longer text is written again into room of its exact length (so a
        // huge value costs its own size, not that size for every later value).
        var room = EventView.leafRoom
        while true {
            let p = arena.allocate(room)
            var out = LeafTextBuffer(base: p, capacity: room)
            let v = unmanagedReader._withUnsafeGuaranteedRef { reader in
                unmanagedLayout._withUnsafeGuaranteedRef { reader.writeText(ofLeaf: i, in: $0, into: &out) }
            }
            if out.count <= room {
                arena.giveBack(room - out.count)
                return (v, UnsafeBufferPointer(start: p, count: out.count))
            }
            arena.giveBack(room)
            room = out.count
        }
    }

    /// The UTF-16 bytes of leaf `i` when it is one string value of the record (see
    /// ``Events/EventLeafReader/utf16Text(ofLeaf:in:)``).
    @inline(__always)
    func utf16Text(ofLeaf i: Int) -> UnsafeRawBufferPointer? {
        guard let unmanagedReader, let unmanagedLayout else { return nil }
        return unmanagedReader._withUnsafeGuaranteedRef { reader in
            unmanagedLayout._withUnsafeGuaranteedRef { reader.utf16Text(ofLeaf: i, in: $0) }
        }
    }

    /// ``utf16Text(ofLeaf:)`` of each of `leaves`, into `out`.
    @inline(__always)
    func utf16Texts(ofLeaves leaves: UnsafeBufferPointer<Int32>, into out: UnsafeMutablePointer<UnsafeRawBufferPointer?>) {
        guard let unmanagedReader, let unmanagedLayout else {
            for k in 0..<leaves.count { out[k] = nil }
            return
        }
        unmanagedReader._withUnsafeGuaranteedRef { reader in
            unmanagedLayout._withUnsafeGuaranteedRef { reader.utf16Texts(ofLeaves: leaves, in: $0, into: out) }
        }
    }

    /// Room for the UTF-16 texts of a layout's keyword leaves (see ``utf16Texts(ofLeaves:into:)``).
    func keywordTextRoom(_ count: Int) -> UnsafeMutablePointer<UnsafeRawBufferPointer?> {
        if keywordTextCapacity < count {
            keywordTextPointers.deallocate()
            keywordTextCapacity = max(count, 2 * keywordTextCapacity)
            keywordTextPointers = .allocate(capacity: keywordTextCapacity)
        }
        return keywordTextPointers
    }

    /// Reads every substituted leaf of the current record (what a reader does to deliver all of an
    /// event's values), without preparing them for matching.
    public func readAllLeaves() {
        guard let tables else { return }
        for i in 0..<tables.leafCount where !tables.leaves[i].isFixed { _ = writeLeaf(i) }
    }

    /// `values` copied into the arena (valid until the next event).
    func store(_ values: [FieldText]) -> UnsafeBufferPointer<FieldText> {
        let p = arena.allocate(FieldText.self, count: values.count)
        for (k, v) in values.enumerated() { (p + k).initialize(to: v) }
        return UnsafeBufferPointer(start: p, count: values.count)
    }

    /// The values of the field in `slot`, or `nil` when the event does not have it.
    func values(_ slot: Int) -> UnsafeBufferPointer<FieldText>? {
        if slotGeneration[slot] != generation {
            slotGeneration[slot] = generation
            if let slots = currentSlots {
                var at = slots[slot]
                if at == -2 { at = resolve(slot) }
                if at >= 0, let lists = currentLists {
                    slotPresent[slot] = true
                    let start = Int(at) + 1
                    let count = Int(lists[Int(at)])
                    let p = arena.allocate(FieldText.self, count: count)
                    for k in 0..<count { (p + k).initialize(to: leafText(Int(lists[start + k]))) }
                    slotValues[slot] = UnsafeBufferPointer(start: p, count: count)
                } else {
                    slotPresent[slot] = false
                }
            } else if let value = parts.value(slotFields[slot], in: event) {
                slotPresent[slot] = true
                flattened.removeAll(keepingCapacity: true)
                flatten(value, into: &flattened)
                slotValues[slot] = store(flattened)
            } else {
                slotPresent[slot] = false
            }
        }
        return slotPresent[slot] ? slotValues[slot] : nil
    }

    /// Resolves `slot` in the current layout (once per layout).
    @inline(never)
    func resolve(_ slot: Int) -> Int32 {
        guard let tables, let layout else { return -1 }
        let at = tables.resolve(slot, name: slotFields[slot], in: layout)
        currentLists = tables.lists
        return at
    }

    /// The leaves of `slot`'s field in the current layout (a null value is leaf -1), or nil when the
    /// layout has no such field. Layout mode only (``currentSlots`` set). Valid until another slot is
    /// resolved.
    @inline(__always)
    func slotLeaves(_ slot: Int) -> UnsafeBufferPointer<Int32>? {
        guard let slots = currentSlots else { return nil }
        var at = slots[slot]
        if at == -2 { at = resolve(slot) }
        guard at >= 0, let lists = currentLists else { return nil }
        return UnsafeBufferPointer(start: lists + Int(at) + 1, count: Int(lists[Int(at)]))
    }

    /// The kind of leaf `i` of the current layout, and whether it is a fixed (template) leaf. Layout mode.
    @inline(__always)
    func leafInfo(_ i: Int) -> LayoutTables.LeafInfo { currentLeaves.unsafelyUnwrapped[i] }

    /// The prefilter's cache of recent values of `slot`'s field (made on first use).
    @inline(__always)
    func scanCache(_ slot: Int) -> ScanCache {
        if let c = scanCaches[slot] { return c }
        let c = ScanCache(budget: scanCacheBudget)
        scanCaches[slot] = c
        return c
    }

    /// ``scanCache(_:)`` unretained (``scanCaches`` keeps it alive), for the hot path.
    @inline(__always)
    func scanCacheRef(_ slot: Int) -> Unmanaged<ScanCache> {
        if let c = scanCaches[slot] { return Unmanaged.passUnretained(c) }
        return Unmanaged.passUnretained(scanCache(slot))
    }

    /// Hits and look-ups of every slot's ``ScanCache`` (for measurements).
    public var scanCacheCounts: (hits: Int, lookups: Int) {
        scanCaches.reduce((0, 0)) { sum, c in (sum.0 + (c?.hits ?? 0), sum.1 + (c?.lookups ?? 0)) }
    }

    /// Values of a field looked up by name (not cached: `fieldref` and correlations).
    func lookup(_ name: String) -> UnsafeBufferPointer<FieldText>? {
        if let layout {
            guard let node = layout.value(forField: name) else { return nil }
            var leaves: [Int32] = []
            EventLayout.flatten(node, into: &leaves)
            return store(leaves.map { leafText(Int($0)) })
        }
        guard let value = event.value(forField: name) else { return nil }
        var out: [FieldText] = []
        flatten(value, into: &out)
        return store(out)
    }

    func flatten(_ value: EventValue, into out: inout [FieldText]) {
        switch value {
        case .array(let items):
            if items.isEmpty { out.append(nullText()) }
            for i in items { flatten(i, into: &out) }
        case .object(let o):
            if let t = o["#text"] { flatten(t, into: &out) } else { out.append(nullText()) }
        case .string(let s):
            out.append(FieldText(value, text: s, arena: arena))
        default:
            out.append(FieldText(value, text: value.text ?? "", arena: arena))
        }
    }

    /// Every leaf value of the event, for keyword searches.
    func keywords() -> UnsafeBufferPointer<FieldText> {
        if keywordGeneration == generation { return keywordTexts }
        keywordGeneration = generation
        var texts: [FieldText] = []
        if let tables {
            for i in 0..<tables.leafCount where !(tables.leaves[i].isFixed && tables.leaves[i].kind == .null) {
                let t = leafText(i)
                if case .null = t.value { continue }
                texts.append(t)
            }
        } else {
            func walk(_ v: EventValue) {
                switch v {
                case .object(let o): for m in o { walk(m.value) }
                case .array(let items): for i in items { walk(i) }
                case .null: break
                case .string(let s): texts.append(FieldText(v, text: s, arena: arena))
                default: texts.append(FieldText(v, text: v.text ?? "", arena: arena))
                }
            }
            walk(.object(event.fields))
        }
        keywordTexts = store(texts)
        return keywordTexts
    }

    /// The data fields of the current layout's record as text, as `Hunter.dataFields` reads them from an
    /// ``Events/Event``: the members of `EventData` and of each `UserData` child, an object's `#text`
    /// standing for it, other objects (but `#attributes`) giving dotted names. Empty for an ``Events/Event``.
    public func dataFields() -> [(String, String)] {
        guard let layout, let tables else { return [] }
        // The names and shapes are the layout's: worked out once per layout, then only values are read.
        if tables.dataFieldPlan == nil { tables.dataFieldPlan = EventView.dataFieldPlan(layout) }
        var out: [(String, String)] = []
        var bytes: [UInt8] = []
        // Read in place (copying the plan and its entries retained and released each name and shape).
        tables.dataFieldPlan.unsafelyUnwrapped.withUnsafeBufferPointer { plan in
            out.reserveCapacity(plan.count)
            for i in plan.indices {
                bytes.removeAll(keepingCapacity: true)
                appendText(of: plan[i].node, into: &bytes, raw: true)
                out.append((plan[i].name, String(decoding: bytes, as: UTF8.self)))
            }
        }
        return out
    }

    /// The `EventData` and `UserData` members of `layout` as ``dataFields()`` names them, with their shapes.
    static func dataFieldPlan(_ layout: EventLayout) -> [(name: String, node: EventLayout.Shape)] {
        var out: [(name: String, node: EventLayout.Shape)] = []
        guard case .object(let root)? = layout.fields.first?.value else { return out }
        func add(_ o: [(key: String, value: EventLayout.Shape)], prefix: String = "") {
            for m in o {
                if case .object(let inner) = m.value {
                    if let t = inner.first(where: { $0.key == "#text" }) {
                        out.append((prefix + m.key, t.value))
                    } else if m.key != "#attributes" {
                        add(inner, prefix: prefix + m.key + ".")
                    }
                } else {
                    out.append((prefix + m.key, m.value))
                }
            }
        }
        if case .object(let d)? = root.first(where: { $0.key == "EventData" })?.value { add(d) }
        if case .object(let u)? = root.first(where: { $0.key == "UserData" })?.value {
            for child in u { if case .object(let o) = child.value { add(o) } }
        }
        return out
    }

    /// Appends the text of leaf `i` of the current layout (-1: a null, no text).
    func appendRawLeaf(_ i: Int, into out: inout [UInt8]) {
        guard i >= 0, let leaves = currentLeaves, let text = currentText else { return }
        if leafGeneration[i] == generation {
            out += leafTexts[i].raw
        } else if leaves[i].isFixed {
            out += UnsafeBufferPointer(start: text + Int(leaves[i].text.lowerBound), count: leaves[i].text.count)
        } else {
            let mark = arena.mark
            out += writeLeaf(i).1
            arena.rewind(to: mark)
        }
    }

    /// The text of a field (first value), for reports and correlations.
    public func text(ofField name: String) -> String? {
        if let layout, let tables {
            let known = tables.textLeaves[name]
            let leaves: [Int32]? =
                known
                ?? layout.value(forField: name).map { node in
                    var leaves: [Int32] = []
                    EventLayout.flatten(node, into: &leaves)
                    return leaves
                }
            if known == nil { tables.textLeaves[name] = .some(leaves) }
            guard let leaves, !leaves.isEmpty else { return nil }
            var bytes: [UInt8] = []
            for (k, leaf) in leaves.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                appendRawLeaf(Int(leaf), into: &bytes)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let values = lookup(name), !values.isEmpty else { return nil }
        return values.map { String(decoding: $0.raw, as: UTF8.self) }.joined(separator: ",")
    }
}
