import CPCRE2
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value selected by an object path: JSON as read, or bytes decoded from a `_hex`/`_bin` property.
enum PathValue {
    case json(JSONValue)
    case binary([UInt8])
}

/// Per-call scratch state: PCRE2 match data (made on first use) and the error raised inside a predicate.
final class EvaluationContext {
    private var data: OpaquePointer?
    var error: MatchError?

    var matchData: OpaquePointer {
        if let data { return data }
        let d = CompiledRegex.makeMatchData()
        data = d
        return d
    }

    init() {}
    deinit { if let data { pcre2_match_data_free_8(data) } }
}

extension PatternMatcher {
    /// True when the observations satisfy the pattern.
    ///
    /// - Throws: ``MatchError`` when a timestamp in the data cannot be read for a comparison with a
    ///   timestamp literal, or the search exceeds ``stepBudget``.
    public func matches(_ observations: ObservationSet) throws(MatchError) -> Bool {
        let context = EvaluationContext()
        if program.isSingleObservation {
            // One observation suffices: the pattern matches when some bracket matches some observed-data.
            for leaf in leaves {
                for obs in observations.observations {
                    if !leaf.windows.isEmpty
                        && !leaf.windows.allSatisfy({
                            obs.first < $0.stop && obs.last >= $0.start && $0.start < $0.stop
                        })
                    {
                        continue
                    }
                    for r in 0..<obs.types.count where leaf.names(obs.types[r]) {
                        let hit = evaluate(leaf.comparison, object: r, in: obs, context)
                        if let e = context.error { throw e }
                        if hit { return true }
                    }
                }
            }
            return false
        }
        // 1. Which observed-data each bracketed expression can bind to.
        var candidates: [[Int32]] = []
        candidates.reserveCapacity(leaves.count)
        let all = observations.observations
        for leaf in leaves {
            var list: [Int32] = []
            for i in 0..<all.count {
                let obs = all[i]
                if !leaf.windows.isEmpty
                    && !leaf.windows.allSatisfy({ obs.first < $0.stop && obs.last >= $0.start && $0.start < $0.stop })
                {
                    continue
                }
                var hit = false
                for r in 0..<obs.types.count where leaf.names(obs.types[r]) {
                    if evaluate(leaf.comparison, object: r, in: obs, context) {
                        hit = true
                        break
                    }
                }
                if let e = context.error { throw e }
                if hit { list.append(Int32(i)) }
            }
            candidates.append(list)
        }
        // 2. A cheap necessary condition before searching for a binding.
        let capacity = observations.observations.reduce(0) { $0 + $1.count }
        guard feasible(root, candidates, capacity) else { return false }
        // 3. Depth-first search for one binding.
        let search = BindingSearch(
            candidates: candidates, capacity: observations.observations.map { Int32($0.count) },
            first: observations.observations.map(\.first), last: observations.observations.map(\.last))
        var state = BindingSearch.State(used: [Int32](repeating: 0, count: observations.count))
        let found = search.run(root, &state) { _, _ in true }
        if state.exhausted {
            throw .tooComplex("matching needed more than \(PatternMatcher.stepBudget) search steps")
        }
        return found
    }

    func feasible(_ n: Node, _ candidates: [[Int32]], _ capacity: Int) -> Bool {
        switch n {
        case .leaf(let i): return !candidates[i].isEmpty
        case .and(let xs), .followedBy(let xs): return xs.allSatisfy { feasible($0, candidates, capacity) }
        case .or(let xs): return xs.contains { feasible($0, candidates, capacity) }
        case .within(let x, _): return feasible(x, candidates, capacity)
        case .repeats(let x, let k): return k <= capacity && feasible(x, candidates, capacity)
        }
    }

    // MARK: - Comparison expressions on one root object

    func evaluate(_ c: Comparison, object r: Int, in obs: ObservationSet.Observation, _ ctx: EvaluationContext) -> Bool
    {
        evaluate(c, root: obs.objects[r], type: obs.types[r], in: obs, ctx)
    }

    /// Evaluates a comparison on one root object of type `type`; `_ref`s resolve among the SCOs of `obs`
    /// (to nothing without one).
    func evaluate(
        _ c: Comparison, root: JSONObject, type: String, in obs: ObservationSet.Observation?, _ ctx: EvaluationContext
    ) -> Bool {
        switch c {
        case .and(let xs):
            for x in xs where !evaluate(x, root: root, type: type, in: obs, ctx) { return false }
            return true
        case .or(let xs):
            for x in xs where evaluate(x, root: root, type: type, in: obs, ctx) { return true }
            return false
        case .test(let t):
            guard !t.neverMatches, type == t.type else { return false }
            if t.op == .exists {
                let found = select(t.steps, root, obs) { _ in true }
                return t.negated ? !found : found
            }
            return select(t.steps, root, obs) { v in predicate(t, v, ctx) }
        }
    }

    /// The value of member `key`, found by a scan (objects are small).
    @inline(__always)
    static func member(_ o: JSONObject, _ key: String) -> JSONValue? {
        let members = o.members
        for i in 0..<members.count where members[i].key == key { return members[i].value }
        return nil
    }

    /// Walks the path from a root object. The first step is always a key; a plain key to a plain value
    /// (the common `type:property`) is looked up without wrapping the object.
    func select(
        _ steps: [PathStep], _ root: JSONObject, _ obs: ObservationSet.Observation?, _ body: (PathValue) -> Bool
    ) -> Bool {
        if case .key(let k) = steps[0], PatternMatcher.keyKind(k) == .plain {
            guard let v = PatternMatcher.member(root, k) else { return false }
            return select(steps, 1, .json(v), obs, body)
        }
        return select(steps, 0, .json(.object(root)), obs, body)
    }

    /// Walks the path from `value`; true when `body` is true for some selected value.
    func select(
        _ steps: [PathStep], _ i: Int, _ value: PathValue, _ obs: ObservationSet.Observation?,
        _ body: (PathValue) -> Bool
    ) -> Bool {
        if i == steps.count { return body(value) }
        guard case .json(let json) = value else { return false }
        switch steps[i] {
        case .key(let k):
            guard case .object(let o) = json, let v = PatternMatcher.member(o, k) else { return false }
            switch PatternMatcher.keyKind(k) {
            case .plain:
                return select(steps, i + 1, .json(v), obs, body)
            case .ref:
                guard case .string(let id) = v, let obs, let j = obs.resolve(id) else { return false }
                return select(steps, i + 1, .json(.object(obs.objects[j])), obs, body)
            case .refs:
                guard case .array(let refs) = v else { return false }
                var resolved: [JSONValue] = []
                for r in refs {
                    if case .string(let id) = r, let obs, let j = obs.resolve(id) {
                        resolved.append(.object(obs.objects[j]))
                    }
                }
                return select(steps, i + 1, .json(.array(resolved)), obs, body)
            case .hex:
                guard case .string(let s) = v else { return select(steps, i + 1, .json(v), obs, body) }
                guard let bytes = PatternParser.decodeHex(s.utf8) else { return false }
                return select(steps, i + 1, .binary(bytes), obs, body)
            case .bin:
                guard case .string(let s) = v else { return select(steps, i + 1, .json(v), obs, body) }
                guard let bytes = PatternParser.decodeBase64(s.utf8) else { return false }
                return select(steps, i + 1, .binary(bytes), obs, body)
            }
        case .index(let n):
            guard case .array(let a) = json, n >= 0, n < a.count else { return false }
            return select(steps, i + 1, .json(a[n]), obs, body)
        case .anyIndex:
            guard case .array(let a) = json else { return false }
            for e in a where select(steps, i + 1, .json(e), obs, body) { return true }
            return false
        }
    }

    // MARK: - Predicates

    func predicate(_ t: Test, _ v: PathValue, _ ctx: EvaluationContext) -> Bool {
        switch t.op {
        case .equal, .notEqual:
            var r = equal(v, t.literal!, ctx)
            if t.op == .notEqual { r.toggle() }
            return t.negated ? !r : r
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let r: Bool
            switch compare(v, t.literal!, ctx) {
            case .incomparable: return false
            case .unconvertible: r = false
            case .ordered(let c): r = t.op.holds(order: c)
            }
            return t.negated ? !r : r
        case .in:
            let r = t.set.contains { equal(v, $0, ctx) }
            return t.negated ? !r : r
        case .like:
            var r = false
            switch v {
            case .json(.string(let s)): r = t.like!.matches(s)
            case .binary(let b):
                if let s = String(validating: b, as: UTF8.self) { r = t.like!.matches(s) }
            default: break
            }
            return t.negated ? !r : r
        case .matches:
            var r = false
            switch v {
            case .json(.string(let s)):
                var s = s
                r = s.withUTF8 { t.regex!.firstMatch(in: $0, matchData: ctx.matchData) }
            case .binary(let b):
                if let source = t.binaryRegex,
                    let latin1 = PatternMatcher.latin1Bytes(String(decoding: source, as: UTF8.self)),
                    let re = try? CompiledRegex(pattern: latin1, utf: false, jit: false)
                {
                    r = b.withUnsafeBufferPointer { re.firstMatch(in: $0, matchData: ctx.matchData) }
                }
            default: break
            }
            return t.negated ? !r : r
        case .isSubset, .isSuperset:
            var r = false
            if case .json(.string(let s)) = v, let net = IPNetwork(s) {
                r = t.op == .isSubset ? net.isSubset(of: t.network!) : t.network!.isSubset(of: net)
            }
            return t.negated ? !r : r
        case .exists:
            return true
        }
    }

    func timestamp(_ s: String, _ ctx: EvaluationContext) -> Timestamp? {
        if let t = Timestamp.parse(s) { return t }
        if ctx.error == nil { ctx.error = .invalidObservedData("'\(s)' is not a timestamp") }
        return nil
    }

    func equal(_ v: PathValue, _ lit: Literal, _ ctx: EvaluationContext) -> Bool {
        switch (lit.value, v) {
        case (.integer(let i), .json(.int(let j))): return i == j
        case (.integer(let i), .json(.double(let d))): return Double(i) == d
        case (.float(let f), .json(.int(let j))): return Double(j) == f
        case (.float(let f), .json(.double(let d))): return d == f
        case (.string(let l), .json(.string(let j))): return PatternMatcher.sameBytes(j, l)
        case (.string, .binary(let b)): return lit.latin1 == b
        case (.bool(let a), .json(.bool(let b))): return a == b
        case (.binary(let a), .binary(let b)): return a == b
        case (.binary(let a), .json(.string(let s))): return PatternMatcher.latin1Bytes(s) == a
        case (.timestamp(let t), .json(.string(let s))):
            guard let u = timestamp(s, ctx) else { return false }
            return t == u
        default: return false
        }
    }

    /// Byte equality of two strings' UTF-8 (code points, no Unicode normalization).
    static func sameBytes(_ s: String, _ t: String) -> Bool {
        guard s.utf8.count == t.utf8.count else { return false }
        var s = s
        var t = t
        return s.withUTF8 { a in
            t.withUTF8 { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }

    enum Order {
        /// Types that have no order between them: the test is false even under NOT.
        case incomparable
        /// A string with characters above U+00FF against binary: false, then NOT applies.
        case unconvertible
        case ordered(Int)
    }

    static func order<T: Comparable>(_ a: T, _ b: T) -> Order { .ordered(a < b ? -1 : a == b ? 0 : 1) }

    static func orderBytes(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) -> Order {
        var ia = a.makeIterator()
        var ib = b.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return .ordered(0)
            case (nil, _): return .ordered(-1)
            case (_, nil): return .ordered(1)
            case (let x?, let y?): if x != y { return .ordered(x < y ? -1 : 1) }
            }
        }
    }

    /// Orders the selected value against the literal (value first).
    func compare(_ v: PathValue, _ lit: Literal, _ ctx: EvaluationContext) -> Order {
        switch (lit.value, v) {
        case (.integer(let i), .json(.int(let j))): return PatternMatcher.order(j, i)
        case (.integer(let i), .json(.double(let d))): return PatternMatcher.order(d, Double(i))
        case (.float(let f), .json(.int(let j))): return PatternMatcher.order(Double(j), f)
        case (.float(let f), .json(.double(let d))): return PatternMatcher.order(d, f)
        case (.string(let l), .json(.string(let j))): return PatternMatcher.orderBytes(j.utf8, l.utf8)
        case (.string, .binary(let b)):
            guard let l = lit.latin1 else { return .unconvertible }
            return PatternMatcher.orderBytes(b, l)
        case (.binary(let a), .binary(let b)): return PatternMatcher.orderBytes(b, a)
        case (.binary(let a), .json(.string(let s))):
            guard let l = PatternMatcher.latin1Bytes(s) else { return .unconvertible }
            return PatternMatcher.orderBytes(l, a)
        case (.timestamp(let t), .json(.string(let s))):
            guard let u = timestamp(s, ctx) else { return .incomparable }
            return PatternMatcher.order(u, t)
        default: return .incomparable
        }
    }
}

/// Depth-first search for one binding of observations to the bracketed expressions of a pattern.
///
/// A binding gives each bracketed expression (each repetition counted) its own observation; an
/// observed-data with `number_observed = N` can be used N times. Continuations receive the summary
/// of the sub-binding (latest `first_observed`, earliest `last_observed`), which is all that
/// `WITHIN` and `FOLLOWEDBY` need.
struct BindingSearch {
    let candidates: [[Int32]]
    let capacity: [Int32]
    let first: [Timestamp]
    let last: [Timestamp]

    struct Summary {
        var maxFirst: Timestamp
        var minLast: Timestamp

        func merged(_ o: Summary?) -> Summary {
            guard let o else { return self }
            return Summary(maxFirst: max(maxFirst, o.maxFirst), minLast: min(minLast, o.minLast))
        }
    }

    struct State {
        var used: [Int32]
        var steps = 0
        var exhausted = false
    }

    typealias Continuation = (inout State, Summary) -> Bool

    func run(_ node: PatternMatcher.Node, _ s: inout State, _ k: Continuation) -> Bool {
        switch node {
        case .leaf(let li):
            for o32 in candidates[li] {
                let o = Int(o32)
                if s.used[o] >= capacity[o] { continue }
                s.steps += 1
                if s.steps > PatternMatcher.stepBudget {
                    s.exhausted = true
                    return true
                }
                s.used[o] += 1
                if k(&s, Summary(maxFirst: first[o], minLast: last[o])) { return true }
                s.used[o] -= 1
            }
            return false
        case .or(let xs):
            for x in xs where run(x, &s, k) { return true }
            return false
        case .and(let xs):
            return runAll(xs, 0, nil, ordered: false, &s, k)
        case .followedBy(let xs):
            return runAll(xs, 0, nil, ordered: true, &s, k)
        case .within(let x, let d):
            return run(x, &s) { s2, sum in
                sum.maxFirst <= sum.minLast.adding(d) ? k(&s2, sum) : false
            }
        case .repeats(let x, let n):
            if case .leaf(let li) = x { return repeatLeaf(li, 0, n, nil, &s, k) }
            return runRepeat(x, n, nil, &s, k)
        }
    }

    /// Binds `xs[i...]` in turn; with `ordered`, each operand must be able to follow the ones before it.
    func runAll(
        _ xs: [PatternMatcher.Node], _ i: Int, _ acc: Summary?, ordered: Bool, _ s: inout State, _ k: Continuation
    ) -> Bool {
        if i == xs.count { return k(&s, acc!) }
        return run(xs[i], &s) { s2, sum in
            if ordered, let acc, acc.maxFirst > sum.minLast { return false }
            return runAll(xs, i + 1, sum.merged(acc), ordered: ordered, &s2, k)
        }
    }

    func runRepeat(_ x: PatternMatcher.Node, _ n: Int, _ acc: Summary?, _ s: inout State, _ k: Continuation) -> Bool {
        if n == 0 { return k(&s, acc!) }
        return run(x, &s) { s2, sum in runRepeat(x, n - 1, sum.merged(acc), &s2, k) }
    }

    /// `[…] REPEATS n TIMES`: chooses how many of the n uses go to each candidate, in candidate order,
    /// so recursion depth is the number of candidates, not n.
    func repeatLeaf(_ li: Int, _ ci: Int, _ remaining: Int, _ acc: Summary?, _ s: inout State, _ k: Continuation)
        -> Bool
    {
        if remaining == 0 { return k(&s, acc!) }
        let list = candidates[li]
        guard ci < list.count else { return false }
        let o = Int(list[ci])
        let free = Int(capacity[o] - s.used[o])
        var take = min(free, remaining)
        while take >= 0 {
            s.steps += 1
            if s.steps > PatternMatcher.stepBudget {
                s.exhausted = true
                return true
            }
            if take > 0 {
                s.used[o] += Int32(take)
                let sum = Summary(maxFirst: first[o], minLast: last[o]).merged(acc)
                if repeatLeaf(li, ci + 1, remaining - take, sum, &s, k) { return true }
                s.used[o] -= Int32(take)
            } else if repeatLeaf(li, ci + 1, remaining, acc, &s, k) {
                return true
            }
            take -= 1
        }
        return false
    }
}

/// Scratch state for matching many single objects in a row (one per thread).
public final class SingleMatchContext {
    let context = EvaluationContext()
    public init() {}
}

/// One SCO observed once, prepared for ``PatternMatcher/matches(_:in:)``.
public final class SingleObservation {
    let observation: ObservationSet.Observation
    let type: String
    let time: Timestamp

    public init(_ object: JSONObject, type: String, at time: Timestamp = Timestamp(seconds: 0)) {
        observation = ObservationSet.Observation(
            first: time, last: time, count: 1, objects: [object], ids: [], types: [type])
        self.type = type
        self.time = time
    }
}

extension PatternMatcher {
    /// True when the pattern can be satisfied by a single observation (no AND/FOLLOWEDBY between
    /// brackets, no REPEATS above 1), so ``matches(_:in:)`` decides it.
    public var isSingleObservation: Bool { program.isSingleObservation }

    static func singleShape(_ n: Node) -> Bool {
        switch n {
        case .leaf: return true
        case .or(let xs): return xs.allSatisfy(singleShape)
        case .within(let x, _): return singleShape(x)
        case .repeats(let x, let k): return k == 1 && singleShape(x)
        case .and, .followedBy: return false
        }
    }

    /// Matches one SCO observed once at `time`, without building observed data: true when some
    /// bracket's comparison holds for the object (and its START/STOP windows contain `time`).
    /// Only for patterns with ``isSingleObservation``; `_ref` properties resolve to nothing.
    public func matches(_ single: SingleObservation, in ctx: SingleMatchContext) -> Bool {
        matches(single.observation.objects[0], type: single.type, at: single.time, in: ctx)
    }

    /// Matches one SCO of type `type` observed once at `time`, as ``matches(_:in:)`` does, without
    /// allocating: for matching a stream of objects with one context per thread.
    public func matches(
        _ object: JSONObject, type: String, at time: Timestamp = Timestamp(seconds: 0), in ctx: SingleMatchContext
    ) -> Bool {
        for leaf in leaves where leaf.names(type) {
            if !leaf.windows.isEmpty && !leaf.windows.allSatisfy({ time < $0.stop && time >= $0.start }) { continue }
            let hit = evaluate(leaf.comparison, root: object, type: type, in: nil, ctx.context)
            if ctx.context.error != nil {
                ctx.context.error = nil
                continue
            }
            if hit { return true }
        }
        return false
    }

    /// Literal text every value matching `test` must contain (at least `minimum` bytes), found in a
    /// `LIKE` operand between wildcards or in a run of plain characters of a `MATCHES` regex; `nil`
    /// when there is none to rely on.
    public static func requiredLiteral(of t: PropertyTest, minimum: Int = 4) -> String? {
        guard !t.negated, case .string(let s)? = t.value else { return nil }
        var best = ""
        switch t.op {
        case .equal:
            best = s
        case .like:
            var run = ""
            for c in s {
                if c == "%" || c == "_" {
                    if run.utf8.count > best.utf8.count { best = run }
                    run = ""
                } else {
                    run.append(c)
                }
            }
            if run.utf8.count > best.utf8.count { best = run }
        case .matches:
            best = requiredRegexLiteral(s) ?? ""
        default:
            return nil
        }
        return best.utf8.count >= minimum ? best : nil
    }

    /// The longest run of characters every match of a simple regex must contain: no alternation at the
    /// top level, no inline flags; a quantified character, groups, classes, `.` and class escapes end a run.
    public static func requiredRegexLiteral(_ re: String) -> String? {
        let chars = Array(re)
        var best = ""
        var run = ""
        var depth = 0
        var i = 0
        func flush() {
            if run.count >= best.count && !run.isEmpty { best = run }
            run = ""
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "|":
                if depth == 0 { return nil }
                i += 1
            case "(":
                if i + 1 < chars.count, chars[i + 1] == "?" {
                    // Inline flags like (?i) change what a literal means.
                    if i + 2 < chars.count, chars[i + 2] != ":" { return nil }
                }
                depth += 1
                flush()
                i += 1
            case ")":
                depth -= 1
                flush()
                i += 1
            case "[":
                flush()
                i += 1
                if i < chars.count, chars[i] == "]" { i += 1 }
                while i < chars.count, chars[i] != "]" {
                    if chars[i] == "\\" { i += 1 }
                    i += 1
                }
                i += 1
            case "*", "?", "{":
                if depth == 0, !run.isEmpty { run.removeLast() }
                flush()
                if c == "{" { while i < chars.count, chars[i] != "}" { i += 1 } }
                i += 1
            case "+":
                flush()
                i += 1
            case ".", "^", "$":
                flush()
                i += 1
            case "\\":
                guard i + 1 < chars.count else { return nil }
                let e = chars[i + 1]
                if e.isLetter || e.isNumber {
                    flush()
                } else if depth == 0 {
                    run.append(e)
                }
                i += 2
            default:
                if depth == 0 { run.append(c) }
                i += 1
            }
            // A character followed by a quantifier is optional or repeated: handled above.
        }
        flush()
        return best.isEmpty ? nil : best
    }
}
