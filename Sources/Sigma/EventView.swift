import Events

/// One field value prepared for matching: its raw UTF-8 text and the case-folded text.
struct FieldText {
    var value: EventValue
    var raw: [UInt8]
    var folded: [UInt8]

    init(_ value: EventValue, text: String) {
        self.value = value
        raw = Array(text.utf8)
        folded = CaseFolding.fold(raw)
    }
}

/// An event being matched, with the values of the fields rules ask for cached by slot.
///
/// One view per thread is reused from event to event (``reset(_:)``); a field is looked up and
/// folded at most once per event however many rules test it.
public final class EventView {
    public private(set) var event: Event
    let slotNames: [String]
    var slotGeneration: [UInt32]
    var slotValues: [[FieldText]?]
    var generation: UInt32 = 1
    var keywordTexts: [FieldText]?
    let scratch = RegexScratch()
    /// The event's channel (lower-cased) and event id, read once.
    public private(set) var channel: String = ""
    public private(set) var eventID: Int = -1
    public private(set) var provider: String = ""

    /// Per slot: the generation in which the slot's prefilter last ran.
    var scannedGeneration: [UInt32]
    /// Per unit: the generation in which its prefilter literals were found.
    var passedGeneration: [UInt32]
    /// Units whose prefilter literals were found in this event, in the order found.
    var hits: [Int32] = []
    /// Per slot-literal (flat table of the rule set's automata): the generation in which it was found.
    var literalGeneration: [UInt32]
    /// The rule set whose automata scan slots on demand.
    unowned(unsafe) var scanner: RuleSet?
    /// Rule evaluations made through this view (for measurements).
    public internal(set) var evaluations = 0

    init(slotNames: [String], unitCount: Int = 0, literalCount: Int = 0) {
        self.slotNames = slotNames
        literalGeneration = [UInt32](repeating: 0, count: literalCount)
        scannedGeneration = [UInt32](repeating: 0, count: slotNames.count)
        passedGeneration = [UInt32](repeating: 0, count: unitCount)
        slotGeneration = [UInt32](repeating: 0, count: slotNames.count)
        slotValues = [[FieldText]?](repeating: nil, count: slotNames.count)
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
        }
        keywordTexts = nil
        channel = event.value(forField: "Channel")?.text?.lowercased() ?? ""
        if let v = event.value(forField: "EventID") {
            eventID = v.intValue.map { Int($0) } ?? Int(v.text ?? "") ?? -1
        } else {
            eventID = -1
        }
        provider = event.value(forField: "Provider_Name")?.text?.lowercased() ?? ""
    }

    /// The values of the field in `slot`, or `nil` when the event does not have it.
    func values(_ slot: Int) -> [FieldText]? {
        if slotGeneration[slot] == generation { return slotValues[slot] }
        let v = lookup(slotNames[slot])
        slotValues[slot] = v
        slotGeneration[slot] = generation
        return v
    }

    /// Values of a field looked up by name (not cached: `fieldref` and correlations).
    func lookup(_ name: String) -> [FieldText]? {
        guard let value = event.value(forField: name) else { return nil }
        var out: [FieldText] = []
        EventView.flatten(value, into: &out)
        return out
    }

    static func flatten(_ value: EventValue, into out: inout [FieldText]) {
        switch value {
        case .array(let items):
            if items.isEmpty { out.append(FieldText(.null, text: "")) }
            for i in items { flatten(i, into: &out) }
        case .object(let o):
            if let t = o["#text"] { flatten(t, into: &out) } else { out.append(FieldText(.null, text: "")) }
        default:
            out.append(FieldText(value, text: value.text ?? ""))
        }
    }

    /// Every leaf value of the event, for keyword searches.
    func keywords() -> [FieldText] {
        if let k = keywordTexts { return k }
        var out: [FieldText] = []
        func walk(_ v: EventValue) {
            switch v {
            case .object(let o): for m in o { walk(m.value) }
            case .array(let items): for i in items { walk(i) }
            case .null: break
            default: out.append(FieldText(v, text: v.text ?? ""))
            }
        }
        walk(.object(event.fields))
        keywordTexts = out
        return out
    }

    /// The text of a field (first value), for reports and correlations.
    public func text(ofField name: String) -> String? {
        event.value(forField: name).flatMap { v in
            var out: [FieldText] = []
            EventView.flatten(v, into: &out)
            return out.isEmpty ? nil : out.map { String(decoding: $0.raw, as: UTF8.self) }.joined(separator: ",")
        }
    }
}
