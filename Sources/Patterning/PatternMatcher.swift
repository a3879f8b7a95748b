import CPCRE2
import JSON

/// Why matching could not give an answer.
public enum MatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The observed data holds a value the pattern cannot be compared with (a malformed timestamp).
    case invalidObservedData(String)
    /// The search for a binding needed more steps than ``PatternMatcher/stepBudget``.
    case tooComplex(String)

    public var description: String {
        switch self {
        case .invalidObservedData(let s): return "invalid observed data: \(s)"
        case .tooComplex(let s): return s
        }
    }
}

/// A pattern compiled for matching: regexes compiled (PCRE2 JIT), LIKE operands, CIDRs and literal
/// conversions done once.
///
/// Semantics follow STIX 2.1 Patterning §9 and the OASIS reference matcher where it agrees with the
/// specification; see docs/PATTERNING.md for the binding model and every deviation.
public struct PatternMatcher: Sendable {
    /// The widest binding (observations bound at once) a pattern may need; wider patterns are refused.
    public static let maxBindingWidth = 1000
    /// Search steps allowed per ``matches(_:)`` call before it gives up with ``MatchError/tooComplex(_:)``.
    public static let stepBudget = 20_000_000

    /// The compiled program, shared by copies of the matcher (copying a matcher is one retain).
    final class Program: Sendable {
        let root: Node
        let leaves: [Leaf]
        let pattern: Pattern
        /// No AND/FOLLOWEDBY between brackets and no REPEATS above 1: one observation decides.
        let isSingleObservation: Bool
        init(root: Node, leaves: [Leaf], pattern: Pattern) {
            self.root = root
            self.leaves = leaves
            self.pattern = pattern
            isSingleObservation = PatternMatcher.width(root) <= 1 && PatternMatcher.singleShape(root)
        }
    }

    let program: Program
    var root: Node { program.root }
    var leaves: [Leaf] { program.leaves }
    /// The pattern this matcher was compiled from.
    public var pattern: Pattern { program.pattern }

    /// Only the cases that hold a node directly are boxed; arrays already give the others indirection.
    enum Node: Sendable {
        case leaf(Int)
        case and([Node])
        case or([Node])
        case followedBy([Node])
        indirect case within(Node, PatternDuration)
        indirect case repeats(Node, Int)
    }

    struct Window: Sendable {
        var start: Timestamp
        var stop: Timestamp
    }

    /// One bracketed expression (a class: the hot loops share it instead of copying its arrays).
    final class Leaf: Sendable {
        let comparison: Comparison
        /// START/STOP windows of the enclosing qualifiers; every bound observation must overlap all of them.
        let windows: [Window]
        /// The object types its tests name; other objects cannot satisfy it. Most brackets name one, kept
        /// apart so that it needs no array (one allocation less per bracket).
        let firstType: String
        let otherTypes: [String]

        init(comparison: Comparison, windows: [Window], firstType: String, otherTypes: [String]) {
            self.comparison = comparison
            self.windows = windows
            self.firstType = firstType
            self.otherTypes = otherTypes
        }

        /// True when the bracket names object type `type`.
        @inline(__always)
        func names(_ type: String) -> Bool { type == firstType || (!otherTypes.isEmpty && otherTypes.contains(type)) }
    }

    enum KeyKind: Sendable {
        case plain, ref, refs, hex, bin
    }

    enum Comparison: Sendable {
        case and([Comparison])
        case or([Comparison])
        case test(Test)
    }

    /// One compiled property test (a class: evaluation passes it around without copying its fields).
    final class Test: Sendable {
        let type: String
        let neverMatches: Bool
        /// The parsed path, shared with the pattern tree (a key's kind comes from its suffix, ``keyKind(_:)``).
        let steps: [PathStep]
        let op: ComparisonOperator
        let negated: Bool
        let literal: Literal?
        let set: [Literal]
        let like: LikePattern?
        let regex: CompiledRegex?
        /// The regex as Latin-1 bytes, for binary values (compiled when such a value turns up).
        let binaryRegex: [UInt8]?
        let network: IPNetwork?

        init(
            type: String, neverMatches: Bool, steps: [PathStep], op: ComparisonOperator, negated: Bool, literal: Literal?,
            set: [Literal], like: LikePattern?, regex: CompiledRegex?, binaryRegex: [UInt8]?, network: IPNetwork?
        ) {
            self.type = type
            self.neverMatches = neverMatches
            self.steps = steps
            self.op = op
            self.negated = negated
            self.literal = literal
            self.set = set
            self.like = like
            self.regex = regex
            self.binaryRegex = binaryRegex
            self.network = network
        }
    }

    struct Literal: Sendable {
        var value: PatternLiteral

        /// For strings: the Latin-1 bytes when every scalar is below U+0100 (for comparison with binary values).
        var latin1: [UInt8]? {
            guard case .string(let s) = value else { return nil }
            return PatternMatcher.latin1Bytes(s)
        }
    }

    /// Compiles a parsed pattern.
    ///
    /// - Parameters:
    ///   - pattern: the parsed pattern.
    ///   - jit: JIT-compile `MATCHES` regexes. Worth it for a matcher used many times; a one-shot
    ///     match (one `eval` case) is faster with the PCRE2 interpreter.
    /// - Throws: ``PatternError`` for an invalid regex or CIDR operand, or a binding wider than ``maxBindingWidth``.
    public init(_ pattern: Pattern, jit: Bool = true) throws(PatternError) {
        var leaves: [Leaf] = []
        let root = try PatternMatcher.compile(pattern.root, windows: [], leaves: &leaves, jit: jit)
        program = Program(root: root, leaves: leaves, pattern: pattern)
        let width = PatternMatcher.width(root)
        if width > PatternMatcher.maxBindingWidth {
            throw PatternError(
                .tooComplex(
                    "pattern binds \(width) observations at once, more than the limit of \(PatternMatcher.maxBindingWidth)"
                ),
                at: 0)
        }
    }

    /// Parses and compiles pattern text.
    public init(_ text: String, jit: Bool = true) throws(PatternError) {
        try self.init(try Pattern.parse(text), jit: jit)
    }

    static func width(_ n: Node) -> Int {
        switch n {
        case .leaf: return 1
        case .and(let xs), .followedBy(let xs): return xs.reduce(0) { min($0 + width($1), Int.max / 2) }
        case .or(let xs): return xs.map(width).max() ?? 0
        case .within(let x, _): return width(x)
        case .repeats(let x, let k):
            if case .leaf = x { return 1 }
            let (m, o) = width(x).multipliedReportingOverflow(by: k)
            return o ? Int.max / 2 : m
        }
    }

    static func compile(
        _ e: ObservationExpression, windows: [Window], leaves: inout [Leaf], jit: Bool
    ) throws(PatternError) -> Node {
        switch e {
        case .observation(let c):
            var first: String?
            var others: [String] = []
            collectTypes(c, &first, &others)
            leaves.append(
                Leaf(comparison: try compile(c, jit: jit), windows: windows, firstType: first ?? "", otherTypes: others))
            return .leaf(leaves.count - 1)
        case .and(let xs):
            var out: [Node] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try compile(x, windows: windows, leaves: &leaves, jit: jit)) }
            return .and(out)
        case .or(let xs):
            var out: [Node] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try compile(x, windows: windows, leaves: &leaves, jit: jit)) }
            return .or(out)
        case .followedBy(let xs):
            var out: [Node] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try compile(x, windows: windows, leaves: &leaves, jit: jit)) }
            return .followedBy(out)
        case .within(let x, let d):
            return .within(try compile(x, windows: windows, leaves: &leaves, jit: jit), d)
        case .repeats(let x, let n):
            return .repeats(try compile(x, windows: windows, leaves: &leaves, jit: jit), n)
        case .startStop(let x, let start, let stop):
            return try compile(x, windows: windows + [Window(start: start, stop: stop)], leaves: &leaves, jit: jit)
        }
    }

    static func collectTypes(_ c: ComparisonExpression, _ first: inout String?, _ others: inout [String]) {
        switch c {
        case .and(let xs), .or(let xs): for x in xs { collectTypes(x, &first, &others) }
        case .test(let t):
            let type = t.path.objectType
            if first == nil {
                first = type
            } else if first != type && !others.contains(type) {
                others.append(type)
            }
        }
    }

    static func compile(_ c: ComparisonExpression, jit: Bool) throws(PatternError) -> Comparison {
        switch c {
        case .and(let xs):
            var out: [Comparison] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try compile(x, jit: jit)) }
            return .and(out)
        case .or(let xs):
            var out: [Comparison] = []
            out.reserveCapacity(xs.count)
            for x in xs { out.append(try compile(x, jit: jit)) }
            return .or(out)
        case .test(let t):
            return .test(try compile(t, jit: jit))
        }
    }

    static func literal(_ v: PatternLiteral) -> Literal {
        return Literal(value: v)
    }

    static func latin1Bytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            guard u.value < 256 else { return nil }
            out.append(UInt8(u.value))
        }
        return out
    }

    /// What a key does when stepped into, from its suffix: `_ref`, `_refs`, `_hex`, `_bin` or none.
    static func keyKind(_ k: String) -> KeyKind {
        var k = k
        return k.withUTF8 { u in
            guard u.count >= 4 else { return .plain }
            let n = u.count
            if u[n - 4] == UInt8(ascii: "_") {
                let a = u[n - 3], b = u[n - 2], c = u[n - 1]
                if a == UInt8(ascii: "r") && b == UInt8(ascii: "e") && c == UInt8(ascii: "f") { return .ref }
                if a == UInt8(ascii: "h") && b == UInt8(ascii: "e") && c == UInt8(ascii: "x") { return .hex }
                if a == UInt8(ascii: "b") && b == UInt8(ascii: "i") && c == UInt8(ascii: "n") { return .bin }
            } else if n >= 5 && u[n - 5] == UInt8(ascii: "_") && u[n - 4] == UInt8(ascii: "r") && u[n - 3] == UInt8(ascii: "e")
                && u[n - 2] == UInt8(ascii: "f") && u[n - 1] == UInt8(ascii: "s")
            {
                return .refs
            }
            return .plain
        }
    }

    /// The regex of a `MATCHES` test; its error names the test's offset.
    static func compileRegex(_ s: String, jit: Bool, at offset: Int) throws(PatternError) -> CompiledRegex {
        do {
            return try CompiledRegex(pattern: Array(s.utf8), utf: true, jit: jit)
        } catch {
            throw PatternError(error.kind, at: offset)
        }
    }

    /// The operand of an `ISSUBSET` / `ISSUPERSET` test.
    static func compileNetwork(_ s: String, _ op: ComparisonOperator, at offset: Int) throws(PatternError) -> IPNetwork {
        guard let net = IPNetwork(s) else { throw networkError(op, at: offset) }
        return net
    }

    static func networkError(_ op: ComparisonOperator, at offset: Int) -> PatternError {
        PatternError(.semantic("\(op.rawValue) needs an IPv4 or IPv6 address or CIDR block"), at: offset)
    }

    /// Checks the operand of a test whose compilation can fail, exactly as compiling it would, without
    /// compiling the rest of the pattern.
    static func checkOperand(_ op: ComparisonOperator, _ operand: String?, at offset: Int) throws(PatternError) {
        switch op {
        case .matches:
            if let operand { _ = try compileRegex(operand, jit: false, at: offset) }
        case .isSubset, .isSuperset:
            guard let operand else { throw networkError(op, at: offset) }
            _ = try compileNetwork(operand, op, at: offset)
        default: break
        }
    }

    static func compile(_ t: PropertyTest, jit: Bool) throws(PatternError) -> Test {
        var like: LikePattern?
        var regex: CompiledRegex?
        var binaryRegex: [UInt8]?
        var network: IPNetwork?
        switch t.op {
        case .like:
            if case .string(let s)? = t.value { like = LikePattern(s) }
        case .matches:
            if case .string(let s)? = t.value {
                regex = try compileRegex(s, jit: jit, at: t.offset)
                binaryRegex = Array(s.utf8)
            }
        case .isSubset, .isSuperset:
            guard case .string(let s)? = t.value else { throw networkError(t.op, at: t.offset) }
            network = try compileNetwork(s, t.op, at: t.offset)
        default: break
        }
        let steps = t.path.steps
        let type = t.path.objectType
        return Test(
            type: type, neverMatches: PatternValidator.sdoTypes.contains(type), steps: steps, op: t.op,
            negated: t.negated, literal: t.value.map(literal), set: t.set.map(literal), like: like, regex: regex,
            binaryRegex: binaryRegex, network: network)
    }
}
