import Events

/// A template's ``Events/EventLayout`` for one kind of substitution array (the signature of
/// ``TemplateShape``), or the knowledge that such records have none (they are read through their trees).
final class RecordLayout {
    let signature: [UInt8]
    let layout: EventLayout?

    init(signature: [UInt8], layout: EventLayout?) {
        self.signature = signature
        self.layout = layout
    }

    /// Most layouts a decoder compiles (across its templates); records of further kinds are read through
    /// their trees. This bounds the memory they take.
    static let maxPerDecoder = 4096
}

/// Records the typed event tree an ``EventShapeBuilder`` would build, with a leaf wherever a value goes:
/// fixed leaves for the template's own text, substituted leaves naming the substitution values.
struct LayoutRecorder: ShapeSink {
    typealias Shape = EventLayout.Shape
    typealias Members = [(key: String, value: Shape)]

    struct Frame {
        var key: String?
        var isArray: Bool
        var members: Members = []
        var items: [Shape] = []
    }

    var frames: [Frame] = []
    var pendingKey: String? = nil
    var result: Members = []
    var leaves: [EventLayout.Leaf] = []
    var leafValues: [EventValue?] = []
    var leafText: [UInt8] = []
    var parts: [EventLayout.Part] = []
    var partText: [UInt8] = []
    var scratch: [UInt8] = []
    /// The record's substitution values (nested instances' values included).
    let values: [Node]
    /// A key depends on a substitution value, or a substituted node is not one of `values`: no layout.
    var failed = false

    init(values: [Node]) {
        self.values = values
    }

    mutating func put(_ v: Shape) {
        let key = pendingKey
        pendingKey = nil
        let top = frames.count - 1
        guard top >= 0 else { return }
        if frames[top].isArray {
            frames[top].items.append(v)
        } else {
            frames[top].members.append((key ?? "", v))
        }
    }

    /// A fixed value as a shape (arrays and objects keep their structure, scalars become fixed leaves).
    mutating func shape(of v: EventValue) -> Shape {
        switch v {
        case .array(let items):
            var out: [Shape] = []
            for i in items { out.append(shape(of: i)) }
            return .array(out)
        case .object(let o):
            var out: Members = []
            for m in o { out.append((m.key, shape(of: m.value))) }
            return .object(out)
        default:
            let start = Int32(leafText.count)
            leafText += Array((v.text ?? "").utf8)
            let range = start..<Int32(leafText.count)
            leaves.append(EventLayout.Leaf(kind: EventLayout.Leaf.kind(of: v), isFixed: true, typed: false, range: range))
            leafValues.append(v)
            return .leaf(Int32(leaves.count - 1))
        }
    }

    mutating func fixed(_ v: EventValue) { put(shape(of: v)) }

    static func kind(_ type: UInt8) -> EventLayout.Kind {
        switch type {
        case ValueType.null: return .null
        case ValueType.int8...ValueType.uint64: return .integer
        case ValueType.real32, ValueType.real64: return .double
        case ValueType.bool: return .boolean
        case ValueType.binary: return .binary
        case ValueType.filetime: return .timestamp
        case ValueType.systemtime: return .timeOrText
        case ValueType.guid: return .guid
        case ValueType.sid: return .sid
        case ValueType.sizeT, ValueType.hexInt32, ValueType.hexInt64: return .hex
        default: return .text
        }
    }

    /// Substitution value `index` (item `item` of it, or all of it), read with its type as
    /// ``BinXMLDecoder/typedValue(_:scratch:)`` reads it: an array becomes an array of its items.
    mutating func typed(_ d: borrowing BinXMLDecoder, _ n: Node, index: Int, item: Int) -> Shape {
        if n.type & ValueType.array != 0 {
            var items: [Shape] = []
            for k in 0..<d.arrayCount(n) {
                guard let it = d.arrayItem(n, k) else {
                    items.append(shape(of: .string("")))
                    continue
                }
                items.append(typed(d, it, index: index, item: k))
            }
            return .array(items)
        }
        let p = Int32(parts.count)
        parts.append(EventLayout.Part(value: Int32(index), item: Int32(item)))
        leaves.append(EventLayout.Leaf(kind: LayoutRecorder.kind(n.type), isFixed: false, typed: true, range: p..<(p + 1)))
        leafValues.append(nil)
        return .leaf(Int32(leaves.count - 1))
    }

    /// A typed value: a substituted leaf for a substitution value, a fixed leaf for template text.
    mutating func value(_ d: borrowing BinXMLDecoder, _ n: Node) {
        if let (i, item) = d.substitution(n, in: values) {
            guard i >= 0 else {
                failed = true
                put(shape(of: .null))
                return
            }
            put(typed(d, n, index: i, item: item))
        } else {
            fixed(d.typedValue(n, scratch: &scratch))
        }
    }

    mutating func beginObject() {
        frames.append(Frame(key: pendingKey, isArray: false))
        pendingKey = nil
    }

    mutating func endObject() {
        guard let f = frames.popLast(), !f.isArray else { return }
        if frames.isEmpty {
            result = f.members
        } else {
            pendingKey = f.key
            put(.object(f.members))
        }
    }

    mutating func beginArray() {
        frames.append(Frame(key: pendingKey, isArray: true))
        pendingKey = nil
    }

    mutating func endArray() {
        guard let f = frames.popLast(), f.isArray else { return }
        pendingKey = f.key
        put(.array(f.items))
    }

    mutating func key(_ d: borrowing BinXMLDecoder, name: Int32, suffix: Int) {
        let s = d.nameStrings[Int(name)]
        pendingKey = suffix > 0 ? s + "_\(suffix)" : s
    }

    mutating func key(literal: StaticString) {
        pendingKey = literal.description
    }

    mutating func key(_ d: borrowing BinXMLDecoder, textOf nodes: Range<Int>) {
        scratch.removeAll(keepingCapacity: true)
        for i in nodes {
            let n = d.tree.nodes[i]
            if d.substitution(n, in: values) != nil { failed = true }
            d.appendText(n, into: &scratch, escape: .none)
        }
        pendingKey = String(decoding: scratch, as: UTF8.self)
    }

    mutating func null() { fixed(.null) }

    mutating func emptyString() { fixed(.string("")) }

    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node) { value(d, n) }

    mutating func text(_ d: borrowing BinXMLDecoder, _ nodes: Range<Int>) {
        // As ``EventShapeBuilder/text(_:_:)``: one typed value keeps its type; anything else is the
        // concatenated text.
        var single: Node? = nil
        var count = 0
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind == .element || !d.isContent(n) { continue }
            count += 1
            single = n
        }
        if count == 1, let single, single.kind == .value {
            value(d, single)
            return
        }
        let start = parts.count
        let textStart = partText.count
        var substituted = false
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind == .element { continue }
            if let (v, item) = d.substitution(n, in: values) {
                if v < 0 { failed = true }
                parts.append(EventLayout.Part(value: Int32(v), item: Int32(item)))
                substituted = true
            } else {
                let from = partText.count
                d.appendText(n, into: &partText, escape: .none)
                parts.append(EventLayout.Part(value: -1, item: -1, text: Int32(from)..<Int32(partText.count)))
            }
        }
        if !substituted {
            let s = String(decoding: partText[textStart...], as: UTF8.self)
            parts.removeSubrange(start...)
            partText.removeSubrange(textStart...)
            fixed(.string(s))
            return
        }
        let range = Int32(start)..<Int32(parts.count)
        leaves.append(EventLayout.Leaf(kind: .text, isFixed: false, typed: false, range: range))
        leafValues.append(nil)
        put(.leaf(Int32(leaves.count - 1)))
    }
}

extension BinXMLDecoder {
    /// The current record's field layout, compiled on the first record of its kind; `nil` when the record
    /// is not read through a compiled shape (see ``beginRecord(start:end:)``) or its kind has no layout.
    mutating func recordLayout() -> EventLayout? {
        // A template instance, or a record written without templates (its layouts held apart). Both are
        // held by the decoder while the record is current: read unretained (strong copies were three
        // retains and releases per record).
        guard let ref = shapeTemplateRef ?? prepareInlineLayout().map({ Unmanaged.passUnretained($0) }) else {
            return nil
        }
        // Records of one template mostly repeat its last kind: that one is checked before the dictionary.
        let hash = signatureHash
        let bytes = signature.bytes
        let last: EventLayout?? = ref._withUnsafeGuaranteedRef { template in
            guard let last = template.lastLayout, template.lastLayoutHash == hash else { return nil }
            return last._withUnsafeGuaranteedRef { Template.same($0.signature, bytes) ? .some($0.layout) : .some(nil) }
        }
        if let last { return last }
        let template = ref.takeUnretainedValue()
        if let compiled = template.layouts[signatureHash] {
            template.lastLayout = Unmanaged.passUnretained(compiled)
            template.lastLayoutHash = signatureHash
            // A hash collision (another signature under the same hash): read through the tree.
            guard Template.same(compiled.signature, signature.bytes) else { return nil }
            return compiled.layout
        }
        guard compiledLayouts < RecordLayout.maxPerDecoder, let root = recordTreeRoot() else { return nil }
        var r = LayoutRecorder(values: shapeValues)
        renderShape(root: root, into: &r)
        let layout =
            r.failed
            ? nil
            : EventLayout(
                fields: r.result, leaves: r.leaves, values: r.leafValues, text: r.leafText, parts: r.parts,
                partText: r.partText)
        template.layouts[signatureHash] = RecordLayout(signature: Array(signature.bytes), layout: layout)
        compiledLayouts += 1
        return layout
    }

    /// The node a layout part reads for the current record.
    @inline(__always)
    func node(_ p: EventLayout.Part) -> Node? {
        let v = shapeValues[Int(p.value)]
        return p.item < 0 ? v : arrayItem(v, Int(p.item))
    }

    /// ``appendText(ofLeaf:in:into:)`` through a modify access: on the decoder stored in its parser (a
    /// class), a non-mutating call would copy the whole decoder first.
    mutating func appendTextInPlace(ofLeaf i: Int, in layout: EventLayout, into out: inout LeafTextBuffer) -> EventScalar {
        appendText(ofLeaf: i, in: layout, into: &out)
    }

    /// Appends the text of substituted leaf `i` of `layout` for the current record; see
    /// ``Events/EventLeafReader``.
    func appendText<O: ByteSink>(ofLeaf i: Int, in layout: EventLayout, into out: inout O) -> EventScalar {
        layout.leaves.withUnsafeBufferPointer { leaves in
            layout.parts.withUnsafeBufferPointer { parts in
                let leaf = leaves[i]
                if leaf.isFixed {
                    // A fixed leaf's range is into the layout's text, not its parts (callers read fixed
                    // leaves from the layout; this keeps the method total).
                    layout.text.withUnsafeBufferPointer {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[Int(leaf.range.lowerBound)..<Int(leaf.range.upperBound)]))
                    }
                    return layout.values[i].map(EventScalar.init) ?? .text
                }
                if leaf.typed {
                    guard let n = node(parts[Int(leaf.range.lowerBound)]) else { return .text }
                    switch n.type {
                    case ValueType.int8...ValueType.uint64, ValueType.bool:
                        appendScalarText(n, into: &out, escape: .none)
                        return EventScalar(typedValue(n))
                    case ValueType.real32, ValueType.real64, ValueType.filetime, ValueType.systemtime:
                        // `EventValue.text` writes these unlike the JSON text (digits, fraction).
                        let v = typedValue(n)
                        out.append(contentsOf: (v.text ?? "").utf8)
                        return EventScalar(v)
                    default:
                        appendScalarText(n, into: &out, escape: .none)
                        return .text
                    }
                }
                for k in leaf.range {
                    let p = parts[Int(k)]
                    if p.value < 0 {
                        layout.partText.withUnsafeBufferPointer {
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[Int(p.text.lowerBound)..<Int(p.text.upperBound)]))
                        }
                    } else if let n = node(p) {
                        appendText(n, into: &out, escape: .none)
                    }
                }
                return .text
            }
        }
    }
}

extension BinXMLDecoder {
    /// The unsigned integer a substituted leaf holds when it is one whole value of an unsigned type (see
    /// ``Events/EventLeafReader/unsignedValue(ofLeaf:in:)``).
    mutating func unsignedValueInPlace(ofLeaf i: Int, in layout: EventLayout) -> UInt64? {
        let leaf = layout.leaves[i]
        guard leaf.typed, !leaf.isFixed else { return nil }
        let p = layout.parts[Int(leaf.range.lowerBound)]
        guard p.item < 0 else { return nil }
        let n = shapeValues[Int(p.value)]
        guard n.kind == .value else { return nil }
        let at = Int(n.a)
        switch n.type {
        case ValueType.uint8 where n.b >= 1: return UInt64(bytes[at])
        case ValueType.uint16 where n.b >= 2: return UInt64(bytes.u16(at))
        case ValueType.uint32 where n.b >= 4: return UInt64(bytes.u32(at))
        case ValueType.uint64 where n.b >= 8: return bytes.u64(at)
        default: return nil
        }
    }

    /// The UTF-16LE bytes of substituted leaf `i` when it is one string value; see
    /// ``Events/EventLeafReader``.
    mutating func utf16TextInPlace(ofLeaf i: Int, in layout: EventLayout) -> UnsafeRawBufferPointer? {
        layout.parts.withUnsafeBufferPointer { parts in utf16Text(of: layout.leaves[i], parts) }
    }

    mutating func utf16TextsInPlace(
        ofLeaves ids: UnsafeBufferPointer<Int32>, in layout: EventLayout, into out: UnsafeMutablePointer<UnsafeRawBufferPointer?>
    ) {
        layout.leaves.withUnsafeBufferPointer { leaves in
            layout.parts.withUnsafeBufferPointer { parts in
                for k in 0..<ids.count { out[k] = utf16Text(of: leaves[Int(ids[k])], parts) }
            }
        }
    }

    /// The UTF-16LE bytes of a substituted leaf when it is one string value. Mutating, though it writes
    /// nothing: called from the mutating methods above, a non-mutating method first took a copy of the whole
    /// decoder (336 bytes) per leaf; an array's item is read through ``arrayItem(_:_:)``, which still does.
    @inline(__always)
    mutating func utf16Text(of leaf: EventLayout.Leaf, _ parts: UnsafeBufferPointer<EventLayout.Part>) -> UnsafeRawBufferPointer? {
        guard leaf.typed, !leaf.isFixed else { return nil }
        let p = parts[Int(leaf.range.lowerBound)]
        let v = shapeValues[Int(p.value)]
        guard let n = p.item < 0 ? v : arrayItem(v, Int(p.item)), n.kind == .value, n.type == ValueType.string
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(n.a)..<Int(n.a + n.b)])
    }
}

extension Template {
    /// Whether a stored signature is the current one.
    @inline(__always)
    static func same(_ stored: [UInt8], _ signature: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == signature.count else { return false }
        return stored.withUnsafeBytes { a in
            var i = 0
            while i + 8 <= a.count {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    != signature.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                {
                    return false
                }
                i += 8
            }
            while i < a.count {
                if a[i] != signature[i] { return false }
                i += 1
            }
            return true
        }
    }
}

extension LeafTextBuffer: ByteSink {
    /// An empty buffer (no room).
    public init() {
        self.init(base: UnsafeMutablePointer(bitPattern: 0x10)!, capacity: 0)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count < capacity { base[count] = byte }
        count += 1
    }

    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        append(bytes)
    }

    mutating func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8 {
        for b in s { append(b) }
    }

    @inline(__always)
    mutating func write(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if count + maxCount <= capacity {
            count += body(base + count)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(1, maxCount)) { tmp in
            let n = body(tmp.baseAddress!)
            append(UnsafeRawBufferPointer(start: tmp.baseAddress, count: n))
        }
    }
}
