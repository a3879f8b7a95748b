import Events

/// One field value prepared for matching: its raw UTF-8 text and the case-folded text, both in the
/// view's ``TextArena`` (valid until the view moves to the next event).
struct FieldText {
    var value: EventValue
    var raw: UnsafeBufferPointer<UInt8>
    var folded: UnsafeBufferPointer<UInt8>

    /// A placeholder (no text).
    static var empty: FieldText { FieldText(value: .null) }

    private init(value: EventValue) {
        self.value = value
        raw = UnsafeBufferPointer(start: nil, count: 0)
        folded = raw
    }

    init(_ value: EventValue, text: String, arena: TextArena) {
        var text = text
        self = text.withUTF8 { FieldText(value, bytes: $0, arena: arena) }
    }

    init(_ value: EventValue, bytes: UnsafeBufferPointer<UInt8>, arena: TextArena) {
        self.value = value
        raw = arena.copy(bytes)
        var ascii = true
        var upper = false
        for b in raw {
            if b >= 0x80 {
                ascii = false
                break
            }
            if b &- 0x41 < 26 { upper = true }
        }
        if ascii && !upper {
            folded = raw
        } else if ascii {
            let p = arena.allocate(raw.count)
            for (i, b) in raw.enumerated() { p[i] = b &- 0x41 < 26 ? b | 0x20 : b }
            folded = UnsafeBufferPointer(start: p, count: raw.count)
        } else {
            folded = CaseFolding.fold(Array(raw)).withUnsafeBufferPointer { arena.copy($0) }
        }
    }
}

/// Per layout, for one view: the field slots of its rule set resolved to leaves, and the leaves of the
/// fields every event is indexed by.
final class LayoutTables {
    /// Per slot: -2 while not resolved, -1 when the layout has no such field, else where its leaves are
    /// listed in ``lists`` (a count, then the leaf ids; -1 for a null).
    var slots: [Int32]
    var lists: [Int32] = []
    let channel: EventLayout.Shape?
    let eventID: EventLayout.Shape?
    let provider: EventLayout.Shape?

    init(_ layout: EventLayout, slotCount: Int) {
        slots = [Int32](repeating: -2, count: slotCount)
        channel = layout.value(forField: "Channel")
        eventID = layout.value(forField: "EventID")
        provider = layout.value(forField: "Provider_Name")
    }

    /// Resolves `slot` (field `name`) in `layout`.
    func resolve(_ slot: Int, name: FieldName, in layout: EventLayout) -> Int32 {
        var at: Int32 = -1
        if name.name != RuleSet.keywordSlotName, let node = layout.value(forField: name.name) {
            var leaves: [Int32] = []
            EventLayout.flatten(node, into: &leaves)
            at = Int32(lists.count)
            lists.append(Int32(leaves.count))
            lists += leaves
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
    /// The current record's layout and reader (layout mode), `nil` for an ``Events/Event``.
    private(set) var layout: EventLayout?
    private(set) var reader: (any EventLeafReader)?
    var tables: LayoutTables?
    /// Per leaf of the current layout: the generation in which its text was read, and the text.
    var leafGeneration: [UInt32] = []
    var leafTexts: [FieldText] = []
    var leafScratch: [UInt8] = []
    var lastRawChannelBytes: [UInt8] = []
    var lastRawProviderBytes: [UInt8] = []
    let slotNames: [String]
    let slotFields: [FieldName]
    /// The current event's containers, for lookups by slot.
    var parts = WindowsEventParts()
    static let channelField = FieldName("Channel")
    static let eventIDField = FieldName("EventID")
    static let providerField = FieldName("Provider_Name")
    var slotGeneration: [UInt32]
    /// Per slot, the values of the current event when ``slotPresent`` says so (arrays reused).
    var slotValues: [[FieldText]]
    var slotPresent: [Bool]
    /// The bytes of the current event's prepared values.
    let arena = TextArena()
    var generation: UInt32 = 1
    var keywordTexts: [FieldText] = []
    var keywordGeneration: UInt32 = 0
    let scratch = RegexScratch()
    /// The event's channel (lower-cased) and event id, read once.
    public private(set) var channel: String = ""
    public private(set) var eventID: Int = -1
    public private(set) var provider: String = ""
    /// The event has an `EventID` field (``eventID`` is -1 when it is not a single number).
    public private(set) var hasEventID = false
    var candidatesValid = false
    var candidatesOwner: ObjectIdentifier?
    var cachedCandidates: [Int: RuleSet.Candidates]?
    /// Per index key: the generation in which the current event selected it.
    var activeKeys: [UInt32]

    /// Per slot: the generation in which the slot's prefilter last ran.
    var scannedGeneration: [UInt32]
    /// Per unit: the generation in which its prefilter literals were found.
    var passedGeneration: [UInt32]
    /// Per unit, valid when ``passedGeneration`` is current: the requirements seen (bits 0 and 1), or
    /// 0x80 once the unit is a hit.
    var passedBits: [UInt8]
    /// Units whose prefilter literals were found in this event, in the order found.
    var hits: [Int32] = []
    /// Per slot-literal (flat table of the rule set's automata): the generation in which it was found.
    var literalGeneration: [UInt32]
    /// The rule set whose automata scan slots on demand.
    unowned(unsafe) var scanner: RuleSet?
    /// Rule evaluations made through this view (for measurements).
    public internal(set) var evaluations = 0

    init(slotNames: [String], unitCount: Int = 0, literalCount: Int = 0, keyCount: Int = 0) {
        self.slotNames = slotNames
        slotFields = slotNames.map(FieldName.init)
        activeKeys = [UInt32](repeating: 0, count: keyCount)
        literalGeneration = [UInt32](repeating: 0, count: literalCount)
        scannedGeneration = [UInt32](repeating: 0, count: slotNames.count)
        passedGeneration = [UInt32](repeating: 0, count: unitCount)
        passedBits = [UInt8](repeating: 0, count: unitCount)
        slotGeneration = [UInt32](repeating: 0, count: slotNames.count)
        slotValues = [[FieldText]](repeating: [], count: slotNames.count)
        slotPresent = [Bool](repeating: false, count: slotNames.count)
        event = Event(fields: EventObject(), source: EventSource(file: "", offset: 0), layout: .flat)
    }

    /// Points the view at a new event.
    public func reset(_ event: Event) {
        self.event = event
        layout = nil
        reader = nil
        tables = nil
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
    public func reset(layout: EventLayout, reader: any EventLeafReader) {
        if self.layout == nil { event = EventView.emptyEvent }
        self.layout = layout
        self.reader = reader
        parts = WindowsEventParts()
        advance()
        let t: LayoutTables
        if layout.consumer == ObjectIdentifier(self), let cached = layout.consumerState as? LayoutTables {
            t = cached
        } else {
            t = LayoutTables(layout, slotCount: slotNames.count)
            layout.consumerState = t
            layout.consumer = ObjectIdentifier(self)
        }
        tables = t
        let count = layout.leaves.count
        if leafGeneration.count < count {
            leafGeneration += [UInt32](repeating: 0, count: count - leafGeneration.count)
            leafTexts += [FieldText](repeating: FieldText.empty, count: count - leafTexts.count)
        }
        withText(of: t.channel) { setChannel($0) }
        if let node = t.eventID {
            hasEventID = true
            if case .leaf(let i) = node, i >= 0 {
                let v = leafText(Int(i))
                eventID = v.value.intValue.map { Int($0) } ?? Int(String(decoding: v.raw, as: UTF8.self)) ?? -1
            } else {
                eventID = -1
                withText(of: node) { eventID = Int(String(decoding: $0, as: UTF8.self)) ?? -1 }
            }
        } else {
            eventID = -1
            hasEventID = false
        }
        withText(of: t.provider) { setProvider($0) }
    }

    static let emptyEvent = Event(fields: EventObject(), source: EventSource(file: "", offset: 0), layout: .flat)

    func advance() {
        generation &+= 1
        if generation == 0 {
            generation = 1
            for i in slotGeneration.indices { slotGeneration[i] = 0 }
            for i in scannedGeneration.indices { scannedGeneration[i] = 0 }
            for i in passedGeneration.indices { passedGeneration[i] = 0 }
            for i in literalGeneration.indices { literalGeneration[i] = 0 }
            for i in activeKeys.indices { activeKeys[i] = 0 }
            for i in leafGeneration.indices { leafGeneration[i] = 0 }
            keywordGeneration = 0
        }
        arena.reset()
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
        }
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

    /// Appends ``Events/EventValue/text`` of `node`; false when it is `nil` (an object).
    @discardableResult
    func appendText(of node: EventLayout.Shape, into out: inout [UInt8]) -> Bool {
        switch node {
        case .leaf(let i):
            out += leafText(Int(i)).raw
            return true
        case .object:
            return false
        case .array(let items):
            var first = true
            for item in items {
                var text: [UInt8] = []
                guard appendText(of: item, into: &text) else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += text
            }
            return true
        }
    }

    /// The prepared text of leaf `i` of the current layout (-1: a null), read at most once per event.
    func leafText(_ i: Int) -> FieldText {
        guard i >= 0, let layout else { return FieldText(.null, text: "", arena: arena) }
        if leafGeneration[i] == generation { return leafTexts[i] }
        let t: FieldText = layout.leaves.withUnsafeBufferPointer { leaves in
            if let v = leaves[i].value {
                return leaves[i].text.withUnsafeBufferPointer { FieldText(v, bytes: $0, arena: arena) }
            }
            leafScratch.removeAll(keepingCapacity: true)
            let v = reader!.appendText(ofLeaf: i, in: layout, into: &leafScratch)
            return leafScratch.withUnsafeBufferPointer { FieldText(v, bytes: $0, arena: arena) }
        }
        leafGeneration[i] = generation
        leafTexts[i] = t
        return t
    }

    /// Reads every leaf of the current record (what a reader does to deliver all of an event's values).
    public func readAllLeaves() {
        guard let layout else { return }
        for i in layout.leaves.indices { _ = leafText(i) }
    }

    /// The index entries of the event's channel (cached while the channel stays the same).
    func channelCandidates(_ rules: RuleSet) -> [Int: RuleSet.Candidates]? {
        if !candidatesValid || candidatesOwner != ObjectIdentifier(rules) {
            cachedCandidates = rules.byChannelAndID[channel]
            candidatesOwner = ObjectIdentifier(rules)
            candidatesValid = true
        }
        return cachedCandidates
    }

    /// The values of the field in `slot`, or `nil` when the event does not have it.
    func values(_ slot: Int) -> [FieldText]? {
        if slotGeneration[slot] != generation {
            slotGeneration[slot] = generation
            slotValues[slot].removeAll(keepingCapacity: true)
            if let tables, let layout {
                var at = tables.slots[slot]
                if at == -2 { at = tables.resolve(slot, name: slotFields[slot], in: layout) }
                if at >= 0 {
                    slotPresent[slot] = true
                    let start = Int(at) + 1
                    let end = start + Int(tables.lists[Int(at)])
                    for k in start..<end { slotValues[slot].append(leafText(Int(tables.lists[k]))) }
                } else {
                    slotPresent[slot] = false
                }
            } else if let value = parts.value(slotFields[slot], in: event) {
                slotPresent[slot] = true
                flatten(value, into: &slotValues[slot])
            } else {
                slotPresent[slot] = false
            }
        }
        return slotPresent[slot] ? slotValues[slot] : nil
    }

    /// Values of a field looked up by name (not cached: `fieldref` and correlations).
    func lookup(_ name: String) -> [FieldText]? {
        if let layout {
            guard let node = layout.value(forField: name) else { return nil }
            var leaves: [Int32] = []
            EventLayout.flatten(node, into: &leaves)
            return leaves.map { leafText(Int($0)) }
        }
        guard let value = event.value(forField: name) else { return nil }
        var out: [FieldText] = []
        flatten(value, into: &out)
        return out
    }

    func flatten(_ value: EventValue, into out: inout [FieldText]) {
        switch value {
        case .array(let items):
            if items.isEmpty { out.append(FieldText(.null, text: "", arena: arena)) }
            for i in items { flatten(i, into: &out) }
        case .object(let o):
            if let t = o["#text"] { flatten(t, into: &out) } else { out.append(FieldText(.null, text: "", arena: arena)) }
        case .string(let s):
            out.append(FieldText(value, text: s, arena: arena))
        default:
            out.append(FieldText(value, text: value.text ?? "", arena: arena))
        }
    }

    /// Every leaf value of the event, for keyword searches.
    func keywords() -> [FieldText] {
        if keywordGeneration == generation { return keywordTexts }
        keywordGeneration = generation
        keywordTexts.removeAll(keepingCapacity: true)
        if let layout {
            for i in layout.leaves.indices where layout.leaves[i].kind != .null || layout.leaves[i].value == nil {
                let t = leafText(i)
                if case .null = t.value { continue }
                keywordTexts.append(t)
            }
            return keywordTexts
        }
        func walk(_ v: EventValue) {
            switch v {
            case .object(let o): for m in o { walk(m.value) }
            case .array(let items): for i in items { walk(i) }
            case .null: break
            case .string(let s): keywordTexts.append(FieldText(v, text: s, arena: arena))
            default: keywordTexts.append(FieldText(v, text: v.text ?? "", arena: arena))
            }
        }
        walk(.object(event.fields))
        return keywordTexts
    }

    /// The text of a field (first value), for reports and correlations.
    public func text(ofField name: String) -> String? {
        if layout != nil {
            guard let values = lookup(name), !values.isEmpty else { return nil }
            return values.map { String(decoding: $0.raw, as: UTF8.self) }.joined(separator: ",")
        }
        return event.value(forField: name).flatMap { v in
            var out: [FieldText] = []
            flatten(v, into: &out)
            return out.isEmpty ? nil : out.map { String(decoding: $0.raw, as: UTF8.self) }.joined(separator: ",")
        }
    }
}
