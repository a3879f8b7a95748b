import JSON
import Patterning

/// Finds, for one observed SCO, the STIX indicators whose patterns it matches, without evaluating
/// every pattern.
///
/// Each pattern is sorted into one of four kinds when it is added:
/// - **exact**: every alternative is `type:path = constant` or `type:path IN (…)` on a plain property
///   path (`ipv4-addr:value`, `file:hashes.'SHA-256'`, `file:size`); these go into one hash table keyed
///   by (type and path, value).
/// - **CIDR**: `ipv4-addr:value ISSUBSET '…/n'` (or IPv6): one hash table per prefix length in use,
///   keyed by the masked address; a lookup probes each length present.
/// - **domain suffix**: `domain-name:value LIKE '%.example.com'` (an indicator that says "and its
///   subdomains"): a table of suffixes; a lookup probes each suffix of the observed name.
/// - **anchored**: an alternative that is an `AND` containing one indexable test is indexed by that
///   test and verified with the full matcher when the anchor hits.
/// - **residual**: everything else that one observation can satisfy is evaluated in full, but only
///   for observations of a type the pattern names.
///
/// Patterns that need more than one observation (`A AND B` between brackets, `FOLLOWEDBY`,
/// `REPEATS n` with n > 1) can never be satisfied by a single observation and are set aside
/// (``multiObservation``); so are patterns that do not parse (``rejected``).
public struct IndicatorIndex: Sendable {
    /// An indicator as loaded: its id and its pattern's kind.
    public enum Kind: String, Sendable {
        case exact, cidr, domainSuffix, anchored, residual, multiObservation, rejected
    }

    /// A value in an exact-match key: strings and integers (floats with an integral value count as integers).
    enum Value: Hashable, Sendable {
        case string(String)
        case integer(Int64)
    }

    struct Key: Hashable, Sendable {
        var path: Int32
        var value: Value
    }

    /// Posting list: most keys belong to one indicator, which is kept inline.
    enum Postings: Sendable {
        case one(Int32)
        case many([Int32])

        mutating func append(_ id: Int32) {
            switch self {
            case .one(let a): self = .many([a, id])
            case .many(var xs):
                self = .one(0)
                xs.append(id)
                self = .many(xs)
            }
        }

        func forEach(_ body: (Int32) -> Void) {
            switch self {
            case .one(let a): body(a)
            case .many(let xs): for x in xs { body(x) }
            }
        }
    }

    /// A posting that must be verified: the indicator and its compiled matcher.
    struct Verified: Sendable {
        var indicator: Int32
        var matcher: PatternMatcher
    }

    /// The ids of the loaded indicators, by ordinal.
    public private(set) var ids: [String] = []
    /// The kind each indicator was sorted into, by ordinal.
    public private(set) var kinds: [Kind] = []
    /// Why each rejected indicator was rejected.
    public private(set) var rejected: [(ordinal: Int32, error: PatternError)] = []

    var pathIDs: [String: Int32] = [:]
    /// For each SCO type, the paths (id and keys) that exact keys use.
    var pathsByType: [String: [(Int32, [String])]] = [:]
    var exact: [Key: Postings] = [:]
    /// Anchored postings: the key, then the matchers to run.
    var anchored: [Key: [Int32]] = [:]
    var verifiers: [Int32: PatternMatcher] = [:]
    var cidr4: [Int: [UInt128: Postings]] = [:]
    var cidr6: [Int: [UInt128: Postings]] = [:]
    var cidr4Lengths: [Int] = []
    var cidr6Lengths: [Int] = []
    var suffixes: [String: Postings] = [:]
    var residualByType: [String: [Int32]] = [:]

    public init() {}

    /// Builds an index over `(id, pattern)` pairs.
    public init(indicators: some Sequence<(id: String, pattern: String)>) {
        self.init()
        for i in indicators { add(id: i.id, pattern: i.pattern) }
    }

    /// The number of indicators added.
    public var count: Int { ids.count }

    /// How many indicators of each kind.
    public var census: [Kind: Int] { kinds.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    /// Adds one indicator; returns its ordinal.
    @discardableResult
    public mutating func add(id: String, pattern text: String) -> Int32 {
        let ordinal = Int32(ids.count)
        ids.append(id)
        let pattern: Pattern
        do {
            pattern = try Pattern.parse(text)
        } catch {
            rejected.append((ordinal, error))
            kinds.append(.rejected)
            return ordinal
        }
        kinds.append(classify(pattern, ordinal))
        return ordinal
    }

    // MARK: - Building

    /// The alternatives one observation can satisfy, or `nil` when the pattern needs several.
    static func alternatives(_ e: ObservationExpression) -> [ComparisonExpression]? {
        switch e {
        case .observation(let c):
            if case .or(let xs) = c { return xs }
            return [c]
        case .or(let xs):
            // Branches that need several observations cannot be met by one; the others can.
            var out: [ComparisonExpression] = []
            var any = false
            for x in xs {
                guard let a = alternatives(x) else { continue }
                any = true
                out += a
                if a.isEmpty { return [] }
            }
            return any ? out : nil
        case .within(let x, _): return alternatives(x)
        case .repeats(let x, let n): return n == 1 ? alternatives(x) : nil
        case .and, .followedBy: return nil
        case .startStop: return []  // time-bound: not indexable, but one observation may satisfy it
        }
    }

    enum Entry {
        case key(String, [String], Value)
        case keys(String, [String], [Value])
        case cidr(IPNetwork)
        case suffix(String)
    }

    /// The index entry of a test that can be looked up directly, if any.
    static func entry(_ t: PropertyTest) -> Entry? {
        guard !t.negated else { return nil }
        var keys: [String] = []
        for s in t.path.steps {
            guard case .key(let k) = s, !k.hasSuffix("_ref"), !k.hasSuffix("_refs"), !k.hasSuffix("_hex"),
                !k.hasSuffix("_bin")
            else { return nil }
            keys.append(k)
        }
        let type = t.path.objectType
        switch t.op {
        case .equal:
            guard let v = t.value.flatMap(value) else { return nil }
            return .key(type, keys, v)
        case .in:
            let vs = t.set.compactMap(value)
            guard vs.count == t.set.count, !vs.isEmpty else { return nil }
            return .keys(type, keys, vs)
        case .isSubset:
            guard keys == ["value"], type == "ipv4-addr" || type == "ipv6-addr", case .string(let s)? = t.value,
                let net = IPNetwork(s), net.isIPv6 == (type == "ipv6-addr")
            else { return nil }
            return .cidr(net)
        case .like:
            guard type == "domain-name", keys == ["value"], case .string(let s)? = t.value, s.hasPrefix("%."),
                !s.dropFirst(2).contains(where: { $0 == "%" || $0 == "_" })
            else { return nil }
            return .suffix(String(s.dropFirst(2)))
        default:
            return nil
        }
    }

    static func value(_ l: PatternLiteral) -> Value? {
        switch l {
        case .string(let s): return .string(s)
        case .integer(let i): return .integer(i)
        case .float(let d): return d.rounded() == d && abs(d) < 9e18 ? .integer(Int64(d)) : nil
        default: return nil
        }
    }

    mutating func pathID(_ type: String, _ keys: [String]) -> Int32 {
        let name = type + ":" + keys.joined(separator: "\u{0}")
        if let id = pathIDs[name] { return id }
        let id = Int32(pathIDs.count)
        pathIDs[name] = id
        pathsByType[type, default: []].append((id, keys))
        return id
    }

    mutating func post(_ entry: Entry, _ ordinal: Int32) {
        func add<K: Hashable>(_ table: inout [K: Postings], _ key: K) {
            if table[key] == nil { table[key] = .one(ordinal) } else { table[key]!.append(ordinal) }
        }
        switch entry {
        case .key(let type, let keys, let v): add(&exact, Key(path: pathID(type, keys), value: v))
        case .keys(let type, let keys, let vs):
            let p = pathID(type, keys)
            for v in vs { add(&exact, Key(path: p, value: v)) }
        case .cidr(let net):
            let masked = net.address & IndicatorIndex.mask(net.prefix, bits: net.isIPv6 ? 128 : 32)
            if net.isIPv6 {
                if cidr6[net.prefix] == nil { cidr6Lengths.append(net.prefix) }
                add(&cidr6[net.prefix, default: [:]], masked)
            } else {
                if cidr4[net.prefix] == nil { cidr4Lengths.append(net.prefix) }
                add(&cidr4[net.prefix, default: [:]], masked)
            }
        case .suffix(let s): add(&suffixes, s)
        }
    }

    static func mask(_ prefix: Int, bits: Int) -> UInt128 {
        if prefix <= 0 { return 0 }
        let all: UInt128 = bits == 128 ? .max : (1 << 32) - 1
        return (all >> UInt128(bits - prefix)) << UInt128(bits - prefix)
    }

    mutating func classify(_ pattern: Pattern, _ ordinal: Int32) -> Kind {
        guard let alternatives = IndicatorIndex.alternatives(pattern.root) else { return .multiObservation }
        var direct: [Entry] = []
        var anchors: [Entry] = []
        var needsVerify = alternatives.isEmpty
        for alt in alternatives {
            if case .test(let t) = alt, let e = IndicatorIndex.entry(t) {
                direct.append(e)
                continue
            }
            // An AND with one indexable conjunct: index the conjunct, verify the whole.
            if case .and(let xs) = alt,
                let e = xs.lazy.compactMap({ x -> Entry? in
                    if case .test(let t) = x { return IndicatorIndex.entry(t) }
                    return nil
                }).first
            {
                anchors.append(e)
                continue
            }
            needsVerify = true
        }
        guard let matcher = try? PatternMatcher(pattern) else { return .rejected }
        if needsVerify {
            // Evaluated in full for every observation of a type the pattern names.
            for type in Set(IndicatorIndex.types(pattern.root)) { residualByType[type, default: []].append(ordinal) }
            verifiers[ordinal] = matcher
            return .residual
        }
        if anchors.isEmpty {
            for e in direct { post(e, ordinal) }
            if direct.allSatisfy({ if case .cidr = $0 { return true }; return false }) { return .cidr }
            if direct.allSatisfy({ if case .suffix = $0 { return true }; return false }) { return .domainSuffix }
            return .exact
        }
        // Some alternatives need verification: index every alternative's key as an anchor.
        verifiers[ordinal] = matcher
        for e in direct + anchors {
            switch e {
            case .key(let type, let keys, let v):
                anchored[Key(path: pathID(type, keys), value: v), default: []].append(ordinal)
            case .keys(let type, let keys, let vs):
                let p = pathID(type, keys)
                for v in vs { anchored[Key(path: p, value: v), default: []].append(ordinal) }
            default:
                // CIDR and suffix anchors: keep them simple by evaluating in full.
                for type in Set(IndicatorIndex.types(pattern.root)) { residualByType[type, default: []].append(ordinal) }
                return .residual
            }
        }
        return .anchored
    }

    static func types(_ e: ObservationExpression) -> [String] {
        switch e {
        case .observation(let c): return types(c)
        case .and(let xs), .or(let xs), .followedBy(let xs): return xs.flatMap(types)
        case .within(let x, _), .repeats(let x, _), .startStop(let x, _, _): return types(x)
        }
    }

    static func types(_ c: ComparisonExpression) -> [String] {
        switch c {
        case .and(let xs), .or(let xs): return xs.flatMap(types)
        case .test(let t): return [t.path.objectType]
        }
    }

    // MARK: - Matching

    /// The ordinals of the indicators that `object` (one SCO, observed once) matches, ascending.
    public func matches(_ object: JSONObject) -> [Int32] {
        var out: [Int32] = []
        matches(object) { out.append($0) }
        if out.count > 1 {
            out.sort()
            var unique: [Int32] = []
            for x in out where unique.last != x { unique.append(x) }
            return unique
        }
        return out
    }

    /// Calls `body` with the ordinal of each indicator `object` matches (an ordinal may repeat when
    /// several alternatives of its pattern hit).
    public func matches(_ object: JSONObject, _ body: (Int32) -> Void) {
        guard case .string(let type)? = IndicatorIndex.member(object, "type") else { return }
        var single: ObservationSet?
        func verify(_ ordinal: Int32) -> Bool {
            guard let m = verifiers[ordinal] else { return false }
            if single == nil { single = ObservationSet(single: object, type: type) }
            return (try? m.matches(single!)) ?? false
        }
        if let paths = pathsByType[type] {
            for (pathID, keys) in paths {
                guard let v = IndicatorIndex.select(object, keys) else { continue }
                let key: Key
                switch v {
                case .string(let s): key = Key(path: pathID, value: .string(s))
                case .int(let i): key = Key(path: pathID, value: .integer(i))
                case .double(let d):
                    guard d.rounded() == d, abs(d) < 9e18 else { continue }
                    key = Key(path: pathID, value: .integer(Int64(d)))
                default: continue
                }
                exact[key]?.forEach(body)
                if let list = anchored[key] {
                    for o in list where verify(o) { body(o) }
                }
            }
        }
        if type == "ipv4-addr" || type == "ipv6-addr", !cidr4Lengths.isEmpty || !cidr6Lengths.isEmpty,
            case .string(let s)? = IndicatorIndex.member(object, "value"), let net = IPNetwork(s)
        {
            let lengths = net.isIPv6 ? cidr6Lengths : cidr4Lengths
            let tables = net.isIPv6 ? cidr6 : cidr4
            let bits = net.isIPv6 ? 128 : 32
            for length in lengths where length <= net.prefix {
                tables[length]?[net.address & IndicatorIndex.mask(length, bits: bits)]?.forEach(body)
            }
        }
        if type == "domain-name", !suffixes.isEmpty, case .string(let name)? = IndicatorIndex.member(object, "value") {
            var rest = Substring(name)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                suffixes[String(rest)]?.forEach(body)
            }
        }
        if let residual = residualByType[type] {
            for o in residual where verify(o) { body(o) }
        }
    }

    static func member(_ o: JSONObject, _ key: String) -> JSONValue? {
        let members = o.members
        for i in 0..<members.count where members[i].key == key { return members[i].value }
        return nil
    }

    static func select(_ o: JSONObject, _ keys: [String]) -> JSONValue? {
        var current = JSONValue.object(o)
        for k in keys {
            guard case .object(let obj) = current, let v = member(obj, k) else { return nil }
            current = v
        }
        return current
    }
}
