extension SigmaRegex {
    /// Literals of which one occurs (case-folded) in every text the expression matches: one per top-level
    /// alternative, the longest run of plain characters outside groups, classes and optional atoms.
    /// `nil` when no such literal can be read safely (extended mode, `\Q`, hex or Unicode escapes, an
    /// alternative without a plain run).
    ///
    /// Only ASCII is taken. Under caseless matching PCRE2 also matches `k` with the Kelvin sign and `s`
    /// with the long s, which case folding does not produce, so runs stop at those letters there.
    var requiredLiterals: [[UInt8]]? {
        SigmaRegex.requiredLiterals(Array(pattern.utf8), caseInsensitive: flags.caseInsensitive)
    }

    static func requiredLiterals(_ b: [UInt8], caseInsensitive: Bool) -> [[UInt8]]? {
        guard let caseless = caseless(b, caseInsensitive: caseInsensitive) else { return nil }
        var out: [[UInt8]] = []
        for alternative in topLevelAlternatives(b) {
            guard let l = longestRun(alternative, caseless: caseless), !l.isEmpty else { return nil }
            out.append(l)
        }
        return out.isEmpty ? nil : out
    }

    /// Whether the pattern's letters are caseless: by its flags or an inline `i` anywhere (as taken here,
    /// for the whole pattern); `nil` under extended mode (inline `x`: whitespace means something else).
    static func caseless(_ b: [UInt8], caseInsensitive: Bool) -> Bool? {
        var caseless = caseInsensitive
        var i = 0
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if b[i] == UInt8(ascii: "("), b[i + 1] == UInt8(ascii: "?") {
                var j = i + 2
                while j < b.count, b[j] != UInt8(ascii: ")"), b[j] != UInt8(ascii: ":") {
                    if b[j] == UInt8(ascii: "x") || b[j] == UInt8(ascii: "X") { return nil }
                    if b[j] == UInt8(ascii: "i") { caseless = true }
                    j += 1
                }
            }
            i += 1
        }
        return caseless
    }

    /// The pattern split at `|` outside groups and classes.
    static func topLevelAlternatives(_ b: [UInt8]) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var depth = 0
        var start = 0
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 1
            case UInt8(ascii: "["): i = skipClass(b[...], from: i) - 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "|") where depth == 0:
                parts.append(b[start..<i])
                start = i + 1
            default: break
            }
            i += 1
        }
        parts.append(b[start..<b.count])
        return parts
    }

    /// The index after the class starting at `from` (`b[from] == "["`), or `b.endIndex` when unterminated.
    static func skipClass(_ b: ArraySlice<UInt8>, from: Int) -> Int {
        var i = from + 1
        if i < b.endIndex, b[i] == UInt8(ascii: "^") { i += 1 }
        if i < b.endIndex, b[i] == UInt8(ascii: "]") { i += 1 }
        while i < b.endIndex {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "["):
                // POSIX class `[:alpha:]` inside a class.
                if i + 1 < b.endIndex, b[i + 1] == UInt8(ascii: ":") {
                    var j = i + 2
                    while j + 1 < b.endIndex, !(b[j] == UInt8(ascii: ":") && b[j + 1] == UInt8(ascii: "]")) { j += 1 }
                    i = j + 2
                } else {
                    i += 1
                }
            case UInt8(ascii: "]"): return i + 1
            default: i += 1
            }
        }
        return b.endIndex
    }

    /// The longest run of required plain ASCII characters in one alternative, folded; nil when the
    /// alternative uses syntax this reader does not follow.
    static func longestRun(_ b: ArraySlice<UInt8>, caseless: Bool) -> [UInt8]? {
        guard let all = runs(b, caseless: caseless) else { return nil }
        return all.reduce([]) { $1.count > $0.count ? $1 : $0 }
    }

    /// The runs of required plain ASCII characters of a pattern of one alternative, folded, in the order
    /// the pattern matches them: every text the expression matches holds them (case-folded) in this
    /// order, without overlapping. `nil` when the pattern has top-level alternatives or syntax this
    /// reader does not follow, or fewer than two runs (one run is what the prefilter already asks for).
    ///
    /// A cheap test before the regex engine: `\+.*\+.*\+…` (fourteen `+`, a SigmaHQ rule for obfuscated
    /// command lines) backtracks for milliseconds on a long command line with a dozen `+`, and cannot
    /// match one with fewer than fourteen.
    static func orderedRuns(_ b: [UInt8], caseInsensitive: Bool) -> [[UInt8]]? {
        guard let caseless = caseless(b, caseInsensitive: caseInsensitive) else { return nil }
        let alternatives = topLevelAlternatives(b)
        guard alternatives.count == 1 else { return nil }
        guard let all = runs(alternatives[0], caseless: caseless)?.filter({ !$0.isEmpty }), all.count >= 2 else {
            return nil
        }
        return all
    }

    /// Whether `text` holds `runs` in order, without overlapping.
    static func holdsInOrder(_ text: UnsafeBufferPointer<UInt8>, _ runs: [[UInt8]]) -> Bool {
        var at = 0
        for r in runs {
            guard let found = r.withUnsafeBufferPointer({ StringPattern.find($0, in: text, from: at) }) else { return false }
            at = found + r.count
        }
        return true
    }

    /// Every run of required plain ASCII characters in one alternative, folded, in order (possibly
    /// empty ones); nil when the alternative uses syntax this reader does not follow.
    static func runs(_ b: ArraySlice<UInt8>, caseless: Bool) -> [[UInt8]]? {
        var all: [[UInt8]] = []
        var run: [UInt8] = []
        func cut() {
            all.append(run)
            run = []
        }
        func literal(_ c: UInt8) {
            let f = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
            if c >= 0x80 || (caseless && (f == UInt8(ascii: "k") || f == UInt8(ascii: "s"))) {
                cut()
            } else {
                run.append(f)
            }
        }
        /// `x*`, `x?`, `x{0,n}`: the atom before is optional (its character leaves the run).
        func optionalAtom() {
            if !run.isEmpty { run.removeLast() }
            cut()
        }
        var i = b.startIndex
        while i < b.endIndex {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < b.endIndex else { return nil }
                let e = b[i + 1]
                let isAlnum = (e >= 0x30 && e <= 0x39) || ((e | 0x20) >= 0x61 && (e | 0x20) <= 0x7A)
                if isAlnum {
                    guard Array("sSdDwWbBAzZhHvV".utf8).contains(e) else { return nil }
                    cut()
                } else {
                    literal(e)
                }
                i += 2
            case UInt8(ascii: "["):
                cut()
                i = skipClass(b, from: i)
            case UInt8(ascii: "("):
                cut()
                var depth = 0
                while i < b.endIndex {
                    switch b[i] {
                    case UInt8(ascii: "\\"): i += 1
                    case UInt8(ascii: "["): i = skipClass(b, from: i) - 1
                    case UInt8(ascii: "("): depth += 1
                    case UInt8(ascii: ")"): depth -= 1
                    default: break
                    }
                    i += 1
                    if depth == 0 { break }
                }
                if depth != 0 { return nil }
            case UInt8(ascii: ")"):
                return nil
            case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                cut()
                i += 1
            case UInt8(ascii: "*"), UInt8(ascii: "?"):
                optionalAtom()
                i += 1
            case UInt8(ascii: "+"):
                cut()
                i += 1
            case UInt8(ascii: "{"):
                // `{n}`, `{n,}`, `{n,m}`, `{,m}` quantify the atom before; any other `{` is literal.
                var j = i + 1
                var digitsOrComma = 0
                while j < b.endIndex, (b[j] >= 0x30 && b[j] <= 0x39) || b[j] == UInt8(ascii: ",") || b[j] == 0x20 {
                    j += 1
                    digitsOrComma += 1
                }
                if digitsOrComma > 0, j < b.endIndex, b[j] == UInt8(ascii: "}") {
                    optionalAtom()
                    i = j + 1
                } else {
                    literal(c)
                    i += 1
                }
            default:
                literal(c)
                i += 1
            }
        }
        cut()
        return all
    }
}
