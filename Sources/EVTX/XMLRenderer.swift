extension BinXMLDecoder {
    /// Renders the record tree as indented XML (two spaces per level), one element per line.
    func renderXML<O: ByteSink>(root: Int32, into out: inout O) {
        out.append(contentsOf: Array("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".utf8))
        renderXMLElement(root, level: 0, into: &out)
    }

    func renderXMLElement<O: ByteSink>(_ e: Int32, level: Int, into out: inout O) {
        for _ in 0..<(level * 2) { out.append(0x20) }
        let name = names[Int(tree.elements[Int(e)].name)]
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name)
        for a in tree.attributeRange(of: e) {
            let values = tree.values(of: a)
            guard attributeHasText(a) else { continue }
            out.append(0x20)
            out.append(contentsOf: names[Int(tree.attributes[a].name)])
            out.append(contentsOf: [UInt8(ascii: "="), 0x22])
            for i in values { appendText(tree.nodes[i], into: &out, escape: .xmlAttribute) }
            out.append(0x22)
        }
        let children = tree.children(of: e)
        let (hasText, hasElement) = layout(e)
        if !hasText && !hasElement {
            out.append(contentsOf: [UInt8(ascii: "/"), UInt8(ascii: ">"), 0x0A])
            return
        }
        out.append(UInt8(ascii: ">"))
        if !hasElement {
            for i in children { appendText(tree.nodes[i], into: &out, escape: .xmlText) }
        } else {
            out.append(0x0A)
            for i in children {
                let n = tree.nodes[i]
                if n.kind == .element {
                    renderXMLElement(n.a, level: level + 1, into: &out)
                } else if isContent(n) {
                    for _ in 0..<((level + 1) * 2) { out.append(0x20) }
                    appendText(n, into: &out, escape: .xmlText)
                    out.append(0x0A)
                }
            }
            for _ in 0..<(level * 2) { out.append(0x20) }
        }
        out.append(contentsOf: [UInt8(ascii: "<"), UInt8(ascii: "/")])
        out.append(contentsOf: name)
        out.append(contentsOf: [UInt8(ascii: ">"), 0x0A])
    }
}
