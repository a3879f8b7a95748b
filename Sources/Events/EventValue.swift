/// A typed value inside an ``Event``.
///
/// Values keep the type their source gave them: an EVTX `UInt16` stays ``uint(_:)``, a FILETIME becomes
/// ``timestamp(_:)``, a SID stays ``sid(_:)``. Objects keep their members in document order.
public enum EventValue: Sendable, Hashable {
    case null
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case timestamp(Timestamp)
    case binary([UInt8])
    /// A GUID in its canonical text form, upper-case, without braces.
    case guid(String)
    /// A Windows security identifier in `S-1-...` form.
    case sid(String)
    case array([EventValue])
    case object(EventObject)

    /// The member named `key` when this is an object.
    public subscript(key: String) -> EventValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The object payload, or `nil` for any other kind.
    public var objectValue: EventObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The text an analyst (or a Sigma rule) sees for this value.
    ///
    /// Numbers in decimal, timestamps in ISO 8601 with seven fractional digits, binary in upper-case hex,
    /// arrays joined by commas, objects as `nil`.
    public var text: String? {
        switch self {
        case .null: return ""
        case .string(let s), .guid(let s), .sid(let s): return s
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .timestamp(let t): return t.iso8601
        case .binary(let bytes):
            let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 2)
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            }
            return String(decoding: out, as: UTF8.self)
        case .array(let items): return items.compactMap(\.text).joined(separator: ",")
        case .object: return nil
        }
    }

    /// The value as a signed integer when it is one (or a decimal string that reads as one).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .string(let s): return Int64(s)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// The members of an object value, in document order.
///
/// Lookup is a linear scan: event objects are small (tens of members), and a scan over a contiguous
/// array beats hashing at that size.
public struct EventObject: Sendable, Hashable, Sequence {
    /// One named member.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: EventValue

        /// A member named `key`.
        public init(key: String, value: EventValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, in document order (duplicates kept).
    public var members: [Member]

    /// An object with `members` in the given order.
    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// Number of members.
    public var count: Int { members.count }
    /// True when there are no members.
    public var isEmpty: Bool { members.isEmpty }
    /// Member names in order.
    public var keys: [String] { members.map(\.key) }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }

    /// Appends a member (keeping any earlier member with the same key).
    public mutating func append(_ key: String, _ value: EventValue) {
        members.append(Member(key: key, value: value))
    }

    /// The first member named `key`.
    public subscript(key: String) -> EventValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }
}
