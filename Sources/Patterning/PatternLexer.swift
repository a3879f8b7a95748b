#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reserved words of the patterning language (upper case only, as in the STIX 2.1 grammar).
enum PatternKeyword: String, CaseIterable {
    case and = "AND", or = "OR", not = "NOT", followedBy = "FOLLOWEDBY", like = "LIKE", matches = "MATCHES"
    case isSuperset = "ISSUPERSET", isSubset = "ISSUBSET", exists = "EXISTS", last = "LAST", `in` = "IN"
    case start = "START", stop = "STOP", seconds = "SECONDS", within = "WITHIN", repeats = "REPEATS"
    case times = "TIMES"

    /// The keyword's bytes, for comparison without making a `String`.
    var spelling: StaticString {
        switch self {
        case .and: "AND"
        case .or: "OR"
        case .not: "NOT"
        case .followedBy: "FOLLOWEDBY"
        case .like: "LIKE"
        case .matches: "MATCHES"
        case .isSuperset: "ISSUPERSET"
        case .isSubset: "ISSUBSET"
        case .exists: "EXISTS"
        case .last: "LAST"
        case .in: "IN"
        case .start: "START"
        case .stop: "STOP"
        case .seconds: "SECONDS"
        case .within: "WITHIN"
        case .repeats: "REPEATS"
        case .times: "TIMES"
        }
    }
}

/// One token of pattern text; the text is `bytes[start..<end]`.
struct PatternToken {
    enum Kind: Equatable {
        case lbrack, rbrack, lparen, rparen, colon, dot, comma, asterisk
        case eq, neq, lt, le, gt, ge
        case keyword(PatternKeyword)
        case identifier(hyphen: Bool)
        case string, integer, float, binary, hex, timestamp, bool
        case eof
    }
    var kind: Kind
    var start: Int
    var end: Int
}

/// Splits pattern bytes into tokens, skipping white space and comments.
struct PatternLexer {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The keyword spelled by `word` (upper case, at most ten bytes), compared only with keywords as long as it.
    static func keyword(_ word: ArraySlice<UInt8>) -> PatternKeyword? {
        keyword(Array(word), 0, word.count)
    }

    /// The keyword spelled by `bytes[start..<start + count]`.
    static func keyword(_ bytes: [UInt8], _ start: Int, _ count: Int) -> PatternKeyword? {
        let candidates: (PatternKeyword, PatternKeyword?, PatternKeyword?)
        switch count {
        case 2: candidates = (.or, .in, nil)
        case 3: candidates = (.and, .not, nil)
        case 4: candidates = (.like, .last, .stop)
        case 5: candidates = (.start, .times, nil)
        case 6: candidates = (.exists, .within, nil)
        case 7: candidates = (.matches, .seconds, .repeats)
        case 8: candidates = (.isSubset, nil, nil)
        case 10: candidates = (.followedBy, .isSuperset, nil)
        default: return nil
        }
        return bytes.withUnsafeBufferPointer { b -> PatternKeyword? in
            let w = b.baseAddress! + start
            func eq(_ k: PatternKeyword) -> Bool { memcmp(w, k.spelling.utf8Start, count) == 0 }
            if eq(candidates.0) { return candidates.0 }
            if let k = candidates.1, eq(k) { return k }
            if let k = candidates.2, eq(k) { return k }
            return nil
        }
    }

    func describe(_ t: PatternToken) -> String {
        if t.kind == .eof { return "end of pattern" }
        let text = String(decoding: bytes[t.start..<min(t.end, t.start + 40)], as: UTF8.self)
        return "'\(text)'"
    }

    /// Length of a white-space sequence (ASCII or the Unicode spaces of the grammar) at `i`, or 0.
    func whitespaceLength(at i: Int) -> Int {
        let c = bytes[i]
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return 1
        case 0xC2:
            if i + 1 < bytes.count, bytes[i + 1] == 0x85 || bytes[i + 1] == 0xA0 { return 2 }
        case 0xE1:
            if i + 2 < bytes.count, bytes[i + 1] == 0x9A, bytes[i + 2] == 0x80 { return 3 }
        case 0xE2:
            guard i + 2 < bytes.count else { return 0 }
            let b1 = bytes[i + 1]
            let b2 = bytes[i + 2]
            if b1 == 0x80 && ((0x80...0x8A).contains(b2) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) { return 3 }
            if b1 == 0x81 && b2 == 0x9F { return 3 }
        case 0xE3:
            if i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0x80 { return 3 }
        default: break
        }
        return 0
    }

    mutating func skipTrivia() throws(PatternError) {
        while offset < bytes.count {
            let w = whitespaceLength(at: offset)
            if w > 0 {
                offset += w
                continue
            }
            if bytes[offset] == UInt8(ascii: "/"), offset + 1 < bytes.count {
                if bytes[offset + 1] == UInt8(ascii: "*") {
                    let start = offset
                    var i = offset + 2
                    while i + 1 < bytes.count, !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) {
                        i += 1
                    }
                    guard i + 1 < bytes.count else {
                        throw PatternError(.expected("'*/' to close the comment", found: "end of pattern"), at: start)
                    }
                    offset = i + 2
                    continue
                }
                if bytes[offset + 1] == UInt8(ascii: "/") {
                    while offset < bytes.count, bytes[offset] != 0x0A, bytes[offset] != 0x0D { offset += 1 }
                    continue
                }
            }
            return
        }
    }

    static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    static func isIdentBody(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 0x30 && c <= 0x39) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Reads the next token.
    mutating func next() throws(PatternError) -> PatternToken {
        // Most tokens follow no white space or comment: skip the trivia scan then.
        if offset < bytes.count, case let c = bytes[offset], c > 0x20, c < 0x80, c != UInt8(ascii: "/") {
        } else {
            try skipTrivia()
        }
        let start = offset
        guard offset < bytes.count else { return PatternToken(kind: .eof, start: start, end: start) }
        let c = bytes[offset]
        func single(_ k: PatternToken.Kind, _ n: Int = 1) -> PatternToken {
            offset += n
            return PatternToken(kind: k, start: start, end: offset)
        }
        let next: UInt8 = offset + 1 < bytes.count ? bytes[offset + 1] : 0
        switch c {
        case UInt8(ascii: "["): return single(.lbrack)
        case UInt8(ascii: "]"): return single(.rbrack)
        case UInt8(ascii: "("): return single(.lparen)
        case UInt8(ascii: ")"): return single(.rparen)
        case UInt8(ascii: ":"): return single(.colon)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "*"): return single(.asterisk)
        case UInt8(ascii: "="): return next == UInt8(ascii: "=") ? single(.eq, 2) : single(.eq)
        case UInt8(ascii: "!"):
            if next == UInt8(ascii: "=") { return single(.neq, 2) }
        case UInt8(ascii: "<"):
            if next == UInt8(ascii: "=") { return single(.le, 2) }
            if next == UInt8(ascii: ">") { return single(.neq, 2) }
            return single(.lt)
        case UInt8(ascii: ">"): return next == UInt8(ascii: "=") ? single(.ge, 2) : single(.gt)
        case UInt8(ascii: "'"):
            try scanQuoted(escapes: true)
            return PatternToken(kind: .string, start: start, end: offset)
        case UInt8(ascii: "."):
            if PatternLexer.isDigit(next) { return try scanNumber() }
            return single(.dot)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try scanNumber()
        default:
            break
        }
        if next == UInt8(ascii: "'") && (c == UInt8(ascii: "t") || c == UInt8(ascii: "b") || c == UInt8(ascii: "h")) {
            offset += 1
            try scanQuoted(escapes: false)
            let kind: PatternToken.Kind = c == UInt8(ascii: "t") ? .timestamp : c == UInt8(ascii: "b") ? .binary : .hex
            return PatternToken(kind: kind, start: start, end: offset)
        }
        if PatternLexer.isIdentStart(c) {
            var hyphen = false
            offset += 1
            while offset < bytes.count {
                let d = bytes[offset]
                if PatternLexer.isIdentBody(d) {
                    offset += 1
                } else if d == UInt8(ascii: "-") {
                    hyphen = true
                    offset += 1
                } else {
                    break
                }
            }
            let n = offset - start
            if !hyphen {
                if (n == 4 && c == UInt8(ascii: "t") && bytes[start + 1] == UInt8(ascii: "r")
                    && bytes[start + 2] == UInt8(ascii: "u") && bytes[start + 3] == UInt8(ascii: "e"))
                    || (n == 5 && c == UInt8(ascii: "f") && bytes[start + 1] == UInt8(ascii: "a")
                        && bytes[start + 2] == UInt8(ascii: "l") && bytes[start + 3] == UInt8(ascii: "s")
                        && bytes[start + 4] == UInt8(ascii: "e"))
                {
                    return PatternToken(kind: .bool, start: start, end: offset)
                }
                if c >= 0x41 && c <= 0x5A, n <= 10, let kw = PatternLexer.keyword(bytes, start, n) {
                    return PatternToken(kind: .keyword(kw), start: start, end: offset)
                }
            }
            return PatternToken(kind: .identifier(hyphen: hyphen), start: start, end: offset)
        }
        var len = 1
        if c >= 0xC0 { len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2 }
        let text = String(decoding: bytes[start..<min(bytes.count, start + len)], as: UTF8.self)
        throw PatternError(.expected("a token", found: "unexpected character '\(text)'"), at: start)
    }

    /// Scans `'…'` from the opening quote; with `escapes`, `\'` and `\\` are the only escapes.
    mutating func scanQuoted(escapes: Bool) throws(PatternError) {
        let start = offset
        offset += 1
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "'") {
                offset += 1
                return
            }
            if c == UInt8(ascii: "\\") && escapes {
                guard offset + 1 < bytes.count else { break }
                let e = bytes[offset + 1]
                guard e == UInt8(ascii: "'") || e == UInt8(ascii: "\\") else {
                    throw PatternError(
                        .invalidLiteral(
                            "invalid escape '\\\(Character(Unicode.Scalar(e)))' in string (only \\' and \\\\)"),
                        at: offset)
                }
                offset += 2
                continue
            }
            offset += 1
        }
        throw PatternError(.expected("a closing quote", found: "end of pattern"), at: start)
    }

    mutating func scanNumber() throws(PatternError) -> PatternToken {
        let start = offset
        if bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let digitsStart = offset
        while offset < bytes.count, PatternLexer.isDigit(bytes[offset]) { offset += 1 }
        let digitsEnd = offset
        if offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "."), PatternLexer.isDigit(bytes[offset + 1]) {
            offset += 1
            while offset < bytes.count, PatternLexer.isDigit(bytes[offset]) { offset += 1 }
            return PatternToken(kind: .float, start: start, end: offset)
        }
        guard digitsEnd > digitsStart else {
            throw PatternError(.expected("a number", found: "'\(Character(Unicode.Scalar(bytes[start])))'"), at: start)
        }
        if bytes[digitsStart] == UInt8(ascii: "0") { offset = digitsStart + 1 }
        return PatternToken(kind: .integer, start: start, end: offset)
    }
}
