import Attribution
import Events
import FileScan
import FuzzyHash
import Foundation
import Hunting
@testable import Investigation
import Knowledge
import Patterning
import STIX
import Sigma
import TestSupport
import Testing

@Suite struct FindingTests {
    @Test func detectionsBecomeFindings() {
        let s = Sighting(
            ruleID: "r1", title: "Remote logon", level: .medium,
            tags: ["attack.lateral_movement", "attack.t1021.001", "attack.s0364", "attack.g0032"],
            attack: ["T1021.001"], timestamp: Timestamp(unixSeconds: 1_363_755_600), computer: "PMS-01.bank.example.kr",
            channel: "Security", eventID: 4624, recordID: 7, file: "pms.evtx",
            fields: [
                ("TargetUserName", "kim.jh-adm"), ("WorkstationName", "BANK-PC-014"), ("IpAddress", "10.10.3.14"),
                ("DestinationIp", "175.45.178.19"), ("QueryName", "update.example.com"),
                ("Hashes", "MD5=\(String(repeating: "AA", count: 16)),SHA256=\(String(repeating: "BB", count: 32))"),
            ])
        let f = Investigator.finding(s)
        #expect(f.id == "r1@pms.evtx:7")
        #expect(f.tactics == ["lateral-movement"])
        #expect(f.software == ["S0364"])
        #expect(f.account == "kim.jh-adm")
        #expect(f.linkedHosts == ["BANK-PC-014"])
        #expect(f.indicators.map(\.value) == ["175.45.178.19", "update.example.com"])  // private 10.x left out
        #expect(f.fileHashes == [String(repeating: "aa", count: 16), String(repeating: "bb", count: 32)])
        #expect(f.time?.description == "2013-03-20T05:00:00.000Z")
    }
}

/// What a detection's fields give as indicators and file hashes.
@Suite struct FindingValueTests {
    @Test func publicAddressesInEverySpelling() {
        func address(_ s: String) -> String? { Investigator.routableAddress(s).map { "\($0.type) \($0.value)" } }
        #expect(address("175.45.178.19") == "ipv4-addr 175.45.178.19")
        #expect(address(" 175.45.178.19 ") == "ipv4-addr 175.45.178.19")
        #expect(address("::ffff:175.45.178.19") == "ipv4-addr 175.45.178.19")  // the Security log's spelling
        #expect(address("2001:0db8:0:0::77") == "ipv6-addr 2001:db8::77")
        for nobody in [
            "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1", "224.0.0.251",
            "255.255.255.255", "0.0.0.0", "::ffff:10.1.2.3", "::1", "::", "fe80::1", "fd00::1", "ff02::1", "-",
            "PC-01", "1.2.3", "",
        ] {
            #expect(address(nobody) == nil, "\(nobody)")
        }
    }

    @Test func fileHashesAreMD5SHA1AndSHA256Only() {
        let md5 = String(repeating: "ab", count: 16)
        let sha1 = String(repeating: "cd", count: 20)
        let sha256 = String(repeating: "EF", count: 32)
        #expect(
            Investigator.fileHashes("SHA1=\(sha1),MD5=\(md5),SHA256=\(sha256),IMPHASH=\(md5)")
                == [sha1, md5, sha256.lowercased()])
        #expect(Investigator.fileHashes(sha256) == [sha256.lowercased()])  // a bare hash
        #expect(Investigator.fileHashes("MD5=\(String(repeating: "0", count: 32))").isEmpty)  // a placeholder
        #expect(Investigator.fileHashes("MD5=\(sha1),SHA256=xyz,MD5=\(String(repeating: "g", count: 32))").isEmpty)
    }

    @Test func systemBinariesAndInternalNamesAreNotIndicators() {
        let md5 = String(repeating: "ab", count: 16)
        func finding(_ fields: [(String, String)], computer: String = "PC-7.bank.example.kr") -> Finding {
            Investigator.finding(
                Sighting(
                    ruleID: "r", title: "t", level: .high, tags: [], attack: [], timestamp: nil, computer: computer,
                    channel: "", eventID: 1, recordID: 1, file: "f", fields: fields))
        }
        #expect(finding([("Image", "C:\\Windows\\System32\\net.exe"), ("Hashes", "MD5=\(md5)")]).fileHashes.isEmpty)
        // A detection of the indicator sweep keeps the hash it matched, wherever the file is.
        let swept = Investigator.finding(
            Sighting(
                ruleID: "r", title: "Known indicator of Lazarus Group (hash)", level: .high, tags: [], attack: [], timestamp: nil,
                computer: "PC-7", channel: "", eventID: 1, recordID: 1, file: "f",
                fields: [("Image", "C:\\Windows\\System32\\mssecsvc2.exe"), ("Hashes", "MD5=\(md5)")]),
            keepsSystemHashes: true)
        #expect(swept.fileHashes == [md5])
        #expect(Investigator.fileHashes("MD5=D41D8CD98F00B204E9800998ECF8427E").isEmpty)  // the empty file's
        #expect(finding([("Image", "C:\\Windows\\Temp\\AgentBase.exe"), ("Hashes", "MD5=\(md5)")]).fileHashes == [md5])
        // The hash of a loaded DLL or a written file belongs to that file, not to the process.
        #expect(
            finding([("Image", "C:\\Users\\a\\x.exe"), ("ImageLoaded", "C:\\Windows\\System32\\ntdll.dll"), ("Hashes", "MD5=\(md5)")])
                .fileHashes.isEmpty)
        let names = finding([("QueryName", "PMS-01.bank.example.kr."), ("DestinationHostname", "dc.corp")]).indicators
        #expect(names.isEmpty)
        #expect(finding([("QueryName", "Update.Example.com.")]).indicators.map(\.value) == ["update.example.com"])
        // A public second-level zone is not the organization's suffix.
        #expect(finding([("QueryName", "evil.co.kr")], computer: "PC-7.co.kr").indicators.count == 1)
        #expect(finding([("QueryName", "mail.example.kr")], computer: "PC-7.example.kr").indicators.isEmpty)
        #expect(finding([("IpAddress", "::ffff:175.45.178.19")]).indicators.map(\.value) == ["175.45.178.19"])
    }
}

/// Files that are not event logs are read as suspicious files: hashed, scanned with YARA, and joined to
/// the investigation when something names them.
@Suite struct SuspiciousFileTests {
    /// A made-up file that the corpus's signature-base rule APT_HiddenCobra_enc_PK_header (meta family
    /// TYPEFRAME) matches: an MZ/PE header and one of its byte strings. Not malware.
    static func typeframeLike() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 0x40)
        b[0] = 0x4D
        b[1] = 0x5A
        b[0x3C] = 0x40
        return b + Array("PE\0\0".utf8) + [UInt8](repeating: 0, count: 64)
            + [0x5F, 0xA8, 0x80, 0xC5, 0xA0, 0x87, 0xC7, 0xF0, 0x9E, 0xE6] + [UInt8](repeating: 0, count: 32)
    }

    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func aYARAFamilyNamesItsSoftwareAndActor() async throws {
        let dir = try Corpus.temporaryDirectory()
        let evidence = dir.appendingPathComponent("evidence")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        try Data(Self.typeframeLike()).write(to: evidence.appendingPathComponent("svchost.dat"))
        try Data("meeting notes\n".utf8).write(to: evidence.appendingPathComponent("notes.txt"))
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        var investigator = Investigator(
            rules: RuleLoader.load(paths: [try #require(BuiltinRules.folder)]), model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
        investigator.yaraRules = try YARARules(paths: [try #require(Corpus.file("yara")).path])
        let result = await investigator.investigate(paths: [evidence.path], threads: 1)
        #expect(result.suspiciousFiles.scanned == 2 && result.suspiciousFiles.flagged == 1)
        #expect(result.suspiciousFiles.yaraMatches == 1)
        #expect(result.skippedFiles.isEmpty)
        let c = try #require(result.campaigns.first)
        #expect(result.campaigns.count == 1)
        let finding = try #require(c.campaign.findings.first)
        #expect(finding.title.hasPrefix("YARA apt_ar18_165a:APT_HiddenCobra_enc_PK_header by NCCIC trusted 3rd party"))
        #expect(finding.software == ["TYPEFRAME"] && finding.fileHashes.count == 3 && finding.ssdeep.count == 1)
        let top = try #require(c.attribution.candidates.first)
        #expect(top.name == "Lazarus Group")
        let item = try #require(top.evidence.first { $0.value == "S0263" })
        #expect(item.source?.contains("svchost.dat") == true && item.reliability == "medium")
        // Without YARA rules the file is hashed, but nothing names it.
        investigator.yaraRules = nil
        let plain = await investigator.investigate(paths: [evidence.path], threads: 1)
        #expect(plain.suspiciousFiles.scanned == 2 && plain.suspiciousFiles.flagged == 0 && plain.campaigns.isEmpty)
    }

    /// A file near a sample the knowledge base links to an actor (its TLSH digest within a few points of
    /// the sample's) joins the investigation and points at the actor through code similarity.
    @Test func aFileNearAKnownSampleJoinsThroughTLSH() async throws {
        var rng = SeededGenerator(seed: 7)
        let sample = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var variant = sample
        for i in stride(from: 100, to: 8000, by: 997) { variant[i] ^= 0x5A }  // a few bytes patched
        let digest = try #require(sample.withUnsafeBytes { TLSHDigest(of: $0) })
        let near = try #require(variant.withUnsafeBytes { TLSHDigest(of: $0) })
        #expect(digest.distance(to: near) < 30)
        let dir = try Corpus.temporaryDirectory()
        let file = dir.appendingPathComponent("variant.bin")
        try Data(variant).write(to: file)
        let lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
        let investigator = try IndicatorSweepTests.investigator(
            in: dir, indicator: 7, "[file:hashes.TLSH = '\(digest.text)']", indicating: lazarus)
        let result = await investigator.investigate(paths: [file.path], threads: 1)
        #expect(result.suspiciousFiles.flagged == 1)
        let c = try #require(result.campaigns.first)
        #expect(c.campaign.evidence.tlsh == [near.text])
        let top = try #require(c.attribution.candidates.first)
        #expect(top.name == "Lazarus Group")
        let item = try #require(top.evidence.first { $0.kind == "code-similarity" })
        #expect(item.explanation.hasPrefix("TLSH distance \(digest.distance(to: near)) to a sample"))
        #expect(item.source == "Known file variant.bin (\(file.path))")
    }

    /// A file whose hash the knowledge base links to an actor joins without YARA; the file named on the
    /// command line is read too; `scansFiles` off leaves them as skipped files.
    @Test func aKnownHashJoinsWithoutYARA() async throws {
        let dir = try Corpus.temporaryDirectory()
        let file = dir.appendingPathComponent("dropper.exe")
        try Data("MZ not really a dropper".utf8).write(to: file)
        let md5 = try FileScanner.scan(file.path, rules: nil).md5
        let lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
        var investigator = try IndicatorSweepTests.investigator(in: dir, indicator: 5, "[file:hashes.MD5 = '\(md5)']", indicating: lazarus)
        let result = await investigator.investigate(paths: [file.path], threads: 1)
        #expect(result.suspiciousFiles.scanned == 1 && result.suspiciousFiles.flagged == 1)
        let top = try #require(result.campaigns.first?.attribution.candidates.first)
        #expect(top.name == "Lazarus Group")
        #expect(top.evidence.contains { $0.kind == "indicator" && $0.value == md5 && $0.explanation.contains("files are copied and shared") })
        investigator.scansFiles = false
        let off = await investigator.investigate(paths: [file.path], threads: 1)
        #expect(off.suspiciousFiles.scanned == 0 && off.skippedFiles.map(\.path) == [file.path])
    }
}

/// The example that ships with the project: DarkSeoul, March 2013, in Sysmon and Security logs.
@Suite struct DarkSeoulExampleTests {
    @Test func investigationFindsOneCampaignAndPointsAtNorthKorea() async throws {
        let example = Corpus.packageRoot.appendingPathComponent("examples/darkseoul").path
        let rules = try #require(BuiltinRules.folder)
        let collection = RuleLoader.load(paths: [rules])
        #expect(collection.failures.isEmpty)
        #expect(collection.rules.count == 10)
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        var investigator = Investigator(rules: collection, model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
        investigator.yaraRules = try YARARules(paths: [try #require(BuiltinRules.yaraFolder)])
        #expect(investigator.yaraRules?.ruleCount == 1)
        let result = await investigator.investigate(paths: [example], threads: 2)
        #expect(result.files == 9)
        #expect(result.events == 44)
        #expect(result.sightingCount == 41)
        #expect(result.campaigns.count == 1)
        // The recovered wiper matches Sightline's own YARA rule, and its hash puts it in the campaign.
        #expect(result.suspiciousFiles.scanned == 1 && result.suspiciousFiles.flagged == 1 && result.suspiciousFiles.yaraMatches == 1)
        let c = try #require(result.campaigns.first).campaign
        #expect(c.findings.count == 42)
        let file = try #require(c.findings.first { $0.id.hasPrefix("file:") })
        #expect(file.title == "YARA darkseoul:DarkSeoul_Wiper_Disk_Strings by Sightline on agentbase.bin")
        #expect(file.software == ["Wiper"])
        #expect(c.links.contains { $0.hasPrefix("shared indicator 4c7586e3") })
        #expect(c.hosts.count == 8)
        #expect(!c.hosts.contains { $0.hasPrefix("HR-PC") })
        #expect(c.tactics.first == "initial-access")
        #expect(c.tactics.last == "impact")
        #expect(c.evidence.techniques.contains("T1072"))
        #expect(c.evidence.techniques.contains("T1561.002"))
        let a = try #require(result.campaigns.first).attribution
        #expect(a.umbrellas.first?.name == "Lazarus Group")
        #expect(a.candidates.first { $0.country != nil }?.country == "KP")
        #expect(a.verdict == nil)
        // Every item says where it came from and how far it can be trusted.
        let top = try #require(a.candidates.first)
        let wiper = try #require(top.evidence.first { $0.value == "S0041" })
        #expect(wiper.reliability == "high")  // a high-level rule named the family
        #expect(wiper.source?.contains("Antivirus Processes Killed") == true)
        #expect(wiper.source?.contains("detections, first:") == true)
        let time = try #require(top.evidence.first { $0.kind == "activity-time" })
        #expect(time.reliability == "low")
        #expect(top.evidence.first { $0.kind == "profile-similarity" }?.reliability == "derived")
        #expect(top.evidence.allSatisfy { ["high", "medium", "low", "derived"].contains($0.reliability) })
    }
}

/// The knowledge base's indicators are swept for in the same pass as the rules.
@Suite struct IndicatorSweepTests {
    static func intel(_ objects: [String]) -> String {
        #"{"type": "bundle", "id": "bundle--1b2c3d4e-0000-4000-8000-000000000001", "objects": [\#(objects.joined(separator: ","))]}"#
    }
    static func indicator(_ n: Int, _ pattern: String) -> String {
        #"{"type": "indicator", "spec_version": "2.1", "id": "indicator--1b2c3d4e-0000-4000-8000-00000000000\#(n)", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "pattern": "\#(pattern)", "pattern_type": "stix", "valid_from": "2013-03-20T00:00:00Z"}"#
    }
    static func indicates(_ n: Int, _ target: String) -> String {
        #"{"type": "relationship", "spec_version": "2.1", "id": "relationship--1b2c3d4e-0000-4000-8000-00000000001\#(n)", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "relationship_type": "indicates", "source_ref": "indicator--1b2c3d4e-0000-4000-8000-00000000000\#(n)", "target_ref": "\#(target)"}"#
    }

    /// An investigator with Sightline's own rules over a store (built-in pack, in `dir`) holding one more
    /// indicator, `pattern`, that indicates `target`.
    static func investigator(in dir: URL, indicator n: Int, _ pattern: String, indicating target: String) throws -> Investigator {
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)
        let bundle = intel([indicator(n, pattern), indicates(n, target)])
        #expect(try kb.importBytes(Array(bundle.utf8), path: "intel.json", source: "intel.json").total.rejected == 0)
        return Investigator(
            rules: RuleLoader.load(paths: [try #require(BuiltinRules.folder)]), model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
    }

    @Test func plainValueSearchesBecomeRulesAndTheRestAreCounted() throws {
        func search(_ p: String) throws -> IndicatorRules.Search? { IndicatorRules.search(try Patterning.Pattern.parse(p).root) }
        let cidr = try #require(try search("[ipv4-addr:value ISSUBSET '175.45.176.0/22']"))
        #expect(cidr.items.map(\.field) == IndicatorRules.addressFields.map { $0 + "|cidr" })
        let sha = String(repeating: "AB", count: 32)
        let md5a = String(repeating: "c", count: 32)
        let md5b = String(repeating: "e", count: 32)
        let hashes = try #require(try search("[file:hashes.'SHA-256' = '\(sha)'] OR [file:hashes.MD5 IN ('\(md5a)', '\(md5b)')]"))
        #expect(
            hashes.items.map(\.values) == [
                ["SHA256=\(sha)"], ["SHA256=\(sha)"], ["MD5=\(md5a)", "MD5=\(md5b)"], ["MD5=\(md5a)", "MD5=\(md5b)"],
            ])
        // IPv4 also in the Security log's IPv4-mapped spelling; IPv6 as a one-address network (logs spell
        // IPv6 addresses in several ways).
        let v4 = try #require(try search("[ipv4-addr:value = '1.2.3.4']"))
        #expect(v4.items.first?.values == ["1.2.3.4", "::ffff:1.2.3.4"])
        let v6 = try #require(try search("[ipv6-addr:value = '2001:db8::1']"))
        #expect(v6.items.map(\.field) == IndicatorRules.addressFields.map { $0 + "|cidr" })
        let domain = try #require(try search("[domain-name:value = 'evil.example.com' OR domain-name:value = 'b.example']"))
        #expect(domain.items.count == 4)
        for p in [
            "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']",  // two observations together
            "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",  // a qualifier
            "[ipv4-addr:value != '1.2.3.4']", "[ipv4-addr:value NOT = '1.2.3.4']",  // not a value
            "[file:name = 'a.exe' AND file:size = 3]", "[url:value = 'http://a.example/']",  // no such log field
            "[domain-name:value = 'a b']", "[file:hashes.MD5 = 'not hex']", "[file:hashes.TLSH = 'T1AB']",
            "[file:hashes.MD5 = 'd41d8cd9']",  // too short: `contains` would match the start of other hashes
        ] {
            #expect(try search(p) == nil, "\(p)")
        }
    }

    /// An indicator of a malware family (WannaCry's hash) is swept for by a rule named after the family
    /// and tagged with its ATT&CK id, so the detection names the software and attribution follows it.
    @Test func indicatorsOfSoftwareAreSweptWithTheirTags() async throws {
        let wannacry = "malware--75ecdbf1-c2bb-4afc-a3f9-c8da4de8c661"
        let md5 = String(repeating: "5c", count: 16)
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        let bundle = Self.intel([Self.indicator(6, "[file:hashes.MD5 = '\(md5)']"), Self.indicates(6, wannacry)])
        #expect(try kb.importBytes(Array(bundle.utf8), path: "intel.json", source: "intel.json").total.rejected == 0)
        let graph = try KnowledgeGraph(store: kb)
        let made = IndicatorRules.make(from: graph)
        let rule = try #require(made.rules.rules.first { $0.title == "Known indicator of WannaCry (hash)" })
        #expect(rule.tags.contains("attack.s0366"))
        let log = dir.appendingPathComponent("proc.jsonl")
        let event = ##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"EventRecordID":9,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"PC-3","TimeCreated":{"#attributes":{"SystemTime":"2017-05-12T07:44:00Z"}}},"EventData":{"Image":"C:\\Users\\a\\tasksche.exe","Hashes":"MD5=\##(md5.uppercased())"}}}"##
        try Data(event.utf8).write(to: log)
        let investigator = Investigator(rules: RuleLoader.load(paths: [try #require(BuiltinRules.folder)]), model: AttributionModel(graph: graph))
        let result = await investigator.investigate(paths: [log.path], threads: 1)
        let c = try #require(result.campaigns.first)
        #expect(c.campaign.findings.map(\.title) == ["Known indicator of WannaCry (hash)"])
        #expect(c.campaign.evidence.software == ["S0366"])
        let top = try #require(c.attribution.candidates.first)
        #expect(top.name == "Lazarus Group")
        #expect(top.evidence.contains { $0.value == "S0366" && $0.weight > 0 })
    }

    @Test func indicatorsAreGroupedByActorsAndKindOfValue() {
        let made = IndicatorRules.make(
            from: [
                (id: "indicator--1", pattern: "[ipv4-addr:value = '1.2.3.4']", actors: ["A"]),
                (id: "indicator--2", pattern: "[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]", actors: ["A"]),
                (
                    id: "indicator--3",
                    pattern: "[ipv4-addr:value ISSUBSET '9.9.9.0/24'] OR [file:hashes.MD5 = '\(String(repeating: "ab", count: 16))']",
                    actors: ["A"]
                ),
                (id: "indicator--4", pattern: "[domain-name:value = 'x.example']", actors: ["B"]),
                (id: "indicator--5", pattern: "[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '5.6.7.8']", actors: ["B"]),
            ], source: "feed.json")
        #expect(made.swept == 4 && made.notExpressible == 1)
        #expect(made.rules.failures.isEmpty)
        #expect(
            made.rules.rules.map(\.title).sorted() == [
                "Known indicator of A (address)", "Known indicator of A (hash)", "Known indicator of A (network)",
                "Known indicator of B (domain)",
            ])
        let anonymous = IndicatorRules.make(from: [(id: "indicator--6", pattern: "[ipv4-addr:value = '1.2.3.4']", actors: [])], source: "feed.json")
        #expect(anonymous.rules.rules.map(\.title) == ["Indicator match (address) from feed.json"])
    }

    @Test func investigationDetectsKnownIndicatorsAndAttributesThem() async throws {
        let lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        let bundle = Self.intel([
            Self.indicator(2, "[file:hashes.MD5 = '4C7586E3DCC47B145A42B6923DE1013E']"), Self.indicates(2, lazarus),
            Self.indicator(3, "[ipv4-addr:value ISSUBSET '10.10.1.0/24'] WITHIN 60 SECONDS"), Self.indicates(3, lazarus),
        ])
        let report = try kb.importBytes(Array(bundle.utf8), path: "intel.json", source: "intel.json")
        #expect(report.total.rejected == 0)
        let logs = Corpus.packageRoot.appendingPathComponent("examples/darkseoul/logs").path
        let collection = RuleLoader.load(paths: [try #require(BuiltinRules.folder)])
        var investigator = Investigator(rules: collection, model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
        let result = await investigator.investigate(paths: [logs], threads: 2)
        #expect(result.indicatorsSwept == 1 && result.indicatorsNotExpressible == 1)
        #expect(result.rulesLoaded == 10)
        // The wiper's hash is on six hosts' process events: six more detections than the rules alone make.
        #expect(result.sightingCount == 47)
        let c = try #require(result.campaigns.first)
        #expect(c.campaign.findings.filter { $0.title == "Known indicator of Lazarus Group (hash)" }.count == 6)
        let top = try #require(c.attribution.candidates.first)
        #expect(top.name == "Lazarus Group")
        #expect(top.evidence.contains { $0.kind == "indicator" && $0.value == "4c7586e3dcc47b145a42b6923de1013e" })

        investigator.sweepsIndicators = false
        let without = await investigator.investigate(paths: [logs], threads: 2)
        #expect(without.sightingCount == 41 && without.indicatorsSwept == 0)
    }

    /// With a GeoIP lookup (`--geoip`), the addresses of a campaign's detections are located, and an
    /// address in an actor's country weighs a little for it.
    @Test func addressesOfDetectionsAreLocatedWithTheLookup() async throws {
        let lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        let bundle = Self.intel([Self.indicator(4, "[ipv4-addr:value = '175.45.178.19']"), Self.indicates(4, lazarus)])
        #expect(try kb.importBytes(Array(bundle.utf8), path: "intel.json", source: "intel.json").total.rejected == 0)
        let log = dir.appendingPathComponent("net.jsonl")
        let event = ##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":3,"EventRecordID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"PC1","TimeCreated":{"#attributes":{"SystemTime":"2013-03-20T05:00:00Z"}}},"EventData":{"Image":"C:\\x.exe","DestinationIp":"175.45.178.19","DestinationPort":443}}}"##
        try Data(event.utf8).write(to: log)
        let collection = RuleLoader.load(paths: [try #require(BuiltinRules.folder)])
        var investigator = Investigator(rules: collection, model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
        investigator.locateAddress = { $0 == "175.45.178.19" ? "KP" : nil }
        let located = await investigator.investigate(paths: [log.path], threads: 1)
        let a = try #require(located.campaigns.first).attribution
        #expect(a.notes.contains { $0.hasPrefix("1 observed addresses located: KP 1") })
        let top = try #require(a.candidates.first)
        #expect(top.name == "Lazarus Group")
        #expect(top.evidence.contains { $0.kind == "infrastructure-country" && $0.value == "KP" && $0.weight > 0 })
        investigator.locateAddress = nil
        let plain = await investigator.investigate(paths: [log.path], threads: 1)
        #expect(!(try #require(plain.campaigns.first).attribution.notes.contains { $0.contains("addresses located") }))
    }
}

