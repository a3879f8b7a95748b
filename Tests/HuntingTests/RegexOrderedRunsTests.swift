import EVTX
import Events
import Hunting
import TestSupport
import Testing

@testable import Sigma

/// The check a regex gets before the engine runs — its plain runs, in order, in the folded text — only
/// skips texts the expression cannot match.
@Suite struct RegexOrderedRunsTests {
    func runs(_ pattern: String, caseInsensitive: Bool = false) -> [String]? {
        SigmaRegex.orderedRuns(Array(pattern.utf8), caseInsensitive: caseInsensitive)?.map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    @Test func runsOfPatterns() {
        #expect(runs(#"\+.*\+.*\+"#) == ["+", "+", "+"])
        #expect(runs(#"cmd.{0,5}(?:/c|/r).+powershell.+(?:\$\{?input\}?|noexit).+\""#) == ["cmd", "powershell", "\""])
        #expect(runs("(?i)Echo.*CLIP") == ["echo", "clip"])
        #expect(runs("abc") == nil)  // one run: the prefilter asks for it already
        #expect(runs("ab|cd.*ef") == nil)  // alternatives
        #expect(runs(#"(a)\1.*bc.*de"#) == nil)  // a back-reference
        #expect(runs("(?x)ab .* cd") == nil)  // extended mode
        #expect(runs("ab?c.*de") == ["a", "c", "de"])  // an optional atom leaves its run
        #expect(runs("ks.*sk", caseInsensitive: true) == nil)  // caseless k and s match other letters
    }

    @Test func holdsInOrder() {
        func holds(_ text: String, _ runs: [String]) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer { SigmaRegex.holdsInOrder($0, runs.map { Array($0.utf8) }) }
        }
        #expect(holds("a+b+c", ["+", "+"]))
        #expect(!holds("a+bc", ["+", "+"]))
        #expect(holds("xxcmd /c powershell -noexit \"", ["cmd", "powershell", "\""]))
        #expect(!holds("powershell cmd", ["cmd", "powershell"]))
        #expect(!holds("abab", ["aba", "ba"]))  // not overlapping
        #expect(holds("ababa", ["ab", "aba"]))
    }

    /// Every regex of the Windows rules, over every data value of the corpus event logs and some
    /// made-up texts: wherever the engine matches, the runs are there in order (corpus-gated).
    @Test func neverSkipsAMatchOverTheCorpus() throws {
        guard let rulesPath = Support.corpus("sigma/rules/windows"), let evtx = Support.corpus("evtx") else { return }
        let c = RuleLoader.load(paths: [rulesPath])
        var regexes: [SigmaRegex] = []
        func collect(_ s: SearchExpression) {
            switch s {
            case .field(let t), .keywords(let t):
                for m in t.matchers { if case .regex(let r) = m { regexes.append(r) } }
            case .and(let items), .or(let items): items.forEach(collect)
            }
        }
        for r in c.rules { r.detection.searches.forEach(collect) }
        let checked = regexes.filter { $0.orderedRuns != nil }
        #expect(checked.count >= 20)
        var texts = Set<String>()
        var listed: [FileCollector.Listed] = []
        FileCollector.list(evtx, into: &listed)
        let parser = EVTXChunkParser()
        for entry in listed where entry.path.hasSuffix(".evtx") {
            guard let file = try? EVTXFile(path: entry.path) else { continue }
            for chunk in 0..<file.chunkCount {
                _ = parser.parse(file, chunk: chunk) { record in
                    for (_, v) in Hunter.dataFields(record.event(file: entry.path)) { texts.insert(v) }
                }
            }
        }
        texts.formUnion([
            String(repeating: "+a", count: 20), "cmd /c powershell ${input} \"", "ECHO x | clip && invoke",
            "net user admin /add", "rundll32.exe a,b:c:", "IEX (New-Object Net.WebClient)",
        ])
        let scratch = RegexScratch()
        // Whatever engine answers (the DFA algorithm first for dot-star chains, then for what backtracking
        // gives up on), the answer is backtracking's wherever backtracking decides.
        var differ: [String] = []
        var dfaFirst = 0
        for text in texts {
            let raw = Array(text.utf8)
            for r in regexes {
                let reference = raw.withUnsafeBufferPointer { r.backtrackingMatch($0, scratch: scratch) }
                guard reference >= 0 || reference == -1 else { continue }
                if r.prefersDFA { dfaFirst += 1 }
                let answer = raw.withUnsafeBufferPointer { r.matches($0, scratch: scratch) }
                if answer != (reference >= 0) { differ.append("\(r.pattern) on \(text.prefix(120))") }
            }
        }
        #expect(differ.isEmpty, "\(differ.prefix(5))")
        #expect(dfaFirst > 0)
        #expect(scratch.undecided == 0)
        var matches = 0
        var skipped = 0
        var wrong: [String] = []
        for text in texts {
            let raw = Array(text.utf8)
            let folded = CaseFolding.fold(raw)
            for r in checked {
                let matched = raw.withUnsafeBufferPointer { r.matches($0, scratch: scratch) }
                let holds = folded.withUnsafeBufferPointer { SigmaRegex.holdsInOrder($0, r.orderedRuns!) }
                if matched { matches += 1 }
                if !holds { skipped += 1 }
                if matched && !holds { wrong.append("\(r.pattern) on \(text.prefix(120))") }
            }
        }
        print("Ordered runs: \(checked.count) of \(regexes.count) regexes, \(texts.count) texts, \(matches) matches, \(skipped) engine runs skipped")
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(matches > 0)
        #expect(skipped > 0)
    }

    /// A chain of dot-stars over a long value that holds its pieces on separate lines: the DFA algorithm
    /// answers at once, where backtracking ran into its match limit and said "no match" without knowing.
    @Test func dotStarChainsAndGivingUp() throws {
        let plus = try SigmaRegex(
            Array(repeating: #"\+"#, count: 14).joined(separator: ".*"), caseInsensitive: false, multiline: false,
            dotAll: false)
        #expect(plus.prefersDFA)
        let scratch = RegexScratch()
        let lines = (0..<60).map { _ in String(repeating: "a+", count: 13) }.joined(separator: "\n")
        let oneLine = lines + "\n" + String(repeating: "b+", count: 14)
        #expect(!plus.matches(lines, scratch: scratch))
        #expect(plus.matches(oneLine, scratch: scratch))
        // Nested repeats: backtracking gives up on the first text (its match limit), which used to read as
        // no match without knowing; the DFA algorithm decides.
        let nested = try SigmaRegex("(x+x+)+y", caseInsensitive: false, multiline: false, dotAll: false)
        #expect(!nested.prefersDFA)
        let x = String(repeating: "x", count: 28)
        #expect(Array((x + "zy").utf8).withUnsafeBufferPointer { nested.backtrackingMatch($0, scratch: scratch) } < -1)
        #expect(!nested.matches(x + "zy", scratch: scratch))
        #expect(nested.matches(x + "y", scratch: scratch))
        #expect(scratch.undecided == 0)
    }

    /// Patterns made only of literal runs joined by `.*` are decided without an engine; the answer is the
    /// DFA algorithm's (which never gives up on them) over random texts of lines, for the SigmaHQ chains and
    /// made-up ones with escapes, lazy stars, `re|s` and caseless symbols.
    @Test func dotStarChainsWithoutAnEngine() throws {
        func chain(_ p: String, caseInsensitive: Bool = false) -> [String]? {
            SigmaRegex.dotStarChain(Array(p.utf8), caseInsensitive: caseInsensitive)?.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(chain(#"\+.*\+.*\+"#) == ["+", "+", "+"])
        #expect(chain(#"`.*`.*`"#) == ["`", "`", "`"])
        #expect(chain(#"ab.*?c\.d.*e"#) == ["ab", "c.d", "e"])
        #expect(chain(#".*ab.*cd.*"#) == ["ab", "cd"])
        #expect(chain("ab") == nil)  // no chain
        #expect(chain("a.+b.*c") == nil)  // `.+`
        #expect(chain(#"a\d.*b"#) == nil)  // an escape class
        #expect(chain("(a).*b") == nil)
        #expect(chain("a.*b", caseInsensitive: true) == nil)  // caseless letters
        #expect(chain(#"\{.*\{"#, caseInsensitive: true) == ["{", "{"])
        let patterns: [(String, Bool, Bool)] = [
            (Array(repeating: #"\+"#, count: 14).joined(separator: ".*"), false, false),
            (Array(repeating: #"\{"#, count: 10).joined(separator: ".*"), false, false),
            (#"\^.*\^.*\^.*\^.*\^"#, false, false), ("`.*`.*`.*`.*`", false, false),
            (#"ab.*?c\.d.*e"#, false, false), (#"a.*b.*a"#, false, true), (#"\+\+.*-.*\+"#, true, false),
        ]
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("ab+{^`-.cde\n ")
        let scratch = RegexScratch()
        var decided = 0
        var matched = 0
        for (pattern, caseless, dotAll) in patterns {
            let r = try SigmaRegex(pattern, caseInsensitive: caseless, multiline: false, dotAll: dotAll)
            let runs = try #require(r.dotStarChain, "\(pattern)")
            for _ in 0..<3_000 {
                let text = String((0..<Int.random(in: 0...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                let bytes = Array(text.utf8)
                let dfa = bytes.withUnsafeBufferPointer { b in
                    r.dfaMatch(b.baseAddress ?? UnsafePointer(scratch.empty), b.count, scratch)
                }
                guard dfa >= 0 || dfa == -1 else { continue }
                let fast = bytes.withUnsafeBufferPointer { r.chainMatches($0, runs) }
                #expect(fast == (dfa >= 0), "\(pattern) on \(text.debugDescription)")
                decided += 1
                if fast { matched += 1 }
            }
        }
        #expect(decided > 20_000)
        #expect(matched > 1_000)
    }
}
