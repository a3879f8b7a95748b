/// A template's JSON rendering for one kind of substitution array, compiled once and replayed per record.
///
/// Most records are one template instance. Given the template and, for each substitution value, its type
/// and whether it is empty, the JSON layout of the record is fixed (which members exist, which values are
/// bare numbers, which optional values vanish, how `Data` elements are flattened): only the values' text
/// changes. A shape is that layout as pre-rendered JSON bytes with holes where values go.
///
/// A class: records find and replay it through one reference, without retaining its arrays one by one.
final class TemplateShape {
    /// A value spliced into ``literal``.
    struct Hole {
        /// Position in ``literal``.
        var at: Int32
        /// Substitution index.
        var index: UInt16
        /// Written as a bare JSON number (no escaping) rather than as JSON string content.
        var isNumber: Bool
        /// For an array value repeated over its element (array expansion): the item; -1 for the whole value.
        var item: Int16 = -1
    }

    /// Per substitution value: its type, plus ``emptyFlag`` when it is empty (arrays add their item count
    /// and each item's state; see ``BinXMLDecoder/prepareInstance(start:end:depth:)``).
    let signature: [UInt8]
    let hash: UInt64
    let literal: [UInt8]
    let holes: [Hole]

    init(signature: [UInt8], hash: UInt64, literal: [UInt8], holes: [Hole]) {
        self.signature = signature
        self.hash = hash
        self.literal = literal
        self.holes = holes
    }

    /// OR-ed onto a value's type in a signature when the value is empty (types use bits 0…5 and 7).
    static let emptyFlag: UInt8 = 0x40

    /// Per value type, what ``BinXMLDecoder/plainValueNode(type:offset:size:)`` checks and how
    /// ``BinXMLDecoder/isEmpty(_:)`` decides: the low byte is the smallest valid size, then flags.
    static let invalidType: UInt16 = 0x100
    static let evenSize: UInt16 = 0x200
    static let pointerSize: UInt16 = 0x400
    static let alwaysEmpty: UInt16 = 0x1000
    static let emptyString: UInt16 = 0x2000
    static let emptyWhenZero: UInt16 = 0x4000

    /// At a fixed address, read through a pointer fetched once per instance (a lazy global is checked at
    /// every read).
    nonisolated(unsafe) static let typeInfoTable: UnsafePointer<UInt16> = {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        p.initialize(from: (0..<256).map(typeInfo), count: 256)
        return UnsafePointer(p)
    }()

    /// The entry of type `t` (see above).
    static func typeInfo(_ t: Int) -> UInt16 {
        let type = UInt8(t)
        var info: UInt16 = 0
        switch type {
        case ValueType.null: info = alwaysEmpty
        case ValueType.string: info = evenSize | emptyString
        case ValueType.sizeT: info = pointerSize
        case ValueType.sid: info = 8
        default:
            if !ValueType.isKnown(type) { return invalidType }
            info = UInt16(ValueType.width(type))
            if type == ValueType.binary || type == ValueType.binXML || type & ValueType.array != 0 { info |= emptyWhenZero }
        }
        return info
    }

    /// Most shapes a decoder compiles (across its templates; the record template that wraps every event's
    /// data gets one shape per kind of event data); records of further kinds are rendered through the tree.
    /// About 1.5 KB each: this bounds the memory they take.
    static let maxPerDecoder = 4096
    /// Arrays with more items than this are rendered through the tree.
    static let maxArrayItems = 64
}

/// Records the JSON a ``JSONShapeWriter`` would write, leaving a hole wherever a substitution value's text
/// goes.
struct JSONShapeRecorder: ShapeSink {
    var w = JSONShapeWriter<[UInt8]>()
    var holes: [TemplateShape.Hole] = []
    /// The record's substitution values (nested instances' values included).
    let values: [Node]
    /// A substituted value node that is not one of `values`: the shape cannot be reused.
    var failed = false

    init(values: [Node]) {
        self.values = values
    }

    func hole(_ d: borrowing BinXMLDecoder, _ n: Node) -> (index: Int, item: Int)? {
        d.substitution(n, in: values)
    }

    mutating func append(_ d: borrowing BinXMLDecoder, _ n: Node, isNumber: Bool) {
        switch hole(d, n) {
        case nil:
            if isNumber {
                d.appendScalarText(n, into: &w.out, escape: .none)
            } else {
                d.appendText(n, into: &w.out, escape: .json)
            }
        case let (i, item)?:
            if i < 0 || i > Int(UInt16.max) || d.isEmpty(n) {
                // Empty values write nothing; anything unexpected disables the shape.
                if i < 0 { failed = true }
                return
            }
            holes.append(
                TemplateShape.Hole(at: Int32(w.out.count), index: UInt16(i), isNumber: isNumber, item: Int16(item))
            )
        }
    }

    mutating func beginObject() { w.beginObject() }
    mutating func endObject() { w.endObject() }
    mutating func beginArray() { w.beginArray() }
    mutating func endArray() { w.endArray() }
    mutating func key(_ d: borrowing BinXMLDecoder, name: Int32, suffix: Int) { w.key(d, name: name, suffix: suffix) }
    mutating func key(literal: StaticString) { w.key(literal: literal) }
    mutating func null() { w.null() }
    mutating func emptyString() { w.emptyString() }

    mutating func key(_ d: borrowing BinXMLDecoder, textOf nodes: Range<Int>) {
        w.separator()
        w.out.append(0x22)
        for i in nodes { append(d, d.tree.nodes[i], isNumber: false) }
        w.out.append(0x22)
        w.out.append(UInt8(ascii: ":"))
        w.needComma = false
    }

    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node) {
        w.separator()
        append(d, n, isNumber: true)
        w.needComma = true
    }

    mutating func text(_ d: borrowing BinXMLDecoder, _ nodes: Range<Int>) {
        w.separator()
        w.out.append(0x22)
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind != .element { append(d, n, isNumber: false) }
        }
        w.out.append(0x22)
        w.needComma = true
    }
}

extension BinXMLDecoder {
    /// Where a value node copied from a substitution comes from: the value's index in `values` (a record's
    /// ``shapeValues``), and the item for an item of an expanded array (-1 otherwise); `nil` for template
    /// text, index -1 when not found.
    func substitution(_ n: Node, in values: [Node]) -> (index: Int, item: Int)? {
        guard n.kind == .value, n.substituted else { return nil }
        for (i, v) in values.enumerated() where v.kind == .value {
            if v.a == n.a && v.b == n.b && v.type == n.type { return (i, -1) }
            // An item of an expanded array lies inside the array's bytes.
            if v.type & ValueType.array != 0 && v.type & 0x7F == n.type && n.a >= v.a && n.a < v.a + v.b {
                for k in 0..<min(arrayCount(v), TemplateShape.maxArrayItems) {
                    if let item = arrayItem(v, k), item.a == n.a, item.b == n.b { return (i, k) }
                }
            }
        }
        return (-1, -1)
    }

    /// Starts reading one record's BinXML (chunk range `start..<end`).
    ///
    /// With ``rendersShapes``, a record that is one template instance with plain substitution values is only
    /// checked here (values, template); its tree is built later, and only if XML or typed fields are asked
    /// for: JSON is rendered from the template's compiled shape. Any other record is decoded into the tree
    /// now.
    ///
    /// - Throws: ``BinXMLError`` when the record cannot be decoded.
    mutating func beginRecord(start: Int, end: Int) throws(BinXMLError) {
        recordStart = start
        recordEnd = end
        recordRoot = -1
        if rendersShapes && prepareInstance(start: start, end: end) { return }
        shapeTemplate = nil
        recordRoot = try decodeRecord(start: start, end: end)
    }

    /// The root of the current record's tree, decoding it if that has not been done yet.
    mutating func recordTreeRoot() -> Int32? {
        if recordRoot >= 0 { return recordRoot }
        guard let root = try? decodeRecord(start: recordStart, end: recordEnd) else { return nil }
        recordRoot = root
        return root
    }

    /// Reads the record as a single template instance, as ``decodeRecord(start:end:)`` would, without
    /// building the tree. False when the record is anything else (ANSI values, arrays of more than
    /// ``TemplateShape/maxArrayItems`` items, further tokens) or damaged: then the tree is decoded as usual
    /// (and reports the damage).
    mutating func prepareInstance(start: Int, end: Int) -> Bool {
        shapeValues.removeAll(keepingCapacity: true)
        signature.count = 0
        guard let template = prepareInstance(start: start, end: end, depth: 0) else { return false }
        shapeTemplate = template
        signatureHash = hashSignature()
        return true
    }

    /// FNV-1a over ``signature``, eight bytes at a time.
    func hashSignature() -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let s = signature.bytes
        var i = 0
        while i + 8 <= s.count {
            hash = (hash ^ s.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01B3
            i += 8
        }
        while i < s.count {
            hash = (hash ^ UInt64(s[i])) &* 0x100_0000_01B3
            i += 1
        }
        return hash
    }

    /// Prepares a record that is not read as one template instance — written without templates (its values
    /// inline in its elements, as some tools write them), or an instance ``prepareInstance(start:end:)``
    /// does not take (long arrays, deep nesting, trailing tokens) — to be read through a field layout all
    /// the same: its decoded tree's values become the substitution values, in document order, and its
    /// structure the signature — element and attribute names, each node's kind, each value's type and
    /// whether it is empty (what the shape depends on), which values are the same value, and the text of
    /// `Name` attributes, which the shape uses as keys and which stay fixed text. Records of one kind then
    /// share a layout, as the instances of one template do.
    ///
    /// Returns the holder of such layouts, or `nil` when the record has no tree or holds what a layout does
    /// not take (ANSI strings, arrays).
    mutating func prepareInlineLayout() -> Template? {
        guard recordRoot >= 0 else { return nil }
        shapeValues.removeAll(keepingCapacity: true)
        signature.count = 0
        signature.append(0xFF)
        guard appendInlineSignature(element: recordRoot) else { return nil }
        // Which values are the same value (one substitution used twice, the copies an array expansion
        // makes): the layout reads both places from the first, so records that share values differently
        // must not share a layout. Values at strictly increasing offsets share nothing (the common case).
        var increasing = true
        for k in shapeValues.indices.dropFirst() where shapeValues[k].a <= shapeValues[k - 1].a {
            increasing = false
            break
        }
        if increasing {
            signature.append(0x06)
        } else {
            signature.append(0x07)
            for k in shapeValues.indices {
                let v = shapeValues[k]
                let first = shapeValues[..<k].firstIndex { $0.a == v.a && $0.b == v.b && $0.type == v.type } ?? k
                appendInt32(Int32(first))
            }
        }
        signatureHash = hashSignature()
        if inlineLayouts == nil { inlineLayouts = Template(tree: Tree(), root: -1, dataStart: 0, externalNames: []) }
        return inlineLayouts
    }

    @inline(__always)
    mutating func appendInt32(_ v: Int32) {
        signature.write(maxCount: 4) { p in
            UnsafeMutableRawPointer(p).storeBytes(of: UInt32(bitPattern: v).littleEndian, as: UInt32.self)
            return 4
        }
    }

    /// Appends element `e`'s structure to the signature and its values to ``shapeValues``; false when the
    /// record cannot have a layout.
    mutating func appendInlineSignature(element e: Int32) -> Bool {
        let el = tree.elements[Int(e)]
        signature.append(0x01)
        appendInt32(el.name)
        appendInt32(el.attrCount)
        appendInt32(el.childCount)
        for a in tree.attributeRange(of: e) {
            let at = tree.attributes[a]
            appendInt32(at.name)
            appendInt32(at.valueCount)
            let isName = nameKinds[Int(at.name)] == NameKind.name
            for i in tree.values(of: a) {
                guard appendInlineSignature(node: i, fixedText: isName) else { return false }
            }
        }
        for i in tree.children(of: e) {
            guard appendInlineSignature(node: i, fixedText: false) else { return false }
        }
        return true
    }

    /// One node: an element recursively; a value as a substitution value (its type and emptiness), or, as
    /// `fixedText`, with its bytes.
    mutating func appendInlineSignature(node i: Int, fixedText: Bool) -> Bool {
        let n = tree.nodes[i]
        switch n.kind {
        case .element:
            return appendInlineSignature(element: n.a)
        case .entity, .charRef:
            signature.append(n.kind == .entity ? 0x02 : 0x03)
            appendInt32(n.a)
            return true
        case .ansi, .placeholder:
            return false
        case .value:
            guard n.type & ValueType.array == 0, n.type != ValueType.binXML else { return false }
            if fixedText {
                signature.append(0x04)
                signature.append(n.type)
                appendInt32(n.b)
                signature.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[Int(n.a)..<Int(n.a + n.b)]))
                return true
            }
            signature.append(0x05)
            signature.append(isEmpty(n) ? n.type | TemplateShape.emptyFlag : n.type)
            tree.nodes[i].substituted = true
            shapeValues.append(tree.nodes[i])
            return true
        }
    }

    /// Deepest nesting of template instances (BinXML values holding an instance) on the shape path.
    static let maxShapeNesting = 4

    /// One template instance stream (`[fragment header] instance [end of stream]` in `start..<end`): appends
    /// its values to ``shapeValues`` and its signature to ``signature`` — value count, one byte per value
    /// (a nested instance's signature after a BinXML value's byte), the template's serial — and returns its
    /// template.
    mutating func prepareInstance(start: Int, end: Int, depth: Int) -> Template? {
        var p = start
        guard p < end else { return nil }
        if bytes[p] == 0x0F {
            p += 4
            guard p < end else { return nil }
        }
        guard bytes[p] == 0x0C else { return nil }
        p += 1
        guard p + 9 <= bytes.count else { return nil }
        let definition = bytes.u32(p + 5)
        p += 9
        if Int(definition) == p {
            guard p + 24 <= bytes.count else { return nil }
            p += 24 + Int(bytes.u32(p + 20))
            guard p <= bytes.count else { return nil }
        }
        guard p + 4 <= bytes.count else { return nil }
        let count = Int(bytes.u32(p))
        p += 4
        guard count <= (bytes.count - p) / 4, count <= Int(UInt16.max) else { return nil }
        signature.append(UInt8(truncatingIfNeeded: count))
        signature.append(UInt8(truncatingIfNeeded: count >> 8))
        let valueStart = p + 4 * count
        var vp = valueStart
        let typeInfo = TemplateShape.typeInfoTable
        for i in 0..<count {
            let size = Int(bytes.u16(p + 4 * i))
            let type = bytes[p + 4 * i + 2]
            guard vp + size <= bytes.count else { return nil }
            if type & 0x7F == ValueType.ansiString { return nil }
            if type == ValueType.binXML && size > 0 {
                guard depth < BinXMLDecoder.maxShapeNesting else { return nil }
                shapeValues.append(Node(.element))
                signature.append(type)
                guard prepareInstance(start: vp, end: vp + size, depth: depth + 1) != nil else { return nil }
            } else {
                guard let (v, empty) = plainValue(type: type, offset: vp, size: size, table: typeInfo) else { return nil }
                shapeValues.append(v)
                signature.append(empty ? type | TemplateShape.emptyFlag : type)
                if type & ValueType.array != 0 {
                    // Expansion repeats an element per item and drops empty string items: the shape depends
                    // on the item count and on which items are missing or empty.
                    guard appendArraySignature(v) else { return nil }
                }
            }
            vp += size
        }
        if vp < end && bytes[vp] != 0x00 { return nil }
        guard let cached = try? self.template(at: definition, depth: depth), !cached.template.holdsArrays else {
            return nil
        }
        let serial = cached.template.serial
        signature.append(UInt8(truncatingIfNeeded: serial))
        signature.append(UInt8(truncatingIfNeeded: serial >> 8))
        signature.append(UInt8(truncatingIfNeeded: serial >> 16))
        signature.append(UInt8(truncatingIfNeeded: serial >> 24))
        return cached.template
    }

    /// Appends an array value's item count and, per item, 0 (missing: an empty string item), 1 (empty) or
    /// 2 (text), as ``arrayItem(_:_:)`` and ``isEmpty(_:)`` would say; false when there are too many items.
    mutating func appendArraySignature(_ v: Node) -> Bool {
        let items = arrayCount(v)
        guard items <= TemplateShape.maxArrayItems else { return false }
        signature.append(UInt8(items))
        guard v.type & 0x7F == ValueType.string else {
            for k in 0..<items {
                guard let item = arrayItem(v, k) else {
                    signature.append(0)
                    continue
                }
                signature.append(isEmpty(item) ? 1 : 2)
            }
            return true
        }
        // One pass over the NUL-separated UTF-16 items: an item of 0 bytes is missing, of 1 byte empty.
        let start = Int(v.a)
        let size = Int(v.b)
        var itemStart = 0
        var i = 0
        var written = 0
        while i + 1 < size && written < items {
            if bytes.u16(start + i) == 0 {
                let len = i - itemStart
                signature.append(len <= 0 ? 0 : (len < 2 ? 1 : 2))
                written += 1
                itemStart = i + 2
            }
            i += 2
        }
        if written < items {
            let len = min(i, size) - itemStart
            signature.append(len <= 0 ? 0 : (len < 2 ? 1 : 2))
        }
        return true
    }

    /// ``plainValueNode(type:offset:size:)`` and whether the value is empty (``isEmpty(_:)``), through one
    /// table look-up: the switches on the type were indirect jumps the branch predictor missed for about
    /// half the values (callgrind's branch simulation).
    @inline(__always)
    func plainValue(type: UInt8, offset: Int, size: Int, table: UnsafePointer<UInt16>) -> (Node, empty: Bool)? {
        let info = table[Int(type)]
        guard info & TemplateShape.invalidType == 0, size >= Int(info & 0xFF),
            info & TemplateShape.evenSize == 0 || size & 1 == 0,
            info & TemplateShape.pointerSize == 0 || size == 4 || size == 8
        else { return nil }
        // One flag per rule, tested as bits: a two-bit rule field compiled to a jump table again.
        let empty =
            info & TemplateShape.alwaysEmpty != 0 || (info & TemplateShape.emptyWhenZero != 0 && size == 0)
            || (info & TemplateShape.emptyString != 0 && (size < 2 || bytes.u16(offset) == 0))
        return (type == ValueType.null ? Node.null : Node(.value, type: type, a: Int32(offset), b: Int32(size)), empty)
    }

    /// ``valueNode(type:offset:size:depth:)`` for the types the shape path takes (no nested BinXML, ANSI or
    /// arrays), with the same checks; `nil` where it would throw.
    @inline(__always)
    func plainValueNode(type: UInt8, offset: Int, size: Int) -> Node? {
        switch type {
        case ValueType.null:
            return .null
        case ValueType.string:
            if size % 2 != 0 { return nil }
        case ValueType.sizeT:
            if size != 4 && size != 8 { return nil }
        case ValueType.sid:
            if size < 8 { return nil }
        default:
            if !ValueType.isKnown(type) { return nil }
            let w = ValueType.width(type)
            if w > 0 && size < w { return nil }
        }
        return Node(.value, type: type, a: Int32(offset), b: Int32(size))
    }

    /// Appends the current record's event as JSON (the `evtx` crate's shape).
    mutating func appendRecordJSON<O: ByteSink>(into out: inout O) {
        if let template = shapeTemplate {
            if let shape = template.shape(signature.bytes, hash: signatureHash) {
                appendJSON(shape, into: &out)
                return
            }
            if compiledShapes < TemplateShape.maxPerDecoder, let root = recordTreeRoot() {
                var r = JSONShapeRecorder(values: shapeValues)
                renderShape(root: root, into: &r)
                if !r.failed {
                    let shape = TemplateShape(
                        signature: Array(signature.bytes),
                        hash: signatureHash,
                        literal: r.w.out,
                        holes: r.holes
                    )
                    if template.shapes[signatureHash] == nil {
                        template.shapes[signatureHash] = shape
                        compiledShapes += 1
                    }
                    appendJSON(shape, into: &out)
                    return
                }
            }
        }
        guard let root = recordTreeRoot() else {
            out.append("null")
            return
        }
        var w = JSONShapeWriter<O>()
        swap(&w.out, &out)
        renderShape(root: root, into: &w)
        swap(&w.out, &out)
    }

    /// Replays `shape` with the current record's values.
    func appendJSON<O: ByteSink>(_ shape: TemplateShape, into out: inout O) {
        shape.literal.withUnsafeBytes { literal in
            shapeValues.withUnsafeBufferPointer { values in
                var pos = 0
                for h in shape.holes {
                    let at = Int(h.at)
                    out.append(bytes: UnsafeRawBufferPointer(rebasing: literal[pos..<at]))
                    let v = values[Int(h.index)]
                    let escape: Escape = h.isNumber ? .none : .json
                    if v.type & ValueType.array == 0 {
                        appendScalarText(v, into: &out, escape: escape)
                    } else if h.item < 0 {
                        appendText(v, into: &out, escape: escape)
                    } else if let item = arrayItem(v, Int(h.item)) {
                        appendScalarText(item, into: &out, escape: escape)
                    }
                    pos = at
                }
                out.append(bytes: UnsafeRawBufferPointer(rebasing: literal[pos...]))
            }
        }
    }
}

extension Template {
    /// The compiled shape for a signature, if there is one.
    @inline(__always)
    func shape(_ signature: UnsafeRawBufferPointer, hash: UInt64) -> TemplateShape? {
        // A hash collision (another signature under the same hash) is a miss: that record is rendered
        // through its tree.
        guard let s = shapes[hash], Template.same(s.signature, signature) else { return nil }
        return s
    }
}

