import Events
import Testing

@testable import Sigma

@Suite struct ModifierTests {
    static func cmd(_ s: String, _ extra: [(String, EventValue)] = []) -> Event {
        Support.windowsEvent(data: [("CommandLine", .string(s)), ("Image", .string("C:\\Windows\\System32\\cmd.exe"))] + extra)
    }

    static func fires(_ body: String, _ event: Event) throws -> Bool {
        try Support.fires(Support.processRule(body), event)
    }

    @Test func plainValueIsCaseInsensitiveExactMatch() throws {
        let body = "    sel:\n        CommandLine: 'whoami /all'\n    condition: sel"
        #expect(try Self.fires(body, Self.cmd("WHOAMI /ALL")))
        #expect(try !Self.fires(body, Self.cmd("whoami /all x")))
    }

    @Test func containsStartsEnds() throws {
        #expect(try Self.fires("    sel:\n        CommandLine|contains: 'mimi'\n    condition: sel", Self.cmd("x MimiKatz y")))
        #expect(try Self.fires("    sel:\n        CommandLine|startswith: 'net '\n    condition: sel", Self.cmd("NET user")))
        #expect(try !Self.fires("    sel:\n        CommandLine|startswith: 'net '\n    condition: sel", Self.cmd("xnet user")))
        #expect(try Self.fires("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", Self.cmd("")))
    }

    @Test func allModifierNeedsEveryValue() throws {
        let body = "    sel:\n        CommandLine|contains|all:\n            - 'a1'\n            - 'b2'\n    condition: sel"
        #expect(try Self.fires(body, Self.cmd("b2 then a1")))
        #expect(try !Self.fires(body, Self.cmd("a1 only")))
    }

    @Test func wildcardsAndEscapes() throws {
        #expect(try Self.fires("    sel:\n        CommandLine: 'prog?.exe'\n    condition: sel", Self.cmd("progA.exe")))
        #expect(try !Self.fires("    sel:\n        CommandLine: 'prog?.exe'\n    condition: sel", Self.cmd("prog.exe")))
        #expect(try Self.fires("    sel:\n        CommandLine: 'a*z'\n    condition: sel", Self.cmd("abcz")))
        // Escaped wildcard: a literal star.
        #expect(try Self.fires("    sel:\n        CommandLine: 'a\\*z'\n    condition: sel", Self.cmd("a*z")))
        #expect(try !Self.fires("    sel:\n        CommandLine: 'a\\*z'\n    condition: sel", Self.cmd("abz")))
        // `\\*`: a backslash then a wildcard.
        #expect(try Self.fires("    sel:\n        CommandLine: 'c:\\\\*'\n    condition: sel", Self.cmd("C:\\Windows")))
        // `\\\*`: a backslash and a literal star.
        #expect(try Self.fires("    sel:\n        CommandLine: 'c:\\\\\\*'\n    condition: sel", Self.cmd("c:\\*")))
        #expect(try !Self.fires("    sel:\n        CommandLine: 'c:\\\\\\*'\n    condition: sel", Self.cmd("c:\\x")))
        // A plain backslash not before a wildcard stays.
        #expect(try Self.fires("    sel:\n        Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel", Self.cmd("")))
    }

    @Test func globPieces() {
        #expect(StringPattern.pieces(of: "a\\\\b") == [.literal(Array("a\\b".utf8))])
        #expect(StringPattern.pieces(of: "a\\b") == [.literal(Array("a\\b".utf8))])
        #expect(StringPattern.pieces(of: "\\\\\\\\") == [.literal(Array("\\\\".utf8))])
        let p = StringPattern(pieces: StringPattern.pieces(of: "*a?c*d"), caseSensitive: false)
        for (text, want) in [("xxabcyd", true), ("abd", false), ("aXcd", true), ("a€cd", true)] {
            var t = text
            #expect(t.withUTF8 { p.matches($0) } == want, "\(text)")
        }
    }

    /// The wildcard matcher against a plain recursive one, over random patterns and texts of a small
    /// alphabet (stars, `?`, literals, repeated letters: where a star must skip false starts).
    @Test func globAgreesWithAReference() {
        func reference(_ p: ArraySlice<Character>, _ t: ArraySlice<Character>) -> Bool {
            guard let c = p.first else { return t.isEmpty }
            switch c {
            case "*": return reference(p.dropFirst(), t) || (!t.isEmpty && reference(p, t.dropFirst()))
            case "?": return !t.isEmpty && reference(p.dropFirst(), t.dropFirst())
            default: return t.first == c && reference(p.dropFirst(), t.dropFirst())
            }
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", "a", "*", "?", "c"]
        var checked = 0
        for _ in 0..<3_000 {
            let pattern = String((0..<Int.random(in: 1...7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let p = StringPattern(pieces: StringPattern.pieces(of: pattern), caseSensitive: true)
            for _ in 0..<8 {
                var text = String((0..<Int.random(in: 0...10, using: &rng)).map { _ in "abc".randomElement(using: &rng)! })
                let want = reference(ArraySlice(Array(pattern)), ArraySlice(Array(text)))
                #expect(text.withUTF8 { p.matches($0) } == want, "\(pattern) on \(text)")
                checked += 1
            }
        }
        #expect(checked == 24_000)
    }

    @Test func casedModifier() throws {
        #expect(try Self.fires("    sel:\n        CommandLine|cased: 'Abc'\n    condition: sel", Self.cmd("Abc")))
        #expect(try !Self.fires("    sel:\n        CommandLine|cased: 'Abc'\n    condition: sel", Self.cmd("abc")))
    }

    @Test func regexWithFlags() throws {
        #expect(try Self.fires("    sel:\n        CommandLine|re: 'net\\s+user'\n    condition: sel", Self.cmd("x net  user")))
        #expect(try !Self.fires("    sel:\n        CommandLine|re: 'net\\s+user'\n    condition: sel", Self.cmd("NET USER")))
        #expect(try Self.fires("    sel:\n        CommandLine|re|i: 'net\\s+user'\n    condition: sel", Self.cmd("NET USER")))
        #expect(try Self.fires("    sel:\n        CommandLine|re|m: '^b$'\n    condition: sel", Self.cmd("a\nb\nc")))
        #expect(try !Self.fires("    sel:\n        CommandLine|re: '^b$'\n    condition: sel", Self.cmd("a\nb\nc")))
        #expect(try Self.fires("    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel", Self.cmd("a\nb")))
        #expect(try !Self.fires("    sel:\n        CommandLine|re: 'a.b'\n    condition: sel", Self.cmd("a\nb")))
    }

    @Test func badRegexIsAnError() {
        let c = RuleLoader.load(text: Support.processRule("    sel:\n        CommandLine|re: 'a(b'\n    condition: sel"))
        #expect(c.rules.isEmpty)
        #expect(c.failures.first?.category == "regex")
    }

    @Test func pathologicalRegexTerminates() throws {
        let body = "    sel:\n        CommandLine|re: '(a+)+$'\n    condition: sel"
        #expect(try !Self.fires(body, Self.cmd(String(repeating: "a", count: 5000) + "!")))
    }

    @Test func windash() throws {
        let body = "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel"
        for v in ["x -enc y", "x /enc y", "x \u{2013}enc y", "x \u{2014}enc y", "x \u{2015}enc y"] {
            #expect(try Self.fires(body, Self.cmd(v)), "\(v)")
        }
        #expect(try !Self.fires(body, Self.cmd("x +enc y")))
        #expect(try FieldTest.windashVariants("a-b") == ["a-b"])
        #expect(try FieldTest.windashVariants("-a /b").count == 25)
    }

    @Test func base64AndOffsets() throws {
        #expect(Base64.encode(Array("cmd".utf8)) == Array("Y21k".utf8))
        #expect(Base64.encode(Array("ab".utf8)) == Array("YWI=".utf8))
        let variants = Base64.offsetVariants(Array("http://".utf8)).map { String(decoding: $0, as: UTF8.self) }
        #expect(variants == ["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"])
        let body = "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel"
        #expect(try Self.fires(body, Self.cmd("powershell -e aHR0cDovL2V4YW1wbGU=")))
        #expect(try Self.fires(body, Self.cmd("powershell -e " + "IGh0dHA6Ly8=")))
        let plain = "    sel:\n        CommandLine|base64: 'cmd'\n    condition: sel"
        #expect(try Self.fires(plain, Self.cmd("Y21k")))
    }

    @Test func utf16Encodings() throws {
        #expect(FieldTest.utf16(Array("cmd".utf8), bigEndian: false, bom: false) == [0x63, 0, 0x6D, 0, 0x64, 0])
        #expect(FieldTest.utf16(Array("cmd".utf8), bigEndian: true, bom: false) == [0, 0x63, 0, 0x6D, 0, 0x64])
        #expect(FieldTest.utf16(Array("c".utf8), bigEndian: false, bom: true) == [0xFF, 0xFE, 0x63, 0])
        // "cmd" as UTF-16LE, base64: YwBtAGQA
        let body = "    sel:\n        CommandLine|wide|base64|contains: 'cmd'\n    condition: sel"
        #expect(try Self.fires(body, Self.cmd("-enc YwBtAGQA")))
        let offset = "    sel:\n        CommandLine|utf16le|base64offset|contains: 'cmd'\n    condition: sel"
        #expect(try Self.fires(offset, Self.cmd("-enc YwBtAGQA")))
    }

    @Test func numericComparisons() throws {
        let e = Self.cmd("", [("Size", .uint(1500))])
        #expect(try Self.fires("    sel:\n        Size|gt: 1000\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Size|gte: 1500\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Size|lt: 1500\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Size|lte: 1500\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Nope|gt: 1\n    condition: sel", e))
    }

    @Test func cidr() throws {
        let e = Self.cmd("", [("DestinationIp", .string("10.1.2.3")), ("SourceIp", .string("fe80::1"))])
        #expect(try Self.fires("    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        DestinationIp|cidr: '192.168.0.0/16'\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        SourceIp|cidr: 'fe80::/10'\n    condition: sel", e))
        #expect(CIDRRange("10.0.0.0/33") == nil)
    }

    @Test func existsNullAndEmpty() throws {
        let e = Self.cmd("", [("Empty", .string("")), ("Nothing", .null)])
        #expect(try Self.fires("    sel:\n        CommandLine|exists: true\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Missing|exists: false\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Missing|exists: true\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Missing: null\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Nothing: null\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Image: null\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Empty: ''\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Empty: null\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Missing: ''\n    condition: sel", e))
    }

    @Test func neq() throws {
        let e = Self.cmd("abc")
        #expect(try Self.fires("    sel:\n        CommandLine|neq: 'x'\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        CommandLine|neq:\n            - 'x'\n            - 'ABC'\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        Missing|neq: 'x'\n    condition: sel", e))
    }

    @Test func fieldref() throws {
        let e = Self.cmd("C:\\Windows\\System32\\cmd.exe", [("ParentImage", .string("c:\\windows\\system32\\CMD.exe"))])
        #expect(try Self.fires("    sel:\n        CommandLine|fieldref: ParentImage\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        CommandLine|fieldref|cased: ParentImage\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        Image|fieldref|endswith: CommandLine\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        CommandLine|fieldref: Missing\n    condition: sel", e))
    }

    @Test func expandPlaceholders() throws {
        #expect(FieldTest.expandPlaceholders("%a%\\x", [:]) == ["*\\x"])
        #expect(FieldTest.expandPlaceholders("%a%-%b%", ["a": ["1", "2"], "b": ["z"]]) == ["1-z", "2-z"])
        #expect(try Self.fires("    sel:\n        Image|expand: '%SystemRoot%\\cmd.exe'\n    condition: sel", Self.cmd("")))
    }

    @Test func timeParts() throws {
        let e = Self.cmd("", [("UtcTime", .string("2024-03-05 22:15:00.000"))])
        #expect(try Self.fires("    sel:\n        UtcTime|hour: 22\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|minute: 15\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|day: 5\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|month: 3\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|year: 2024\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|week: 10\n    condition: sel", e))
        #expect(try Self.fires("    sel:\n        UtcTime|hour|gte: 20\n    condition: sel", e))
        #expect(try !Self.fires("    sel:\n        UtcTime|hour|lt: 20\n    condition: sel", e))
        #expect(TimePart.isoWeek(year: 2021, month: 1, day: 3) == 53)
        #expect(TimePart.isoWeek(year: 2024, month: 12, day: 30) == 1)
    }

    @Test func unknownModifierIsAnError() {
        let c = RuleLoader.load(text: Support.processRule("    sel:\n        CommandLine|bogus: 'x'\n    condition: sel"))
        #expect(c.rules.isEmpty)
        #expect(c.failures.first?.kind == .unknownModifier("bogus"))
    }

    @Test func numbersMatchNumericFields() throws {
        let body = "    sel:\n        EventID: 1\n    condition: sel"
        #expect(try Self.fires(body, Self.cmd("")))
    }
}
