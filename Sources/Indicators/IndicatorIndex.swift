import JSON
import Patterning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// The entries that anchor, gram and prefix keys point to (the shared table stores their index as the
    /// ordinal).
    var filteredEntries: [FilteredEntry] = []
    /// The `LIKE` operands of filtered entries: byte checks and the full patterns; ``likeBytes`` holds the
    /// checks' text and the literals of gram entries.
    var likeFilters: [LikeFilter] = []
    var likeBytes: [UInt8] = []
    var likePatterns: [LikePattern] = []
    /// Checks of alternatives made of simple tests (see `IndicatorIndex+Checks.swift`): each a run of
    /// ``tests``, which use the paths of ``testPaths`` and the string constants in ``testBytes``.
    var checks: [(start: Int32, count: Int32)] = []
    var tests: [SimpleTest] = []
    var testPaths: [[String]] = []
    var testBytes: [UInt8] = []
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
        /// The alternative each anchor, literal and prefix came from.
        var anchorAlternatives: [ComparisonExpression] = []
        var literalAlternatives: [ComparisonExpression] = []
        var startAlternatives: [ComparisonExpression] = []
        var needsVerify = alternatives.isEmpty
        for alt in alternatives {
            if case .test(let t) = alt, let e = IndicatorIndex.entry(t) {
                direct.append(e)
                continue
            }
            // An AND with one indexable conjunct: index the conjunct, verify the whole.
            if case .and(let xs) = alt,
                let e = IndicatorIndex.anchorEntry(xs)
            {
                anchors.append(e)
                anchorAlternatives.append(alt)
                continue
            }
            if let lit = IndicatorIndex.requiredLiteral(alt) {
                literals.append(lit)
                literalAlternatives.append(alt)
                continue
            }
            if let p = IndicatorIndex.requiredPrefix(alt) {
                starts.append(p)
                startAlternatives.append(alt)
                continue
            }
            needsVerify = true
        }
        let matcher: PatternMatcher
        do {
            matcher = try PatternMatcher(pattern)
        } catch {
            // A pattern that parses but cannot compile (a bad regex or CIDR operand) is rejected too.
            rejected.append((ordinal, error))
            return .rejected
        }
        if needsVerify {
            // Evaluated in full for every observation of a type the pattern names.
            for type in Set(IndicatorIndex.types(pattern.root)) { withType(type) { $0.residual.append(ordinal) } }
            setVerifier(ordinal, matcher)
            return .residual
        }
        // Anchors under verification are exact keys; a CIDR or suffix anchor is evaluated in full instead.
        let anchorsIndexable = anchors.allSatisfy {
            switch $0 {
            case .key, .keys: return true
            case .cidr, .suffix: return false
            }
        }
        if (!literals.isEmpty || !starts.isEmpty || !anchors.isEmpty) && !anchorsIndexable {
            for type in Set(IndicatorIndex.types(pattern.root)) { withType(type) { $0.residual.append(ordinal) } }
            setVerifier(ordinal, matcher)
            return .residual
        }
        if !literals.isEmpty || !starts.isEmpty {
            // Every alternative has an exact key, a required literal or prefix: candidates come from them, then
            // verify. An alternative that is a single indexable test needs no verification.
            setVerifier(ordinal, matcher)
            for (i, (type, keys, prefix, like)) in starts.enumerated() {
                let p = pathID(type, keys)
                if !prefixPaths.contains(p) {
                    prefixPaths.insert(p)
                    withType(type) { $0.prefixPaths.append((p, keys)) }
                }
                var prefix = prefix
                let n = prefix.utf8.count
                while prefixLengths.count <= Int(p) { prefixLengths.append([]) }
                if !prefixLengths[Int(p)].contains(n) { prefixLengths[Int(p)].append(n) }
                let entry = filteredEntry(ordinal, like, check: compileCheck(startAlternatives[i], type))
                prefix.withUTF8 {
                    exact.insert(
                        path: IndicatorIndex.code(.prefix, p), key: UnsafeRawBufferPointer($0), ordinal: entry,
                        verified: true)
                }
            }
            for (i, (type, keys, literal, like)) in literals.enumerated() {
                let p = pathID(type, keys, gram: true)
                var l = literal
                let g = l.withUTF8 { IndicatorIndex.gram($0, 0) }
                let entry = filteredEntry(ordinal, like, check: compileCheck(literalAlternatives[i], type))
                filteredEntries[Int(entry)].literalStart = UInt32(likeBytes.count)
                filteredEntries[Int(entry)].literalCount = UInt32(literal.utf8.count)
                likeBytes += literal.utf8
                withUnsafeBytes(of: g.littleEndian) {
                    exact.insert(path: IndicatorIndex.code(.gram, p), key: $0, ordinal: entry, verified: true)
                }
                let bit = IndicatorIndex.filterBit(g)
                gramFilter[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            for (e, alt) in zip(anchors, anchorAlternatives) { anchor(e, alt, ordinal) }
            for e in direct { post(e, ordinal) }
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
        // Some alternatives need verification: index their anchors as candidates; the others hold by their key.
        setVerifier(ordinal, matcher)
        for (e, alt) in zip(anchors, anchorAlternatives) { anchor(e, alt, ordinal) }
        for e in direct { post(e, ordinal) }
        return .anchored
    }

    /// The conjunct of an AND to index it by: an exact key if there is one, else any indexable test.
    static func anchorEntry(_ xs: [ComparisonExpression]) -> Entry? {
        var other: Entry?
        for x in xs {
            guard case .test(let t) = x, let e = entry(t) else { continue }
            switch e {
            case .key, .keys: return e
            case .cidr, .suffix: if other == nil { other = e }
            }
        }
        return other
    }

    /// Indexes an exact-key anchor (``Entry/key`` or ``Entry/keys``) of `alternative` as a candidate to
    /// verify: its slots hold a filtered entry.
    mutating func anchor(_ e: Entry, _ alternative: ComparisonExpression, _ ordinal: Int32) {
        switch e {
        case .key(let type, let keys, let v):
            let entry = filteredEntry(ordinal, nil, check: compileCheck(alternative, type))
            insertExact(pathID(type, keys), v, entry, verified: true)
        case .keys(let type, let keys, let vs):
            let entry = filteredEntry(ordinal, nil, check: compileCheck(alternative, type))
            let p = pathID(type, keys)
            for v in vs { insertExact(p, v, entry, verified: true) }
        case .cidr, .suffix:
            preconditionFailure("CIDR and suffix anchors are evaluated in full")
        }
    }

    /// What one alternative requires of the value at one plain path: the object type, the path's keys,
    /// a literal (prefix or substring), and the `LIKE` test it came from, if any (a cheap necessary
    /// condition checked before the full matcher).
    typealias Requirement = (type: String, keys: [String], literal: String, like: String?)

    /// A candidate found through an anchor, prefix or substring entry: the indicator, the `LIKE` operand
    /// the value must match for the entry's alternative to hold (an index into ``likeFilters`` and
    /// ``likePatterns``, or -1), and the check that decides the alternative (an index into ``checks``),
    /// or -1 when the indicator's full matcher must decide.
    struct FilteredEntry: Sendable {
        var ordinal: Int32
        var like: Int32
        var check: Int32
        /// For a 4-byte-window entry: the whole literal the window begins (bytes `literalStart...` of
        /// ``likeBytes``), which must stand at the window's place in the value; count 0 otherwise.
        var literalStart: UInt32 = 0
        var literalCount: UInt32 = 0
    }

    /// What a value must look like, byte for byte, to match a `LIKE` operand: start with the literal text
    /// before its first wildcard and end with the text after its last (both kept in ``likeBytes``).
    struct LikeFilter: Sendable {
        var start: UInt32
        var prefix: UInt32
        var suffix: UInt32
        /// True when the operand is `prefix%suffix` (one `%`, no `_`): passing the check is then matching.
        /// (On UTF-8, a byte prefix or suffix that is itself whole characters is a character prefix or suffix.)
        var exact: Bool
    }

    mutating func filteredEntry(_ ordinal: Int32, _ like: String?, check: Int32) -> Int32 {
        filteredEntries.append(FilteredEntry(ordinal: ordinal, like: like.map { likeIndex($0) } ?? -1, check: check))
        return Int32(filteredEntries.count - 1)
    }

    /// Adds a `LIKE` operand to ``likeFilters`` and ``likePatterns``; returns its index.
    mutating func likeIndex(_ like: String) -> Int32 {
        let index = Int32(likeFilters.count)
        let bytes = Array(like.utf8)
        let wild = { (b: UInt8) in b == UInt8(ascii: "%") || b == UInt8(ascii: "_") }
        let first = bytes.firstIndex(where: wild)
        let last = bytes.lastIndex(where: wild)
        let prefix = bytes[..<(first ?? bytes.count)]
        let suffix = last.map { bytes[($0 + 1)...] } ?? []
        let exact = first != nil && first == last && bytes[first!] == UInt8(ascii: "%")
        likeFilters.append(
            LikeFilter(
                start: UInt32(likeBytes.count), prefix: UInt32(prefix.count), suffix: UInt32(suffix.count),
                exact: exact))
        likeBytes += prefix
        likeBytes += suffix
        likePatterns.append(LikePattern(like))
        return index
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
            return prefix.isEmpty ? nil : (t.path.objectType, keys, prefix, t.op == .like ? s : nil)
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
            var like: String?
            if t.op == .like, case .string(let s)? = t.value { like = s }
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

    /// Scratch state for matching many observations in a row on one thread: the verification context, the
    /// candidate list (filtered entries), and room for the bytes of the key being looked up, so that
    /// matching an observation allocates nothing.
    ///
    /// Keys are copied into the room rather than read inside `withUTF8 { … }`: a closure passed to a call
    /// that is not inlined carries a copy of what it captures, and a closure that uses the index captures
    /// all of it (some thirty arrays to retain and release). The hot path therefore makes no closure that
    /// uses `self`; values too long for the room are read in place by methods of their own.
    public final class MatchScratch {
        let context = SingleMatchContext()
        var candidates: [Int32] = []
        /// ``keyLength`` bytes for a number or a 4-byte window, then two strings of up to ``capacity`` bytes:
        /// the value being looked up, and the value a check reads.
        let room: UnsafeMutableRawPointer
        static let keyLength = 16
        static let capacity = 2048

        var key: UnsafeMutableRawPointer { room }
        var value: UnsafeMutablePointer<UInt8> { (room + MatchScratch.keyLength).assumingMemoryBound(to: UInt8.self) }
        var checked: UnsafeMutablePointer<UInt8> { value + MatchScratch.capacity }

        public init() {
            let size = MatchScratch.keyLength + 2 * MatchScratch.capacity
            room = .allocate(byteCount: size, alignment: 16)
            room.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        }

        deinit { room.deallocate() }

        /// `v`'s bytes in the key room.
        @inline(__always)
        func key<T: FixedWidthInteger>(_ v: T) -> UnsafeRawBufferPointer {
            room.storeBytes(of: v.littleEndian, as: T.self)
            return UnsafeRawBufferPointer(start: room, count: MemoryLayout<T>.size)
        }
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

    /// Calls `body` with the bytes of a string value, without copying it when it is stored contiguously.
    @inline(__always)
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        var s = s
        return s.withUTF8(body)
    }

    /// The bytes of `s` copied into `room` (``MatchScratch/capacity`` bytes), or `nil` when they do not fit.
    @inline(__always)
    static func copy(_ s: String, into room: UnsafeMutablePointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        let n = s.utf8.count
        guard n <= MatchScratch.capacity else { return nil }
        let (_, copied) = UnsafeMutableBufferPointer(start: room, count: n).initialize(from: s.utf8)
        return UnsafeBufferPointer(start: room, count: copied)
    }


    /// Calls `body` with the ordinal of each indicator `object` matches, using `scratch` (one per thread)
    /// for the state of the look-up.
    public func matches(_ object: JSONObject, using scratch: MatchScratch, _ body: (Int32) -> Void) {
        guard case .string(let type)? = IndicatorIndex.member(object, "type") else { return }
        var t = -1
        for i in 0..<typeNames.count where typeNames[i] == type {
            t = i
            break
        }
        var set: ObservationSet?
        if t >= 0 {
            for p in 0..<typeEntries[t].paths.count {
                matchExact(typeEntries[t].paths[p], object, type, scratch, &set, body)
            }
        }
        matchValue(object, type, scratch, body)
        guard t >= 0 else { return }
        if !typeEntries[t].gramPaths.isEmpty {
            scratch.candidates.removeAll(keepingCapacity: true)
            for p in 0..<typeEntries[t].gramPaths.count {
                let (pathID, keys) = typeEntries[t].gramPaths[p]
                guard case .string(let value)? = IndicatorIndex.select(object, keys) else { continue }
                if let b = IndicatorIndex.copy(value, into: scratch.value) {
                    gramCandidates(pathID, b, value, scratch)
                } else {
                    longCandidates(pathID, value, scratch, prefix: false)
                }
            }
            reportCandidates(object, type, scratch, &set, body)
        }
        for p in 0..<typeEntries[t].prefixPaths.count {
            let (pathID, keys) = typeEntries[t].prefixPaths[p]
            guard Int(pathID) < prefixLengths.count,
                case .string(let value)? = IndicatorIndex.select(object, keys)
            else { continue }
            scratch.candidates.removeAll(keepingCapacity: true)
            if let b = IndicatorIndex.copy(value, into: scratch.value) {
                prefixCandidates(pathID, b, value, scratch)
            } else {
                longCandidates(pathID, value, scratch, prefix: true)
            }
            reportCandidates(object, type, scratch, &set, body)
        }
        for o in typeEntries[t].residual where verify(o, object, type, scratch, &set) { body(o) }
    }

    /// Reports each indicator among the candidate entries in `scratch` once, when one of its entries holds.
    func reportCandidates(
        _ object: JSONObject, _ type: String, _ scratch: MatchScratch, _ set: inout ObservationSet?,
        _ body: (Int32) -> Void
    ) {
        let n = scratch.candidates.count
        if n == 0 { return }
        if n == 1 {
            let entry = filteredEntries[Int(scratch.candidates[0])]
            if holds(entry, object, type, scratch, &set) { body(entry.ordinal) }
            return
        }
        let entries = filteredEntries  // captured instead of `self`, which the closure would copy
        scratch.candidates.sort { entries[Int($0)].ordinal < entries[Int($1)].ordinal }
        var done: Int32 = -1
        for e in scratch.candidates {
            let entry = entries[Int(e)]
            if entry.ordinal != done, holds(entry, object, type, scratch, &set) {
                done = entry.ordinal
                body(entry.ordinal)
            }
        }
    }

    /// Exact-key look-up of the value at one path: direct hits go to `body`, candidates are verified.
    @inline(__always)
    func matchExact(
        _ path: (Int32, [String]), _ object: JSONObject, _ type: String, _ scratch: MatchScratch,
        _ set: inout ObservationSet?, _ body: (Int32) -> Void
    ) {
        if path.1.count == 1 {
            // The common plain property: the value is read where it lies, not copied out of the object.
            guard let i = IndicatorIndex.memberIndex(object, path.1[0]) else { return }
            matchExact(path.0, object.members[i].value, object, type, scratch, &set, body)
        } else if let v = IndicatorIndex.selectDeep(object, path.1) {
            matchExact(path.0, v, object, type, scratch, &set, body)
        }
    }

    /// Exact-key look-up of value `v` found at path `path`.
    @inline(__always)
    func matchExact(
        _ path: Int32, _ v: JSONValue, _ object: JSONObject, _ type: String, _ scratch: MatchScratch,
        _ set: inout ObservationSet?, _ body: (Int32) -> Void
    ) {
        switch v {
        case .string(let s):
            if let b = IndicatorIndex.copy(s, into: scratch.value) {
                let key = UnsafeRawBufferPointer(b)
                lookUp(IndicatorIndex.code(.string, path), key, object, type, scratch, &set, body)
            } else {
                lookUpLong(IndicatorIndex.code(.string, path), s, object, type, scratch, &set, body)
            }
        case .int(let i):
            lookUp(IndicatorIndex.code(.integer, path), scratch.key(i), object, type, scratch, &set, body)
        case .double(let d):
            guard d.rounded() == d, abs(d) < 9e18 else { return }
            lookUp(IndicatorIndex.code(.integer, path), scratch.key(Int64(d)), object, type, scratch, &set, body)
        default: return
        }
    }

    /// The entries under (`code`, `key`): direct hits go to `body`, candidates are checked.
    @inline(__always)
    func lookUp(
        _ code: UInt32, _ key: UnsafeRawBufferPointer, _ object: JSONObject, _ type: String, _ scratch: MatchScratch,
        _ set: inout ObservationSet?, _ body: (Int32) -> Void
    ) {
        var probe = exact.probe(path: code, key: key)
        while let (o, verified) = exact.next(&probe, key) {
            if !verified {
                body(o)
            } else {
                let entry = filteredEntries[Int(o)]
                if holds(entry, object, type, scratch, &set) { body(entry.ordinal) }
            }
        }
    }

    /// ``lookUp(_:_:_:_:_:_:_:)`` of a string too long for the scratch room, read in place.
    @inline(never)
    func lookUpLong(
        _ code: UInt32, _ s: String, _ object: JSONObject, _ type: String, _ scratch: MatchScratch,
        _ set: inout ObservationSet?, _ body: (Int32) -> Void
    ) {
        IndicatorIndex.withBytes(s) { lookUp(code, UnsafeRawBufferPointer($0), object, type, scratch, &set, body) }
    }

    /// Gram or prefix candidates of a string too long for the scratch room, read in place.
    @inline(never)
    func longCandidates(_ pathID: Int32, _ value: String, _ scratch: MatchScratch, prefix: Bool) {
        IndicatorIndex.withBytes(value) {
            if prefix {
                prefixCandidates(pathID, $0, value, scratch)
            } else {
                gramCandidates(pathID, $0, value, scratch)
            }
        }
    }

    /// True when `b` (the bytes of `value`) can match the `LIKE` operand of a filtered entry: the byte
    /// check, then the full `LIKE` when the check alone does not decide.
    @inline(__always)
    func passesLike(_ like: Int32, _ b: UnsafeBufferPointer<UInt8>, _ value: String) -> Bool {
        guard like >= 0 else { return true }
        let f = likeFilters[Int(like)]
        let prefix = Int(f.prefix)
        let suffix = Int(f.suffix)
        guard b.count >= prefix + suffix else { return false }
        if prefix + suffix > 0 {
            let same = likeBytes.withUnsafeBufferPointer { l in
                let start = l.baseAddress! + Int(f.start)
                return memcmp(b.baseAddress!, start, prefix) == 0
                    && memcmp(b.baseAddress! + (b.count - suffix), start + prefix, suffix) == 0
            }
            guard same else { return false }
        }
        return f.exact || likePatterns[Int(like)].matches(value)
    }

    /// Candidates from the required-literal entries of one path: every 4-byte window of the value that
    /// passes the filter is looked up.
    func gramCandidates(_ pathID: Int32, _ b: UnsafeBufferPointer<UInt8>, _ value: String, _ scratch: MatchScratch) {
        guard b.count >= 4 else { return }
        let code = IndicatorIndex.code(.gram, pathID)
        for i in 0...(b.count - 4) {
            let g = IndicatorIndex.gram(b, i)
            let bit = IndicatorIndex.filterBit(g)
            guard gramFilter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { continue }
            let key = scratch.key(g)
            var probe = exact.probe(path: code, key: key)
            while let (e, _) = exact.next(&probe, key) {
                let entry = filteredEntries[Int(e)]
                // The rest of the literal must follow the window (the window is its first 4 bytes).
                let n = Int(entry.literalCount)
                guard n <= 4
                    || (i + n <= b.count
                        && likeBytes.withUnsafeBufferPointer {
                            memcmp(b.baseAddress! + i + 4, $0.baseAddress! + Int(entry.literalStart) + 4, n - 4) == 0
                        })
                else { continue }
                if passesLike(entry.like, b, value) { scratch.candidates.append(e) }
            }
        }
    }

    /// Candidates from the literal-prefix entries of one path: each prefix length in use is looked up.
    func prefixCandidates(_ pathID: Int32, _ b: UnsafeBufferPointer<UInt8>, _ value: String, _ scratch: MatchScratch)
    {
        let raw = UnsafeRawBufferPointer(b)
        let code = IndicatorIndex.code(.prefix, pathID)
        for k in 0..<prefixLengths[Int(pathID)].count {
            let n = prefixLengths[Int(pathID)][k]
            guard n <= b.count else { continue }
            let key = UnsafeRawBufferPointer(rebasing: raw[0..<n])
            var probe = exact.probe(path: code, key: key)
            while let (e, _) = exact.next(&probe, key) {
                if passesLike(filteredEntries[Int(e)].like, b, value) { scratch.candidates.append(e) }
            }
        }
    }

    /// CIDR and domain-suffix lookups on an address or domain `value`.
    func matchValue(_ object: JSONObject, _ type: String, _ scratch: MatchScratch, _ body: (Int32) -> Void) {
        if type == "ipv4-addr" {
            guard !cidr4Lengths.isEmpty, case .string(let s)? = IndicatorIndex.member(object, "value") else { return }
            // Read in place (no `String` copy), as `IPNetwork(_:)` reads it; an IPv6 value is not an IPv4 one.
            guard let net = IndicatorIndex.withBytes(s, { IPNetwork.parse($0) }), !net.isIPv6 else { return }
            let address = UInt32(truncatingIfNeeded: net.address)
            let prefix = net.prefix
            for length in cidr4Lengths where length <= prefix {
                let key = scratch.key(length == 0 ? 0 : address & ~(UInt32.max >> UInt32(length)))
                var probe = exact.probe(path: IndicatorIndex.code(.cidr4, Int32(length)), key: key)
                while let (o, _) = exact.next(&probe, key) { body(o) }
            }
        } else if type == "ipv6-addr" {
            guard !cidr6Lengths.isEmpty, case .string(let s)? = IndicatorIndex.member(object, "value"),
                let net = IPNetwork(s), net.isIPv6
            else { return }
            for length in cidr6Lengths where length <= net.prefix {
                let key = scratch.key(net.address & IndicatorIndex.mask(length, bits: 128))
                var probe = exact.probe(path: IndicatorIndex.code(.cidr6, Int32(length)), key: key)
                while let (o, _) = exact.next(&probe, key) { body(o) }
            }
        } else if type == "domain-name", hasSuffixes, case .string(let name)? = IndicatorIndex.member(object, "value") {
            if let b = IndicatorIndex.copy(name, into: scratch.value) {
                matchSuffixes(b, body)
            } else {
                matchLongSuffixes(name, body)
            }
        }
    }

    /// Domain-suffix look-ups: each suffix of the name after a dot.
    @inline(__always)
    func matchSuffixes(_ b: UnsafeBufferPointer<UInt8>, _ body: (Int32) -> Void) {
        let raw = UnsafeRawBufferPointer(b)
        for i in 0..<b.count where b[i] == UInt8(ascii: ".") {
            let key = UnsafeRawBufferPointer(rebasing: raw[(i + 1)...])
            var probe = exact.probe(path: IndicatorIndex.code(.suffix, 0), key: key)
            while let (o, _) = exact.next(&probe, key) { body(o) }
        }
    }

    /// ``matchSuffixes(_:_:)`` of a name too long for the scratch room, read in place.
    @inline(never)
    func matchLongSuffixes(_ name: String, _ body: (Int32) -> Void) {
        IndicatorIndex.withBytes(name) { matchSuffixes($0, body) }
    }

    /// The index of the first member named `key`, if there is one.
    @inline(__always)
    static func memberIndex(_ o: JSONObject, _ key: String) -> Int? {
        for i in 0..<o.members.count where o.members[i].key == key { return i }
        return nil
    }

    static func member(_ o: JSONObject, _ key: String) -> JSONValue? {
        let members = o.members
        for i in 0..<members.count where members[i].key == key { return members[i].value }
        return nil
    }

    /// The value at `keys` in `o` (the first member of each name), if there is one.
    @inline(__always)
    static func select(_ o: JSONObject, _ keys: [String]) -> JSONValue? {
        if keys.count == 1 { return member(o, keys[0]) }
        return selectDeep(o, keys)
    }

    static func selectDeep(_ o: JSONObject, _ keys: [String]) -> JSONValue? {
        guard var current = member(o, keys[0]) else { return nil }
        for k in keys.dropFirst() {
            guard case .object(let obj) = current, let v = member(obj, k) else { return nil }
            current = v
        }
        return current
    }
}
