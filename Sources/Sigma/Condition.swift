/// A rule's condition over its search identifiers, parsed.
public indirect enum Condition: Sendable, Hashable {
    /// A search identifier, by its index in ``Detection/names``.
    case search(Int)
    case and([Condition])
    case or([Condition])
    case not(Condition)
    /// `N of pattern`: at least `N` of the searches.
    case atLeast(Int, [Int])
    /// `all of pattern`.
    case all([Int])
    /// A constant (used for an empty `N of` set and for filters that never apply).
    case constant(Bool)
}

/// Parses Sigma condition strings: `and`, `or`, `not`, parentheses, `1 of`/`all of`/`N of` with
/// `them` or a name pattern with `*` wildcards. Precedence: `not` > `and` > `or`.
struct ConditionParser {
    enum Token: Equatable {
        case open, close, and, or, not, of, all, number(Int), word(String), pipe
    }

    let names: [String]
    var tokens: [Token] = []
    var position = 0

    init(names: [String]) {
        self.names = names
    }

    static func tokenize(_ text: String) throws(SigmaError) -> [Token] {
        var out: [Token] = []
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            switch word.lowercased() {
            case "and": out.append(.and)
            case "or": out.append(.or)
            case "not": out.append(.not)
            case "of": out.append(.of)
            case "all": out.append(.all)
            case "any": out.append(.number(1))
            default:
                if let n = Int(word) { out.append(.number(n)) } else { out.append(.word(word)) }
            }
            word = ""
        }
        for c in text {
            switch c {
            case "(":
                flush()
                out.append(.open)
            case ")":
                flush()
                out.append(.close)
            case "|":
                flush()
                out.append(.pipe)
            case " ", "\t", "\n", "\r":
                flush()
            default:
                word.append(c)
            }
        }
        flush()
        return out
    }

    mutating func parse(_ text: String) throws(SigmaError) -> Condition {
        tokens = try ConditionParser.tokenize(text)
        position = 0
        if tokens.contains(.pipe) {
            throw SigmaError(
                .condition("aggregations after '|' are Sigma v1 syntax; use a correlation rule instead ('\(text)')"))
        }
        guard !tokens.isEmpty else { throw SigmaError(.condition("empty condition")) }
        let c = try parseOr()
        guard position == tokens.count else {
            throw SigmaError(.condition("unexpected '\(describe(tokens[position]))' in '\(text)'"))
        }
        return c
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .open: return "("
        case .close: return ")"
        case .and: return "and"
        case .or: return "or"
        case .not: return "not"
        case .of: return "of"
        case .all: return "all"
        case .pipe: return "|"
        case .number(let n): return String(n)
        case .word(let w): return w
        }
    }

    var current: Token? { position < tokens.count ? tokens[position] : nil }

    mutating func parseOr() throws(SigmaError) -> Condition {
        var items = [try parseAnd()]
        while current == .or {
            position += 1
            items.append(try parseAnd())
        }
        return items.count == 1 ? items[0] : .or(items)
    }

    mutating func parseAnd() throws(SigmaError) -> Condition {
        var items = [try parseNot()]
        while current == .and {
            position += 1
            items.append(try parseNot())
        }
        return items.count == 1 ? items[0] : .and(items)
    }

    mutating func parseNot() throws(SigmaError) -> Condition {
        if current == .not {
            position += 1
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws(SigmaError) -> Condition {
        guard let t = current else { throw SigmaError(.condition("the condition ends too early")) }
        position += 1
        switch t {
        case .open:
            let inner = try parseOr()
            guard current == .close else { throw SigmaError(.condition("missing ')'")) }
            position += 1
            return inner
        case .all, .number:
            guard current == .of else { throw SigmaError(.condition("expected 'of' after '\(describe(t))'")) }
            position += 1
            guard case .word(let pattern)? = current else {
                throw SigmaError(.condition("expected a name pattern or 'them' after 'of'"))
            }
            position += 1
            let matched = try resolve(pattern)
            if case .number(let n) = t { return .atLeast(n, matched) }
            return .all(matched)
        case .word(let w):
            guard let i = names.firstIndex(of: w) else {
                throw SigmaError(.condition("unknown search identifier '\(w)'"))
            }
            return .search(i)
        default:
            throw SigmaError(.condition("unexpected '\(describe(t))'"))
        }
    }

    func resolve(_ pattern: String) throws(SigmaError) -> [Int] {
        if pattern == "them" {
            return names.indices.filter { !names[$0].hasPrefix("_") }
        }
        let p = StringPattern(pieces: StringPattern.pieces(of: pattern), caseSensitive: true)
        let matched = names.indices.filter { i in
            var n = names[i]
            return n.withUTF8 { p.matches($0) }
        }
        guard !matched.isEmpty else {
            throw SigmaError(.condition("no search identifier matches '\(pattern)'"))
        }
        return matched
    }
}
