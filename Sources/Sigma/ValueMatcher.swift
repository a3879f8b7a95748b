#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Events

/// The value modifiers of the Sigma specification (appendix "Modifiers", v2.1).
public enum SigmaModifier: String, Sendable, CaseIterable {
    case contains, startswith, endswith, all, exists, cased, neq, windash
    case re, i, m, s
    case base64, base64offset, utf16, utf16le, utf16be, wide
    case lt, lte, gt, gte
    case cidr, expand, fieldref
    case minute, hour, day, week, month, year
}

/// A numeric comparison (`lt`, `lte`, `gt`, `gte`, or equality for the time-part modifiers).
public enum NumericComparison: Sendable, Hashable {
    case lt, lte, gt, gte, eq

    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .lt: return a < b
        case .lte: return a <= b
        case .gt: return a > b
        case .gte: return a >= b
        case .eq: return a == b
        }
    }
}

/// The date part a time modifier extracts.
public enum TimePart: String, Sendable, Hashable {
    case minute, hour, day, week, month, year

    func value(of t: Timestamp) -> Int {
        let c = t.components
        switch self {
        case .minute: return c.minute
        case .hour: return c.hour
        case .day: return c.day
        case .month: return c.month
        case .year: return c.year
        case .week: return TimePart.isoWeek(year: c.year, month: c.month, day: c.day)
        }
    }

    /// The ISO 8601 week number (1...53).
    static func isoWeek(year: Int, month: Int, day: Int) -> Int {
        func days(_ y: Int, _ m: Int, _ d: Int) -> Int {
            guard let t = Timestamp(year: y, month: m, day: d) else { return 0 }
            return Int((t.ticks - Timestamp.unixEpochTicks) / 864_000_000_000)
        }
        let n = days(year, month, day)
        let weekday = ((n % 7) + 7 + 3) % 7  // Monday = 0 (1970-01-01 was a Thursday)
        let thursday = n - weekday + 3
        let ty = Timestamp(unixSeconds: Int64(thursday) * 86_400).components.year
        return (thursday - days(ty, 1, 1)) / 7 + 1
    }
}

/// An IPv4 or IPv6 network (`cidr` modifier).
public struct CIDRRange: Sendable, Hashable {
    public let address: [UInt8]
    public let prefix: Int

    /// Parses `10.0.0.0/8`, `fe80::/10`, or a bare address (a /32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = CIDRRange.parseAddress(String(first)) else { return nil }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), p >= 0, p <= bits else { return nil }
            prefix = p
        }
        self.address = address
        self.prefix = prefix
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; `nil` when `text` is neither.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
        return nil
    }

    public func contains(_ other: [UInt8]) -> Bool {
        var other = other
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as IPv4.
        if address.count == 4, other.count == 16, other[0..<10].allSatisfy({ $0 == 0 }), other[10] == 0xFF,
            other[11] == 0xFF
        {
            other = Array(other[12..<16])
        }
        guard other.count == address.count else { return false }
        var bits = prefix
        var i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if other[i] & mask != address[i] & mask { return false }
            bits -= 8
            i += 1
        }
        return true
    }
}

/// One compiled value test against one field value.
public enum ValueMatcher: Sendable {
    /// Wildcard string match (folded unless cased).
    case string(StringPattern)
    /// `re`: PCRE2 search anywhere in the value.
    case regex(SigmaRegex)
    /// `lt`/`lte`/`gt`/`gte`: numeric comparison of the field's number with the rule's.
    case compare(NumericComparison, Double)
    /// `cidr`: the field is an IP address inside the network.
    case cidr(CIDRRange)
    /// `null`: the field is absent or null (an empty string is not null).
    case null
    /// `exists`: the field is present (true) or absent (false).
    case exists(Bool)
    /// `fieldref`: the field equals (starts with, ends with, contains) another field of the same event.
    case fieldref(String, FieldRefMode, caseSensitive: Bool)
    /// Time modifiers: a part of the field's date compared with a number.
    case timePart(TimePart, NumericComparison, Double)
}

/// How a `fieldref` compares the two fields.
public enum FieldRefMode: Sendable, Hashable {
    case equals, startsWith, endsWith, contains
}

extension ValueMatcher {
    /// A copy that shares no reference-counted storage with `self`.
    func copy() -> ValueMatcher {
        switch self {
        case .string(let p): return .string(p.copy())
        case .regex(let r): return .regex(r.copy())
        case .fieldref(let f, let mode, let cased): return .fieldref(String(decoding: Array(f.utf8), as: UTF8.self), mode, caseSensitive: cased)
        default: return self
        }
    }
}

/// The values of one field test after modifiers: `Field|mods: values`.
public struct FieldTest: Sendable {
    /// The field name as the rule writes it (after logsource field mapping).
    public var field: String
    /// The modifiers, in the rule's order.
    public var modifiers: [SigmaModifier]
    /// The compiled tests, one or more per rule value.
    public var matchers: [ValueMatcher]
    /// With `all`, every value must match; otherwise one suffices.
    public var requireAll: Bool
    /// `neq`: the field must exist and match none of the values.
    public var negated: Bool
    /// Number of source values (for `all`: each value may expand to several matchers, e.g. `windash`).
    public var groups: [Range<Int>]
    /// The field's slot in a compiled ``RuleSet`` (-1 until bound).
    var slot: Int = -1
    /// When every value is a `cidr` network (and not `all`): the networks by prefix length, so that a
    /// field value is parsed once and looked up once per length, instead of parsed and compared once per
    /// network (a sweep for a feed's thousand network blocks did the latter on every event).
    var networks: CIDRSet?
}

/// Networks grouped by family and prefix length; an address is in the set when, masked to one of the
/// lengths, it is one of that length's networks.
struct CIDRSet: Sendable {
    /// (bytes of the family: 4 or 16, prefix length) → masked addresses.
    var byLength: [(family: Int, prefix: Int, members: Set<[UInt8]>)] = []

    init(_ ranges: [CIDRRange]) {
        var index: [Int: Int] = [:]
        for r in ranges {
            let key = r.address.count * 1000 + r.prefix
            let masked = CIDRSet.mask(r.address, r.prefix)
            if let k = index[key] {
                byLength[k].members.insert(masked)
            } else {
                index[key] = byLength.count
                byLength.append((r.address.count, r.prefix, [masked]))
            }
        }
    }

    /// The address bytes of a field value, as ``CIDRRange/parseAddress(_:)`` reads them.
    static func parse(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // An IP address has at most 45 characters, plus brackets and a zone: longer values are not one.
        guard raw.count >= 2, raw.count <= 128 else { return nil }
        return CIDRRange.parseAddress(String(decoding: raw, as: UTF8.self))
    }

    static func mask(_ a: [UInt8], _ prefix: Int) -> [UInt8] {
        var out = a
        var bits = prefix
        for i in 0..<out.count {
            if bits >= 8 {
                bits -= 8
            } else {
                out[i] &= bits <= 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                bits = 0
            }
        }
        return out
    }

    /// True when `address` (4 or 16 bytes) is in one of the networks; an IPv4-mapped IPv6 address
    /// (::ffff:a.b.c.d) counts as IPv4, as in ``CIDRRange/contains(_:)``.
    func contains(_ address: [UInt8]) -> Bool {
        var a = address
        if a.count == 16, a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xFF, a[11] == 0xFF,
            byLength.contains(where: { $0.family == 4 })
        {
            if byLength.contains(where: { $0.family == 16 && $0.members.contains(CIDRSet.mask(a, $0.prefix)) }) {
                return true
            }
            a = Array(a[12..<16])
        }
        for g in byLength where g.family == a.count {
            if g.members.contains(CIDRSet.mask(a, g.prefix)) { return true }
        }
        return false
    }
}

/// A value as written in a rule.
public enum SigmaValue: Sendable, Hashable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    init(_ node: YAMLNode) throws(SigmaError) {
        guard case .scalar(let s, let plain) = node else {
            throw SigmaError(.invalidValue("a field value must be a scalar or a list of scalars"))
        }
        if plain {
            if node.isNull { self = .null; return }
            if let b = node.bool { self = .bool(b); return }
            if Int64(s) != nil || (Double(s) != nil && s.contains(".")) { self = .number(s); return }
        }
        self = .string(s)
    }

    var text: String {
        switch self {
        case .string(let s), .number(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        }
    }
}

/// Options that affect compilation: placeholder values for `expand`.
public struct CompileOptions: Sendable {
    /// Values for `%name%` placeholders under `expand`; an unknown placeholder becomes `*`.
    public var placeholders: [String: [String]] = [:]

    public init(placeholders: [String: [String]] = [:]) {
        self.placeholders = placeholders
    }
}

extension FieldTest {
    /// Compiles `Field|mod|mod: values`.
    ///
    /// - Throws: ``SigmaError`` for an unknown modifier, a bad combination, a bad regex or CIDR.
    public init(key: String, values: [SigmaValue], options: CompileOptions) throws(SigmaError) {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        field = parts[0]
        var mods: [SigmaModifier] = []
        for p in parts.dropFirst() {
            guard let m = SigmaModifier(rawValue: p) else { throw SigmaError(.unknownModifier(p)) }
            mods.append(m)
        }
        modifiers = mods
        requireAll = mods.contains(.all)
        negated = mods.contains(.neq)
        var matchers: [ValueMatcher] = []
        var groups: [Range<Int>] = []
        if values.isEmpty { throw SigmaError(.invalidValue("field '\(field)' has an empty list of values")) }
        for v in values {
            let start = matchers.count
            matchers.append(contentsOf: try FieldTest.compile(v, mods, options: options, field: field))
            groups.append(start..<matchers.count)
        }
        self.matchers = matchers
        self.groups = groups
        // Many networks: a set by prefix length (a few are as quick compared one by one).
        let ranges = matchers.compactMap { m -> CIDRRange? in if case .cidr(let c) = m { return c } else { return nil } }
        if !requireAll && ranges.count == matchers.count && ranges.count >= 8 { networks = CIDRSet(ranges) }
    }

    static func compile(
        _ value: SigmaValue, _ mods: [SigmaModifier], options: CompileOptions, field: String
    ) throws(SigmaError) -> [ValueMatcher] {
        let set = Set(mods)
        if set.contains(.exists) {
            guard case .bool(let b) = value else {
                throw SigmaError(.invalidValue("'exists' needs true or false on field '\(field)'"))
            }
            return [.exists(b)]
        }
        if case .null = value { return [.null] }
        let timeParts: [TimePart] = mods.compactMap { TimePart(rawValue: $0.rawValue) }
        let comparison: NumericComparison? =
            set.contains(.lt) ? .lt : set.contains(.lte) ? .lte : set.contains(.gt) ? .gt : set.contains(.gte) ? .gte : nil
        if let part = timeParts.first {
            guard let n = Double(value.text) else {
                throw SigmaError(.invalidValue("time modifier '\(part.rawValue)' needs a number, got '\(value.text)'"))
            }
            return [.timePart(part, comparison ?? .eq, n)]
        }
        if let comparison {
            guard let n = Double(value.text) else {
                throw SigmaError(.invalidValue("numeric modifier needs a number, got '\(value.text)'"))
            }
            return [.compare(comparison, n)]
        }
        if set.contains(.re) {
            let r = try SigmaRegex(
                value.text, caseInsensitive: set.contains(.i), multiline: set.contains(.m), dotAll: set.contains(.s))
            return [.regex(r)]
        }
        if set.contains(.i) || set.contains(.m) || set.contains(.s) {
            throw SigmaError(.invalidValue("'i', 'm' and 's' are sub-modifiers of 're'"))
        }
        if set.contains(.cidr) {
            guard let c = CIDRRange(value.text) else {
                throw SigmaError(.invalidValue("'\(value.text)' is not a CIDR network"))
            }
            return [.cidr(c)]
        }
        let cased = set.contains(.cased)
        if set.contains(.fieldref) {
            let mode: FieldRefMode =
                set.contains(.contains) ? .contains : set.contains(.startswith) ? .startsWith
                : set.contains(.endswith) ? .endsWith : .equals
            return [.fieldref(value.text, mode, caseSensitive: cased)]
        }
        // Strings: expand placeholders and dashes, encode, then anchor.
        var variants: [[StringPattern.Piece]]
        let encodings = mods.filter {
            [.base64, .base64offset, .utf16, .utf16le, .utf16be, .wide].contains($0)
        }
        var texts = [value.text]
        if set.contains(.expand) { texts = texts.flatMap { expandPlaceholders($0, options.placeholders) } }
        if set.contains(.windash) {
            var expanded: [String] = []
            for t in texts { expanded += try windashVariants(t) }
            texts = expanded
        }
        if encodings.isEmpty {
            variants = texts.map { StringPattern.pieces(of: $0) }
        } else {
            // Encoded values are literal: wildcards have no meaning inside base64.
            var encoded: [[UInt8]] = texts.map { Array($0.utf8) }
            for e in encodings {
                switch e {
                case .utf16le, .wide: encoded = encoded.map { utf16($0, bigEndian: false, bom: false) }
                case .utf16be: encoded = encoded.map { utf16($0, bigEndian: true, bom: false) }
                case .utf16: encoded = encoded.map { utf16($0, bigEndian: false, bom: true) }
                case .base64: encoded = encoded.map { Base64.encode($0) }
                case .base64offset: encoded = encoded.flatMap { Base64.offsetVariants($0) }
                default: break
                }
            }
            variants = encoded.map { [.literal($0)] }
        }
        let leading = set.contains(.contains) || set.contains(.endswith)
        let trailing = set.contains(.contains) || set.contains(.startswith)
        return variants.map { pieces in
            var p = pieces
            if leading { p.insert(.star, at: 0) }
            if trailing { p.append(.star) }
            return .string(StringPattern(pieces: p, caseSensitive: cased))
        }
    }

    static func utf16(_ bytes: [UInt8], bigEndian: Bool, bom: Bool) -> [UInt8] {
        var out: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
        for unit in String(decoding: bytes, as: UTF8.self).utf16 {
            let lo = UInt8(unit & 0xFF)
            let hi = UInt8(unit >> 8)
            if bigEndian { out += [hi, lo] } else { out += [lo, hi] }
        }
        return out
    }

    /// `expand`: `%name%` placeholders replaced by their configured values (every combination),
    /// or by `*` when no value is configured.
    static func expandPlaceholders(_ text: String, _ table: [String: [String]]) -> [String] {
        var results = [""]
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "%") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: "%") else { break }
            let name = String(rest[after..<close])
            let prefix = String(rest[..<open])
            let replacements = table[name] ?? ["*"]
            results = results.flatMap { r in replacements.map { r + prefix + $0 } }
            rest = rest[rest.index(after: close)...]
        }
        return results.map { $0 + rest }
    }

    /// `windash`: every `-` or `/` that starts a word (a command-line flag) is replaced by each of
    /// `-`, `/`, en dash, em dash and horizontal bar, in every combination.
    static func windashVariants(_ text: String) throws(SigmaError) -> [String] {
        let scalars = Array(text.unicodeScalars)
        func isWord(_ s: Unicode.Scalar) -> Bool {
            s.properties.isAlphabetic || s.properties.numericType != nil || s == "_"
        }
        var positions: [Int] = []
        for (i, s) in scalars.enumerated() where s == "-" || s == "/" {
            let before = i == 0 || !isWord(scalars[i - 1])
            let after = i + 1 < scalars.count && isWord(scalars[i + 1])
            if before && after { positions.append(i) }
        }
        if positions.isEmpty { return [text] }
        guard positions.count <= 5 else {
            throw SigmaError(.invalidValue("windash on '\(text)' would expand to more than 3125 values"))
        }
        let dashes: [Unicode.Scalar] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        var out: [String] = []
        var combo = [Int](repeating: 0, count: positions.count)
        while true {
            var s = scalars
            for (k, pos) in positions.enumerated() { s[pos] = dashes[combo[k]] }
            var str = String.UnicodeScalarView()
            str.append(contentsOf: s)
            out.append(String(str))
            var k = 0
            while k < combo.count {
                combo[k] += 1
                if combo[k] < dashes.count { break }
                combo[k] = 0
                k += 1
            }
            if k == combo.count { break }
        }
        return out
    }
}

/// Base64 as the `base64` and `base64offset` modifiers need it.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i])
            let b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            out.append(alphabet[b0 >> 2])
            out.append(alphabet[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[b2 & 63] : UInt8(ascii: "="))
            i += 3
        }
        return out
    }

    /// The three encodings of `value` at byte offsets 0, 1 and 2 of a longer base64 text, trimmed to
    /// the characters that do not depend on the neighbouring bytes.
    static func offsetVariants(_ value: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for shift in 0..<3 {
            let padded = [UInt8](repeating: 0x20, count: shift) + value
            let enc = encode(padded)
            // Characters influenced by the padding bytes at the start.
            let dropFront = [0, 2, 3][shift]
            // Characters influenced by the unknown bytes after the value.
            let dropBack = [0, 3, 2][(value.count + shift) % 3]
            guard enc.count - dropBack > dropFront else { continue }
            out.append(Array(enc[dropFront..<(enc.count - dropBack)]))
        }
        return out
    }
}
