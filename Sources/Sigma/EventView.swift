import Events

/// One field value prepared for matching: its raw UTF-8 text and the case-folded text, both in the
/// view's ``TextArena`` (valid until the view moves to the next event).
struct FieldText {
    var value: EventValue
    var raw: UnsafeBufferPointer<UInt8>
    var folded: UnsafeBufferPointer<UInt8>

    init(_ value: EventValue, text: String, arena: TextArena) {
        self.value = value
        var text = text
        raw = text.withUTF8 { arena.copy($0) }
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

/// An event being matched, with the values of the fields rules ask for cached by slot.
///
/// One view per thread is reused from event to event (``reset(_:)``); a field is looked up and
/// folded at most once per event however many rules test it.
public final class EventView {
    public private(set) var event: Event
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
    var lastRawChannel = ""
    var lastRawProvider = ""
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
        generation &+= 1
        if generation == 0 {
            generation = 1
            for i in slotGeneration.indices { slotGeneration[i] = 0 }
            for i in scannedGeneration.indices { scannedGeneration[i] = 0 }
            for i in passedGeneration.indices { passedGeneration[i] = 0 }
            for i in literalGeneration.indices { literalGeneration[i] = 0 }
            for i in activeKeys.indices { activeKeys[i] = 0 }
            keywordGeneration = 0
        }
        arena.reset()
        // Consecutive events mostly share their channel and provider: fold them only when they change.
        parts = WindowsEventParts(event)
        let rawChannel = parts.value(EventView.channelField, in: event)?.text ?? ""
        if rawChannel != lastRawChannel {
            lastRawChannel = rawChannel
            channel = rawChannel.lowercased()
            candidatesValid = false
        }
        if let v = parts.value(EventView.eventIDField, in: event) {
            eventID = v.intValue.map { Int($0) } ?? Int(v.text ?? "") ?? -1
            hasEventID = true
        } else {
            eventID = -1
            hasEventID = false
        }
        let rawProvider = parts.value(EventView.providerField, in: event)?.text ?? ""
        if rawProvider != lastRawProvider {
            lastRawProvider = rawProvider
            provider = rawProvider.lowercased()
        }
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
            if let value = parts.value(slotFields[slot], in: event) {
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
        event.value(forField: name).flatMap { v in
            var out: [FieldText] = []
            flatten(v, into: &out)
            return out.isEmpty ? nil : out.map { String(decoding: $0.raw, as: UTF8.self) }.joined(separator: ",")
        }
    }
}
