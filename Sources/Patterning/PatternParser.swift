/// A recursive-descent parser for the STIX 2.1 patterning grammar.
///
/// Precedence, loosest first: `FOLLOWEDBY`, `OR`, `AND` between observation expressions; qualifiers bind
/// tightest, to the bracket or parenthesis just before them. Inside brackets `OR` is looser than `AND`.
/// Recursion is bounded by ``maxDepth``: deeper parentheses, brackets or stacked qualifiers are rejected
/// with ``PatternError/Kind/tooDeep(limit:)`` instead of exhausting the stack.
public struct PatternParser {
    /// The deepest nesting of parentheses, brackets and qualifiers accepted.
    public static let maxDepth = 100

    var lexer: PatternLexer
    var token: PatternToken
    var pendingError: PatternError?
    var depth = 0
    let text: String
    /// When set, every property test is also noted in ``tests`` as it is parsed (for `pattern eval`,
    /// which needs this summary and would otherwise walk the tree again).
    var notesTests = false
    var tests: [TestNote] = []

    /// One property test as ``notesTests`` records it.
    struct TestNote {
        var type: String
        /// The first step of the path (always a key in the grammar).
        var firstKey: String
        /// A step of the path follows a reference (`_ref` or `_refs`): any object may be reached.
        var followsReferences: Bool
        /// Compiling the test can fail (a `MATCHES` regex or a CIDR operand to check).
        var mayFailToCompile: Bool
        /// For those tests: the operator, the string operand and the test's offset, to check them
        /// without compiling the whole pattern.
        var op: ComparisonOperator
        var operand: String? = nil
        var offset: Int
    }

    public init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
        lexer = PatternLexer(bytes)
        token = PatternToken(kind: .eof, start: 0, end: 0)
        do throws(PatternError) {
            token = try lexer.next()
        } catch {
            pendingError = error
        }
    }

    /// The pattern's bytes (the lexer's array, held here too so reading it costs no reference counting).
    let bytes: [UInt8]

    /// True when the current token is keyword `k` (cheaper than comparing token kinds, which carry payloads).
    @inline(__always)
    func at(_ k: PatternKeyword) -> Bool {
        if case .keyword(let x) = token.kind { return x == k }
        return false
    }

    mutating func advance() throws(PatternError) {
        token = try lexer.next()
    }

    func fail(_ expected: String) -> PatternError {
        PatternError(.expected(expected, found: lexer.describe(token)), at: token.start)
    }

    mutating func expect(_ kind: PatternToken.Kind, _ what: String) throws(PatternError) {
        guard token.kind == kind else { throw fail(what) }
        try advance()
    }

    mutating func enter(at offset: Int) throws(PatternError) {
        depth += 1
        if depth > PatternParser.maxDepth { throw PatternError(.tooDeep(limit: PatternParser.maxDepth), at: offset) }
    }

    /// Parses the whole text as one pattern.
    public mutating func parsePattern() throws(PatternError) -> Pattern {
        if let pendingError { throw pendingError }
        let root = try parseFollowedBy()
        guard token.kind == .eof else {
            throw fail("'AND', 'OR', 'FOLLOWEDBY', a qualifier or the end of the pattern")
        }
        return Pattern(root: root, text: text)
    }

    mutating func parseFollowedBy() throws(PatternError) -> ObservationExpression {
        let first = try parseObservationOr()
        guard at(.followedBy) else { return first }
        var items = [first]
        items.reserveCapacity(4)
        while at(.followedBy) {
            try advance()
            items.append(try parseObservationOr())
        }
        return .followedBy(items)
    }

    mutating func parseObservationOr() throws(PatternError) -> ObservationExpression {
        let first = try parseObservationAnd()
        guard at(.or) else { return first }
        var items = [first]
        items.reserveCapacity(4)
        while at(.or) {
            try advance()
            items.append(try parseObservationAnd())
        }
        return .or(items)
    }

    mutating func parseObservationAnd() throws(PatternError) -> ObservationExpression {
        let first = try parseQualified()
        guard at(.and) else { return first }
        var items = [first]
        items.reserveCapacity(4)
        while at(.and) {
            try advance()
            items.append(try parseQualified())
        }
        return .and(items)
    }

    mutating func parseQualified() throws(PatternError) -> ObservationExpression {
        let savedDepth = depth
        defer { depth = savedDepth }
        var expr: ObservationExpression
        let start = token.start
        switch token.kind {
        case .lbrack:
            try enter(at: start)
            try advance()
            let c = try parseComparisonOr()
            try expect(.rbrack, "']' or 'AND'/'OR' inside the brackets")
            expr = .observation(c)
        case .lparen:
            try enter(at: start)
            try advance()
            expr = try parseFollowedBy()
            try expect(.rparen, "')' or 'AND', 'OR', 'FOLLOWEDBY', a qualifier")
        default:
            throw fail("'[' or '(' to start an observation expression")
        }
        while true {
            let at = token.start
            switch token.kind {
            case .keyword(.within):
                try enter(at: at)
                try advance()
                let d = try parseWithinDuration()
                try expect(.keyword(.seconds), "'SECONDS'")
                expr = .within(expr, d)
            case .keyword(.repeats):
                try enter(at: at)
                try advance()
                guard token.kind == .integer, bytes[token.start] != UInt8(ascii: "-") else {
                    throw fail("a positive integer after REPEATS")
                }
                let n = integerValue(token) ?? Int64.max
                if n < 1 { throw PatternError(.semantic("REPEATS count must be at least 1"), at: token.start) }
                try advance()
                try expect(.keyword(.times), "'TIMES'")
                expr = .repeats(expr, Int(n))
            case .keyword(.start):
                try enter(at: at)
                try advance()
                let startTime = try parseTimestampToken("a timestamp t'…' after START")
                try expect(.keyword(.stop), "'STOP'")
                let stopTime = try parseTimestampToken("a timestamp t'…' after STOP")
                expr = .startStop(expr, start: startTime, stop: stopTime)
            default:
                return expr
            }
        }
    }

    mutating func parseWithinDuration() throws(PatternError) -> PatternDuration {
        guard token.kind == .integer || token.kind == .float, bytes[token.start] != UInt8(ascii: "-") else {
            throw fail("a positive number of seconds after WITHIN")
        }
        var digits = bytes[token.start..<token.end]
        if digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        var scale: Int64 = 100_000_000
        var fraction = false
        var saturated = false
        for c in digits {
            if c == UInt8(ascii: ".") {
                fraction = true
                continue
            }
            let v = Int64(c - 0x30)
            if fraction {
                nanos += v * scale
                scale /= 10
            } else if !saturated {
                let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(v)
                if o1 || o2 { saturated = true } else { seconds = a }
            }
        }
        if saturated { seconds = Int64.max / 2 }
        if seconds == 0 && nanos == 0 {
            throw PatternError(.semantic("WITHIN duration must be greater than zero"), at: token.start)
        }
        try advance()
        return PatternDuration(seconds: seconds, nanoseconds: Int32(nanos))
    }

    mutating func parseTimestampToken(_ what: String) throws(PatternError) -> Timestamp {
        guard token.kind == .timestamp else { throw fail(what) }
        let t = try timestampValue(token)
        try advance()
        return t
    }

    // MARK: - Comparison expressions

    mutating func parseComparisonOr() throws(PatternError) -> ComparisonExpression {
        let first = try parseComparisonAnd()
        guard at(.or) else { return first }
        var items = [first]
        items.reserveCapacity(4)
        while at(.or) {
            try advance()
            items.append(try parseComparisonAnd())
        }
        return .or(items)
    }

    mutating func parseComparisonAnd() throws(PatternError) -> ComparisonExpression {
        let first = try parsePropertyTest()
        guard at(.and) else { return first }
        var items = [first]
        items.reserveCapacity(4)
        while at(.and) {
            try advance()
            items.append(try parsePropertyTest())
        }
        return .and(items)
    }

    mutating func note(_ path: ObjectPath, _ op: ComparisonOperator, at offset: Int) {
        var follows = false
        var first = ""
        var isFirst = true
        for step in path.steps {
            if case .key(let k) = step {
                if isFirst { first = k }
                let kind = PatternMatcher.keyKind(k)
                if kind == .ref || kind == .refs { follows = true }
            }
            isFirst = false
        }
        tests.append(
            TestNote(
                type: path.objectType, firstKey: first, followsReferences: follows,
                mayFailToCompile: op == .matches || op == .isSubset || op == .isSuperset, op: op, offset: offset))
    }

    mutating func parsePropertyTest() throws(PatternError) -> ComparisonExpression {
        let start = token.start
        if token.kind == .lparen {
            let savedDepth = depth
            defer { depth = savedDepth }
            try enter(at: start)
            try advance()
            let inner = try parseComparisonOr()
            try expect(.rparen, "')' or 'AND'/'OR'")
            return inner
        }
        if at(.exists) || (at(.not) && peekIsExists()) {
            let negated = at(.not)
            if negated { try advance() }
            try advance()
            let path = try parseObjectPath()
            if notesTests { note(path, .exists, at: start) }
            return .test(PropertyTest(path: path, op: .exists, negated: negated, value: nil, offset: start))
        }
        let path = try parseObjectPath()
        var negated = false
        if at(.not) {
            negated = true
            try advance()
        }
        let opStart = token.start
        let op: ComparisonOperator
        switch token.kind {
        case .eq: op = .equal
        case .neq: op = .notEqual
        case .lt: op = .less
        case .le: op = .lessOrEqual
        case .gt: op = .greater
        case .ge: op = .greaterOrEqual
        case .keyword(.in): op = .in
        case .keyword(.like): op = .like
        case .keyword(.matches): op = .matches
        case .keyword(.isSubset): op = .isSubset
        case .keyword(.isSuperset): op = .isSuperset
        default:
            throw fail(
                negated
                    ? "a comparison operator after NOT (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)"
                    : "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
        }
        try advance()
        if notesTests { note(path, op, at: start) }
        switch op {
        case .in:
            let set = try parseSet()
            return .test(PropertyTest(path: path, op: op, negated: negated, value: nil, set: set, offset: start))
        case .like, .matches, .isSubset, .isSuperset:
            guard token.kind == .string else { throw fail("a string literal after \(op.rawValue)") }
            let v = try literalValue(token)
            if notesTests, case .string(let operand) = v { tests[tests.count - 1].operand = operand }
            try advance()
            return .test(PropertyTest(path: path, op: op, negated: negated, value: v, offset: start))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            if token.kind == .bool { throw fail("an orderable literal after \(op.rawValue) (not a boolean)") }
            fallthrough
        default:
            guard isLiteral(token.kind) else { throw fail("a literal after '\(op.rawValue)'") }
            let v = try literalValue(token)
            try advance()
            _ = opStart
            return .test(PropertyTest(path: path, op: op, negated: negated, value: v, offset: start))
        }
    }

    func peekIsExists() -> Bool {
        var l = lexer
        guard let t = try? l.next() else { return false }
        return t.kind == .keyword(.exists)
    }

    func isLiteral(_ k: PatternToken.Kind) -> Bool {
        switch k {
        case .string, .integer, .float, .binary, .hex, .timestamp, .bool: return true
        default: return false
        }
    }

    mutating func parseSet() throws(PatternError) -> [PatternLiteral] {
        let setStart = token.start
        try expect(.lparen, "'(' to open the set after IN")
        var items: [PatternLiteral] = []
        if token.kind == .rparen {
            try advance()
            return items
        }
        while true {
            guard isLiteral(token.kind) else { throw fail("a literal in the set") }
            items.append(try literalValue(token))
            try advance()
            if token.kind == .comma {
                try advance()
                continue
            }
            try expect(.rparen, "',' or ')' in the set")
            break
        }
        // All members of a set must have one type; integers and floats mix.
        func group(_ l: PatternLiteral) -> String {
            switch l {
            case .integer, .float: return "number"
            default: return l.kindName
            }
        }
        let first = group(items[0])
        if let other = items.first(where: { group($0) != first }) {
            throw PatternError(
                .semantic("set members must all have one type (found \(first) and \(group(other)))"), at: setStart)
        }
        return items
    }

    mutating func parseObjectPath() throws(PatternError) -> ObjectPath {
        let start = token.start
        guard case .identifier = token.kind else { throw fail("an object type such as 'file' or 'ipv4-addr'") }
        let type = String(decoding: bytes[token.start..<token.end], as: UTF8.self)
        try advance()
        try expect(.colon, "':' after the object type")
        var steps: [PathStep] = []
        steps.reserveCapacity(4)
        steps.append(.key(try parseKey("a property name after ':'")))
        while true {
            if token.kind == .dot {
                try advance()
                steps.append(.key(try parseKey("a property name or quoted key after '.'")))
            } else if token.kind == .lbrack {
                try advance()
                if token.kind == .asterisk {
                    steps.append(.anyIndex)
                } else if token.kind == .integer {
                    let v = integerValue(token) ?? (bytes[token.start] == UInt8(ascii: "-") ? Int64.min : Int64.max)
                    steps.append(.index(Int(v)))
                } else {
                    throw fail("a list index or '*'")
                }
                try advance()
                try expect(.rbrack, "']' after the list index")
            } else {
                break
            }
        }
        return ObjectPath(objectType: type, steps: steps, offset: start)
    }

    mutating func parseKey(_ what: String) throws(PatternError) -> String {
        switch token.kind {
        case .identifier(hyphen: false):
            let s = String(decoding: bytes[token.start..<token.end], as: UTF8.self)
            try advance()
            return s
        case .string:
            guard case .string(let s) = try literalValue(token) else { throw fail(what) }
            try advance()
            return s
        case .identifier(hyphen: true):
            throw PatternError(
                .expected(
                    what + " (names with '-' must be quoted, e.g. 'windows-pebinary-ext')",
                    found: lexer.describe(token)), at: token.start)
        default:
            throw fail(what)
        }
    }

    // MARK: - Literals

    func integerValue(_ t: PatternToken) -> Int64? {
        var v: Int64 = 0
        var negative = false
        for c in bytes[t.start..<t.end] {
            if c == UInt8(ascii: "-") {
                negative = true
                continue
            }
            if c == UInt8(ascii: "+") { continue }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) =
                negative ? m.subtractingReportingOverflow(Int64(c - 0x30)) : m.addingReportingOverflow(Int64(c - 0x30))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    func timestampValue(_ t: PatternToken) throws(PatternError) -> Timestamp {
        let ts = bytes.withUnsafeBufferPointer { b in
            Timestamp.parse(UnsafeBufferPointer(rebasing: b[(t.start + 2)..<(t.end - 1)]))
        }
        guard let ts else {
            throw PatternError(
                .invalidLiteral("invalid timestamp: expected t'YYYY-MM-DDTHH:MM:SS[.s]Z' with a real date and time"),
                at: t.start)
        }
        return ts
    }

    func literalValue(_ t: PatternToken) throws(PatternError) -> PatternLiteral {
        let text = bytes[t.start..<t.end]
        switch t.kind {
        case .integer:
            if let v = integerValue(t) { return .integer(v) }
            return .float(Double(String(decoding: text, as: UTF8.self)) ?? .infinity)
        case .float:
            return .float(Double(String(decoding: text, as: UTF8.self)) ?? 0)
        case .bool:
            return .bool(text.first == UInt8(ascii: "t"))
        case .string:
            let body = bytes[(t.start + 1)..<(t.end - 1)]
            if !body.contains(UInt8(ascii: "\\")) { return .string(String(decoding: body, as: UTF8.self)) }
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var i = t.start + 1
            while i < t.end - 1 {
                if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                out.append(bytes[i])
                i += 1
            }
            return .string(String(decoding: out, as: UTF8.self))
        case .timestamp:
            return .timestamp(try timestampValue(t))
        case .hex:
            let body = Array(bytes[(t.start + 2)..<(t.end - 1)])
            guard body.count % 2 == 0, let v = PatternParser.decodeHex(body) else {
                throw PatternError(.invalidLiteral("invalid hex literal: expected pairs of hex digits"), at: t.start)
            }
            return .binary(v)
        case .binary:
            let body = Array(bytes[(t.start + 2)..<(t.end - 1)])
            guard let v = PatternParser.decodeBase64(body) else {
                throw PatternError(.invalidLiteral("invalid base64 in binary literal"), at: t.start)
            }
            return .binary(v)
        default:
            throw fail("a literal")
        }
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Decodes hex digit pairs; `nil` for an odd count or a non-hex character.
    static func decodeHex(_ s: some Collection<UInt8>) -> [UInt8]? {
        guard s.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 2)
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let h = hexDigit(a), let l = hexDigit(b) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    /// Decodes standard base64 with padding; `nil` unless the length is a multiple of 4 and padding is only at the end.
    static func decodeBase64(_ s: some Collection<UInt8>) -> [UInt8]? {
        let s = Array(s)
        guard s.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x41...0x5A: return UInt32(c - 0x41)
            case 0x61...0x7A: return UInt32(c - 0x61 + 26)
            case 0x30...0x39: return UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"): return 62
            case UInt8(ascii: "/"): return 63
            default: return nil
            }
        }
        var i = 0
        while i < s.count {
            let last = i + 4 == s.count
            var pad = 0
            var acc: UInt32 = 0
            for k in 0..<4 {
                let c = s[i + k]
                if c == UInt8(ascii: "=") {
                    guard last, k >= 2 else { return nil }
                    pad += 1
                    acc <<= 6
                } else {
                    guard pad == 0, let v = value(c) else { return nil }
                    acc = acc << 6 | v
                }
            }
            out.append(UInt8(acc >> 16))
            if pad < 2 { out.append(UInt8(acc >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(acc & 0xFF)) }
            i += 4
        }
        return out
    }
}
