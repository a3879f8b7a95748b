import JSON
import Testing

@testable import Patterning

/// Hand-written cases for every operator and qualifier over ``Fixture/standard``:
/// observed-data 1 (10:00:00–10:00:10, a file, its directory and a process), 2 (10:00:20–10:00:30, seen
/// 3 times: network traffic between an IPv4 and an IPv6 address) and 3 (11:00:00: an artifact and an email address).
@Suite struct PatternMatcherTests {
    static let md5 = "db349b97c37d22f5ea1d1841e3c89eb4"
    static let sha256 = "24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c"

    @Test(arguments: [
        // = and != and NOT
        ("[file:name = 'mssecsvc.exe']", true),
        ("[file:name == 'mssecsvc.exe']", true),
        ("[file:name = 'MSSECSVC.EXE']", false),
        ("[file:name != 'tasksche.exe']", true),
        ("[file:name <> 'mssecsvc.exe']", false),
        ("[file:name NOT = 'mssecsvc.exe']", false),
        ("[file:name NOT != 'mssecsvc.exe']", true),
        ("[file:size = 3723264]", true),
        ("[file:size = 3723264.0]", true),
        ("[file:size = '3723264']", false),
        ("[file:hashes.MD5 = '\(md5)']", true),
        ("[file:hashes.'SHA-256' = '\(sha256)']", true),
        ("[file:hashes != 'x']", true),
        ("[network-traffic:is_active = true]", true),
        ("[network-traffic:is_active = 1]", false),
        ("[process:is_hidden = false]", true),
        ("[email-addr:display_name = '김철수']", true),
        // ordering
        ("[file:size > 1000000]", true),
        ("[file:size < 1000]", false),
        ("[file:size >= 3723264]", true),
        ("[file:size <= 3723263]", false),
        ("[file:size NOT < 1000]", true),
        ("[file:name > 'm']", true),
        ("[file:name < 'm']", false),
        ("[file:name > 5]", false),
        ("[file:name NOT > 5]", false),
        ("[file:ctime < t'2024-03-01T10:00:00Z']", true),
        ("[file:ctime = t'2024-03-01T09:59:00.500Z']", true),
        ("[file:ctime > t'2024-03-01T09:59:00.5001Z']", false),
        // IN
        ("[network-traffic:dst_port IN (80, 443)]", true),
        ("[network-traffic:dst_port IN (80, 443.0)]", true),
        ("[network-traffic:dst_port NOT IN (80, 8080)]", true),
        ("[network-traffic:dst_port IN ()]", false),
        ("[network-traffic:dst_port NOT IN ()]", true),
        ("[network-traffic:is_active IN (1, 2)]", false),
        ("[file:name IN ('a.exe', 'mssecsvc.exe')]", true),
        // LIKE
        ("[file:name LIKE 'mss%.exe']", true),
        ("[file:name LIKE 'mssecsvc._xe']", true),
        ("[file:name LIKE 'mss%.dll']", false),
        ("[file:name LIKE 'MSS%']", false),
        ("[file:name NOT LIKE '%.dll']", true),
        ("[file:name LIKE '%']", true),
        ("[file:name LIKE '%%s%%e%']", true),
        ("[email-addr:display_name LIKE '김_수']", true),
        ("[file:size LIKE '%']", false),
        // MATCHES (PCRE2, search anywhere)
        ("[file:name MATCHES '^mss[a-z]+\\\\.exe$']", true),
        ("[process:command_line MATCHES '-m\\\\s+security']", true),
        ("[file:name MATCHES 'dll$']", false),
        ("[file:name NOT MATCHES 'dll$']", true),
        ("[email-addr:display_name MATCHES '^\\\\w{3}$']", true),
        ("[artifact:payload_bin MATCHES 'wor']", true),
        ("[file:size MATCHES '3']", false),
        // ISSUBSET / ISSUPERSET, IPv4 and IPv6
        ("[ipv4-addr:value ISSUBSET '175.45.176.0/22']", true),
        ("[ipv4-addr:value ISSUBSET '175.45.180.0/22']", false),
        ("[ipv4-addr:value ISSUBSET '175.45.178.19']", true),
        ("[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", true),
        ("[ipv6-addr:value ISSUBSET '2001:db8::/32']", true),
        ("[ipv6-addr:value ISSUBSET '2001:db9::/32']", false),
        ("[ipv6-addr:value ISSUBSET '175.45.0.0/16']", false),
        ("[ipv4-addr:value ISSUPERSET '175.45.178.19/32']", true),
        ("[ipv4-addr:value ISSUPERSET '175.45.178.0/24']", false),
        // EXISTS
        ("[EXISTS file:hashes.MD5]", true),
        ("[EXISTS file:hashes.SHA1]", false),
        ("[NOT EXISTS file:hashes.SHA1]", true),
        ("[NOT EXISTS file:name]", false),
        ("[EXISTS file:name AND file:size > 10]", true),
        // paths: lists, [*], negative indexes, quoted keys
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.5]", true),
        ("[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.5]", false),
        ("[file:extensions.'windows-pebinary-ext'.sections[1].name = '.rsrc']", true),
        ("[file:extensions.'windows-pebinary-ext'.sections[2].name = '.rsrc']", false),
        ("[file:x_tags[*] = 'lazarus']", true),
        ("[file:x_tags = 'lazarus']", false),
        ("[file:x_tags[-1] = 'lazarus']", false),
        ("[file:'name' = 'mssecsvc.exe']", true),
        // references resolve within the same observed-data
        ("[network-traffic:src_ref.value = '175.45.178.19']", true),
        ("[network-traffic:dst_ref.value ISSUBSET '2001:db8::/32']", true),
        ("[file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']", true),
        ("[process:image_ref.hashes.MD5 = '\(md5)']", true),
        ("[process:image_ref.parent_directory_ref.path LIKE 'C:%']", true),
        // binary values (_bin / _hex properties) against binary and string constants
        ("[artifact:payload_bin = b'aGVsbG8gd29ybGQ=']", true),
        ("[artifact:payload_bin = h'68656c6c6f20776f726c64']", true),
        ("[artifact:payload_bin = 'hello world']", true),
        ("[artifact:payload_bin > 'hello']", true),
        ("[artifact:payload_bin LIKE 'hello%']", true),
        // comparison AND/OR apply to one object
        ("[file:name = 'mssecsvc.exe' AND file:size = 3723264]", true),
        ("[file:name = 'mssecsvc.exe' AND process:pid = 4242]", false),
        ("[file:name = 'nope' OR process:pid = 4242]", true),
        ("[(file:name = 'nope' OR file:size > 5) AND file:hashes.MD5 = '\(md5)']", true),
        // SDO types never match
        ("[observed-data:number_observed = 1]", false),
    ])
    func comparison(_ pattern: String, _ expected: Bool) throws {
        #expect(try Fixture.match(pattern) == expected, "\(pattern)")
    }

    @Test(arguments: [
        // AND / OR between observations: each bracket binds its own observation
        ("[file:name = 'mssecsvc.exe'] AND [ipv4-addr:value = '175.45.178.19']", true),
        ("[file:name = 'mssecsvc.exe'] AND [process:pid = 4242]", false),
        ("[ipv4-addr:value = '175.45.178.19'] AND [ipv6-addr:value = '2001:db8:85a3::8a2e:370:7334']", true),
        ("[file:name = 'mssecsvc.exe'] OR [file:name = 'nope']", true),
        ("[file:name = 'nope'] OR [file:name = 'nope2']", false),
        // FOLLOWEDBY, non-strict
        ("[file:name = 'mssecsvc.exe'] FOLLOWEDBY [ipv4-addr:value = '175.45.178.19']", true),
        ("[ipv4-addr:value = '175.45.178.19'] FOLLOWEDBY [file:name = 'mssecsvc.exe']", false),
        ("[ipv4-addr:value = '175.45.178.19'] FOLLOWEDBY [ipv4-addr:value = '175.45.178.19']", true),
        (
            "[file:name = 'mssecsvc.exe'] FOLLOWEDBY [ipv4-addr:value = '175.45.178.19'] FOLLOWEDBY [artifact:mime_type = 'text/plain']",
            true
        ),
        (
            "[artifact:mime_type = 'text/plain'] FOLLOWEDBY [file:name = 'mssecsvc.exe'] FOLLOWEDBY [ipv4-addr:value = '175.45.178.19']",
            false
        ),
        // REPEATS counts number_observed
        ("[ipv4-addr:value = '175.45.178.19'] REPEATS 3 TIMES", true),
        ("[ipv4-addr:value = '175.45.178.19'] REPEATS 4 TIMES", false),
        ("[file:name = 'mssecsvc.exe'] REPEATS 2 TIMES", false),
        ("[file:name = 'mssecsvc.exe'] REPEATS 99999999999 TIMES", false),
        ("([file:name = 'mssecsvc.exe'] OR [ipv4-addr:value = '175.45.178.19']) REPEATS 4 TIMES", true),
        ("([file:name = 'mssecsvc.exe'] OR [ipv4-addr:value = '175.45.178.19']) REPEATS 5 TIMES", false),
        ("([ipv4-addr:value = '175.45.178.19'] AND [ipv6-addr:value LIKE '2001:%']) REPEATS 1 TIMES", true),
        ("([ipv4-addr:value = '175.45.178.19'] AND [network-traffic:dst_port = 443]) REPEATS 2 TIMES", false),
        // WITHIN: latest first_observed minus earliest last_observed
        ("([file:name = 'mssecsvc.exe'] AND [ipv4-addr:value = '175.45.178.19']) WITHIN 10 SECONDS", true),
        ("([file:name = 'mssecsvc.exe'] AND [ipv4-addr:value = '175.45.178.19']) WITHIN 9.5 SECONDS", false),
        ("([file:name = 'mssecsvc.exe'] FOLLOWEDBY [email-addr:value = 'kim@naver.com']) WITHIN 3590 SECONDS", true),
        ("([file:name = 'mssecsvc.exe'] FOLLOWEDBY [email-addr:value = 'kim@naver.com']) WITHIN 3589 SECONDS", false),
        ("[file:name = 'mssecsvc.exe'] WITHIN 1 SECONDS", true),
        ("([ipv4-addr:value = '175.45.178.19'] REPEATS 3 TIMES) WITHIN 1 SECONDS", true),
        // START/STOP: half-open [start, stop), overlapping the observation interval
        ("[file:name = 'mssecsvc.exe'] START t'2024-03-01T10:00:10Z' STOP t'2024-03-01T11:00:00Z'", true),
        ("[file:name = 'mssecsvc.exe'] START t'2024-03-01T09:00:00Z' STOP t'2024-03-01T10:00:00Z'", false),
        ("[file:name = 'mssecsvc.exe'] START t'2024-03-01T09:00:00Z' STOP t'2024-03-01T10:00:00.001Z'", true),
        ("[email-addr:value = 'kim@naver.com'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T11:00:01Z'", true),
        ("[email-addr:value = 'kim@naver.com'] START t'2024-03-01T10:00:00Z' STOP t'2024-03-01T11:00:00Z'", false),
        ("[file:name = 'mssecsvc.exe'] START t'2024-03-01T12:00:00Z' STOP t'2024-03-01T10:00:00Z'", false),
        (
            "([file:name = 'mssecsvc.exe'] OR [email-addr:value = 'kim@naver.com']) START t'2024-03-01T10:30:00Z' STOP t'2024-03-01T12:00:00Z'",
            true
        ),
        (
            "([file:name = 'mssecsvc.exe'] AND [email-addr:value = 'kim@naver.com']) START t'2024-03-01T10:30:00Z' STOP t'2024-03-01T12:00:00Z'",
            false
        ),
    ])
    func observationOperatorsAndQualifiers(_ pattern: String, _ expected: Bool) throws {
        #expect(try Fixture.match(pattern) == expected, "\(pattern)")
    }

    @Test func referencesDoNotCrossObservedData() throws {
        let objects = Fixture.objects([
            Fixture.observedData(
                1, first: "2024-01-01T00:00:00Z", last: "2024-01-01T00:00:00Z", refs: ["network-traffic--1"]),
            #"{"type":"network-traffic","id":"network-traffic--1","src_ref":"ipv4-addr--9"}"#,
            Fixture.observedData(
                2, first: "2024-01-01T00:00:00Z", last: "2024-01-01T00:00:00Z", refs: ["ipv4-addr--9"]),
            #"{"type":"ipv4-addr","id":"ipv4-addr--9","value":"10.1.1.1"}"#,
        ])
        #expect(try Fixture.match("[network-traffic:src_ref.value = '10.1.1.1']", objects) == false)
        #expect(try Fixture.match("[ipv4-addr:value = '10.1.1.1']", objects) == true)
    }

    @Test func stix20EmbeddedObjects() throws {
        let objects = Fixture.objects([
            #"{"type":"observed-data","id":"observed-data--1","first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:05Z","number_observed":2,"objects":{"0":{"type":"ipv4-addr","value":"210.52.109.7"},"1":{"type":"network-traffic","src_ref":"0","dst_port":445,"protocols":["tcp"]}}}"#
        ])
        #expect(try Fixture.match("[network-traffic:src_ref.value ISSUBSET '210.52.109.0/24']", objects))
        #expect(try Fixture.match("([network-traffic:dst_port = 445] REPEATS 2 TIMES) WITHIN 600 SECONDS", objects))
        #expect(try Fixture.match("[network-traffic:dst_port = 445] REPEATS 3 TIMES", objects) == false)
    }

    @Test func supersetOfCIDRValues() throws {
        let objects = Fixture.objects([
            Fixture.observedData(
                1, first: "2024-01-01T00:00:00Z", last: "2024-01-01T00:00:00Z", refs: ["ipv4-addr--1", "ipv6-addr--1"]),
            #"{"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.20.0.0/16"}"#,
            #"{"type":"ipv6-addr","id":"ipv6-addr--1","value":"fe80::/10"}"#,
        ])
        #expect(try Fixture.match("[ipv4-addr:value ISSUPERSET '10.20.30.40']", objects))
        #expect(try Fixture.match("[ipv4-addr:value ISSUPERSET '10.20.0.0/15']", objects) == false)
        #expect(try Fixture.match("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", objects))
        #expect(try Fixture.match("[ipv6-addr:value ISSUPERSET 'fe80::1:2:3:4']", objects))
        #expect(try Fixture.match("[ipv6-addr:value ISSUPERSET 'fec0::1']", objects) == false)
    }

    @Test func malformedObservedDataIsAnError() {
        func build(_ od: String) throws -> ObservationSet { try ObservationSet(objects: Fixture.objects([od])) }
        #expect(throws: ObservationError.self) {
            try build(
                #"{"type":"observed-data","id":"o","last_observed":"2024-01-01T00:00:00Z","number_observed":1,"object_refs":[]}"#
            )
        }
        #expect(throws: ObservationError.self) {
            try build(
                #"{"type":"observed-data","id":"o","first_observed":"2024-02-30T00:00:00Z","last_observed":"2024-03-01T00:00:00Z","number_observed":1,"object_refs":[]}"#
            )
        }
        #expect(throws: ObservationError.self) {
            try build(
                #"{"type":"observed-data","id":"o","first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":0,"object_refs":[]}"#
            )
        }
        #expect(throws: ObservationError.self) {
            try build(
                #"{"type":"observed-data","id":"o","first_observed":"2024-01-02T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1,"object_refs":[]}"#
            )
        }
        #expect(throws: ObservationError.self) {
            try build(
                #"{"type":"observed-data","id":"o","first_observed":"2024-01-01T00:00:00Z","last_observed":"2024-01-01T00:00:00Z","number_observed":1}"#
            )
        }
        #expect(throws: ObservationError.self) { try build(#"{"id":"x"}"#) }
        #expect(throws: ObservationError.self) { try ObservationSet(objects: [.int(1)]) }
    }

    @Test func unreadableTimestampComparedWithTimestampLiteralIsAnError() throws {
        let objects = Fixture.objects([
            Fixture.observedData(1, first: "2024-01-01T00:00:00Z", last: "2024-01-01T00:00:00Z", refs: ["file--1"]),
            #"{"type":"file","id":"file--1","name":"a","ctime":"yesterday"}"#,
        ])
        #expect(throws: MatchError.self) { try Fixture.match("[file:ctime > t'2020-01-01T00:00:00Z']", objects) }
        #expect(try Fixture.match("[file:name = 'a']", objects))
    }

    @Test func bindingWidthLimit() {
        #expect(throws: PatternError.self) { try PatternMatcher("([a:b = 1] AND [a:b = 2]) REPEATS 600 TIMES") }
        #expect(throws: Never.self) { try PatternMatcher("[a:b = 1] REPEATS 100000 TIMES") }
    }

    @Test func manyObservationsStayFast() throws {
        var texts: [String] = []
        for i in 0..<300 {
            let t = "2024-01-01T00:\(String(format2: i / 60)):\(String(format2: i % 60))Z"
            texts.append(Fixture.observedData(i, first: t, last: t, count: 2, refs: ["ipv4-addr--\(i)"]))
            texts.append(#"{"type":"ipv4-addr","id":"ipv4-addr--\#(i)","value":"10.0.\#(i / 256).\#(i % 256)"}"#)
        }
        let objects = Fixture.objects(texts)
        #expect(
            try Fixture.match(
                "([ipv4-addr:value ISSUBSET '10.0.0.0/16'] REPEATS 600 TIMES) WITHIN 300 SECONDS", objects))
        #expect(try Fixture.match("([ipv4-addr:value ISSUBSET '10.0.0.0/16'] REPEATS 601 TIMES)", objects) == false)
        #expect(
            try Fixture.match(
                "([ipv4-addr:value = '10.0.0.1'] FOLLOWEDBY [ipv4-addr:value = '10.0.1.43']) WITHIN 299 SECONDS",
                objects))
        #expect(
            try Fixture.match(
                "([ipv4-addr:value = '10.0.0.0'] FOLLOWEDBY [ipv4-addr:value = '10.0.1.43']) WITHIN 298 SECONDS",
                objects) == false)
    }

    @Test func ipNetworkParsing() {
        #expect(IPNetwork("1.2.3.4") == IPNetwork(isIPv6: false, address: 0x0102_0304, prefix: 32))
        #expect(IPNetwork("1.2.3.4/0")?.prefix == 0)
        #expect(IPNetwork("01.2.3.4") == nil)
        #expect(IPNetwork("1.2.3") == nil)
        #expect(IPNetwork("1.2.3.256") == nil)
        #expect(IPNetwork("1.2.3.4/33") == nil)
        #expect(IPNetwork("::") == IPNetwork(isIPv6: true, address: 0, prefix: 128))
        #expect(IPNetwork("::1")?.address == 1)
        #expect(IPNetwork("2001:db8::")?.address == UInt128(0x2001_0db8) << 96)
        #expect(IPNetwork("::ffff:10.0.0.1")?.address == UInt128(0xFFFF_0A00_0001))
        #expect(IPNetwork("1:2:3:4:5:6:7:8")?.address == 0x0001_0002_0003_0004_0005_0006_0007_0008)
        #expect(IPNetwork("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPNetwork("1::2::3") == nil)
        #expect(IPNetwork("12345::") == nil)
        #expect(IPNetwork("fe80::/129") == nil)
        #expect(IPNetwork("1.2.3.4")!.isSubset(of: IPNetwork("0.0.0.0/0")!))
        #expect(!IPNetwork("::1")!.isSubset(of: IPNetwork("0.0.0.0/0")!))
    }

    @Test func timestamps() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == Timestamp(seconds: 0))
        #expect(Timestamp.parse("2000-02-29T23:59:59.999999999999Z")?.description == "2000-02-29T23:59:59.999999999Z")
        #expect(Timestamp.parse("1900-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("0000-01-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2024-01-01T00:00:00") == nil)
        #expect(Timestamp.parse("2024-01-01T00:00:00.Z") == nil)
        #expect(Timestamp.parse("0001-01-01T00:00:00Z")?.description == "0001-01-01T00:00:00Z")
        #expect(
            Timestamp.parse("9999-12-31T23:59:59Z")!.adding(PatternDuration(seconds: Int64.max)).seconds == Int64.max)
    }

    @Test func likeMatcher() {
        #expect(LikePattern("a%b%c").matches("aXXbYYc"))
        #expect(!LikePattern("a%b%c").matches("aXXbYY"))
        #expect(LikePattern("%%%").matches(""))
        #expect(!LikePattern("_").matches(""))
        #expect(LikePattern("a_c").matches("abc"))
        #expect(LikePattern(String(repeating: "%a", count: 50)).matches(String(repeating: "a", count: 50)))
        #expect(!LikePattern(String(repeating: "%a", count: 50) + "b").matches(String(repeating: "a", count: 5000)))
    }
}

extension String {
    init(format2 v: Int) { self = v < 10 ? "0\(v)" : "\(v)" }
}
