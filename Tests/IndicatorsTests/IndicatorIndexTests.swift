import JSON
import Patterning
import Testing

@testable import Indicators

@Suite struct IndicatorIndexTests {
    static let indicators: [(id: String, pattern: String)] = [
        ("i0", "[ipv4-addr:value = '175.45.178.19']"),
        ("i1", "[ipv4-addr:value ISSUBSET '210.52.109.0/24']"),
        ("i2", "[ipv6-addr:value ISSUBSET '2001:db8::/32']"),
        ("i3", "[domain-name:value = 'kisa.or.kr' OR domain-name:value LIKE '%.kisa.or.kr']"),
        ("i4", "[file:hashes.'SHA-256' = 'aa11'] OR [file:hashes.MD5 IN ('bb22', 'cc33')]"),
        ("i5", "[file:hashes.MD5 = 'bb22' AND file:size > 1000]"),
        ("i6", "[url:value MATCHES '^https?://[^/]*evil']"),
        ("i7", "[ipv4-addr:value = '10.0.0.1'] AND [domain-name:value = 'x.com']"),
        ("i8", "([network-traffic:dst_ref.value ISSUBSET '210.52.109.0/24'] REPEATS 5 TIMES) WITHIN 600 SECONDS"),
        ("i9", "[ipv4-addr:value = "),
        ("i10", "[file:size = 4096]"),
        ("i11", "[ipv4-addr:value = '175.45.178.19'] WITHIN 60 SECONDS"),
        ("i12", "[ipv4-addr:value ISSUBSET '175.45.0.0/16'] OR ([a:b = 1] FOLLOWEDBY [a:c = 2])"),
        ("i13", "[domain-name:value NOT = 'kisa.or.kr']"),
        ("i14", "[url:value MATCHES '(?i)EVIL']"),
        ("i15", "[domain-name:value LIKE 'mail.%.or.kr'] OR [domain-name:value = 'boho.kr']"),
        ("i16", "[process:name LIKE 'ps%' AND process:pid > 4] OR [process:name MATCHES '^cmd\\\\.exe$']"),
    ]

    static let index = IndicatorIndex(indicators: indicators)

    func ids(_ json: String) throws -> [String] {
        let o = try #require(try JSONParser.parse(json).objectValue)
        return Self.index.matches(o).map { Self.index.id($0) }
    }

    @Test func sortsPatternsByKind() {
        let k = Self.index.kinds
        #expect(k[0] == .exact)
        #expect(k[1] == .cidr)
        #expect(k[2] == .cidr)
        #expect(k[3] == .exact)
        #expect(k[4] == .exact)
        #expect(k[5] == .anchored)
        #expect(k[6] == .substring)
        #expect(k[14] == .residual)
        #expect(k[15] == .substring)
        #expect(k[16] == .substring)
        #expect(k[7] == .multiObservation)
        #expect(k[8] == .multiObservation)
        #expect(k[9] == .rejected)
        #expect(k[11] == .exact)
        #expect(k[12] == .cidr)
        #expect(k[13] == .residual)
        #expect(Self.index.rejected.map(\.ordinal) == [9])
    }

    @Test func patternsThatParseButCannotCompileAreRejectedWithTheirError() {
        let index = IndicatorIndex(indicators: [
            (id: "a", pattern: "[ipv4-addr:value ISSUBSET '10.0.0.0/99']"),
            (id: "b", pattern: "[domain-name:value MATCHES '(']"),
            (id: "c", pattern: "[ipv4-addr:value = '10.0.0.1']"),
        ])
        #expect(index.rejected.map(\.ordinal) == [0, 1])
        #expect(index.kinds == [.rejected, .rejected, .exact])
        #expect("\(index.rejected[0].error)".contains("CIDR"))
    }

    @Test func matchesSingleObservations() throws {
        #expect(try ids(#"{"type":"ipv4-addr","value":"175.45.178.19"}"#) == ["i0", "i11", "i12"])
        #expect(try ids(#"{"type":"ipv4-addr","value":"210.52.109.77"}"#) == ["i1"])
        #expect(try ids(#"{"type":"ipv4-addr","value":"210.52.109.0/25"}"#) == ["i1"])
        #expect(try ids(#"{"type":"ipv4-addr","value":"210.52.0.0/16"}"#) == [])
        #expect(try ids(#"{"type":"ipv6-addr","value":"2001:db8:1::5"}"#) == ["i2"])
        #expect(try ids(#"{"type":"domain-name","value":"kisa.or.kr"}"#) == ["i3"])
        #expect(try ids(#"{"type":"domain-name","value":"mail.boho.kisa.or.kr"}"#) == ["i3", "i13", "i15"])
        #expect(try ids(#"{"type":"domain-name","value":"boho.kr"}"#) == ["i13", "i15"])
        #expect(try ids(#"{"type":"domain-name","value":"notkisa.or.kr"}"#) == ["i13"])
        #expect(try ids(#"{"type":"file","hashes":{"SHA-256":"aa11"}}"#) == ["i4"])
        #expect(try ids(#"{"type":"file","hashes":{"MD5":"bb22"},"size":10}"#) == ["i4"])
        #expect(
            try ids(#"{"type":"file","hashes":{"MD5":"bb22"},"size":4096}"#)
                == ["i10", "i4", "i5"].sorted { Int($0.dropFirst())! < Int($1.dropFirst())! })
        #expect(try ids(#"{"type":"file","size":4096.0}"#) == ["i10"])
        #expect(try ids(#"{"type":"url","value":"http://www.evil.example/a"}"#) == ["i6", "i14"])
        #expect(try ids(#"{"type":"url","value":"http://good.example/evil"}"#) == ["i14"])
        #expect(try ids(#"{"type":"url","value":"http://www.Evil.example/a"}"#) == ["i14"])
        #expect(try ids(#"{"value":"175.45.178.19"}"#) == [])
        #expect(try ids(#"{"type":"process","name":"psexec.exe","pid":7}"#) == ["i16"])
        #expect(try ids(#"{"type":"process","name":"psexec.exe","pid":1}"#) == [])
        #expect(try ids(#"{"type":"process","name":"cmd.exe"}"#) == ["i16"])
        #expect(try ids(#"{"type":"process","name":"cmd.exe.bak"}"#) == [])
    }

    @Test func requiredLiteralsOfRegexes() {
        func lit(_ re: String) -> String? { PatternMatcher.requiredRegexLiteral(re) }
        #expect(lit("^https?://[^/]*evil") == "evil")
        #expect(lit("abc+def") == "def")
        #expect(lit("abcd?ef") == "abc")
        #expect(lit("x(abcdef)?yz") == "yz")
        #expect(lit("foo\\.example\\.com") == "foo.example.com")
        #expect(lit("a|bcdef") == nil)
        #expect(lit("(?i)abcdef") == nil)
        #expect(lit("\\d+[a-z]{3}") == nil)
    }

    /// The index must give the same answers as evaluating every pattern in full.
    @Test func agreesWithFullEvaluation() throws {
        var generator = IndicatorCorpus(seed: 42)
        let indicators = (0..<3000).map { _ in generator.nextIndicator() }
        let index = IndicatorIndex(indicators: indicators)
        let matchers = indicators.map { try? PatternMatcher($0.pattern) }
        var hits = 0
        for _ in 0..<400 {
            let object = generator.nextObservation(hitRate: 0.5)
            let type = object["type"]!.stringValue!
            let single = ObservationSet(single: object, type: type)
            var expected: [Int32] = []
            for (i, m) in matchers.enumerated() where (try? m?.matches(single)) == true { expected.append(Int32(i)) }
            let got = index.matches(object)
            hits += got.count
            #expect(got == expected, "\(JSONValue.object(object).jsonString)")
            if got != expected { break }
        }
        #expect(hits >= 100)
        #expect(index.census[.exact, default: 0] > 2000)
        #expect(index.census[.cidr, default: 0] > 200)
    }

    /// Prefix and substring candidates are first checked against the `LIKE` operand their entry came
    /// from; an indicator must still be found when another of its alternatives (or the same LIKE
    /// through another entry) is the one that holds.
    @Test func likePrefiltersKeepEveryMatch() throws {
        let patterns = [
            "[domain-name:value LIKE 'd12%.kr' AND domain-name:value != 'd1.kr']",
            "[domain-name:value LIKE 'd123%.kr' AND domain-name:value != 'd1.kr']",
            "[domain-name:value LIKE 'ab%.com' OR domain-name:value LIKE 'd1%.net']",
            "[domain-name:value LIKE 'abcd%.com' OR domain-name:value LIKE 'd123%.net']",
            "[domain-name:value LIKE 'd1%' OR domain-name:value = 'x.kr']",
            "[domain-name:value LIKE '%d12_4%']",
            "[domain-name:value LIKE 'd1_3%.org' OR domain-name:value MATCHES '^d99']",
            "[url:value LIKE 'http://d1%' AND url:value MATCHES 'php$']",
            "[url:value LIKE '%/d12345%' OR url:value LIKE 'https://%']",
        ]
        let indicators = patterns.enumerated().map { (id: "p\($0.offset)", pattern: $0.element) }
        let index = IndicatorIndex(indicators: indicators)
        let matchers = try patterns.map { try PatternMatcher($0) }
        var values: [(String, String)] = []
        for n in [1, 12, 123, 1234, 12345, 12_3456, 1_034, 99, 991, 7] {
            for tld in ["kr", "com", "net", "org"] {
                values.append(("domain-name", "d\(n).\(tld)"))
                values.append(("domain-name", "ab\(n).\(tld)"))
                values.append(("url", "http://d\(n).\(tld)/x.php"))
                values.append(("url", "https://e.\(tld)/d\(n)"))
            }
        }
        values.append(("domain-name", "x.kr"))
        values.append(("domain-name", "d1.kr"))
        var hits = 0
        for (type, value) in values {
            let object = JSONObject([JSONMember(key: "type", value: .string(type)), JSONMember(key: "value", value: .string(value))])
            let single = ObservationSet(single: object, type: type)
            var expected: [Int32] = []
            for (i, m) in matchers.enumerated() where (try? m.matches(single)) == true { expected.append(Int32(i)) }
            let got = index.matches(object)
            hits += got.count
            #expect(got == expected, "\(type) \(value)")
        }
        #expect(hits >= 40)
    }

    /// The index's answers for `patterns` on `objects`, against evaluating each pattern in full.
    func expectAgreement(_ patterns: [String], _ objects: [String], minimumHits: Int) throws {
        let index = IndicatorIndex(indicators: patterns.enumerated().map { (id: "p\($0.offset)", pattern: $0.element) })
        let matchers = patterns.map { try? PatternMatcher($0) }
        var hits = 0
        for json in objects {
            let object = try #require(try JSONParser.parse(json).objectValue)
            guard let type = object["type"]?.stringValue else { continue }
            let single = ObservationSet(single: object, type: type)
            var expected: [Int32] = []
            for (i, m) in matchers.enumerated() where (try? m?.matches(single)) == true { expected.append(Int32(i)) }
            let got = index.matches(object)
            hits += got.count
            #expect(got == expected, "\(json)")
        }
        #expect(hits >= minimumHits)
    }

    /// Alternatives made of simple tests are decided by the index itself; every kind of value, missing
    /// properties and NOT must come out as the matcher has them.
    @Test func simpleChecksAgreeWithTheMatcher() throws {
        let patterns = [
            "[file:hashes.MD5 = 'aa' AND file:size > 100]",
            "[file:hashes.MD5 = 'aa' AND file:size <= 100.5]",
            "[file:hashes.MD5 = 'aa' AND file:name != 'x.exe']",
            "[file:hashes.MD5 = 'aa' AND file:name NOT = 'x.exe']",
            "[file:hashes.MD5 = 'aa' AND file:name < 'm']",
            "[file:hashes.MD5 = 'aa' AND file:name NOT >= 'm']",
            "[file:hashes.MD5 = 'aa' AND file:size NOT < 7]",
            "[file:hashes.MD5 = 'aa' AND file:size = 7]",
            "[file:hashes.MD5 = 'aa' AND file:name LIKE '%.exe']",
            "[file:hashes.MD5 = 'aa' AND file:name NOT LIKE 'x_%']",
            "[file:hashes.MD5 = 'aa' AND file:parent.name = 'p']",
            "[file:hashes.MD5 = 'aa' AND process:name = 'p']",
            "[file:hashes.MD5 = 'aa' AND file:name MATCHES '^x']",
            "[file:hashes.MD5 = 'aa' AND file:name = 'x.exe'] OR [file:size = 7]",
            "[domain-name:value LIKE 'd12%.kr' AND domain-name:value != 'd12.kr']",
            "[domain-name:value LIKE 'd12%' AND domain-name:value NOT LIKE '%.cn']",
            "[url:value MATCHES 'evil' AND url:value > 'http://m']",
            "[url:value LIKE '%/evil/%' AND url:value NOT = 'http://a/evil/']",
            "[url:value MATCHES 'evil'] OR [ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        ]
        var objects: [String] = []
        let names = [#""x.exe""#, #""a.exe""#, #""z""#, #""m""#, "7", "7.0", "true", "null", #"["x.exe"]"#, #"{"a":1}"#]
        for name in names {
            for size in ["7", "7.0", "100", "101", "100.5", "-1", #""7""#, "1e300"] {
                objects.append(#"{"type":"file","hashes":{"MD5":"aa"},"name":\#(name),"size":\#(size)}"#)
            }
            objects.append(#"{"type":"file","hashes":{"MD5":"aa"},"name":\#(name)}"#)
        }
        objects.append(#"{"type":"file","hashes":{"MD5":"aa"}}"#)
        objects.append(#"{"type":"file","hashes":{"MD5":"aa"},"size":7,"parent":{"name":"p"}}"#)
        objects.append(#"{"type":"file","hashes":{"MD5":"aa"},"size":7,"parent":"p"}"#)
        objects.append(#"{"type":"file","size":7}"#)
        for d in ["d12.kr", "d123.kr", "d12x.cn", "d12", "d1.kr", "xd12.kr"] {
            objects.append(#"{"type":"domain-name","value":"\#(d)"}"#)
        }
        for u in ["http://a/evil/", "http://z/evil/x", "http://a/evil", "http://evil.example/"] {
            objects.append(#"{"type":"url","value":"\#(u)"}"#)
        }
        objects.append(#"{"type":"ipv4-addr","value":"10.1.2.3"}"#)
        try expectAgreement(patterns, objects, minimumHits: 100)
        let index = IndicatorIndex(indicators: patterns.enumerated().map { (id: "p\($0.offset)", pattern: $0.element) })
        #expect(index.kinds.last == .substring)
    }

    /// CIDR look-ups read the address in place: every spelling must be taken or refused as the matcher does,
    /// and an address of the other family never matches.
    @Test func cidrLookupsAgreeWithTheMatcher() throws {
        let patterns = [
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            "[ipv4-addr:value ISSUBSET '10.1.2.0/24']",
            "[ipv4-addr:value ISSUBSET '0.0.0.0/0']",
            "[ipv4-addr:value ISSUBSET '10.1.2.3/32']",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            "[ipv6-addr:value ISSUBSET '::/0']",
        ]
        var objects: [String] = []
        for v in [
            "10.1.2.3", "10.1.2.3/32", "10.1.2.3/24", "10.1.2.0/24", "10.1.0.0/16", "10.1.2.3/33", "10.1.2.3/",
            "10.1.2.3/024", "10.1.2.3/0", "010.1.2.3", "10.1.2.03", "10.1.2", "10.1.2.3.4", "10.1.2.256", "10..2.3",
            "10.1.2.3 ", "", "2001:db8::1", "::ffff:10.1.2.3", "2001:db8::/16",
        ] {
            objects.append(#"{"type":"ipv4-addr","value":"\#(v)"}"#)
            objects.append(#"{"type":"ipv6-addr","value":"\#(v)"}"#)
        }
        objects.append(#"{"type":"ipv4-addr","value":167837955}"#)
        objects.append(#"{"type":"ipv4-addr"}"#)
        try expectAgreement(patterns, objects, minimumHits: 20)
    }

    /// Values longer than the scratch room (2048 bytes) are read in place: every kind of look-up must still
    /// find them.
    @Test func longValuesAgreeWithTheMatcher() throws {
        let long = String(repeating: "a", count: 3000)
        let patterns = [
            "[url:value = 'http://\(long)']",
            "[url:value MATCHES 'evil' AND url:value > 'http://a']",
            "[url:value LIKE 'http://a%']",
            "[url:value LIKE 'http://\(long)%' AND url:value != 'http://x']",
            "[domain-name:value = 'x.kr' OR domain-name:value LIKE '%.\(long).kr']",
            "[file:hashes.MD5 = 'aa' AND file:name = '\(long)']",
            "[file:hashes.MD5 = 'aa' AND file:name LIKE '%\(long)']",
            "[file:hashes.MD5 = 'aa' AND file:name < '\(long)b']",
        ]
        var objects: [String] = []
        for u in ["http://\(long)", "http://\(long)/evil", "http://\(long)x", "http://a", "http://x"] {
            objects.append(#"{"type":"url","value":"\#(u)"}"#)
        }
        for d in ["x.kr", "w.\(long).kr", "\(long).kr", "w.\(long)a.kr"] {
            objects.append(#"{"type":"domain-name","value":"\#(d)"}"#)
        }
        for n in [long, long + "b", "b" + long, "a"] {
            objects.append(#"{"type":"file","hashes":{"MD5":"aa"},"name":"\#(n)"}"#)
        }
        try expectAgreement(patterns, objects, minimumHits: 10)
    }

    /// A 4-byte window hit counts only when the whole literal stands there; a literal may start where an
    /// earlier window failed, or end the value.
    @Test func gramLiteralsAreCheckedWhole() throws {
        let patterns = [
            "[url:value MATCHES '^https?://[^/]*abcdef']",
            "[url:value LIKE '%abcdefgh%']",
            "[url:value MATCHES 'abcd']",
            "[url:value MATCHES 'abcdex' AND url:value LIKE 'http%']",
        ]
        var objects: [String] = []
        for u in [
            "http://abcdef.kr/", "http://abcdXabcdef/", "http://abcde/", "http://x/abcdef", "http://abcdabcdefgh",
            "https://zabcdef", "http://abcdefg", "http://abcd", "ftp://abcdex", "http://abcdabcdex", "abcdefgh",
        ] {
            objects.append(#"{"type":"url","value":"\#(u)"}"#)
        }
        try expectAgreement(patterns, objects, minimumHits: 15)
    }
}
