import CPCRE2
#if canImport(Glibc)
    import Glibc
#endif

/// A compiled PCRE2 regular expression, JIT-compiled when the platform supports it.
///
/// Sigma's `re` modifier: PCRE flavor, case-sensitive unless `re|i`, matched anywhere in the value
/// (not anchored). Matching uses a match-data block the caller owns (one per thread), so a compiled
/// expression is shared by every thread.
public final class SigmaRegex: @unchecked Sendable {
    // Sendable: the compiled code is immutable after init; pcre2_match and pcre2_jit_match only read it.

    let code: OpaquePointer
    let jit: Bool
    /// The pattern as written in the rule.
    public let pattern: String
    let flags: (caseInsensitive: Bool, multiline: Bool, dotAll: Bool)
    /// Runs of plain characters every match holds in order (see ``orderedRuns(_:caseInsensitive:)``),
    /// checked on the folded text before the engine runs.
    let orderedRuns: [[UInt8]]?
    /// The pattern chains four or more unbounded dot repeats (`.*`, `.+`): backtracking over a long
    /// value that holds the pieces but no match tries every way to split it (`\+.*\+.*…`, fourteen `+`,
    /// ran into the match limit for milliseconds per value), so the DFA algorithm answers first.
    let prefersDFA: Bool
    /// When the pattern is nothing but literal runs joined by `.*` (`\+.*\+.*…`): the runs, which decide a
    /// match exactly without an engine (see ``chainMatches(_:)``).
    let dotStarChain: [[UInt8]]?

    /// Compiles `pattern` with the given flags.
    ///
    /// - Throws: ``SigmaError`` of kind `.regex` with PCRE2's message and the offset in the pattern.
    public init(_ pattern: String, caseInsensitive: Bool, multiline: Bool, dotAll: Bool) throws(SigmaError) {
        var options: UInt32 = PCRE2_UTF | PCRE2_UCP
        if caseInsensitive { options |= PCRE2_CASELESS }
        if multiline { options |= PCRE2_MULTILINE }
        if dotAll { options |= PCRE2_DOTALL }
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let compiled: OpaquePointer? = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) { bytes in
                pcre2_compile_8(bytes, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            let message = n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "error \(errorCode)"
            throw SigmaError(.regex("\(message) at offset \(errorOffset) in '\(pattern)'"))
        }
        code = compiled
        jit = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
        self.pattern = pattern
        flags = (caseInsensitive, multiline, dotAll)
        orderedRuns = SigmaRegex.orderedRuns(Array(pattern.utf8), caseInsensitive: caseInsensitive)
        prefersDFA = SigmaRegex.dotRepeats(Array(pattern.utf8)) >= 4
        dotStarChain =
            SigmaRegex.newlineIsLF ? SigmaRegex.dotStarChain(Array(pattern.utf8), caseInsensitive: caseInsensitive) : nil
    }

    /// Whether this PCRE2 library was built with LF as its newline (its default, and Debian's): then `.`
    /// matches every character but `\n`.
    static let newlineIsLF: Bool = {
        var newline: UInt32 = 0
        return pcre2_config_8(UInt32(PCRE2_CONFIG_NEWLINE), &newline) >= 0 && newline == UInt32(PCRE2_NEWLINE_LF)
    }()

    /// The literal runs of a pattern made only of literal characters and `.*` (or `.*?`) between them, or
    /// `nil`. Literal characters: printable ASCII other than the metacharacters, or a backslash before
    /// ASCII punctuation (which PCRE2 takes literally). Anything else — classes, groups, alternatives,
    /// other quantifiers, anchors, escapes such as `\d`, non-ASCII — and, under `re|i`, a letter in a run
    /// (caseless matching also takes the Kelvin sign for `k`) leaves the pattern to the engine.
    static func dotStarChain(_ b: [UInt8], caseInsensitive: Bool) -> [[UInt8]]? {
        var runs: [[UInt8]] = []
        var current: [UInt8] = []
        var separators = 0
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ".") {
                guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") else { return nil }
                i += 2
                if i < b.count && b[i] == UInt8(ascii: "?") { i += 1 }
                if !current.isEmpty { runs.append(current) }
                current = []
                separators += 1
                continue
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { return nil }
                let e = b[i + 1]
                let punctuation = e >= 0x21 && e < 0x7F && !(e >= 0x30 && e <= 0x39) && !(e | 0x20 >= 0x61 && e | 0x20 <= 0x7A)
                guard punctuation else { return nil }
                current.append(e)
                i += 2
                continue
            }
            guard c >= 0x20 && c < 0x7F, !"^$.|?*+()[]{}".utf8.contains(c) else { return nil }
            if caseInsensitive && (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) { return nil }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { runs.append(current) }
        // A single run is a plain search the prefilter and the engine already do well.
        guard separators > 0, runs.count >= 2 else { return nil }
        if caseInsensitive && runs.contains(where: { $0.contains { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A } }) { return nil }
        return runs
    }

    /// The chain's answer: some line (the whole text under `re|s`) holds the runs in order. Taking each run
    /// at its first occurrence after the one before is enough: any placement of the runs in a line leaves
    /// the earliest one possible too.
    func chainMatches(_ text: UnsafeBufferPointer<UInt8>, _ runs: [[UInt8]]) -> Bool {
        guard let base = text.baseAddress else { return false }
        let n = text.count
        var lineStart = 0
        while lineStart <= n {
            var lineEnd = n
            if !flags.dotAll, let nl = memchr(base + lineStart, 0x0A, n - lineStart) {
                lineEnd = base.distance(to: nl.assumingMemoryBound(to: UInt8.self))
            }
            if SigmaRegex.holdsInOrder(UnsafeBufferPointer(start: base + lineStart, count: lineEnd - lineStart), runs) {
                return true
            }
            lineStart = lineEnd + 1
        }
        return false
    }

    /// Unescaped `.*`, `.+` (and their lazy forms) in `b`, outside classes.
    static func dotRepeats(_ b: [UInt8]) -> Int {
        var n = 0
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 1
            case UInt8(ascii: "["): i = skipClass(b[...], from: i) - 1
            case UInt8(ascii: "."):
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") || b[i + 1] == UInt8(ascii: "+") { n += 1 }
            default: break
            }
            i += 1
        }
        return n
    }

    deinit {
        pcre2_code_free_8(code)
    }

    /// An independent copy (its own compiled code), for a worker thread.
    func copy() -> SigmaRegex {
        // The pattern compiled once already, so compiling it again cannot fail.
        (try? SigmaRegex(pattern, caseInsensitive: flags.caseInsensitive, multiline: flags.multiline, dotAll: flags.dotAll))
            ?? self
    }

    /// Whether the expression matches anywhere in `bytes` (UTF-8).
    func matches(_ bytes: UnsafeBufferPointer<UInt8>, scratch: RegexScratch) -> Bool {
        if let runs = dotStarChain { return chainMatches(bytes, runs) }
        let subject = bytes.baseAddress ?? UnsafePointer(scratch.empty)
        if prefersDFA {
            let rc = dfaMatch(subject, bytes.count, scratch)
            if rc >= 0 { return true }
            if rc == PCRE2_ERROR_NOMATCH { return false }
            // A construct the DFA algorithm does not run, or too little workspace: backtracking answers.
        }
        var rc: Int32
        if jit {
            rc = pcre2_jit_match_8(code, subject, bytes.count, 0, 0, scratch.matchData, scratch.context)
        } else {
            rc = pcre2_match_8(code, subject, bytes.count, 0, PCRE2_NO_UTF_CHECK, scratch.matchData, scratch.context)
        }
        if !prefersDFA && (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            // Backtracking gave up: the DFA algorithm, which does not backtrack, decides where it can.
            rc = dfaMatch(subject, bytes.count, scratch)
        }
        if rc < 0 && rc != PCRE2_ERROR_NOMATCH { scratch.undecided += 1 }
        return rc >= 0
    }

    /// The backtracking engine's own answer (JIT when compiled): ≥ 0 for a match, `PCRE2_ERROR_NOMATCH`,
    /// or another error when it gave up (for tests that compare the engines).
    func backtrackingMatch(_ bytes: UnsafeBufferPointer<UInt8>, scratch: RegexScratch) -> Int32 {
        let subject = bytes.baseAddress ?? UnsafePointer(scratch.empty)
        return jit
            ? pcre2_jit_match_8(code, subject, bytes.count, 0, 0, scratch.matchData, scratch.context)
            : pcre2_match_8(code, subject, bytes.count, 0, PCRE2_NO_UTF_CHECK, scratch.matchData, scratch.context)
    }

    /// `pcre2_dfa_match` for the shortest match anywhere: ≥ 0 when the expression matches.
    func dfaMatch(_ subject: UnsafePointer<UInt8>, _ count: Int, _ scratch: RegexScratch) -> Int32 {
        pcre2_dfa_match_8(
            code, subject, count, 0, PCRE2_NO_UTF_CHECK | PCRE2_DFA_SHORTEST, scratch.matchData, scratch.context,
            scratch.workspace, RegexScratch.workspaceCount)
    }

    /// Whether the expression matches anywhere in `text`.
    public func matches(_ text: String, scratch: RegexScratch) -> Bool {
        var text = text
        return text.withUTF8 { matches($0, scratch: scratch) }
    }
}

/// Per-thread state for regex matching: a match-data block and a match context with limits.
public final class RegexScratch {
    let matchData: OpaquePointer
    let context: OpaquePointer
    let empty: UnsafeMutablePointer<UInt8>
    /// Workspace of the DFA algorithm (``SigmaRegex/dfaMatch(_:_:_:)``).
    let workspace: UnsafeMutablePointer<Int32>
    static let workspaceCount = 4096
    /// Matches neither engine could decide (limits, errors): counted as no match.
    public internal(set) var undecided = 0

    /// A fresh scratch area; the match limit bounds backtracking on pathological expressions.
    public init(matchLimit: UInt32 = 1_000_000) {
        matchData = pcre2_match_data_create_8(1, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, 10_000)
        empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        empty.initialize(to: 0)
        workspace = .allocate(capacity: RegexScratch.workspaceCount)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        empty.deallocate()
        workspace.deallocate()
    }
}
