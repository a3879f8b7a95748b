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
        case exact, cidr, domainSuffix, anchored, substring, residual, multiObservation, rejected
    }

    /// A value in an exact-match key: strings and integers (floats with an integral value count as integers).
    enum Value: Hashable, Sendable {
        case string(String)
        case integer(Int64)
    }


    static func gram(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    /// The ids of the loaded indicators, by ordinal, packed in one arena.
    var idArena: [UInt8] = []
    var idEnds: [UInt32] = []
    /// The kind each indicator was sorted into, by ordinal.
    public private(set) var kinds: [Kind] = []
    /// Why each rejected indicator was rejected.
    public private(set) var rejected: [(ordinal: Int32, error: PatternError)] = []

    var pathIDs: [String: Int32] = [:]
    /// For each SCO type, the paths (id and keys) that exact keys use.
    /// Everything looked up for an observation of one SCO type, found with a single hash probe.
    struct TypeEntry: Sendable {
        var paths: [(Int32, [String])] = []
        var gramPaths: [(Int32, [String])] = []
        var prefixPaths: [(Int32, [String])] = []
        var residual: [Int32] = []
    }
    /// Types in the order first seen, and their entries (few types: a scan beats hashing the name).
    var typeNames: [String] = []
    var typeEntries: [TypeEntry] = []

    mutating func withType(_ type: String, _ body: (inout TypeEntry) -> Void) {
        if let i = typeNames.firstIndex(of: type) {
            body(&typeEntries[i])
        } else {
            typeNames.append(type)
            typeEntries.append(TypeEntry())
            body(&typeEntries[typeEntries.count - 1])
        }
    }
    var exact = ExactTable(seed: UInt64.random(in: 0...UInt64.max))
    /// Full matchers for anchored, n-gram and residual patterns, with whether the single-object fast path
    /// applies: `verifierSlots[ordinal]` indexes `verifierList`, or is -1.
    var verifierSlots: [Int32] = []
    var verifierList: [Verifier] = []

    mutating func setVerifier(_ ordinal: Int32, _ matcher: PatternMatcher) {
        verifierSlots[Int(ordinal)] = Int32(verifierList.count)
        verifierList.append(Verifier(matcher))
    }

    @inline(__always)
    func verifier(_ ordinal: Int32) -> Verifier? {
        let slot = verifierSlots[Int(ordinal)]
        return slot < 0 ? nil : verifierList[Int(slot)]
    }

    final class Verifier: Sendable {
        let matcher: PatternMatcher
        let single: Bool
        init(_ m: PatternMatcher) {
            matcher = m
            single = m.isSingleObservation
        }
    }
    /// Required-literal prefilter: (path, first four bytes of a literal every match contains) → indicators,
    /// kept in the shared table under ``Space/gram``.
    var gramPaths: Set<Int32> = []
    /// The entries that gram and prefix keys point to (the shared table stores their index as the ordinal).
    var filteredEntries: [FilteredEntry] = []
    /// A 2^20-bit filter of the grams present, checked before each hash probe.
    var gramFilter = [UInt64](repeating: 0, count: 1 << 14)

    @inline(__always)
    static func filterBit(_ gram: UInt32) -> Int { Int((UInt64(gram) &* 0x9E37_79B9_7F4A_7C15) >> 44) }
    /// Literal-prefix prefilter (`LIKE 'abc%…'`, `MATCHES '^abc…'`): (path, prefix) → indicators, in the
    /// shared table; the prefix lengths in use, by path id.
    var prefixLengths: [[Int]] = []
    var prefixPaths: Set<Int32> = []
    var cidr4Lengths: [Int] = []
    var cidr6Lengths: [Int] = []
    var hasSuffixes = false

    /// Key spaces of the shared table: the low three bits say what a key is, the rest which path or length.
    enum Space: UInt32 {
        case string = 0, integer, prefix, suffix, cidr4, cidr6, gram
    }

    @inline(__always)
    static func code(_ space: Space, _ n: Int32) -> UInt32 { UInt32(n) << 3 | space.rawValue }

    public init() {}

    /// Builds an index over `(id, pattern)` pairs.
    public init(indicators: some Sequence<(id: String, pattern: String)>) {
        self.init()
        for i in indicators { add(id: i.id, pattern: i.pattern) }
    }

    /// The number of indicators added.
    public var count: Int { idEnds.count }

    /// The id of the indicator with this ordinal.
    public func id(_ ordinal: Int32) -> String {
        let start = ordinal == 0 ? 0 : Int(idEnds[Int(ordinal) - 1])
        return String(decoding: idArena[start..<Int(idEnds[Int(ordinal)])], as: UTF8.self)
    }

    /// How many indicators of each kind.
    public var census: [Kind: Int] { kinds.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    /// Adds one indicator; returns its ordinal.
    @discardableResult
    public mutating func add(id: String, pattern text: String) -> Int32 {
        let ordinal = Int32(idEnds.count)
        idArena.append(contentsOf: id.utf8)
        idEnds.append(UInt32(idArena.count))
        verifierSlots.append(-1)
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

    /// The keys of a test's path when it is plain — named keys only, none a reference (`_ref`, `_refs`) or
    /// an encoded value (`_hex`, `_bin`) — so that one value at that path decides the test.
    static func plainKeys(_ t: PropertyTest) -> [String]? {
        var keys: [String] = []
        for s in t.path.steps {
            guard case .key(let k) = s, !k.hasSuffix("_ref"), !k.hasSuffix("_refs"), !k.hasSuffix("_hex"),
                !k.hasSuffix("_bin")
            else { return nil }
            keys.append(k)
        }
        return keys
    }

    /// The index entry of a test that can be looked up directly, if any.
    static func entry(_ t: PropertyTest) -> Entry? {
        guard !t.negated, let keys = plainKeys(t) else { return nil }
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

    mutating func pathID(_ type: String, _ keys: [String], gram: Bool = false) -> Int32 {
        let name = type + ":" + keys.joined(separator: "\u{0}")
        let id: Int32
        if let known = pathIDs[name] {
            id = known
        } else {
            id = Int32(pathIDs.count)
            pathIDs[name] = id
            withType(type) { $0.paths.append((id, keys)) }
        }
        if gram && !gramPaths.contains(id) {
            gramPaths.insert(id)
            withType(type) { $0.gramPaths.append((id, keys)) }
        }
        return id
    }

    mutating func post(_ entry: Entry, _ ordinal: Int32) {
        switch entry {
        case .key(let type, let keys, let v): insertExact(pathID(type, keys), v, ordinal)
        case .keys(let type, let keys, let vs):
            let p = pathID(type, keys)
            for v in vs { insertExact(p, v, ordinal) }
        case .cidr(let net):
            let masked = net.address & IndicatorIndex.mask(net.prefix, bits: net.isIPv6 ? 128 : 32)
            if net.isIPv6 {
                if !cidr6Lengths.contains(net.prefix) { cidr6Lengths.append(net.prefix) }
            } else if !cidr4Lengths.contains(net.prefix) {
                cidr4Lengths.append(net.prefix)
            }
            IndicatorIndex.withCIDRKey(masked, isIPv6: net.isIPv6) {
                exact.insert(
                    path: IndicatorIndex.code(net.isIPv6 ? .cidr6 : .cidr4, Int32(net.prefix)), key: $0,
                    ordinal: ordinal)
            }
        case .suffix(var s):
            hasSuffixes = true
            s.withUTF8 {
                exact.insert(path: IndicatorIndex.code(.suffix, 0), key: UnsafeRawBufferPointer($0), ordinal: ordinal)
            }
        }
    }

    /// Integer keys live on their own path numbers (odd), strings on even ones.
    mutating func insertExact(_ path: Int32, _ v: Value, _ ordinal: Int32, verified: Bool = false) {
        switch v {
        case .string(var s):
            s.withUTF8 {
                exact.insert(
                    path: IndicatorIndex.code(.string, path), key: UnsafeRawBufferPointer($0), ordinal: ordinal,
                    verified: verified)
            }
        case .integer(let i):
            withUnsafeBytes(of: i.littleEndian) {
                exact.insert(path: IndicatorIndex.code(.integer, path), key: $0, ordinal: ordinal, verified: verified)
            }
        }
    }

    /// The table key of a masked address: 4 bytes for IPv4 (kept inside the slot), 16 for IPv6.
    @inline(__always)
    static func withCIDRKey<R>(_ address: UInt128, isIPv6: Bool, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if isIPv6 { return withUnsafeBytes(of: address.littleEndian, body) }
        return withUnsafeBytes(of: UInt32(truncatingIfNeeded: address).littleEndian, body)
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
        var literals: [Requirement] = []
        var starts: [Requirement] = []
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
            if let lit = IndicatorIndex.requiredLiteral(alt) {
                literals.append(lit)
                continue
            }
            if let p = IndicatorIndex.requiredPrefix(alt) {
                starts.append(p)
                continue
            }
            needsVerify = true
        }
        guard let matcher = try? PatternMatcher(pattern) else { return .rejected }
        if needsVerify {
            // Evaluated in full for every observation of a type the pattern names.
            for type in Set(IndicatorIndex.types(pattern.root)) { withType(type) { $0.residual.append(ordinal) } }
            setVerifier(ordinal, matcher)
            return .residual
        }
        if !literals.isEmpty || !starts.isEmpty {
            // Every alternative has an exact key, a required literal or prefix: candidates come from them, then verify.
            setVerifier(ordinal, matcher)
            for (type, keys, prefix, like) in starts {
                let p = pathID(type, keys)
                if !prefixPaths.contains(p) {
                    prefixPaths.insert(p)
                    withType(type) { $0.prefixPaths.append((p, keys)) }
                }
                var prefix = prefix
                let n = prefix.utf8.count
                while prefixLengths.count <= Int(p) { prefixLengths.append([]) }
                if !prefixLengths[Int(p)].contains(n) { prefixLengths[Int(p)].append(n) }
                let entry = filteredEntry(ordinal, like)
                prefix.withUTF8 {
                    exact.insert(
                        path: IndicatorIndex.code(.prefix, p), key: UnsafeRawBufferPointer($0), ordinal: entry,
                        verified: true)
                }
            }
            for (type, keys, literal, like) in literals {
                let p = pathID(type, keys, gram: true)
                var l = literal
                let g = l.withUTF8 { IndicatorIndex.gram($0, 0) }
                let entry = filteredEntry(ordinal, like)
                withUnsafeBytes(of: g.littleEndian) {
                    exact.insert(path: IndicatorIndex.code(.gram, p), key: $0, ordinal: entry, verified: true)
                }
                let bit = IndicatorIndex.filterBit(g)
                gramFilter[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            for e in direct + anchors {
                guard case .ok = anchor(e, ordinal) else {
                    for type in Set(IndicatorIndex.types(pattern.root)) {
                        withType(type) { $0.residual.append(ordinal) }
                    }
                    return .residual
                }
            }
            return .substring
        }
        if anchors.isEmpty {
            for e in direct { post(e, ordinal) }
            if direct.allSatisfy({
                if case .cidr = $0 { return true }; return false
            }) {
                return .cidr
            }
            if direct.allSatisfy({
                if case .suffix = $0 { return true }; return false
            }) {
                return .domainSuffix
            }
            return .exact
        }
        // Some alternatives need verification: index every alternative's key as an anchor.
        setVerifier(ordinal, matcher)
        for e in direct + anchors {
            guard case .ok = anchor(e, ordinal) else {
                for type in Set(IndicatorIndex.types(pattern.root)) { withType(type) { $0.residual.append(ordinal) } }
                return .residual
            }
        }
        return .anchored
    }

    enum AnchorResult { case ok, unsupported }

    mutating func anchor(_ e: Entry, _ ordinal: Int32) -> AnchorResult {
        switch e {
        case .key(let type, let keys, let v):
            insertExact(pathID(type, keys), v, ordinal, verified: true)
        case .keys(let type, let keys, let vs):
            let p = pathID(type, keys)
            for v in vs { insertExact(p, v, ordinal, verified: true) }
        default:
            // CIDR and suffix anchors under verification: evaluated in full instead.
            return .unsupported
        }
        return .ok
    }

    /// What one alternative requires of the value at one plain path: the object type, the path's keys,
    /// a literal (prefix or substring), and the `LIKE` test it came from, if any (a cheap necessary
    /// condition checked before the full matcher).
    typealias Requirement = (type: String, keys: [String], literal: String, like: LikePattern?)

    /// A candidate found through a prefix or substring entry: the indicator, and the `LIKE` operand the
    /// value must match for the entry's alternative to hold.
    struct FilteredEntry: Sendable {
        var ordinal: Int32
        var like: LikePattern?
    }

    mutating func filteredEntry(_ ordinal: Int32, _ like: LikePattern?) -> Int32 {
        filteredEntries.append(FilteredEntry(ordinal: ordinal, like: like))
        return Int32(filteredEntries.count - 1)
    }

    /// A literal prefix (in characters) that the value at one plain path must start with, if there is one:
    /// `LIKE 'abc%…'` or `MATCHES '^abc…'`.
    static func requiredPrefix(_ c: ComparisonExpression) -> Requirement? {
        func fromTest(_ t: PropertyTest) -> Requirement? {
            guard !t.negated, case .string(let s)? = t.value, let keys = plainKeys(t) else { return nil }
            var prefix = ""
            switch t.op {
            case .like:
                for ch in s {
                    if ch == "%" || ch == "_" { break }
                    prefix.append(ch)
                }
            case .matches:
                guard s.hasPrefix("^"), !s.contains("|") else { return nil }
                var chars = Array(s.dropFirst())
                // Characters up to the first regex metacharacter; a quantifier takes back the one before it.
                var i = 0
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
                    i += 1
                }
                if i < chars.count, "*?{".contains(chars[i]), i > 0 { i -= 1 }
                chars = Array(chars[0..<i])
                prefix = String(chars)
            default:
                return nil
            }
            return prefix.isEmpty ? nil : (t.path.objectType, keys, prefix, t.op == .like ? LikePattern(s) : nil)
        }
        switch c {
        case .test(let t): return fromTest(t)
        case .and(let xs):
            for x in xs { if case .test(let t) = x, let r = fromTest(t) { return r } }
            return nil
        case .or: return nil
        }
    }

    /// A literal that every object satisfying `c` must contain at one plain path, if there is one.
    static func requiredLiteral(_ c: ComparisonExpression) -> Requirement? {
        func fromTest(_ t: PropertyTest) -> Requirement? {
            guard let keys = plainKeys(t), let lit = PatternMatcher.requiredLiteral(of: t) else { return nil }
            var like: LikePattern?
            if t.op == .like, case .string(let s)? = t.value { like = LikePattern(s) }
            return (t.path.objectType, keys, lit, like)
        }
        switch c {
        case .test(let t): return fromTest(t)
        case .and(let xs):
            for x in xs { if case .test(let t) = x, let r = fromTest(t) { return r } }
            return nil
        case .or: return nil
        }
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

    /// Scratch state for matching many observations in a row on one thread: the verification context and
    /// candidate lists, so that matching an observation allocates nothing.
    public final class MatchScratch {
        let context = SingleMatchContext()
        var candidates: [Int32] = []
        var verifyLater: [Int32] = []

        public init() {}
    }

    /// Calls `body` with the ordinal of each indicator `object` matches (an ordinal may repeat when
    /// several alternatives of its pattern hit).
    public func matches(_ object: JSONObject, _ body: (Int32) -> Void) {
        matches(object, using: MatchScratch(), body)
    }

    /// Runs the full matcher of indicator `ordinal` on the observation; `set` is the observation as
    /// observed data, made on first need.
    func verify(
        _ ordinal: Int32, _ object: JSONObject, _ type: String, _ scratch: MatchScratch, _ set: inout ObservationSet?
    ) -> Bool {
        let slot = verifierSlots[Int(ordinal)]
        guard slot >= 0 else { return false }
        let v = verifierList[Int(slot)]
        if v.single { return v.matcher.matches(object, type: type, in: scratch.context) }
        if set == nil { set = ObservationSet(single: object, type: type) }
        return (try? v.matcher.matches(set!)) ?? false
    }

    /// Calls `body` with the ordinal of each indicator `object` matches, using `scratch` (one per thread)
    /// for the state of the look-up.
    public func matches(_ object: JSONObject, using scratch: MatchScratch, _ body: (Int32) -> Void) {
        guard case .string(let type)? = IndicatorIndex.member(object, "type") else { return }
        // The closures below use locals rather than `self`: capturing `self` copies the whole index.
        let exact = self.exact
        var set: ObservationSet?
        guard let t = typeNames.firstIndex(of: type) else {
            if type == "ipv4-addr" || type == "ipv6-addr" || type == "domain-name" { matchValue(object, type, body) }
            return
        }
        let entry = typeEntries[t]
        for (pathID, keys) in entry.paths {
            guard let v = IndicatorIndex.select(object, keys) else { continue }
            scratch.verifyLater.removeAll(keepingCapacity: true)
            func hit(_ o: Int32, _ verified: Bool) { if verified { scratch.verifyLater.append(o) } else { body(o) } }
            switch v {
            case .string(var s):
                s.withUTF8 {
                    exact.forEach(path: IndicatorIndex.code(.string, pathID), key: UnsafeRawBufferPointer($0), hit)
                }
            case .int(let i):
                withUnsafeBytes(of: i.littleEndian) {
                    exact.forEach(path: IndicatorIndex.code(.integer, pathID), key: $0, hit)
                }
            case .double(let d):
                guard d.rounded() == d, abs(d) < 9e18 else { continue }
                withUnsafeBytes(of: Int64(d).littleEndian) {
                    exact.forEach(path: IndicatorIndex.code(.integer, pathID), key: $0, hit)
                }
            default: continue
            }
            if !scratch.verifyLater.isEmpty {
                for o in scratch.verifyLater where verify(o, object, type, scratch, &set) { body(o) }
            }
        }
        matchValue(object, type, body)
        if !entry.gramPaths.isEmpty {
            let filteredEntries = self.filteredEntries
            scratch.candidates.removeAll(keepingCapacity: true)
            for (pathID, keys) in entry.gramPaths {
                guard case .string(let value)? = IndicatorIndex.select(object, keys) else { continue }
                var text = value
                let code = IndicatorIndex.code(.gram, pathID)
                let gramFilter = self.gramFilter
                text.withUTF8 { b in
                    guard b.count >= 4 else { return }
                    gramFilter.withUnsafeBufferPointer { filter in
                        for i in 0...(b.count - 4) {
                            let g = IndicatorIndex.gram(b, i)
                            let bit = IndicatorIndex.filterBit(g)
                            guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { continue }
                            withUnsafeBytes(of: g.littleEndian) {
                                exact.forEach(path: code, key: $0) { e, _ in
                                    let entry = filteredEntries[Int(e)]
                                    if entry.like?.matches(value) ?? true { scratch.candidates.append(entry.ordinal) }
                                }
                            }
                        }
                    }
                }
            }
            if scratch.candidates.count > 1 { scratch.candidates.sort() }
            var last: Int32 = -1
            for o in scratch.candidates where o != last {
                last = o
                if verify(o, object, type, scratch, &set) { body(o) }
            }
        }
        for (pathID, keys) in entry.prefixPaths {
            guard Int(pathID) < prefixLengths.count,
                case .string(let value)? = IndicatorIndex.select(object, keys)
            else { continue }
            var text = value
            let lengths = prefixLengths[Int(pathID)]
            let filteredEntries = self.filteredEntries
            scratch.candidates.removeAll(keepingCapacity: true)
            text.withUTF8 { b in
                let raw = UnsafeRawBufferPointer(b)
                for n in lengths where n <= b.count {
                    exact.forEach(
                        path: IndicatorIndex.code(.prefix, pathID),
                        key: UnsafeRawBufferPointer(rebasing: raw[0..<n])
                    ) { e, _ in
                        let entry = filteredEntries[Int(e)]
                        if entry.like?.matches(value) ?? true { scratch.candidates.append(entry.ordinal) }
                    }
                }
            }
            for o in scratch.candidates where verify(o, object, type, scratch, &set) { body(o) }
        }
        for o in entry.residual where verify(o, object, type, scratch, &set) { body(o) }
    }

    /// CIDR and domain-suffix lookups on an address or domain `value`.
    func matchValue(_ object: JSONObject, _ type: String, _ body: (Int32) -> Void) {
        let exact = self.exact
        if (type == "ipv4-addr" && !cidr4Lengths.isEmpty) || (type == "ipv6-addr" && !cidr6Lengths.isEmpty),
            case .string(let s)? = IndicatorIndex.member(object, "value"), let net = IPNetwork(s)
        {
            let lengths = net.isIPv6 ? cidr6Lengths : cidr4Lengths
            let space: Space = net.isIPv6 ? .cidr6 : .cidr4
            let bits = net.isIPv6 ? 128 : 32
            for length in lengths where length <= net.prefix {
                IndicatorIndex.withCIDRKey(net.address & IndicatorIndex.mask(length, bits: bits), isIPv6: net.isIPv6) {
                    exact.forEach(path: IndicatorIndex.code(space, Int32(length)), key: $0) { o, _ in body(o) }
                }
            }
        }
        if type == "domain-name", hasSuffixes, case .string(var name)? = IndicatorIndex.member(object, "value") {
            name.withUTF8 { b in
                let raw = UnsafeRawBufferPointer(b)
                for i in 0..<b.count where b[i] == UInt8(ascii: ".") {
                    exact.forEach(
                        path: IndicatorIndex.code(.suffix, 0), key: UnsafeRawBufferPointer(rebasing: raw[(i + 1)...])
                    ) {
                        o, _ in body(o)
                    }
                }
            }
        }
    }

    static func member(_ o: JSONObject, _ key: String) -> JSONValue? {
        let members = o.members
        for i in 0..<members.count where members[i].key == key { return members[i].value }
        return nil
    }

    static func select(_ o: JSONObject, _ keys: [String]) -> JSONValue? {
        guard var current = member(o, keys[0]) else { return nil }
        for k in keys.dropFirst() {
            guard case .object(let obj) = current, let v = member(obj, k) else { return nil }
            current = v
        }
        return current
    }
}
