import Testing

@testable import Patterning

@Suite struct PatternParserTests {
    @Test(arguments: [
        "[file:name = 'a']",
        "[file:name == 'a']",
        "[file:name <> 'a']",
        "[file:name NOT = 'a']",
        "[file:size > 5 AND file:size <= 10.5]",
        "[file:size IN (1, 2.5, -3)]",
        "[file:name NOT IN ()]",
        "[file:name LIKE 'mss%.exe' OR file:name MATCHES '^a+$']",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] OR [ipv6-addr:value NOT ISSUPERSET '2001:db8::/32']",
        "[EXISTS file:name]",
        "[NOT EXISTS file:hashes.MD5]",
        "[file:hashes.'SHA-256' = 'ab']",
        "[file:'hashes'.md5 = 'ab']",
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        "[file:x[0].y[-1] = 1]",
        "[artifact:payload_bin = b'aGVsbG8=' OR artifact:payload_bin = h'0aFF']",
        "[file:ctime < t'2024-03-01T10:00:00.123Z']",
        "[file:name = 'it\\'s \\\\ here']",
        "[network-traffic:is_active = true]",
        "[a:b = 1] FOLLOWEDBY [c:d = 2] WITHIN 5 SECONDS",
        "([a:b = 1] OR [c:d = 2]) REPEATS 3 TIMES WITHIN 2.5 SECONDS",
        "[a:b = 1] START t'2024-01-01T00:00:00Z' STOP t'2024-01-02T00:00:00Z'",
        "[a:b = +1] /* comment */ AND [a:c = .5] // trailing",
        "[(a:b = 1 OR a:c = 2) AND a:d = 3]",
        "[file:name\u{00A0}=\u{3000}'a']",
    ])
    func acceptsValidPatterns(_ text: String) throws {
        _ = try Pattern.parse(text)
    }

    @Test func everyKeywordIsRecognizedAndNothingElse() {
        for k in PatternKeyword.allCases {
            #expect(k.spelling.description == k.rawValue)
            #expect(PatternLexer.keyword(ArraySlice(k.rawValue.utf8)) == k)
            // Lower case, one letter short or one too many is an identifier.
            #expect(PatternLexer.keyword(ArraySlice(k.rawValue.lowercased().utf8)) == nil)
            #expect(PatternLexer.keyword(ArraySlice(k.rawValue.dropLast().utf8)) == nil)
            #expect(PatternLexer.keyword(ArraySlice((k.rawValue + "S").utf8)) == nil)
        }
    }

    @Test func keyKindsFromSuffixes() {
        #expect(PatternMatcher.keyKind("src_ref") == .ref)
        #expect(PatternMatcher.keyKind("child_refs") == .refs)
        #expect(PatternMatcher.keyKind("payload_bin") == .bin)
        #expect(PatternMatcher.keyKind("key_hex") == .hex)
        #expect(PatternMatcher.keyKind("_ref") == .ref)
        #expect(PatternMatcher.keyKind("ref") == .plain)
        #expect(PatternMatcher.keyKind("x_reference") == .plain)
        #expect(PatternMatcher.keyKind("refs") == .plain)
        #expect(PatternMatcher.keyKind("a_bins") == .plain)
        #expect(PatternMatcher.keyKind("é_ref") == .ref)
    }

    @Test func precedenceQualifiersBindTightestThenAndOrFollowedBy() throws {
        let p = try Pattern.parse("[a:x = 1] OR [a:x = 2] AND [a:x = 3] FOLLOWEDBY [a:x = 4] WITHIN 5 SECONDS")
        guard case .followedBy(let seq) = p.root, seq.count == 2 else { Issue.record("\(p.root)"); return }
        guard case .or(let ors) = seq[0], ors.count == 2, case .and(let ands) = ors[1], ands.count == 2 else {
            Issue.record("\(seq[0])")
            return
        }
        guard case .within(.observation, let d) = seq[1] else { Issue.record("\(seq[1])"); return }
        #expect(d == PatternDuration(seconds: 5))
    }

    @Test func comparisonAndBindsTighterThanOr() throws {
        let p = try Pattern.parse("[a:x = 1 OR a:y = 2 AND a:z = 3]")
        guard case .observation(.or(let xs)) = p.root, xs.count == 2, case .and = xs[1] else {
            Issue.record("\(p.root)")
            return
        }
    }

    @Test func literalsDecode() throws {
        func value(_ lit: String) throws -> PatternLiteral? {
            let p = try Pattern.parse("[x:y = \(lit)]")
            guard case .observation(.test(let t)) = p.root else { return nil }
            return t.value
        }
        #expect(try value("'a\\'b\\\\c'") == .string("a'b\\c"))
        #expect(try value("-12") == .integer(-12))
        #expect(try value("+7") == .integer(7))
        #expect(try value("-.25") == .float(-0.25))
        #expect(try value("99999999999999999999") == .float(1e20))
        #expect(try value("false") == .bool(false))
        #expect(try value("b'aGk='") == .binary([0x68, 0x69]))
        #expect(try value("h'00ff'") == .binary([0x00, 0xFF]))
        #expect(
            try value("t'1970-01-02T00:00:01.5Z'") == .timestamp(Timestamp(seconds: 86_401, nanoseconds: 500_000_000)))
    }

    @Test func objectPathSteps() throws {
        let p = try Pattern.parse("[file:extensions.'windows-pebinary-ext'.sections[*].name[2] = 'x']")
        guard case .observation(.test(let t)) = p.root else { Issue.record("\(p.root)"); return }
        #expect(t.path.objectType == "file")
        #expect(
            t.path.steps == [
                .key("extensions"), .key("windows-pebinary-ext"), .key("sections"), .anyIndex, .key("name"), .index(2),
            ])
    }

    /// Each error names the byte offset and what the grammar wanted there.
    @Test(arguments: [
        ("[file:name = 'a'", 16, "expected ']'"),
        ("[file:name = 'a'] and [file:name = 'b']", 18, "expected 'AND', 'OR', 'FOLLOWEDBY'"),
        ("[file:name 'a']", 11, "expected a comparison operator"),
        ("[file:name = ]", 13, "expected a literal"),
        ("[file:x = TRUE]", 10, "expected a literal"),
        ("[file:x < true]", 10, "orderable literal"),
        ("[file:x LIKE 1]", 13, "a string literal after LIKE"),
        ("[file:extensions.windows-pebinary-ext.x = 1]", 17, "must be quoted"),
        ("[1x:a = 1]", 1, "expected an object type"),
        ("[file = 1]", 6, "expected ':'"),
        ("[file:a = 1] WITHIN -5 SECONDS", 20, "positive number of seconds"),
        ("[file:a = 1] WITHIN 5", 21, "expected 'SECONDS'"),
        ("[file:a = 1] REPEATS 2", 22, "expected 'TIMES'"),
        ("[file:a = 1] START '2020-01-01T00:00:00Z' STOP t'2020-01-01T00:00:00Z'", 19, "timestamp t'…' after START"),
        ("[file:a = 'x\\ny']", 12, "invalid escape"),
        ("[file:a = 'abc]", 10, "closing quote"),
        ("[file:a = t'2020-13-01T00:00:00Z']", 10, "invalid timestamp"),
        ("[file:a = t'2021-02-29T00:00:00Z']", 10, "invalid timestamp"),
        ("[file:a = t'2020-01-01T00:00:60Z']", 10, "invalid timestamp"),
        ("[file:a = t'2020-01-01t00:00:00Z']", 10, "invalid timestamp"),
        ("[file:a = b'AAA']", 10, "invalid base64"),
        ("[file:a = h'0']", 10, "invalid hex"),
        ("[file:a IN (1, 'a')]", 11, "set members must all have one type"),
        ("[file:a IN (true, 1)]", 11, "set members must all have one type"),
        ("[file:a = 1] REPEATS 0 TIMES", 21, "REPEATS count must be at least 1"),
        ("[file:a = 1] WITHIN 0 SECONDS", 20, "greater than zero"),
        ("[file:a = 1] [file:b = 2]", 13, "expected 'AND', 'OR'"),
        ("[]", 1, "expected an object type"),
        ("", 0, "expected '[' or '('"),
        ("[file:a = 1] /* open", 13, "'*/'"),
        ("[file:a = 1 ] § ", 14, "unexpected character '§'"),
    ])
    func syntaxErrorsNamePositionAndExpectation(_ text: String, _ offset: Int, _ message: String) {
        #expect(throws: PatternError.self) { try Pattern.parse(text) }
        do {
            _ = try Pattern.parse(text)
        } catch {
            #expect(error.offset == offset, "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.contains("at position \(offset)"))
        }
    }

    @Test func nestingBeyondTheLimitIsRejectedWithoutRecursingTooDeep() {
        let deep = String(repeating: "(", count: 100_000) + "[a:b = 1]" + String(repeating: ")", count: 100_000)
        do {
            _ = try Pattern.parse(deep)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .tooDeep(limit: PatternParser.maxDepth))
            #expect(error.offset == PatternParser.maxDepth)
        }
        let brackets =
            "[" + String(repeating: "(", count: 50_000) + "a:b = 1" + String(repeating: ")", count: 50_000) + "]"
        #expect(throws: PatternError.self) { try Pattern.parse(brackets) }
        let qualifiers = "[a:b = 1]" + String(repeating: " WITHIN 1 SECONDS", count: 1000)
        #expect(throws: PatternError.self) { try Pattern.parse(qualifiers) }
        let ok = String(repeating: "(", count: 50) + "[a:b = 1]" + String(repeating: ")", count: 50)
        #expect(throws: Never.self) { try Pattern.parse(ok) }
    }

    @Test func longFlatChainsParseAndMatch() throws {
        let chain = (0..<20_000).map { "[ipv4-addr:value = '10.0.\($0 / 256).\($0 % 256)']" }.joined(separator: " OR ")
        let p = try Pattern.parse(chain)
        guard case .or(let xs) = p.root else { Issue.record("not an OR"); return }
        #expect(xs.count == 20_000)
        #expect(try Fixture.match(chain) == false)
        #expect(try Fixture.match(chain + " OR [ipv4-addr:value = '175.45.178.19']"))
    }

    @Test func semanticChecks() throws {
        func errors(_ s: String) -> [String] { PatternValidation.errors(in: s).map(\.description) }
        #expect(errors("[file:size = 5]").isEmpty)
        #expect(errors("[x-acme-widget:colour = 'red']").isEmpty)
        #expect(errors("[fiel:name = 'a']").first?.contains("unknown cyber-observable type 'fiel'") == true)
        #expect(errors("[indicator:name = 'a']").first?.contains("not a cyber-observable type") == true)
        #expect(
            errors("[file:size = 'big']").first?.contains("file:size is an integer; compared with a string") == true)
        #expect(errors("[file:ctime > '2020']").first?.contains("file:ctime is a timestamp") == true)
        #expect(errors("[network-traffic:is_active = 1]").first?.contains("is a boolean") == true)
        #expect(errors("[file:name ISSUBSET '10.0.0.0/8']").first?.contains("applies to IP address values") == true)
        #expect(errors("[file:size LIKE '1%']").first?.contains("LIKE applies to strings") == true)
        #expect(errors("[ipv4-addr:value ISSUBSET 'not-an-ip']").first?.contains("IPv4 or IPv6") == true)
        #expect(errors("[file:name MATCHES '(']").first?.contains("invalid regular expression") == true)
        #expect(
            errors("[file:name = 'a'] START t'2024-01-02T00:00:00Z' STOP t'2024-01-01T00:00:00Z'").first?.contains(
                "START must be before STOP") == true)
    }
}
