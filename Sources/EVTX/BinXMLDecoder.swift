/// Borrowed views of a template's arrays, for copying it without reference counting.
struct TemplateView {
    let elements: UnsafeBufferPointer<Element>
    let attributes: UnsafeBufferPointer<Attribute>
    let nodes: UnsafeBufferPointer<Node>
    let extra: [UInt8]
    /// Added to value offsets: where the definition is in this chunk minus where it was parsed.
    let delta: Int32
}

/// Names that the JSON layout treats specially.
enum NameKind {
    static let other: UInt8 = 0
    static let data: UInt8 = 1
    static let name: UInt8 = 2
    static let container: UInt8 = 3

    static func of(_ utf8: [UInt8]) -> UInt8 {
        switch utf8 {
        case Array("Data".utf8): return data
        case Array("Name".utf8): return name
        case Array("EventData".utf8), Array("UserData".utf8): return container
        default: return other
        }
    }
}

/// Decodes BinXML token streams of one chunk into a ``Tree``: template definitions (cached by offset),
/// template instances with their substitution values, nested BinXML, and array expansion.
///
/// All offsets are relative to the start of the chunk; every read is bounds-checked against the chunk.
/// One decoder serves one chunk at a time and keeps its buffers from chunk to chunk.
struct BinXMLDecoder {
    /// The chunk's bytes (fewer than 65536 when the file ends inside the chunk).
    var bytes: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Element and attribute names as UTF-8, by name id.
    var names: [[UInt8]] = []
    /// The same names as strings (keys of typed events).
    var nameStrings: [String] = []
    /// Name id by chunk offset (-1: not read yet); `nameOffsets` lists the entries to clear.
    var nameIDs = [Int32](repeating: -1, count: EVTXFile.chunkSize)
    var nameOffsets: [Int] = []
    /// What each name is to the JSON layout (``NameKind``).
    var nameKinds: [UInt8] = []
    /// Each name as a ready JSON key (`"name":`), concatenated; `nameKeyStarts[id]..<nameKeyStarts[id + 1]`.
    var nameKeys: [UInt8] = []
    var nameKeyStarts: [Int] = [0]
    /// Templates of the current chunk by definition offset, with the relocation from where they were parsed:
    /// `templateSlots[offset]` indexes `chunkTemplates` (-1: not read yet; no hashing per record), and
    /// `templateOffsets` lists the entries to clear.
    var templateSlots = [Int32](repeating: -1, count: EVTXFile.chunkSize)
    var chunkTemplates: [(template: Template, delta: Int32)] = []
    var templateOffsets: [Int] = []
    /// Templates of every chunk seen, by content.
    var sharedTemplates: [TemplateKey: Template] = [:]
    /// Name ids by name text (across chunks).
    var nameIndex: [[UInt8]: Int32] = [:]
    /// While a template definition is parsed: its byte range and the names it references outside it.
    var templateRange: Range<Int>? = nil
    var externalNames: [(offset: UInt32, id: Int32)] = []
    /// The tree being built (the record's, or a template's while one is parsed).
    var tree = Tree()

    /// Records are rendered as JSON through compiled template shapes (``TemplateShape``) rather than their
    /// trees: set by JSON dumps; readers that want typed fields leave it off (they need the tree anyway).
    var rendersShapes = false
    /// The current record: its BinXML range and its tree's root (-1 while the tree is not built).
    var recordStart = 0
    var recordEnd = 0
    var recordRoot: Int32 = -1
    /// Where the items of the last string array asked for begin (see ``arrayItem(_:_:)``).
    let stringArrayItems = StringArrayItems()
    /// When the current record is a single template instance with plain values: its template, values,
    /// their signature (``TemplateShape``) and the chunk range of the values' bytes.
    var shapeTemplate: Template? = nil {
        didSet { shapeTemplateRef = shapeTemplate.map { Unmanaged.passUnretained($0) } }
    }
    /// The same, for reads that must not retain it.
    var shapeTemplateRef: Unmanaged<Template>? = nil
    var shapeValues: [Node] = []
    var signature = OutputBytes()
    var signatureHash: UInt64 = 0
    /// Shapes compiled into the cached templates (bounded by ``TemplateShape/maxPerDecoder``).
    var compiledShapes = 0
    /// Field layouts compiled into the cached templates (bounded by ``RecordLayout/maxPerDecoder``).
    var compiledLayouts = 0
    /// Holds the field layouts of records written without templates (see ``prepareInlineLayout()``), by
    /// the hash of their structure; its signatures hold name ids, so it is dropped with the interned names.
    var inlineLayouts: Template? = nil
    /// The last ``Template/serial`` given out.
    var templateSerial: UInt32 = 0

    struct Frame {
        var name: Int32
        var attrStart: Int32
        var attrCount: Int32
        var childMark: Int
    }

    struct PendingAttribute {
        var name: Int32
        var valueMark: Int
    }

    var scratch: [Node] = []
    var spareValueArrays: [[Node]] = []
    /// False while cloning an instance whose values hold no arrays (and whose template has no literal
    /// array values): then no element can need array expansion.
    var expansionPossible = true
    var pendingAttributes: [PendingAttribute] = []
    var frames: [Frame] = []

    /// Deepest nesting of template instances and BinXML fragments.
    static let maxNesting = 64
    /// Deepest element nesting inside one stream.
    static let maxElementDepth = 512

    /// Starts a new chunk: names and templates are chunk-relative, so the caches are cleared.
    ///
    /// Names are interned by content and template definitions cached by content (GUID, size, CRC32 of
    /// the definition), both across chunks: a file's templates are parsed once per decoder, not once
    /// per chunk. The per-chunk maps from offsets to them are cleared here.
    mutating func reset(chunk: UnsafeRawBufferPointer) {
        bytes = chunk
        stringArrayItems.forget()
        for o in nameOffsets { nameIDs[o] = -1 }
        nameOffsets.removeAll(keepingCapacity: true)
        for o in templateOffsets { templateSlots[o] = -1 }
        templateOffsets.removeAll(keepingCapacity: true)
        chunkTemplates.removeAll(keepingCapacity: true)
        if names.count > BinXMLDecoder.maxInternedNames || sharedTemplates.count > BinXMLDecoder.maxSharedTemplates {
            // Bound memory on hostile input: start the cross-chunk caches afresh.
            names.removeAll(keepingCapacity: true)
            nameStrings.removeAll(keepingCapacity: true)
            nameIndex.removeAll(keepingCapacity: true)
            nameKinds.removeAll(keepingCapacity: true)
            nameKeys.removeAll(keepingCapacity: true)
            nameKeyStarts.removeAll(keepingCapacity: true)
            nameKeyStarts.append(0)
            sharedTemplates.removeAll(keepingCapacity: true)
            inlineLayouts = nil
            compiledShapes = 0
            compiledLayouts = 0
        }
    }

    static let maxInternedNames = 100_000
    static let maxSharedTemplates = 20_000

    /// Decodes one record's BinXML (chunk range `start..<end`) and returns the root element.
    mutating func decodeRecord(start: Int, end: Int) throws(BinXMLError) -> Int32 {
        tree.removeAll()
        scratch.removeAll(keepingCapacity: true)
        pendingAttributes.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
        guard let root = try parseStream(start: start, end: end, isTemplate: false, hasDependencyID: false, depth: 0)
        else { throw BinXMLError("record has no root element", at: start) }
        return root
    }

    // MARK: - Names

    @inline(__always)
    func need(_ end: Int, _ at: Int) throws(BinXMLError) {
        if end > bytes.count { throw BinXMLError("data runs past the end of the chunk", at: at) }
    }

    /// Reads a name reference at `p`, skipping an inline name definition; returns the name id.
    mutating func readNameRef(_ p: inout Int) throws(BinXMLError) -> Int32 {
        let at = p
        try need(p + 4, at)
        let offset = bytes.u32(p)
        p += 4
        if Int(offset) == p {
            try need(p + 8, at)
            let count = Int(bytes.u16(p + 6))
            p += 8 + count * 2 + 2
            try need(p, at)
        }
        let id = try name(at: offset)
        if let r = templateRange, !r.contains(Int(offset)) { externalNames.append((offset, id)) }
        return id
    }

    mutating func name(at offset: UInt32) throws(BinXMLError) -> Int32 {
        if Int(offset) < nameIDs.count {
            let id = nameIDs[Int(offset)]
            if id >= 0 { return id }
        }
        let o = Int(offset)
        try need(o + 8, o)
        let count = Int(bytes.u16(o + 6))
        try need(o + 8 + count * 2, o)
        var utf8: [UInt8] = []
        utf8.reserveCapacity(count)
        UTF16Text.appendUTF8(bytes, start: o + 8, units: count, into: &utf8, escape: .none)
        if let id = nameIndex[utf8] {
            if o < nameIDs.count {
                nameIDs[o] = id
                nameOffsets.append(o)
            }
            return id
        }
        let id = Int32(names.count)
        nameIndex[utf8] = id
        names.append(utf8)
        nameStrings.append(String(decoding: utf8, as: UTF8.self))
        nameKinds.append(NameKind.of(utf8))
        nameKeys.append(0x22)
        UTF16Text.appendEscaping(utf8, into: &nameKeys, escape: .json)
        nameKeys.append(0x22)
        nameKeys.append(UInt8(ascii: ":"))
        nameKeyStarts.append(nameKeys.count)
        if o < nameIDs.count {
            nameIDs[o] = id
            nameOffsets.append(o)
        }
        return id
    }

    // MARK: - Streams

    /// Parses a token stream in `start..<end`; returns its first root element, if any.
    mutating func parseStream(
        start: Int,
        end: Int,
        isTemplate: Bool,
        hasDependencyID: Bool,
        depth: Int
    ) throws(BinXMLError) -> Int32? {
        if depth > BinXMLDecoder.maxNesting { throw BinXMLError("BinXML nested too deeply", at: start) }
        try need(end, start)
        var p = start
        var root: Int32? = nil
        let frameBase = frames.count
        var pending: (name: Int32, attrMark: Int, valueMark: Int)? = nil

        loop: while p < end {
            let tokenAt = p
            let token = bytes[p]
            p += 1
            switch token {
            case 0x00:
                break loop
            case 0x0F:
                try need(p + 3, tokenAt)
                p += 3
            case 0x01, 0x41:
                if pending != nil { throw BinXMLError("element start inside an element start", at: tokenAt) }
                if hasDependencyID { p += 2 }
                try need(p + 4, tokenAt)
                p += 4  // data size
                let name = try readNameRef(&p)
                if token == 0x41 {
                    try need(p + 4, tokenAt)
                    p += 4  // attribute list size
                }
                pending = (name, pendingAttributes.count, scratch.count)
            case 0x02, 0x03:
                guard let pe = pending else { throw BinXMLError("element close without a start", at: tokenAt) }
                let (aStart, aCount) = finishAttributes(attrMark: pe.attrMark, valueMark: pe.valueMark)
                pending = nil
                if token == 0x02 {
                    if frames.count - frameBase >= BinXMLDecoder.maxElementDepth {
                        throw BinXMLError("elements nested too deeply", at: tokenAt)
                    }
                    frames.append(Frame(name: pe.name, attrStart: aStart, attrCount: aCount, childMark: scratch.count))
                } else {
                    let idx = Int32(tree.elements.count)
                    tree.elements.append(
                        Element(
                            name: pe.name,
                            attrStart: aStart,
                            attrCount: aCount,
                            childStart: Int32(tree.nodes.count),
                            childCount: 0
                        )
                    )
                    attach(idx, frameBase: frameBase, root: &root)
                }
            case 0x04:
                guard pending == nil, frames.count > frameBase else {
                    throw BinXMLError("end of element without an open element", at: tokenAt)
                }
                let f = frames.removeLast()
                let idx = finishElement(
                    name: f.name,
                    attrStart: f.attrStart,
                    attrCount: f.attrCount,
                    childMark: f.childMark
                )
                attach(idx, frameBase: frameBase, root: &root)
            case 0x05, 0x45:
                try need(p + 1, tokenAt)
                let type = bytes[p]
                p += 1
                let node = try readInlineValue(type: type, &p, depth: depth)
                if node.kind == .element {
                    if pending != nil { throw BinXMLError("nested BinXML inside an attribute", at: tokenAt) }
                    attach(node.a, frameBase: frameBase, root: &root)
                } else {
                    try push(
                        node,
                        pending: pending != nil,
                        pendingAttrMark: pending?.attrMark ?? 0,
                        frameBase: frameBase,
                        at: tokenAt
                    )
                }
            case 0x06, 0x46:
                guard pending != nil else { throw BinXMLError("attribute outside an element start", at: tokenAt) }
                let name = try readNameRef(&p)
                pendingAttributes.append(PendingAttribute(name: name, valueMark: scratch.count))
            case 0x07, 0x47:
                // CDATA section: a length-prefixed UTF-16 string.
                try need(p + 2, tokenAt)
                let count = Int(bytes.u16(p))
                try need(p + 2 + count * 2, tokenAt)
                let node = Node(.value, type: ValueType.string, a: Int32(p + 2), b: Int32(count * 2))
                p += 2 + count * 2
                try push(
                    node,
                    pending: pending != nil,
                    pendingAttrMark: pending?.attrMark ?? 0,
                    frameBase: frameBase,
                    at: tokenAt
                )
            case 0x08, 0x48:
                try need(p + 2, tokenAt)
                let node = Node(.charRef, a: Int32(bytes.u16(p)))
                p += 2
                try push(
                    node,
                    pending: pending != nil,
                    pendingAttrMark: pending?.attrMark ?? 0,
                    frameBase: frameBase,
                    at: tokenAt
                )
            case 0x09, 0x49:
                let name = try readNameRef(&p)
                try push(
                    Node(.entity, a: name),
                    pending: pending != nil,
                    pendingAttrMark: pending?.attrMark ?? 0,
                    frameBase: frameBase,
                    at: tokenAt
                )
            case 0x0A:
                _ = try readNameRef(&p)  // processing instruction target: not rendered
            case 0x0B:
                try need(p + 2, tokenAt)
                let count = Int(bytes.u16(p))
                p += 2 + count * 2
                try need(p, tokenAt)
            case 0x0C:
                if isTemplate { throw BinXMLError("template instance inside a template definition", at: tokenAt) }
                if pending != nil { throw BinXMLError("template instance inside an element start", at: tokenAt) }
                let mark = scratch.count
                try instantiate(&p, depth: depth)
                // The instance's root element(s) were pushed on the scratch stack; attach them here.
                let produced = Array(scratch[mark...])
                scratch.removeSubrange(mark...)
                for n in produced { attach(n.a, frameBase: frameBase, root: &root) }
            case 0x0D, 0x0E:
                guard isTemplate else { throw BinXMLError("substitution outside a template definition", at: tokenAt) }
                try need(p + 3, tokenAt)
                let index = bytes.u16(p)
                let type = bytes[p + 2]
                p += 3
                guard ValueType.isKnown(type) else {
                    throw BinXMLError("unknown value type 0x\(String(type, radix: 16))", at: tokenAt)
                }
                let node = Node(.placeholder, type: type, optional: token == 0x0E, a: Int32(index))
                try push(
                    node,
                    pending: pending != nil,
                    pendingAttrMark: pending?.attrMark ?? 0,
                    frameBase: frameBase,
                    at: tokenAt
                )
            default:
                throw BinXMLError("invalid token 0x\(String(token, radix: 16))", at: tokenAt)
            }
        }
        if pending != nil || frames.count != frameBase {
            throw BinXMLError("unbalanced elements at the end of the stream", at: p)
        }
        return root
    }

    @inline(__always)
    mutating func attach(_ element: Int32, frameBase: Int, root: inout Int32?) {
        if frames.count > frameBase {
            scratch.append(Node(.element, a: element))
        } else if root == nil {
            root = element
        }
        // A second root in a record is ignored, as the evtx crate does.
    }

    @inline(__always)
    mutating func push(_ node: Node, pending: Bool, pendingAttrMark: Int, frameBase: Int, at: Int) throws(BinXMLError) {
        if pending {
            guard pendingAttributes.count > pendingAttrMark else {
                throw BinXMLError("value inside an element start but outside an attribute", at: at)
            }
            scratch.append(node)
        } else if frames.count > frameBase {
            scratch.append(node)
        } else {
            throw BinXMLError("value outside of any element", at: at)
        }
    }

    /// Moves the pending attributes (and their value nodes) from the scratch stacks into the tree.
    mutating func finishAttributes(attrMark: Int, valueMark: Int, dropEmpty: Bool = false) -> (Int32, Int32) {
        let aStart = Int32(tree.attributes.count)
        let count = pendingAttributes.count
        if count == attrMark && scratch.count == valueMark { return (aStart, 0) }  // no attributes: most elements
        var i = attrMark
        while i < count {
            let pa = pendingAttributes[i]
            let ve = i + 1 < count ? pendingAttributes[i + 1].valueMark : scratch.count
            if !dropEmpty || ve > pa.valueMark {
                let ns = Int32(tree.nodes.count)
                scratch.withUnsafeBufferPointer {
                    tree.nodes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[pa.valueMark..<ve]))
                }
                tree.attributes.append(Attribute(name: pa.name, valueStart: ns, valueCount: Int32(ve - pa.valueMark)))
            }
            i += 1
        }
        scratch.removeSubrange(valueMark...)
        pendingAttributes.removeSubrange(attrMark...)
        return (aStart, Int32(tree.attributes.count) - aStart)
    }

    mutating func finishElement(name: Int32, attrStart: Int32, attrCount: Int32, childMark: Int) -> Int32 {
        let cs = Int32(tree.nodes.count)
        let cc = Int32(scratch.count - childMark)
        if cc > 0 {
            scratch.withUnsafeBufferPointer {
                tree.nodes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[childMark...]))
            }
            scratch.removeSubrange(childMark...)
        }
        let idx = Int32(tree.elements.count)
        tree.elements.append(
            Element(name: name, attrStart: attrStart, attrCount: attrCount, childStart: cs, childCount: cc)
        )
        return idx
    }

    // MARK: - Values

    /// A value token's payload (`0x05`): in practice a length-prefixed string.
    mutating func readInlineValue(type: UInt8, _ p: inout Int, depth: Int) throws(BinXMLError) -> Node {
        let at = p
        switch type {
        case ValueType.string:
            try need(p + 2, at)
            let count = Int(bytes.u16(p))
            try need(p + 2 + count * 2, at)
            let node = Node(.value, type: type, a: Int32(p + 2), b: Int32(count * 2))
            p += 2 + count * 2
            return node
        case ValueType.binXML:
            try need(p + 2, at)
            let size = Int(bytes.u16(p))
            p += 2
            try need(p + size, at)
            let node = try valueNode(type: type, offset: p, size: size, depth: depth)
            p += size
            return node
        default:
            let w = ValueType.width(type)
            guard w > 0 else { throw BinXMLError("unsupported inline value type 0x\(String(type, radix: 16))", at: at) }
            try need(p + w, at)
            p += w
            return Node(.value, type: type, a: Int32(at), b: Int32(w))
        }
    }

    /// A substitution value of `size` bytes at `offset`.
    mutating func valueNode(type: UInt8, offset: Int, size: Int, depth: Int) throws(BinXMLError) -> Node {
        switch type {
        case ValueType.null:
            return .null
        case ValueType.binXML:
            if size == 0 { return .null }
            guard
                let root = try parseStream(
                    start: offset,
                    end: offset + size,
                    isTemplate: false,
                    hasDependencyID: false,
                    depth: depth + 1
                )
            else { return .null }
            return Node(.element, a: root)
        case ValueType.ansiString:
            let start = tree.extra.count
            ANSI.appendWindows1252(bytes, start: offset, count: size, into: &tree.extra)
            return Node(.ansi, a: Int32(start), b: Int32(tree.extra.count - start))
        case ValueType.string:
            if size % 2 != 0 { throw BinXMLError("UTF-16 string of odd size \(size)", at: offset) }
        case ValueType.sizeT:
            if size != 4 && size != 8 { throw BinXMLError("SizeT value of size \(size)", at: offset) }
        case ValueType.sid:
            if size < 8 { throw BinXMLError("SID value of size \(size)", at: offset) }
        default:
            if !ValueType.isKnown(type) {
                throw BinXMLError("unknown value type 0x\(String(type, radix: 16))", at: offset)
            }
            let w = ValueType.width(type)
            if w > 0 && size < w {
                throw BinXMLError("value of type 0x\(String(type, radix: 16)) has size \(size)", at: offset)
            }
        }
        return Node(.value, type: type, a: Int32(offset), b: Int32(size))
    }

    // MARK: - Templates

    /// Reads a template instance at `p` (just after its token), resolves it, and pushes the resulting
    /// root element(s) on the scratch stack.
    mutating func instantiate(_ p: inout Int, depth: Int) throws(BinXMLError) {
        let at = p - 1
        try need(p + 9, at)
        let definition = bytes.u32(p + 5)
        p += 9
        if Int(definition) == p {
            // The definition is inline: skip it (it is parsed from the same place below).
            try need(p + 24, at)
            let size = Int(bytes.u32(p + 20))
            p += 24 + size
            try need(p, at)
        }
        try need(p + 4, at)
        let count = Int(bytes.u32(p))
        p += 4
        guard count <= (bytes.count - p) / 4 else {
            throw BinXMLError("template instance declares \(count) values", at: at)
        }
        // Value arrays are reused from instance to instance (nested instances take their own).
        var values = spareValueArrays.popLast() ?? []
        values.removeAll(keepingCapacity: true)
        values.reserveCapacity(count)
        defer { spareValueArrays.append(values) }
        var vp = p + 4 * count
        var arrays = false
        for i in 0..<count {
            let size = Int(bytes.u16(p + 4 * i))
            let type = bytes[p + 4 * i + 2]
            try need(vp + size, at)
            let v = try valueNode(type: type, offset: vp, size: size, depth: depth)
            if v.kind == .value && v.type & ValueType.array != 0 { arrays = true }
            values.append(v)
            vp += size
        }

        p = vp
        let (template, delta) = try self.template(at: definition, depth: depth)
        let savedExpansion = expansionPossible
        expansionPossible = arrays || template.holdsArrays
        defer { expansionPossible = savedExpansion }
        try values.withUnsafeBufferPointer { (v) throws(BinXMLError) in
            try template.tree.elements.withUnsafeBufferPointer { (elements) throws(BinXMLError) in
                try template.tree.attributes.withUnsafeBufferPointer { (attributes) throws(BinXMLError) in
                    try template.tree.nodes.withUnsafeBufferPointer { (nodes) throws(BinXMLError) in
                        let view = TemplateView(
                            elements: elements,
                            attributes: attributes,
                            nodes: nodes,
                            extra: template.tree.extra,
                            delta: delta
                        )
                        try clone(view, template.root, values: v, depth: 0)
                    }
                }
            }
        }
    }

    mutating func remember(_ t: (template: Template, delta: Int32), at o: Int) {
        // Chunks are 64 KB; a larger buffer's far templates are found by content each time.
        guard o < templateSlots.count else { return }
        templateSlots[o] = Int32(chunkTemplates.count)
        templateOffsets.append(o)
        chunkTemplates.append(t)
    }

    mutating func template(at offset: UInt32, depth: Int) throws(BinXMLError) -> (template: Template, delta: Int32) {
        let o = Int(offset)
        if o < templateSlots.count {
            let slot = templateSlots[o]
            if slot >= 0 { return chunkTemplates[Int(slot)] }
        }
        try need(o + 24, o)
        let size = Int(bytes.u32(o + 20))
        let start = o + 24
        try need(start + size, o)
        let key = TemplateKey(
            guidLow: bytes.u64(o + 4), guidHigh: bytes.u64(o + 12), size: UInt32(size),
            crc: CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + size)])))
        if let shared = sharedTemplates[key] {
            // Same bytes; names it takes from outside its definition must still be the same names here.
            var same = true
            for ref in shared.externalNames where (try? name(at: ref.offset)) != ref.id {
                same = false
                break
            }
            if same {
                let t = (template: shared, delta: Int32(start - shared.dataStart))
                remember(t, at: o)
                return t
            }
        }
        var built = Tree()
        swap(&built, &tree)
        let savedRange = templateRange
        let savedExternal = externalNames
        templateRange = start..<(start + size)
        externalNames = []
        let root: Int32?
        do {
            root = try parseStream(
                start: start,
                end: start + size,
                isTemplate: true,
                hasDependencyID: true,
                depth: depth + 1
            )
        } catch {
            swap(&built, &tree)
            templateRange = savedRange
            externalNames = savedExternal
            throw error
        }
        swap(&built, &tree)
        let external = externalNames
        templateRange = savedRange
        externalNames = savedExternal
        guard let root else { throw BinXMLError("template definition has no root element", at: o) }
        let t = Template(tree: built, root: root, dataStart: start, externalNames: external)
        templateSerial &+= 1
        t.serial = templateSerial
        sharedTemplates[key] = t
        remember((t, 0), at: o)
        return (t, 0)
    }

    /// Copies template element `e` into the record tree, resolving substitutions, and pushes the
    /// resulting element (or elements, when an array substitution repeats it) on the scratch stack.
    mutating func clone(_ t: TemplateView, _ e: Int32, values: UnsafeBufferPointer<Node>, depth: Int)
        throws(BinXMLError)
    {
        if depth > BinXMLDecoder.maxElementDepth { throw BinXMLError("template elements nested too deeply", at: 0) }
        let te = t.elements[Int(e)]
        let valueMark = scratch.count
        let attrMark = pendingAttributes.count
        var ai = Int(te.attrStart)
        while ai < Int(te.attrStart + te.attrCount) {
            let at = t.attributes[ai]
            let vm = scratch.count
            var ni = Int(at.valueStart)
            while ni < Int(at.valueStart + at.valueCount) {
                resolve(t, t.nodes[ni], values: values, inAttribute: true)
                ni += 1
            }
            if scratch.count > vm {
                pendingAttributes.append(PendingAttribute(name: at.name, valueMark: vm))
            }
            ai += 1
        }
        let (aStart, aCount) = finishAttributes(attrMark: attrMark, valueMark: valueMark, dropEmpty: true)
        let childMark = scratch.count
        var ni = Int(te.childStart)
        while ni < Int(te.childStart + te.childCount) {
            let n = t.nodes[ni]
            if n.kind == .element {
                try clone(t, n.a, values: values, depth: depth + 1)
            } else {
                resolve(t, n, values: values, inAttribute: false)
            }
            ni += 1
        }
        let idx = finishElement(name: te.name, attrStart: aStart, attrCount: aCount, childMark: childMark)
        if expansionPossible && needsExpansion(idx) {
            for x in expand(idx) { scratch.append(Node(.element, a: x)) }
        } else {
            scratch.append(Node(.element, a: idx))
        }
    }

    @inline(__always)
    mutating func resolve(_ t: TemplateView, _ n: Node, values: UnsafeBufferPointer<Node>, inAttribute: Bool) {
        switch n.kind {
        case .placeholder:
            let i = Int(n.a)
            guard i < values.count else { return }
            var v = values[i]
            if n.optional && isEmpty(v) { return }
            if v.kind == .element && inAttribute { return }
            v.substituted = true
            scratch.append(v)
        case .ansi:
            let start = tree.extra.count
            tree.extra.append(contentsOf: t.extra[Int(n.a)..<Int(n.a + n.b)])
            scratch.append(Node(.ansi, a: Int32(start), b: n.b))
        case .value:
            var m = n
            m.a += t.delta
            scratch.append(m)
        default:
            scratch.append(n)
        }
    }

    // MARK: - Emptiness and arrays

    /// The `evtx` crate's notion of an empty value (an omitted optional substitution).
    @inline(__always)
    func isEmpty(_ n: Node) -> Bool {
        switch n.kind {
        case .element, .entity, .charRef, .placeholder: return false
        case .ansi: return n.b == 0
        case .value:
            switch n.type {
            case ValueType.null: return true
            case ValueType.string: return n.b < 2 || bytes.u16(Int(n.a)) == 0
            case ValueType.binary, ValueType.binXML: return n.b == 0
            default: return n.type & ValueType.array != 0 && n.b == 0
            }
        }
    }

    /// The number of items of an array value.
    func arrayCount(_ n: Node) -> Int {
        let base = n.type & 0x7F
        let start = Int(n.a)
        let size = Int(n.b)
        switch base {
        case ValueType.string:
            var count = 0
            var i = 0
            var open = false
            while i + 1 < size {
                if bytes.u16(start + i) == 0 {
                    count += 1
                    open = false
                } else {
                    open = true
                }
                i += 2
            }
            return open ? count + 1 : count
        case ValueType.sid:
            var count = 0
            var i = 0
            while i + 8 <= size {
                count += 1
                i += 8 + 4 * Int(bytes[start + i + 1])
            }
            return count
        default:
            let w = ValueType.width(base)
            return w > 0 ? size / w : 0
        }
    }

    /// Item `index` of an array value as a scalar node; `nil` for an empty string item.
    func arrayItem(_ n: Node, _ index: Int) -> Node? {
        let base = n.type & 0x7F
        let start = Int(n.a)
        let size = Int(n.b)
        switch base {
        case ValueType.string:
            // The NULs that end the items, found once per array (asking for every item of an array
            // one by one read it from the start each time: quadratic in its size).
            let cache = stringArrayItems
            if cache.start != start || cache.size != size {
                cache.start = start
                cache.size = size
                cache.nuls.removeAll(keepingCapacity: true)
                var i = 0
                while i + 1 < size {
                    if bytes.u16(start + i) == 0 { cache.nuls.append(Int32(i)) }
                    i += 2
                }
                cache.evenEnd = i
            }
            // Item k runs from after the k-th NUL to the next (an index past the last NUL: to the end).
            let k = min(index, cache.nuls.count)
            let itemStart = k == 0 ? 0 : Int(cache.nuls[k - 1]) + 2
            let itemEnd = index < cache.nuls.count ? Int(cache.nuls[index]) : min(cache.evenEnd, size)
            let len = itemEnd - itemStart
            if len <= 0 { return nil }
            return Node(.value, type: ValueType.string, a: Int32(start + itemStart), b: Int32(len))
        case ValueType.sid:
            var i = 0
            var item = 0
            while i + 8 <= size {
                let len = 8 + 4 * Int(bytes[start + i + 1])
                if item == index { return Node(.value, type: base, a: Int32(start + i), b: Int32(min(len, size - i))) }
                item += 1
                i += len
            }
            return nil
        default:
            let w = ValueType.width(base)
            return Node(.value, type: base, a: Int32(start + index * w), b: Int32(w))
        }
    }

    @inline(__always)
    func isExpandable(_ n: Node) -> Bool {
        n.kind == .value && n.type & ValueType.array != 0 && arrayCount(n) > 1
    }

    func needsExpansion(_ e: Int32) -> Bool {
        for i in tree.children(of: e) where isExpandable(tree.nodes[i]) { return true }
        for a in tree.attributeRange(of: e) {
            for i in tree.values(of: a) where isExpandable(tree.nodes[i]) { return true }
        }
        return false
    }

    /// Repeats element `e` once per item of its first array value (MS-EVEN6 3.1.4.7.5), recursively.
    mutating func expand(_ e: Int32) -> [Int32] {
        var location: Int? = nil
        for i in tree.children(of: e) where isExpandable(tree.nodes[i]) {
            location = i
            break
        }
        if location == nil {
            outer: for a in tree.attributeRange(of: e) {
                for i in tree.values(of: a) where isExpandable(tree.nodes[i]) {
                    location = i
                    break outer
                }
            }
        }
        guard let location else { return [e] }
        let array = tree.nodes[location]
        let count = arrayCount(array)
        var out: [Int32] = []
        let el = tree.elements[Int(e)]
        for k in 0..<count {
            var replacement = arrayItem(array, k)
            replacement?.substituted = array.substituted
            let aStart = Int32(tree.attributes.count)
            for a in tree.attributeRange(of: e) {
                let at = tree.attributes[a]
                let vs = Int32(tree.nodes.count)
                for i in tree.values(of: a) {
                    if i == location {
                        if let replacement { tree.nodes.append(replacement) }
                    } else {
                        tree.nodes.append(tree.nodes[i])
                    }
                }
                let vc = Int32(tree.nodes.count) - vs
                if vc > 0 { tree.attributes.append(Attribute(name: at.name, valueStart: vs, valueCount: vc)) }
            }
            let cs = Int32(tree.nodes.count)
            for i in tree.children(of: e) {
                if i == location {
                    if let replacement { tree.nodes.append(replacement) }
                } else {
                    tree.nodes.append(tree.nodes[i])
                }
            }
            let idx = Int32(tree.elements.count)
            tree.elements.append(
                Element(
                    name: el.name,
                    attrStart: aStart,
                    attrCount: Int32(tree.attributes.count) - aStart,
                    childStart: cs,
                    childCount: Int32(tree.nodes.count) - cs
                )
            )
            if needsExpansion(idx) { out.append(contentsOf: expand(idx)) } else { out.append(idx) }
        }
        return out
    }
}

/// The NUL positions of one string array value (offsets from its start), kept while the chunk stays the
/// same (a class, so that the decoder's non-mutating readers can fill it).
final class StringArrayItems {
    var start = -1
    var size = -1
    var nuls: [Int32] = []
    /// Where the scan of the units stopped: the size rounded down to whole units.
    var evenEnd = 0

    func forget() {
        start = -1
        size = -1
    }
}
