import Events

/// Builds the typed ``Events/EventValue`` tree of a record from its shape.
struct EventShapeBuilder: ShapeSink {
    enum Container {
        case object(EventObject, key: String?)
        case array([EventValue], key: String?)
    }

    var stack: [Container] = []
    var pendingKey: String? = nil
    var result: EventObject = EventObject()

    mutating func put(_ v: EventValue) {
        let key = pendingKey
        pendingKey = nil
        guard let top = stack.popLast() else { return }
        switch top {
        case .object(var o, let k):
            o.append(key ?? "", v)
            stack.append(.object(o, key: k))
        case .array(var a, let k):
            a.append(v)
            stack.append(.array(a, key: k))
        }
    }

    mutating func beginObject() {
        stack.append(.object(EventObject(), key: pendingKey))
        pendingKey = nil
    }

    mutating func endObject() {
        guard case .object(let o, let k)? = stack.popLast() else { return }
        if stack.isEmpty {
            result = o
        } else {
            pendingKey = k
            put(.object(o))
        }
    }

    mutating func beginArray() {
        stack.append(.array([], key: pendingKey))
        pendingKey = nil
    }

    mutating func endArray() {
        guard case .array(let a, let k)? = stack.popLast() else { return }
        pendingKey = k
        put(.array(a))
    }

    mutating func key(_ d: borrowing BinXMLDecoder, name: Int32, suffix: Int) {
        var s = String(decoding: d.names[Int(name)], as: UTF8.self)
        if suffix > 0 { s += "_\(suffix)" }
        pendingKey = s
    }

    mutating func key(literal: StaticString) {
        pendingKey = literal.description
    }

    mutating func key(_ d: borrowing BinXMLDecoder, textOf nodes: Range<Int>) {
        var bytes: [UInt8] = []
        for i in nodes { d.appendText(d.tree.nodes[i], into: &bytes, escape: .none) }
        pendingKey = String(decoding: bytes, as: UTF8.self)
    }

    mutating func null() { put(.null) }

    mutating func emptyString() { put(.string("")) }

    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node) { put(d.typedValue(n)) }

    mutating func text(_ d: borrowing BinXMLDecoder, _ nodes: Range<Int>) {
        // One typed value keeps its type; anything else is the concatenated text.
        var single: Node? = nil
        var count = 0
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind == .element || !d.isContent(n) { continue }
            count += 1
            single = n
        }
        if count == 1, let single, single.kind == .value {
            put(d.typedValue(single))
            return
        }
        var bytes: [UInt8] = []
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind != .element { d.appendText(n, into: &bytes, escape: .none) }
        }
        put(.string(String(decoding: bytes, as: UTF8.self)))
    }
}

extension BinXMLDecoder {
    func textString(_ n: Node) -> String {
        var bytes: [UInt8] = []
        appendText(n, into: &bytes, escape: .none)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A value node as a typed event value.
    func typedValue(_ n: Node) -> EventValue {
        if n.kind == .ansi { return .string(textString(n)) }
        guard n.kind == .value else { return .string(textString(n)) }
        if n.type & ValueType.array != 0 {
            var items: [EventValue] = []
            for k in 0..<arrayCount(n) {
                if let item = arrayItem(n, k) { items.append(typedValue(item)) } else { items.append(.string("")) }
            }
            return .array(items)
        }
        let o = Int(n.a)
        switch n.type {
        case ValueType.null: return .null
        case ValueType.int8: return .int(Int64(Int8(bitPattern: bytes[o])))
        case ValueType.int16: return .int(Int64(Int16(bitPattern: bytes.u16(o))))
        case ValueType.int32: return .int(Int64(Int32(bitPattern: bytes.u32(o))))
        case ValueType.int64: return .int(Int64(bitPattern: bytes.u64(o)))
        case ValueType.uint8: return .uint(UInt64(bytes[o]))
        case ValueType.uint16: return .uint(UInt64(bytes.u16(o)))
        case ValueType.uint32: return .uint(UInt64(bytes.u32(o)))
        case ValueType.uint64: return .uint(bytes.u64(o))
        case ValueType.real32: return .double(Double(Float(bitPattern: bytes.u32(o))))
        case ValueType.real64: return .double(Double(bitPattern: bytes.u64(o)))
        case ValueType.bool: return .bool(bytes.u32(o) != 0)
        case ValueType.binary: return .binary(Array(bytes[o..<(o + Int(n.b))]))
        case ValueType.guid: return .guid(textString(n))
        case ValueType.sid: return .sid(textString(n))
        case ValueType.filetime: return .timestamp(Timestamp(filetime: Int64(clamping: bytes.u64(o))))
        case ValueType.systemtime:
            let f = (0..<8).map { Int(bytes.u16(o + 2 * $0)) }
            if f.allSatisfy({ $0 == 0 }) { return .timestamp(Timestamp(filetime: 0)) }
            if let t = Timestamp(
                year: f[0],
                month: f[1],
                day: f[3],
                hour: f[4],
                minute: f[5],
                second: f[6],
                ticks: f[7] * 10_000
            ) {
                return .timestamp(t)
            }
            return .string(textString(n))
        default: return .string(textString(n))
        }
    }
}
