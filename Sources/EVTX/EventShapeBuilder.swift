import Events

/// Builds the typed ``Events/EventValue`` tree of a record from its shape.
struct EventShapeBuilder: ShapeSink {
    /// An object or array being filled; frames are mutated in place, so members are never copied.
    struct Frame {
        var key: String?
        var isArray: Bool
        var members: [EventObject.Member] = []
        var items: [EventValue] = []
    }

    var frames: [Frame] = []
    var pendingKey: String? = nil
    var result: EventObject = EventObject()
    /// Reused for the UTF-8 of keys and text values.
    var scratch: [UInt8] = []

    mutating func put(_ v: EventValue) {
        let key = pendingKey
        pendingKey = nil
        let top = frames.count - 1
        guard top >= 0 else { return }
        if frames[top].isArray {
            frames[top].items.append(v)
        } else {
            frames[top].members.append(EventObject.Member(key: key ?? "", value: v))
        }
    }

    mutating func beginObject() {
        frames.append(Frame(key: pendingKey, isArray: false))
        pendingKey = nil
    }

    mutating func endObject() {
        guard let f = frames.popLast(), !f.isArray else { return }
        if frames.isEmpty {
            result = EventObject(f.members)
        } else {
            pendingKey = f.key
            put(.object(EventObject(f.members)))
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
        for i in nodes { d.appendText(d.tree.nodes[i], into: &scratch, escape: .none) }
        pendingKey = String(decoding: scratch, as: UTF8.self)
    }

    mutating func null() { put(.null) }

    mutating func emptyString() { put(.string("")) }

    mutating func number(_ d: borrowing BinXMLDecoder, _ n: Node) { put(d.typedValue(n, scratch: &scratch)) }

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
            put(d.typedValue(single, scratch: &scratch))
            return
        }
        scratch.removeAll(keepingCapacity: true)
        for i in nodes {
            let n = d.tree.nodes[i]
            if n.kind != .element { d.appendText(n, into: &scratch, escape: .none) }
        }
        put(.string(String(decoding: scratch, as: UTF8.self)))
    }
}

extension BinXMLDecoder {
    func textString(_ n: Node) -> String {
        var bytes: [UInt8] = []
        return textString(n, scratch: &bytes)
    }

    /// The text of `n`, built in `scratch` (reused from call to call).
    func textString(_ n: Node, scratch: inout [UInt8]) -> String {
        scratch.removeAll(keepingCapacity: true)
        appendText(n, into: &scratch, escape: .none)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// A value node as a typed event value.
    func typedValue(_ n: Node) -> EventValue {
        var scratch: [UInt8] = []
        return typedValue(n, scratch: &scratch)
    }

    /// A value node as a typed event value; `scratch` is reused for text.
    func typedValue(_ n: Node, scratch: inout [UInt8]) -> EventValue {
        if n.kind == .ansi { return .string(textString(n, scratch: &scratch)) }
        guard n.kind == .value else { return .string(textString(n, scratch: &scratch)) }
        if n.type & ValueType.array != 0 {
            var items: [EventValue] = []
            for k in 0..<arrayCount(n) {
                if let item = arrayItem(n, k) {
                    items.append(typedValue(item, scratch: &scratch))
                } else {
                    items.append(.string(""))
                }
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
        case ValueType.guid: return .guid(textString(n, scratch: &scratch))
        case ValueType.sid: return .sid(textString(n, scratch: &scratch))
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
            return .string(textString(n, scratch: &scratch))
        default: return .string(textString(n, scratch: &scratch))
        }
    }
}
