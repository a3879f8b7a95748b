/// Receives the JSON shape of a record, as the `evtx` crate lays it out.
///
/// The walker in ``BinXMLDecoder/renderShape(root:into:)`` decides the structure (objects, keys,
/// `#attributes`, `#text`, `Data` flattening, `_N` suffixes); a sink either writes JSON bytes
/// (``JSONShapeWriter``) or builds typed ``Events/EventValue``s (``EventShapeBuilder``).
protocol ShapeSink {
    mutating func beginObject()
    mutating func endObject()
    mutating func beginArray()
    mutating func endArray()
    /// A key from a name id, with the crate's `_N` suffix for repeated names (0 = none).
    mutating func key(_ d: borrowing BinXMLDecoder, name: Int32, suffix: Int)
    mutating func key(literal: StaticString)
    /// A key made of the text of some nodes (a `Data` element's `Name` attribute).
    mutating func key(_ d: borrowing BinXMLDecoder, textOf nodes: Range<Int>)
    mutating func null()
    mutating func emptyString()
    /// One scalar node that the crate writes as a bare number or boolean.
    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node)
    /// The concatenated text of `nodes` as a string (element nodes skipped).
    mutating func text(_ d: borrowing BinXMLDecoder, _ nodes: Range<Int>)
}

extension BinXMLDecoder {
    /// ``renderShape(root:into:)`` through a modify access: called on the decoder stored in its parser
    /// (a class), a non-mutating call would copy the whole decoder first.
    mutating func renderInPlace<S: ShapeSink>(root: Int32, into s: inout S) {
        renderShape(root: root, into: &s)
    }

    /// ``renderXML(root:into:)`` without copying the decoder (see ``renderInPlace(root:into:)``).
    mutating func renderXMLInPlace<O: ByteSink>(root: Int32, into out: inout O) {
        renderXML(root: root, into: &out)
    }

    /// Walks the record tree rooted at `root` and feeds its JSON shape to `sink`.
    func renderShape<S: ShapeSink>(root: Int32, into s: inout S) {
        s.beginObject()
        s.key(self, name: tree.elements[Int(root)].name, suffix: 0)
        writeElementValue(root, container: false, &s)
        s.endObject()
    }

    @inline(__always)
    func isContent(_ n: Node) -> Bool {
        switch n.kind {
        case .element, .placeholder: return false
        case .entity, .charRef: return true
        case .value, .ansi: return !isEmpty(n)
        }
    }

    func layout(_ e: Int32) -> (hasText: Bool, hasElement: Bool) {
        var text = false
        var element = false
        for i in tree.children(of: e) {
            let n = tree.nodes[i]
            if n.kind == .element {
                element = true
            } else if !text && isContent(n) {
                text = true
            }
        }
        return (text, element)
    }

    @inline(__always)
    func attributeHasText(_ a: Int) -> Bool {
        for i in tree.values(of: a) where isContent(tree.nodes[i]) { return true }
        return false
    }

    func attributesHaveText(_ e: Int32) -> Bool {
        for a in tree.attributeRange(of: e) where attributeHasText(a) { return true }
        return false
    }

    /// The value nodes of element `e`'s `Name` attribute, when it has text.
    func nameAttribute(_ e: Int32) -> Range<Int>? {
        for a in tree.attributeRange(of: e) where nameKinds[Int(tree.attributes[a].name)] == NameKind.name {
            return attributeHasText(a) ? tree.values(of: a) : nil
        }
        return nil
    }

    @inline(__always)
    func isNumber(_ n: Node) -> Bool {
        n.kind == .value && ValueType.isJSONNumber(n.type)
    }

    func tryLeaf<S: ShapeSink>(_ e: Int32, emptyAsString: Bool, _ s: inout S) -> Bool {
        let r = tree.children(of: e)
        guard r.count == 1 else { return false }
        let n = tree.nodes[r.lowerBound]
        switch n.kind {
        case .value, .ansi:
            if isEmpty(n) {
                if emptyAsString { s.emptyString() } else { s.null() }
            } else if isNumber(n) {
                s.number(self, n)
            } else {
                s.text(self, r)
            }
            return true
        default:
            return false
        }
    }

    /// The single node that makes `nodes` a bare number, per the crate's rules.
    func numberNode(_ nodes: Range<Int>, skipElements: Bool) -> Node? {
        var single: Node? = nil
        for i in nodes {
            let n = tree.nodes[i]
            switch n.kind {
            case .element:
                if skipElements { continue }
                return nil
            case .value, .ansi:
                if n.isText {
                    if skipElements {
                        if !isEmpty(n) { return nil }
                    } else {
                        if single != nil || !isEmpty(n) { return nil }
                        single = n
                    }
                } else {
                    if skipElements && isEmpty(n) { continue }
                    if single != nil { return nil }
                    single = n
                }
            case .entity, .charRef, .placeholder:
                return nil
            }
        }
        if let single, isNumber(single) { return single }
        return nil
    }

    @inline(__always)
    func content<S: ShapeSink>(_ nodes: Range<Int>, skipElements: Bool, _ s: inout S) {
        if let n = numberNode(nodes, skipElements: skipElements) {
            s.number(self, n)
        } else {
            s.text(self, nodes)
        }
    }

    func writeElementValue<S: ShapeSink>(_ e: Int32, container: Bool, _ s: inout S) {
        let el = tree.elements[Int(e)]
        if el.attrCount == 0 && tryLeaf(e, emptyAsString: false, &s) { return }
        let (hasText, hasElement) = layout(e)
        let hasAttributeText = el.attrCount > 0 && attributesHaveText(e)
        if !hasElement && !hasText && !hasAttributeText {
            s.null()
        } else if !hasElement && !hasAttributeText {
            content(tree.children(of: e), skipElements: false, &s)
        } else {
            elementBody(e, inDataContainer: container, omitAttributes: false, hasText: hasText, &s)
        }
    }

    func dataElementValue<S: ShapeSink>(_ e: Int32, _ s: inout S) {
        if tryLeaf(e, emptyAsString: true, &s) { return }
        let (hasText, hasElement) = layout(e)
        if !hasText && !hasElement {
            s.emptyString()
        } else if hasElement {
            elementBody(e, inDataContainer: false, omitAttributes: true, hasText: hasText, &s)
        } else {
            content(tree.children(of: e), skipElements: false, &s)
        }
    }

    @inline(__always)
    func isDataElement(_ e: Int32) -> Bool {
        nameKinds[Int(tree.elements[Int(e)].name)] == NameKind.data
    }

    func elementBody<S: ShapeSink>(
        _ e: Int32,
        inDataContainer: Bool,
        omitAttributes: Bool,
        hasText: Bool,
        _ s: inout S
    ) {
        let children = tree.children(of: e)
        var flatten = false
        var dataCount = 0
        if inDataContainer {
            for i in children {
                let n = tree.nodes[i]
                guard n.kind == .element, isDataElement(n.a) else { continue }
                dataCount += 1
                if !flatten && nameAttribute(n.a) != nil { flatten = true }
            }
        }
        s.beginObject()
        if !omitAttributes && tree.elements[Int(e)].attrCount > 0 && attributesHaveText(e) {
            s.key(literal: "#attributes")
            s.beginObject()
            for a in tree.attributeRange(of: e) where attributeHasText(a) {
                s.key(self, name: tree.attributes[a].name, suffix: 0)
                content(tree.values(of: a), skipElements: false, &s)
            }
            s.endObject()
        }
        if hasText {
            s.key(literal: "#text")
            content(children, skipElements: true, &s)
        }
        var dataEmitted = false
        for i in children {
            let n = tree.nodes[i]
            guard n.kind == .element else { continue }
            let child = n.a
            if inDataContainer && isDataElement(child) {
                if flatten {
                    guard let nameNodes = nameAttribute(child) else { continue }
                    s.key(self, textOf: nameNodes)
                    dataElementValue(child, &s)
                } else if !dataEmitted {
                    dataEmitted = true
                    s.key(literal: "Data")
                    s.beginObject()
                    s.key(literal: "#text")
                    if dataCount == 1 {
                        dataElementValue(child, &s)
                    } else {
                        s.beginArray()
                        for j in children {
                            let m = tree.nodes[j]
                            if m.kind == .element && isDataElement(m.a) { dataElementValue(m.a, &s) }
                        }
                        s.endArray()
                    }
                    s.endObject()
                }
                continue
            }
            let name = tree.elements[Int(child)].name
            // The crate's `_N` suffix: how many earlier siblings (other than data-container `Data`) share the name.
            var suffix = 0
            var j = children.lowerBound
            while j < i {
                let m = tree.nodes[j]
                if m.kind == .element && tree.elements[Int(m.a)].name == name
                    && !(inDataContainer && isDataElement(m.a))
                {
                    suffix += 1
                }
                j += 1
            }
            s.key(self, name: name, suffix: suffix)
            writeElementValue(child, container: nameKinds[Int(name)] == NameKind.container, &s)
        }
        s.endObject()
    }
}

/// Writes the shape as compact JSON bytes.
///
/// Callers swap their sink into ``out`` and back, so nothing is copied.
struct JSONShapeWriter<Out: ByteSink>: ShapeSink {
    var out = Out()
    var needComma = false

    @inline(__always)
    mutating func separator() {
        if needComma { out.append(UInt8(ascii: ",")) }
    }

    mutating func beginObject() {
        separator()
        out.append(UInt8(ascii: "{"))
        needComma = false
    }

    mutating func endObject() {
        out.append(UInt8(ascii: "}"))
        needComma = true
    }

    mutating func beginArray() {
        separator()
        out.append(UInt8(ascii: "["))
        needComma = false
    }

    mutating func endArray() {
        out.append(UInt8(ascii: "]"))
        needComma = true
    }

    mutating func key(_ d: borrowing BinXMLDecoder, name: Int32, suffix: Int) {
        separator()
        needComma = false
        let start = d.nameKeyStarts[Int(name)]
        let end = d.nameKeyStarts[Int(name) + 1]
        d.nameKeys.withUnsafeBytes {
            out.append(bytes: UnsafeRawBufferPointer(rebasing: $0[start..<(suffix == 0 ? end : end - 2)]))
        }
        if suffix == 0 { return }
        out.append(UInt8(ascii: "_"))
        d.appendDecimal(suffix, into: &out)
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
    }

    mutating func key(literal: StaticString) {
        separator()
        out.append(0x22)
        out.append(literal)
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
        needComma = false
    }

    mutating func key(_ d: borrowing BinXMLDecoder, textOf nodes: Range<Int>) {
        separator()
        out.append(0x22)
        for i in nodes { d.appendText(d.tree.nodes[i], into: &out, escape: .json) }
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
        needComma = false
    }

    mutating func null() {
        separator()
        out.append("null")
        needComma = true
    }

    mutating func emptyString() {
        separator()
        out.append(0x22)
        out.append(0x22)
        needComma = true
    }

    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node) {
        separator()
        d.appendScalarText(n, into: &out, escape: .none)
        needComma = true
    }

    mutating func text(_ d: borrowing BinXMLDecoder, _ nodes: Range<Int>) {
        separator()
        out.append(0x22)
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind != .element { d.appendText(n, into: &out, escape: .json) }
        }
        out.append(0x22)
        needComma = true
    }
}
