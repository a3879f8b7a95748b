/// The field tree of a kind of record, compiled once and shared by every record of that kind.
///
/// A Windows event log record is mostly one template instance. Given the template and, for each of its
/// substitution values, its type and whether it is empty, the tree an ``Event`` would hold is fixed: which
/// members exist, which values are arrays, which text is the template's own. Only the leaf values change
/// from record to record. A layout is that tree with numbered leaves: a fixed leaf holds its value; a
/// substituted leaf says which substitution values make it, and a reader (``EventLeafReader``) renders it
/// for the current record on demand.
///
/// Matchers resolve a field name to leaves once per layout (``value(forField:)``, with the precedence of
/// ``Event/value(forField:)``) instead of walking every record's tree, and read only the leaves they test.
public final class EventLayout {
    /// A node of the layout's tree: a leaf, or an object or array as in ``EventValue``.
    public indirect enum Shape {
        case leaf(Int32)
        case object([(key: String, value: Shape)])
        case array([Shape])
    }

    /// What kind of ``EventValue`` a leaf holds (known from the value types, not the values).
    public enum Kind: UInt8 {
        case null
        /// A string (or text made of several values).
        case text
        /// A GUID (upper-case hex digits and dashes).
        case guid
        /// A SID (`S-1-…`).
        case sid
        /// A hexadecimal integer (`0x…`).
        case hex
        case integer
        case double
        case timestamp
        case binary
        case boolean
        /// A SYSTEMTIME: a timestamp, or text when it is not a valid date.
        case timeOrText
    }

    /// One leaf.
    public struct Leaf {
        public var kind: Kind
        /// A fixed leaf: its value is in ``values``, its text at ``range`` in ``text``. Otherwise the leaf
        /// is read from the record, from its ``parts`` at ``range``.
        public var isFixed: Bool
        /// A substituted leaf that is one value read with its type; otherwise the concatenated text of its
        /// parts, a string.
        public var typed: Bool
        public var range: Range<Int32>

        public init(kind: Kind, isFixed: Bool, typed: Bool, range: Range<Int32>) {
            self.kind = kind
            self.isFixed = isFixed
            self.typed = typed
            self.range = range
        }

        /// The kind of a fixed value.
        public static func kind(of value: EventValue) -> Kind {
            switch value {
            case .null: return .null
            case .int, .uint: return .integer
            case .double: return .double
            case .timestamp: return .timestamp
            case .binary: return .binary
            case .bool: return .boolean
            case .guid: return .guid
            case .sid: return .sid
            default: return .text
            }
        }
    }

    /// One piece of a substituted leaf: a substitution value (or one item of an array value), or fixed text.
    public struct Part {
        /// The substitution value's index, or -1 for fixed text.
        public var value: Int32
        /// The item of an array value, or -1 for the whole value.
        public var item: Int32
        /// Fixed text: its bytes in ``partText``.
        public var text: Range<Int32>

        public init(value: Int32, item: Int32, text: Range<Int32> = 0..<0) {
            self.value = value
            self.item = item
            self.text = text
        }
    }

    /// The record's fields (an object), as ``Event/fields``.
    public let fields: [(key: String, value: Shape)]
    /// The leaves, in document order.
    public let leaves: [Leaf]
    /// Per leaf: a fixed leaf's value (`nil` for the others).
    public let values: [EventValue?]
    /// The text (``EventValue/text``) of the fixed leaves, as UTF-8.
    public let text: [UInt8]
    public let parts: [Part]
    public let partText: [UInt8]
    /// For the one consumer that reads records of this layout (a matcher's per-layout tables), with the
    /// identity of that consumer. Not synchronized: a layout belongs to one reader on one thread.
    public var consumerState: AnyObject?
    public var consumer: ObjectIdentifier?

    public init(
        fields: [(key: String, value: Shape)], leaves: [Leaf], values: [EventValue?], text: [UInt8], parts: [Part],
        partText: [UInt8]
    ) {
        self.fields = fields
        self.leaves = leaves
        self.values = values
        self.text = text
        self.parts = parts
        self.partText = partText
    }

    // MARK: - Lookup, as on `Event` with the Windows layout

    /// The node a Sigma rule means by the flat field name `name`, with the precedence of
    /// ``Event/value(forField:)`` for Windows events: `EventData.<name>`, `UserData.<child>.<name>`,
    /// `System.<name>`, then attribute `B` of `System.A` for `A_B`; a dotted name is a path.
    public func value(forField name: String) -> Shape? {
        if name.contains(".") { return value(atPath: name) }
        guard case .object(let event)? = fields.first?.value else { return nil }
        if case .object(let data)? = EventLayout.member("EventData", of: event),
            let v = EventLayout.member(name, of: data)
        {
            return EventLayout.unwrapText(v)
        }
        if case .object(let user)? = EventLayout.member("UserData", of: event) {
            for child in user {
                if case .object(let o) = child.value, let v = EventLayout.member(name, of: o) {
                    return EventLayout.unwrapText(v)
                }
            }
        }
        if case .object(let system)? = EventLayout.member("System", of: event) {
            if let v = EventLayout.member(name, of: system) { return EventLayout.unwrapText(v) }
            if let underscore = name.firstIndex(of: "_") {
                let element = String(name[..<underscore])
                let attribute = String(name[name.index(after: underscore)...])
                if case .object(let e)? = EventLayout.member(element, of: system),
                    case .object(let attributes)? = EventLayout.member("#attributes", of: e),
                    let v = EventLayout.member(attribute, of: attributes)
                {
                    return v
                }
            }
        }
        return nil
    }

    /// The node at a dotted path, as ``Event/value(atPath:)``.
    public func value(atPath path: String) -> Shape? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let v = EventLayout.walk(.object(fields), parts[...]) { return v }
        if fields.count == 1, let root = fields.first?.value, let v = EventLayout.walk(root, parts[...]) { return v }
        return nil
    }

    static func walk(_ start: Shape, _ parts: ArraySlice<String>) -> Shape? {
        var current = start
        for part in parts {
            guard case .object(let o) = current, let next = member(part, of: o) else { return nil }
            current = next
        }
        if case .object(let o) = current, let text = member("#text", of: o) { return text }
        return current
    }

    static func member(_ key: String, of object: [(key: String, value: Shape)]) -> Shape? {
        for m in object where m.key == key { return m.value }
        return nil
    }

    static func unwrapText(_ v: Shape) -> Shape {
        if case .object(let o) = v, let t = member("#text", of: o) { return t }
        return v
    }

    /// The leaves a matcher tests for `node`, as a matcher flattens an ``EventValue``: array items in order
    /// (an empty array is one null), an object's `#text` (an object without one is one null), else the
    /// leaf itself. -1 stands for a null.
    public static func flatten(_ node: Shape, into out: inout [Int32]) {
        switch node {
        case .leaf(let i): out.append(i)
        case .array(let items):
            if items.isEmpty { out.append(-1) }
            for i in items { flatten(i, into: &out) }
        case .object(let o):
            if let t = member("#text", of: o) { flatten(t, into: &out) } else { out.append(-1) }
        }
    }
}

/// The typed part of a leaf's value that matchers use (null, numbers, booleans, times); anything else is
/// read as text. Plain data: copying it touches no reference counts.
public enum EventScalar: Sendable {
    case null
    case text
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case timestamp(Timestamp)

    /// The scalar part of `v` (`.text` for strings, GUIDs, SIDs, binary, arrays and objects).
    public init(_ v: EventValue) {
        switch v {
        case .null: self = .null
        case .int(let i): self = .int(i)
        case .uint(let u): self = .uint(u)
        case .double(let d): self = .double(d)
        case .bool(let b): self = .bool(b)
        case .timestamp(let t): self = .timestamp(t)
        default: self = .text
        }
    }
}

/// Where a reader writes a leaf's text: a fixed buffer. ``count`` is the length of the text, which may
/// exceed ``capacity``: then only the first ``capacity`` bytes were kept, and the caller asks again with
/// room for ``count``.
public struct LeafTextBuffer {
    public let base: UnsafeMutablePointer<UInt8>
    public let capacity: Int
    public var count = 0

    public init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Appends `bytes` (keeping what fits).
    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = min(bytes.count, max(0, capacity - count))
        if n > 0 { UnsafeMutableRawPointer(base + count).copyMemory(from: bytes.baseAddress!, byteCount: n) }
        count += bytes.count
    }
}

/// Renders the leaves of the current record of a reader whose records have ``EventLayout``s.
///
/// A class rather than a protocol so that a matcher can hold one without reference counting
/// (`Unmanaged`) while it reads a record's leaves one by one.
open class EventLeafReader {
    public init() {}

    /// Writes the UTF-8 text of substituted leaf `leaf` of `layout` for the current record (what
    /// ``EventValue/text`` gives for the value an ``Event`` would hold there) and returns that value's
    /// scalar part.
    open func writeText(ofLeaf leaf: Int, in layout: EventLayout, into out: inout LeafTextBuffer) -> EventScalar {
        .text
    }

    /// The UTF-16LE bytes of substituted leaf `leaf` of `layout` for the current record when the leaf is
    /// one string value (its text is these units up to the first NUL, unpaired surrogates replaced), else
    /// `nil`. Valid while the record is current.
    open func utf16Text(ofLeaf leaf: Int, in layout: EventLayout) -> UnsafeRawBufferPointer? {
        nil
    }

    /// The value of substituted leaf `leaf` of `layout` for the current record when it is one unsigned
    /// integer (an event id), else `nil`: read without writing its text.
    open func unsignedValue(ofLeaf leaf: Int, in layout: EventLayout) -> UInt64? {
        nil
    }

    /// ``utf16Text(ofLeaf:in:)`` of each of `leaves` into `out` (as many places): one call per record
    /// for a matcher that reads many leaves.
    open func utf16Texts(
        ofLeaves leaves: UnsafeBufferPointer<Int32>, in layout: EventLayout,
        into out: UnsafeMutablePointer<UnsafeRawBufferPointer?>
    ) {
        for k in 0..<leaves.count { out[k] = utf16Text(ofLeaf: Int(leaves[k]), in: layout) }
    }
}
