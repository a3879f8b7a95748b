import Attribution
import Foundation
import FuzzyHash
import JSON
import Knowledge
import STIX
import TestSupport
import Testing

/// A small hand-written world: three groups, their techniques and software, a campaign, a country.
enum World {
    static let a = "intrusion-set--a0000000-0000-4000-8000-000000000001"
    static let b = "intrusion-set--b0000000-0000-4000-8000-000000000002"
    static let c = "intrusion-set--c0000000-0000-4000-8000-000000000003"
    static let kp = "location--d0000000-0000-4000-8000-000000000004"
    static let campaign = "campaign--e0000000-0000-4000-8000-000000000005"
    static let indicator = "indicator--f0000000-0000-4000-8000-000000000006"
    static let sample = "indicator--f0000000-0000-4000-8000-000000000007"
    static let range = "indicator--f0000000-0000-4000-8000-000000000008"
    static let hash = "indicator--f0000000-0000-4000-8000-000000000009"
    static let compound = "indicator--f0000000-0000-4000-8000-000000000010"
    static let fuzzy = "indicator--f0000000-0000-4000-8000-000000000011"
    /// ssdeep digests from the corpus's vectors: a Bravo sample (text_4096), a relative that libfuzzy scores
    /// 91 against it (text_4096_mut4) and a stranger that scores 0 (text_4096_mut64).
    static let ssdeepSample = "96:XOyJbmdQfBVI++ycqTFyZXZ/YCNOf4QO3I3OAg:XrJbsQL+pWkT/YC8lR+N"
    static let ssdeepRelative = "96:XOyJbmdHfBVI+wycqTFyZXZ/YCNOf4QOfI3OAt:XrJbsHLwpWkT/YC8lp+A"
    static let ssdeepStranger = "96:XOQenhmFGOfRnIY5Y7xTUydwq/QTCDXfFOO3pz4Af:XHehkGO/5U1niMACrYYUK"
    /// A TLSH digest of a Charlie sample (from the corpus's vectors).
    static let tlsh = "T1B39002004689C744126445A980250DAA58A801492A04F415790A5497509592963246D1"

    static func technique(_ n: Int) -> String { "attack-pattern--00000000-0000-4000-8000-0000000001\(String(format: "%02d", n))" }
    static func software(_ n: Int) -> String { "malware--00000000-0000-4000-8000-0000000002\(String(format: "%02d", n))" }

    static var bundle: String {
        var objects: [String] = []
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        for (id, name, g) in [(a, "Alpha", "G9001"), (b, "Bravo", "G9002"), (c, "Charlie", "G9003")] {
            objects.append(#"{"type": "intrusion-set", "id": "\#(id)", \#(common), "name": "\#(name)", "external_references": [{"source_name": "mitre-attack", "external_id": "\#(g)"}]}"#)
        }
        for n in 1...12 {
            objects.append(#"{"type": "attack-pattern", "id": "\#(technique(n))", \#(common), "name": "Technique \#(n)", "external_references": [{"source_name": "mitre-attack", "external_id": "T90\#(String(format: "%02d", n))"}]}"#)
        }
        for n in 1...3 {
            objects.append(#"{"type": "malware", "id": "\#(software(n))", \#(common), "name": "Tool\#(n)", "is_family": true, "external_references": [{"source_name": "mitre-attack", "external_id": "S90\#(String(format: "%02d", n))"}]}"#)
        }
        objects.append(#"{"type": "location", "id": "\#(kp)", \#(common), "name": "North Korea", "country": "KP"}"#)
        objects.append(#"{"type": "campaign", "id": "\#(campaign)", \#(common), "name": "Op Test", "external_references": [{"source_name": "mitre-attack", "external_id": "C9001"}]}"#)
        objects.append(#"{"type": "indicator", "id": "\#(indicator)", \#(common), "pattern": "[ipv4-addr:value = '175.45.178.19']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        var n = 0
        func rel(_ type: String, _ s: String, _ t: String) {
            n += 1
            objects.append(#"{"type": "relationship", "id": "relationship--00000000-0000-4000-8000-\#(String(format: "%012d", n))", \#(common), "relationship_type": "\#(type)", "source_ref": "\#(s)", "target_ref": "\#(t)", "external_references": [{"source_name": "Report \#(n)"}]}"#)
        }
        // Every group shares techniques 1–3; each has its own techniques and one software.
        for g in [a, b, c] { for t in 1...3 { rel("uses", g, technique(t)) } }
        for t in 4...6 { rel("uses", a, technique(t)) }
        for t in 7...9 { rel("uses", b, technique(t)) }
        for t in 10...12 { rel("uses", c, technique(t)) }
        rel("uses", a, software(1)); rel("uses", b, software(2)); rel("uses", c, software(3))
        rel("originates-from", a, kp)
        rel("attributed-to", campaign, a)
        rel("uses", campaign, technique(5)); rel("uses", campaign, software(1))
        rel("indicates", indicator, b)
        objects.append(#"{"type": "indicator", "id": "\#(sample)", \#(common), "pattern": "[file:hashes.TLSH = '\#(tlsh)']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", sample, c)
        // A CIDR block (the address literal alone would never equal an observed address) and an
        // upper-case hash (Sysmon and many feeds differ in the case of hex digits).
        objects.append(#"{"type": "indicator", "id": "\#(range)", \#(common), "pattern": "[ipv4-addr:value ISSUBSET '210.52.109.0/24'] OR [domain-name:value LIKE '%.star-n.example']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", range, a)
        objects.append(#"{"type": "indicator", "id": "\#(hash)", \#(common), "pattern": "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", hash, c)
        // Two properties of one file: a hash alone cannot satisfy it, but is one of its literals.
        objects.append(#"{"type": "indicator", "id": "\#(compound)", \#(common), "pattern": "[file:name = 'w.exe' AND file:hashes.'SHA-256' = '\#(String(repeating: "5a", count: 32))']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", compound, b)
        objects.append(#"{"type": "indicator", "id": "\#(fuzzy)", \#(common), "pattern": "[file:hashes.SSDEEP = '\#(ssdeepSample)']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", fuzzy, b)
        // A file name shaped like a digest is not a sample, even beside an ssdeep hash or in a pattern that
        // names ssdeep; nor is anything in a pattern of another language.
        objects.append(#"{"type": "indicator", "id": "indicator--f0000000-0000-4000-8000-000000000012", \#(common), "pattern": "[file:name = '3:abc:def']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", "indicator--f0000000-0000-4000-8000-000000000012", b)
        objects.append(#"{"type": "indicator", "id": "indicator--f0000000-0000-4000-8000-000000000013", \#(common), "pattern": "[file:hashes.SSDEEP = '\#(ssdeepSample)' AND file:name = '3:QWERTYzx:POIUyt'] OR [file:name = 'ssdeep.exe'] OR [file:name = '6:ABCDEFGHij:KLMNOP']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", "indicator--f0000000-0000-4000-8000-000000000013", b)
        objects.append(#"{"type": "indicator", "id": "indicator--f0000000-0000-4000-8000-000000000014", \#(common), "pattern": "rule x { strings: $a = \"hashes.SSDEEP = '12:ZZYYXXWW:VVUU'\" condition: $a }", "pattern_type": "yara", "valid_from": "2020-01-01T00:00:00Z"}"#)
        rel("indicates", "indicator--f0000000-0000-4000-8000-000000000014", b)
        return #"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000099", "objects": ["# + objects.joined(separator: ",\n") + "]}"
    }

    /// The world with `extra` objects (JSON texts) added to its bundle, as a graph.
    static func graph(adding extra: [String]) throws -> KnowledgeGraph {
        let bundle = String(Self.bundle.dropLast(2)) + ",\n" + extra.joined(separator: ",\n") + "]}"
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let report = try kb.importBytes(Array(bundle.utf8), path: "world.json", source: "world.json")
        #expect(report.total.rejected == 0, "\(report.rejections)")
        return try KnowledgeGraph(store: kb)
    }

    static func model() throws -> AttributionModel {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let report = try kb.importBytes(Array(bundle.utf8), path: "world.json", source: "world.json")
        #expect(report.total.rejected == 0, "\(report.rejections)")
        return AttributionModel(graph: try KnowledgeGraph(store: kb))
    }
}

@Suite struct AttributionModelTests {
    @Test func specificEvidenceRanksItsGroupFirstWithExplanations() throws {
        let model = try World.model()
        let result = model.attribute(Evidence(techniques: ["T9004", "T9005", "T9001"], software: ["Tool1"]))
        let top = try #require(result.candidates.first)
        #expect(top.name == "Alpha")
        #expect(top.country == "KP")
        #expect(top.confidence > 0.5)
        #expect(top.confidence > result.candidates[1].confidence)
        #expect(result.verdict == nil)
        let software = try #require(top.evidence.first { $0.value == "S9001" })
        #expect(software.weight > 0)
        #expect(software.explanation.contains("known for this actor"))
        // A technique every group uses says less than one only Alpha uses.
        let shared = try #require(top.evidence.first { $0.value == "T9001" })
        let specific = try #require(top.evidence.first { $0.value == "T9004" })
        #expect(specific.weight > shared.weight)
        #expect(result.countries.first?.country == "KP")
        let sum = result.candidates.reduce(result.unknownActorConfidence) { $0 + $1.confidence }
        #expect(abs(sum - 1) < 1e-9)
    }

    /// YARA rule and antivirus detection names name software when a known name is a run of their words;
    /// short and generic words do not count, and the note says how the name was read.
    @Test func detectionNamesNameTheirSoftware() throws {
        let model = try World.model()
        var e = Evidence(software: ["Trojan.Win32.Tool1.A", "APT_Generic_Loader_Sample", "win_tool_auto"])
        e.provenance["Trojan.Win32.Tool1.A"] = "YARA rule x on a.bin"
        e.reliability["Trojan.Win32.Tool1.A"] = "low"
        let r = model.attribute(e)
        let top = try #require(r.candidates.first)
        #expect(top.name == "Alpha")
        let item = try #require(top.evidence.first { $0.value == "S9001" })
        #expect(item.source == "YARA rule x on a.bin" && item.reliability == "low")
        #expect(r.notes.contains("software 'Trojan.Win32.Tool1.A' read as Tool1 (S9001), the name 'Tool1' within it; weighed as a guess"))
        // A guess weighs half what the name itself does.
        let exact = try #require(model.attribute(Evidence(software: ["Tool1"])).candidates.first?.evidence.first { $0.value == "S9001" })
        #expect(abs(item.weight - exact.weight / 2) < 1e-9 && exact.reliability == "high")
        #expect(r.notes.contains("software 'APT_Generic_Loader_Sample' is not in the knowledge base; ignored"))
        #expect(r.notes.contains("software 'win_tool_auto' is not in the knowledge base; ignored"))  // 'tool' is too short
        #expect(model.softwareNamed(within: "Tool1") == nil)  // one word: the exact name, or nothing
        // Named outright too, in either order, the software keeps its full weight, and no guess is noted.
        for order in [["win_tool1_auto", "Tool1"], ["Tool1", "win_tool1_auto"]] {
            let both = model.attribute(Evidence(software: order))
            let full = try #require(both.candidates.first?.evidence.first { $0.value == "S9001" })
            #expect(abs(full.weight - exact.weight) < 1e-9 && full.reliability == "high")
            #expect(!both.notes.contains { $0.contains("weighed as a guess") })
        }
    }

    @Test func campaignsAddToTheirGroupsProfile() throws {
        let model = try World.model()
        let r = model.attribute(Evidence(techniques: ["T9005"]))
        let item = r.candidates.first?.evidence.first { $0.value == "T9005" }
        #expect(r.candidates.first?.name == "Alpha")
        #expect(item?.explanation.contains("known for this actor") == true)
    }

    @Test func emptyAndUnknownEvidenceGiveClearAnswers() throws {
        let model = try World.model()
        let empty = model.attribute(Evidence())
        #expect(empty.verdict == "insufficient evidence")
        #expect(empty.candidates.isEmpty && empty.countries.isEmpty && empty.umbrellas.isEmpty)
        let unknown = model.attribute(Evidence(techniques: ["T0000", "Nonexistent technique"], software: ["NoSuchTool"]))
        #expect(unknown.verdict == "insufficient evidence")
        #expect(unknown.candidates.isEmpty)
        #expect(unknown.notes.count == 4)
        #expect(unknown.notes.last?.hasPrefix("no usable evidence") == true)
        // Indicators, hashes and digests that name no actor are no evidence either: no ranking of equal scores.
        var unmatched = Evidence()
        unmatched.indicators = [.init(type: "ipv4-addr", value: "198.51.100.99")]
        unmatched.fileHashes = [String(repeating: "ab", count: 16)]
        let nothing = model.attribute(unmatched)
        #expect(nothing.verdict == "insufficient evidence" && nothing.candidates.isEmpty && nothing.countries.isEmpty)
        #expect(nothing.notes.contains { $0.hasPrefix("2 indicators or hashes match no indicator") })
        // A located address is evidence (weak), even when it matches no indicator.
        unmatched.indicators[0].country = "KP"
        #expect(model.attribute(unmatched).verdict != "insufficient evidence")
        let noActors = AttributionModel(graph: try KnowledgeGraph(store: try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))))
        let r = noActors.attribute(Evidence(techniques: ["T1059"]))
        #expect(r.verdict == "unknown actor")
        #expect(r.unknownActorConfidence == 1)
    }

    @Test func officeHoursInTheActorsTimeZoneAreWeakEvidence() throws {
        let model = try World.model()
        // 10:00–16:00 on weekdays in UTC+9 (01:00–07:00 UTC), March 2013.
        var e = Evidence(techniques: ["T9001"])
        e.activityTimes = (18...22).map { "2013-03-\($0)T02:30:00Z" }
        let r = model.attribute(e)
        let alpha = try #require(r.candidates.first { $0.name == "Alpha" })
        let time = try #require(alpha.evidence.first { $0.kind == "activity-time" })
        #expect(time.weight > 0)
        #expect(time.explanation.contains("5 of 5 activity times"))
        #expect(r.candidates.first?.name == "Alpha")
        var night = e
        night.activityTimes = (18...22).map { "2013-03-\($0)T15:30:00Z" }  // 00:30 in Pyongyang
        let n = model.attribute(night).candidates.first { $0.name == "Alpha" }
        #expect((n?.evidence.first { $0.kind == "activity-time" }?.weight ?? 0) < 0)
    }

    @Test func indicatorsLinkedInTheKnowledgeBaseCount() throws {
        let model = try World.model()
        var e = Evidence()
        e.indicators = [.init(type: "ipv4-addr", value: "175.45.178.19"), .init(type: "domain-name", value: "example.org")]
        let r = model.attribute(e)
        #expect(r.candidates.first?.name == "Bravo")
        #expect(r.candidates.first?.evidence.contains { $0.kind == "indicator" } == true)
        #expect(r.notes.contains { $0.contains("1 indicators or hashes match no indicator") })
    }

    /// An actor the knowledge base knows no technique or software of (most MISP galaxy actors) is still
    /// ranked when an indicator names it, on what names it: techniques say nothing for or against it.
    @Test func actorsWithoutTechniquesAreRankedOnWhatNamesThem() throws {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        let delta = "intrusion-set--d1000000-0000-4000-8000-000000000001"
        let indicator = "indicator--d1000000-0000-4000-8000-000000000002"
        let extra = [
            #"{"type": "intrusion-set", "id": "\#(delta)", \#(common), "name": "Delta"}"#,
            #"{"type": "indicator", "id": "\#(indicator)", \#(common), "pattern": "[ipv4-addr:value = '203.0.113.77']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#,
            #"{"type": "relationship", "id": "relationship--d1000000-0000-4000-8000-000000000003", \#(common), "relationship_type": "indicates", "source_ref": "\#(indicator)", "target_ref": "\#(delta)"}"#,
        ]
        let model = AttributionModel(graph: try World.graph(adding: extra))
        #expect(model.rankedActorCount == 3)
        var e = Evidence(techniques: ["T9001", "T9004"])
        e.indicators = [.init(type: "ipv4-addr", value: "203.0.113.77")]
        let r = model.attribute(e, top: 10)
        #expect(r.candidates.count == 4)
        let d = try #require(r.candidates.first { $0.name == "Delta" })
        #expect(d.evidence.contains { $0.kind == "indicator" && $0.weight == model.parameters.indicatorWeight })
        let technique = try #require(d.evidence.first { $0.value == "T9004" })
        #expect(technique.weight == 0 && technique.explanation.contains("records no techniques or software for this actor"))
        #expect(abs(d.score - model.parameters.indicatorWeight) < 1e-9)
        #expect(r.notes.contains { $0.hasPrefix("1 actors named by the evidence have no recorded techniques or software (Delta)") })
        let sum = r.candidates.reduce(r.unknownActorConfidence) { $0 + $1.confidence }
        #expect(abs(sum - 1) < 1e-9)
        // Without the indicator it is not ranked; with the indicator alone it leads.
        #expect(!model.attribute(Evidence(techniques: ["T9001"]), top: 10).candidates.contains { $0.name == "Delta" })
        var only = Evidence()
        only.indicators = e.indicators
        #expect(model.attribute(only).candidates.first?.name == "Delta")
        // In a store whose only actor has no techniques, the indicator still names it.
        let lone = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let loneBundle = #"{"type": "bundle", "id": "bundle--d1000000-0000-4000-8000-000000000009", "objects": ["# + extra.joined(separator: ",") + "]}"
        #expect(try lone.importBytes(Array(loneBundle.utf8), path: "lone.json", source: "lone.json").total.rejected == 0)
        #expect(AttributionModel(graph: try KnowledgeGraph(store: lone)).attribute(only).candidates.first?.name == "Delta")
    }

    /// One file's hashes, and one indicator's values, credit an actor once.
    @Test func oneFileOrOneIndicatorCountsOnce() throws {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        let (md5, sha1, sha256) = (String(repeating: "a1", count: 16), String(repeating: "b2", count: 20), String(repeating: "c3", count: 32))
        let pattern = "[file:hashes.MD5 = '\(md5)'] OR [file:hashes.'SHA-1' = '\(sha1)'] OR [file:hashes.'SHA-256' = '\(sha256)']"
        let extra = [
            #"{"type": "indicator", "id": "indicator--e2000000-0000-4000-8000-000000000001", \#(common), "pattern": "\#(pattern)", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#,
            #"{"type": "relationship", "id": "relationship--e2000000-0000-4000-8000-000000000002", \#(common), "relationship_type": "indicates", "source_ref": "indicator--e2000000-0000-4000-8000-000000000001", "target_ref": "\#(World.c)"}"#,
        ]
        let model = AttributionModel(graph: try World.graph(adding: extra))
        var e = Evidence()
        e.fileHashes = [md5, sha1, sha256]
        func hits(_ e: Evidence) -> Int {
            model.attribute(e).candidates.first { $0.name == "Charlie" }?.evidence.filter { $0.kind == "indicator" }.count ?? 0
        }
        #expect(hits(e) == 1)  // one indicator
        // The same three values as one file, without the indicator's grouping: still one.
        e.fileOf = [md5: sha256, sha1: sha256, sha256: sha256]
        #expect(hits(e) == 1)
        #expect(!model.attribute(e).notes.contains { $0.contains("match no indicator") })
    }

    /// Hashes an indicator quotes but one value cannot satisfy (`… AND …`, matched as literals) credit an
    /// actor once per indicator, too.
    @Test func hashesQuotedByOneIndicatorCountOnce() throws {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        let (md5, sha256) = (String(repeating: "d4", count: 16), String(repeating: "e5", count: 32))
        let pattern = "[file:hashes.MD5 = '\(md5)' AND file:hashes.'SHA-256' = '\(sha256)']"
        let extra = [
            #"{"type": "indicator", "id": "indicator--e3000000-0000-4000-8000-000000000001", \#(common), "pattern": "\#(pattern)", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#,
            #"{"type": "relationship", "id": "relationship--e3000000-0000-4000-8000-000000000002", \#(common), "relationship_type": "indicates", "source_ref": "indicator--e3000000-0000-4000-8000-000000000001", "target_ref": "\#(World.c)"}"#,
        ]
        let model = AttributionModel(graph: try World.graph(adding: extra))
        var e = Evidence()
        e.fileHashes = [md5, sha256]
        let charlie = try #require(model.attribute(e).candidates.first { $0.name == "Charlie" })
        #expect(charlie.evidence.filter { $0.kind == "indicator" }.count == 1)
        // The same answer every time (which indicator is used first does not depend on a set's order).
        let scores = (0..<5).map { _ in model.attribute(e).candidates.first { $0.name == "Charlie" }?.score }
        #expect(Set(scores).count == 1)
    }

    /// An indicator that says what a value is — a malware family's file hash, a technique's artifact —
    /// makes a matching value evidence of that software or technique, with the indicator as its source.
    @Test func indicatorsOfSoftwareAndTechniquesNameThem() throws {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        let md5 = String(repeating: "7e", count: 16)
        let extra = [
            #"{"type": "indicator", "id": "indicator--e1000000-0000-4000-8000-000000000001", \#(common), "pattern": "[file:hashes.MD5 = '\#(md5)']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}"#,
            #"{"type": "relationship", "id": "relationship--e1000000-0000-4000-8000-000000000002", \#(common), "relationship_type": "indicates", "source_ref": "indicator--e1000000-0000-4000-8000-000000000001", "target_ref": "\#(World.software(1))"}"#,
            #"{"type": "relationship", "id": "relationship--e1000000-0000-4000-8000-000000000003", \#(common), "relationship_type": "indicates", "source_ref": "indicator--e1000000-0000-4000-8000-000000000001", "target_ref": "\#(World.technique(4))"}"#,
        ]
        let graph = try World.graph(adding: extra)
        let link = try #require(graph.indicatorLinks.first { $0.id == "indicator--e1000000-0000-4000-8000-000000000001" })
        #expect(link.actors.isEmpty && link.software == ["S9001"] && link.techniques == ["T9004"])
        let model = AttributionModel(graph: graph)
        var e = Evidence()
        e.fileHashes = [md5.uppercased()]
        let r = model.attribute(e)
        #expect(r.verdict != "insufficient evidence")
        let top = try #require(r.candidates.first)
        #expect(top.name == "Alpha")
        let software = try #require(top.evidence.first { $0.value == "S9001" })
        #expect(software.weight > 0 && software.reliability == "medium")
        #expect(software.source?.contains("matches the knowledge-base indicator [file:hashes.MD5 = '\(md5)'] of S9001") == true)
        #expect(top.evidence.contains { $0.value == "T9004" && $0.weight > 0 })
        #expect(!r.notes.contains { $0.contains("match no indicator") })
        #expect(model.namesKnownThreat(e))
    }

    @Test func indicatorsMatchWithPatternSemanticsThroughTheIndex() throws {
        let model = try World.model()
        var e = Evidence()
        e.indicators = [
            .init(type: "ipv4-addr", value: "210.52.109.77"), .init(type: "domain-name", value: "cdn.STAR-N.example"),
            .init(type: "ipv4-addr", value: "210.52.110.1"),
        ]
        e.fileHashes = ["d41d8cd98f00b204e9800998ecf8427e"]
        let r = model.attribute(e)
        let alpha = try #require(r.candidates.first { $0.name == "Alpha" })
        let alphaHits = alpha.evidence.filter { $0.kind == "indicator" }
        #expect(alphaHits.map(\.value).sorted() == ["210.52.109.77", "cdn.STAR-N.example"])
        #expect(alphaHits.allSatisfy { $0.explanation.contains("ISSUBSET '210.52.109.0/24'") })
        let charlie = try #require(r.candidates.first { $0.name == "Charlie" })
        #expect(charlie.evidence.contains { $0.kind == "indicator" && $0.value == "d41d8cd98f00b204e9800998ecf8427e" })
        // A literal of an indicator that one value cannot satisfy still counts, said as such.
        var f = Evidence()
        f.fileHashes = [String(repeating: "5A", count: 32)]
        let bravo = try #require(model.attribute(f).candidates.first)
        #expect(bravo.name == "Bravo")
        #expect(bravo.evidence.contains { $0.kind == "indicator" && $0.explanation.contains("appears in a knowledge-base indicator") })
        // Outside the /24: no actor.
        #expect(r.notes.contains { $0.contains("1 indicators or hashes match no indicator") })
        #expect(!r.candidates.contains { c in c.evidence.contains { $0.value == "210.52.110.1" } })
    }

    @Test func similarSSDeepDigestsPointAtTheSamplesActor() throws {
        let model = try World.model()
        #expect(model.graph.ssdeepSamples.map(\.digest.text) == [World.ssdeepSample])  // in its own case
        var e = Evidence()
        // A digest given twice (once with a space) counts once.
        e.ssdeep = [World.ssdeepRelative, World.ssdeepStranger, "not:a digest", " " + World.ssdeepRelative]
        let r = model.attribute(e)
        let top = try #require(r.candidates.first)
        #expect(top.name == "Bravo")
        #expect(top.evidence.filter { $0.kind == "code-similarity" }.count == 1)
        let item = try #require(top.evidence.first { $0.kind == "code-similarity" })
        #expect(abs(item.weight - 3.0 * 0.91) < 1e-9)  // libfuzzy's score 91, as in the reference vectors
        #expect(item.explanation.contains("ssdeep score 91"))
        #expect(item.reliability == "high")
        #expect(r.notes.contains { $0.contains("'not:a digest' is not an ssdeep digest") })
        #expect(r.notes.contains { $0.contains("1 ssdeep digests score 0 against every sample") })
        // The evidence file takes them under "ssdeep".
        let parsed = try Evidence.parse(try JSONParser.parse(Array(#"{"ssdeep": ["\#(World.ssdeepRelative)"]}"#.utf8)))
        #expect(parsed.ssdeep == [World.ssdeepRelative])
        #expect(model.attribute(parsed).candidates.first?.name == "Bravo")
    }

    @Test func addressesInTheActorsCountryAreWeakEvidence() throws {
        let model = try World.model()
        var e = Evidence(techniques: ["T9001"])
        // Five located addresses, three in North Korea (Alpha's country), and one not located.
        e.indicators = ["KP", "KP", "KP", "CN", "CN"].enumerated().map { i, c in .init(type: "ipv4-addr", value: "198.51.100.\(i + 1)", country: c) }
            + [.init(type: "ipv4-addr", value: "198.51.100.99")]
        let r = model.attribute(e)
        let alpha = try #require(r.candidates.first { $0.name == "Alpha" })
        let item = try #require(alpha.evidence.first { $0.kind == "infrastructure-country" })
        #expect(abs(item.weight - 0.5 * 3 / 5) < 1e-9)
        #expect(item.reliability == "low")
        #expect(item.explanation.hasPrefix("3 of 5 located addresses are in KP, this actor's country; weak evidence"))
        // An address elsewhere says nothing against an actor: no negative item for the others.
        for c in r.candidates where c.name != "Alpha" { #expect(!c.evidence.contains { $0.kind == "infrastructure-country" }) }
        #expect(r.notes.contains { $0.hasPrefix("5 observed addresses located: KP 3, CN 2") })
        // Located addresses move Alpha up by that much and no more.
        var plain = e
        plain.indicators = plain.indicators.map { .init(type: $0.type, value: $0.value) }
        let before = try #require(model.attribute(plain).candidates.first { $0.name == "Alpha" })
        #expect(abs(alpha.score - before.score - item.weight) < 1e-9)
        // Fewer than five located addresses weigh less; an address written twice counts once; the country
        // code's case does not matter; a domain's country and unlocated addresses do not count, and the
        // latter are noted.
        var few = Evidence(techniques: ["T9001"])
        few.indicators = [
            .init(type: "ipv6-addr", value: "2001:220::9", country: "kp"), .init(type: "ipv6-addr", value: "2001:0220:0::9", country: "KP"),
            .init(type: "ipv4-addr", value: "198.51.100.7", country: "CN"), .init(type: "domain-name", value: "x.example", country: "KP"),
            .init(type: "ipv4-addr", value: "198.51.100.8"),
        ]
        let fewResult = model.attribute(few)
        let fewItem = try #require(fewResult.candidates.first { $0.name == "Alpha" }?.evidence.first { $0.kind == "infrastructure-country" })
        #expect(abs(fewItem.weight - 0.5 * 1 / 2 * 2 / 5) < 1e-9)  // 1 of 2 located addresses, strength 2/5
        #expect(fewResult.notes.contains { $0.hasPrefix("2 observed addresses located: CN 1, KP 1") })
        #expect(fewResult.notes.contains { $0.hasPrefix("1 observed addresses have no known country") })
        #expect(Evidence.canonicalAddress("2001:0220:0::9") == "2001:220::9")
        #expect(Evidence.canonicalAddress("x.example") == "x.example")
        // locateAddresses fills in addresses without a country, and only addresses.
        var filled = plain
        filled.indicators.append(.init(type: "domain-name", value: "x.example"))
        #expect(filled.locateAddresses { $0.hasSuffix(".1") ? "KP" : nil } == 1)
        #expect(filled.indicators.compactMap(\.country) == ["KP"])
        // A lookup that places none of the addresses still says so; without a lookup, nothing is said.
        var nowhere = Evidence(techniques: ["T9001"])
        nowhere.indicators = [.init(type: "ipv4-addr", value: "198.51.100.8"), .init(type: "ipv4-addr", value: "198.51.100.9")]
        #expect(!model.attribute(nowhere).notes.contains { $0.contains("no known country") })
        #expect(nowhere.locateAddresses { _ in nil } == 0)
        #expect(model.attribute(nowhere).notes.contains {
            $0 == "2 observed addresses have no known country (not given, and not in the GeoIP database)"
        })
    }

    @Test func nearTLSHDigestsPointAtTheSamplesActor() throws {
        let model = try World.model()
        var e = Evidence()
        // Two body digits changed: a close relative of Charlie's sample.
        var near = Array(World.tlsh)
        near[40] = near[40] == "0" ? "1" : "0"
        near[50] = near[50] == "0" ? "1" : "0"
        e.tlsh = [String(near), "T1" + String(repeating: "F", count: 70), "not a digest"]
        let r = model.attribute(e)
        let top = try #require(r.candidates.first)
        #expect(top.name == "Charlie")
        let item = try #require(top.evidence.first { $0.kind == "code-similarity" })
        #expect(item.weight > 2.5 && item.weight < 3)
        #expect(item.explanation.contains("TLSH distance"))
        #expect(r.notes.contains { $0.contains("'not a digest' is not a TLSH digest") })
        #expect(r.notes.contains { $0.contains("1 TLSH digests are within distance 100 of no sample") })
    }

    @Test func evidenceFileErrorsAreLocated() throws {
        #expect(throws: Evidence.FormatError(message: "techniques[1]: expected a string")) {
            try Evidence.parse(try JSONParser.parse(#"{"techniques": ["T1059", 5]}"#))
        }
        #expect(throws: Evidence.FormatError.self) { try Evidence.parse(try JSONParser.parse(#"{"tactics": []}"#)) }
        let e = try Evidence.parse(
            try JSONParser.parse(#"{"software": ["S0041"], "victims": {"sectors": ["financial services"], "countries": ["KR"]}, "indicators": [{"type": "ipv4-addr", "value": "1.2.3.4"}]}"#))
        #expect(e.software == ["S0041"])
        #expect(e.victimCountries == ["KR"])
        #expect(e.indicators.count == 1)
        let located = try Evidence.parse(try JSONParser.parse(#"{"indicators": [{"type": "ipv4-addr", "value": "1.2.3.4", "country": "cn"}]}"#))
        #expect(located.indicators.first?.country == "CN")
        #expect(throws: Evidence.FormatError(message: "indicators[0].country: expected an ISO 3166 alpha-2 code such as \"CN\"")) {
            try Evidence.parse(try JSONParser.parse(#"{"indicators": [{"type": "ipv4-addr", "value": "1.2.3.4", "country": "China"}]}"#))
        }
        #expect(throws: Evidence.FormatError.self) {  // two letters, but no country's code
            try Evidence.parse(try JSONParser.parse(#"{"indicators": [{"type": "ipv4-addr", "value": "1.2.3.4", "country": "XX"}]}"#))
        }
        // Victim countries: a code or a country's name; anything else is an error, not a silent no-op.
        let named = try Evidence.parse(try JSONParser.parse(#"{"victims": {"countries": ["kr", "North Korea", "Korea"]}}"#))
        #expect(named.victimCountries == ["KR", "KP", "KR"])
        #expect(
            throws: Evidence.FormatError(
                message: "victims.countries[1]: 'Koreas' is neither an ISO 3166 alpha-2 code such as \"KR\" nor a country's name")
        ) {
            try Evidence.parse(try JSONParser.parse(#"{"victims": {"countries": ["KR", "Koreas"]}}"#))
        }
    }

    /// Activity times with an offset are brought to UTC; addresses compare in canonical form, each once;
    /// what is not an address, and unknown indicator types, are noted.
    @Test func timesAndAddressesInEverySpelling() throws {
        #expect(AttributionModel.instant("2013-03-20T14:00:00+09:00")?.description == "2013-03-20T05:00:00Z")
        #expect(AttributionModel.instant("2013-03-19T23:30:00.5-05:30")?.description == "2013-03-20T05:00:00.5Z")
        #expect(AttributionModel.instant("2013-03-20T05:00:00Z")?.description == "2013-03-20T05:00:00Z")
        for bad in ["2013-03-20T14:00:00+25:00", "2013-03-20 14:00", "yesterday", "2013-03-20T14:00:00+0900", "2013-03-20T14:00:00+-1:00"] {
            #expect(AttributionModel.instant(bad) == nil, "\(bad)")
        }
        let model = try World.model()
        var e = Evidence()
        e.indicators = [
            .init(type: "ipv4-addr", value: " 175.45.178.19 "), .init(type: "ipv4-addr", value: "175.45.178.19"),
            .init(type: "ipv4-addr", value: "175.45.178.999"), .init(type: "ipv6-addr", value: "2001:0db8:0:0::77"),
            .init(type: "ipv6-addr", value: "2001:db8::77"), .init(type: "x-ransom-note", value: "pay up"),
        ]
        e.activityTimes = ["2013-03-20T14:00:00+09:00"]
        let r = model.attribute(e)
        let bravo = try #require(r.candidates.first { $0.name == "Bravo" })
        #expect(bravo.evidence.filter { $0.kind == "indicator" }.map(\.value) == ["175.45.178.19"])  // once
        #expect(r.notes.contains("indicator '175.45.178.999' is not an IPv4 address; ignored"))
        #expect(r.notes.contains { $0.hasPrefix("indicator type 'x-ransom-note' is not a STIX cyber-observable type") })
        #expect(r.notes.contains("2 indicators or hashes match no indicator linked to an actor, software or technique"))  // the IPv6 once, the note once
        #expect(!r.notes.contains { $0.contains("not RFC 3339") })
    }
}

/// The close match on a world made for it: Alpha records techniques 1–14, Bravo 1–3 and, through its
/// campaign Y, 4 and 5; Charlie 13–16. All three record technique 17 (IDF 0: it tells them apart from
/// nobody).
@Suite struct CloseMatchTests {
    static var bundle: String {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        var objects: [String] = []
        for (id, name, g) in [(World.a, "Alpha", "G9001"), (World.b, "Bravo", "G9002"), (World.c, "Charlie", "G9003")] {
            objects.append(#"{"type": "intrusion-set", "id": "\#(id)", \#(common), "name": "\#(name)", "external_references": [{"source_name": "mitre-attack", "external_id": "\#(g)"}]}"#)
        }
        for n in 1...17 {
            objects.append(#"{"type": "attack-pattern", "id": "\#(World.technique(n))", \#(common), "name": "Technique \#(n)", "external_references": [{"source_name": "mitre-attack", "external_id": "T90\#(String(format: "%02d", n))"}]}"#)
        }
        objects.append(#"{"type": "campaign", "id": "\#(World.campaign)", \#(common), "name": "Op Y"}"#)
        var n = 0
        func rel(_ type: String, _ s: String, _ t: String) {
            n += 1
            objects.append(#"{"type": "relationship", "id": "relationship--00000000-0000-4000-8000-\#(String(format: "%012d", n))", \#(common), "relationship_type": "\#(type)", "source_ref": "\#(s)", "target_ref": "\#(t)"}"#)
        }
        for t in Array(1...14) + [17] { rel("uses", World.a, World.technique(t)) }
        for t in [1, 2, 3, 17] { rel("uses", World.b, World.technique(t)) }
        for t in [13, 14, 15, 16, 17] { rel("uses", World.c, World.technique(t)) }
        rel("attributed-to", World.campaign, World.b)
        for t in [4, 5] { rel("uses", World.campaign, World.technique(t)) }
        return #"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000097", "objects": ["# + objects.joined(separator: ",\n") + "]}"
    }

    static func model(_ parameters: AttributionModel.Parameters = .init()) throws -> AttributionModel {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let report = try kb.importBytes(Array(bundle.utf8), path: "close.json", source: "close.json")
        #expect(report.total.rejected == 0, "\(report.rejections)")
        return AttributionModel(graph: try KnowledgeGraph(store: kb), parameters: parameters)
    }

    /// Bravo's whole record, its own techniques and its campaign's, and technique 17.
    static let whole = Evidence(techniques: ["T9001", "T9002", "T9003", "T9004", "T9005", "T9017"])

    @Test func evidenceThatIsAnActorsWholeRecordRanksItFirst() throws {
        let parameters = AttributionModel.Parameters()
        let result = try Self.model().attribute(Self.whole, top: 3)
        let bravo = try #require(result.candidates.first)
        #expect(bravo.name == "Bravo")
        let line = try #require(bravo.evidence.first { $0.kind == "profile-match" })
        // The cosine with the record including the campaign's techniques (0.77 without them).
        #expect(line.value == "1.00")
        #expect(abs(line.weight - parameters.closeMatchWeight * 6 * (1 - parameters.closeMatchThreshold)) < 1e-9)
        #expect(line.explanation.hasPrefix("close match:"))
        #expect(line.explanation.contains("its campaigns'"))
        #expect(line.reliability == "derived")
        // Alpha records all five too, among many more: resemblance, but no close match.
        let alpha = try #require(result.candidates.first { $0.name == "Alpha" })
        #expect(!alpha.evidence.contains { $0.kind == "profile-match" })
        // Without the close match, Alpha's larger record ranks first on the same evidence, and Bravo's
        // score is lower by exactly the line's weight.
        var off = parameters
        off.closeMatchWeight = 0
        let without = try Self.model(off).attribute(Self.whole, top: 3)
        #expect(without.candidates.first?.name == "Alpha")
        let bravoWithout = try #require(without.candidates.first { $0.name == "Bravo" })
        #expect(abs(bravo.score - bravoWithout.score - line.weight) < 1e-9)
        // Victim facts are not evidence items of the close match: the bonus does not grow with them.
        var withVictims = Self.whole
        withVictims.victimCountries = ["KR", "US", "JP"]
        let victims = try Self.model().attribute(withVictims, top: 1)
        #expect(victims.candidates.first?.evidence.first { $0.kind == "profile-match" }?.weight == line.weight)
    }

    @Test func aCloseMatchNeedsFiveTellingItems() throws {
        // Four of Bravo's techniques and technique 17, which every actor records: four telling items.
        let four = Evidence(techniques: ["T9001", "T9002", "T9003", "T9004", "T9017"])
        let result = try Self.model().attribute(four, top: 3)
        #expect(!result.candidates.contains { $0.evidence.contains { $0.kind == "profile-match" } })
        var lowered = AttributionModel.Parameters()
        lowered.closeMatchMinimumItems = 4
        let r = try Self.model(lowered).attribute(four, top: 1)
        #expect(r.candidates.first?.name == "Bravo")
        #expect(r.candidates.first?.evidence.first { $0.kind == "profile-match" }?.value == "0.89")
    }
}

/// The benchmark's ceiling column on a world small enough to count by hand.
@Suite struct BenchmarkCeilingTests {
    /// Alpha uses techniques 1–3, Bravo 1, 4 and 5. Campaign X (Bravo's) uses technique 6, which nobody
    /// else records; campaign Y (Alpha's) uses technique 2, which Alpha also records from another report;
    /// campaign Z (Alpha's) uses T9002.001, a sub-technique of technique 2 that only Z records.
    /// (Were X Alpha's, the tie among actors that record nothing of it would go to Alpha by name.)
    static var bundle: String {
        let common = #""spec_version": "2.1", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z""#
        var objects: [String] = []
        for (id, name, g) in [(World.a, "Alpha", "G9001"), (World.b, "Bravo", "G9002")] {
            objects.append(#"{"type": "intrusion-set", "id": "\#(id)", \#(common), "name": "\#(name)", "external_references": [{"source_name": "mitre-attack", "external_id": "\#(g)"}]}"#)
        }
        for n in 1...6 {
            objects.append(#"{"type": "attack-pattern", "id": "\#(World.technique(n))", \#(common), "name": "Technique \#(n)", "external_references": [{"source_name": "mitre-attack", "external_id": "T90\#(String(format: "%02d", n))"}]}"#)
        }
        objects.append(#"{"type": "attack-pattern", "id": "\#(World.technique(7))", \#(common), "name": "Technique 2.1", "x_mitre_is_subtechnique": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T9002.001"}]}"#)
        let x = "campaign--e0000000-0000-4000-8000-000000000011"
        let y = "campaign--e0000000-0000-4000-8000-000000000012"
        let z = "campaign--e0000000-0000-4000-8000-000000000013"
        for (id, c) in [(x, "C9011"), (y, "C9012"), (z, "C9013")] {
            objects.append(#"{"type": "campaign", "id": "\#(id)", \#(common), "name": "\#(c)", "external_references": [{"source_name": "mitre-attack", "external_id": "\#(c)"}]}"#)
        }
        var n = 0
        func rel(_ type: String, _ s: String, _ t: String) {
            n += 1
            objects.append(#"{"type": "relationship", "id": "relationship--00000000-0000-4000-8000-\#(String(format: "%012d", n))", \#(common), "relationship_type": "\#(type)", "source_ref": "\#(s)", "target_ref": "\#(t)", "external_references": [{"source_name": "Report \#(n)"}]}"#)
        }
        for t in 1...3 { rel("uses", World.a, World.technique(t)) }
        for t in [1, 4, 5] { rel("uses", World.b, World.technique(t)) }
        rel("attributed-to", x, World.b); rel("uses", x, World.technique(6))
        rel("attributed-to", y, World.a); rel("uses", y, World.technique(2))
        rel("attributed-to", z, World.a); rel("uses", z, World.technique(7))
        return #"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000098", "objects": ["# + objects.joined(separator: ",\n") + "]}"
    }

    @Test func countsTheQueriesWhoseEvidenceTheTrueGroupStillRecords() throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let report = try kb.importBytes(Array(Self.bundle.utf8), path: "ceiling.json", source: "ceiling.json")
        #expect(report.total.rejected == 0, "\(report.rejections)")
        let rows = AttributionBenchmark.run(graph: try KnowledgeGraph(store: kb))
        let ours = try #require(rows.first { $0.method == "Sightline" && $0.variant.hasPrefix("leave-one") })
        let base = try #require(rows.first { $0.method == "TF-IDF baseline" && $0.variant.hasPrefix("leave-one") })
        #expect(ours.queries == 3 && base.queries == 3)
        // With X held out, Bravo records nothing of technique 6: X cannot be won but by a tie, and the tie
        // goes to Alpha. Z's sub-technique shares its parent with Alpha's record, which Sightline counts and
        // the baseline (no parents) does not; the baseline still ranks Alpha first on Z, by a tie.
        #expect(ours.sharing == 2)
        #expect(base.sharing == 1)
        #expect(ours.ranks == [2, 1, 1])  // campaigns in id order: X, Y, Z
        #expect(base.ranks == [2, 1, 1])
        #expect(ours.umbrellaTop1 == ours.top1)  // no umbrella actors here
        #expect(rows.first { $0.variant.hasPrefix("all of the above") }?.sharing == nil)
    }

    @Test func aParentObservedAfterItsSubTechniqueCountsAsObserved() throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        _ = try kb.importBytes(Array(Self.bundle.utf8), path: "ceiling.json", source: "ceiling.json")
        let model = AttributionModel(graph: try KnowledgeGraph(store: kb))
        let first = model.attribute(Evidence(techniques: ["T9002.001", "T9002"]))
        let last = model.attribute(Evidence(techniques: ["T9002", "T9002.001"]))
        #expect(first.candidates.map(\.name) == last.candidates.map(\.name))
        #expect(zip(first.candidates, last.candidates).allSatisfy { abs($0.score - $1.score) < 1e-9 })
        let parent = try #require(first.candidates.first?.evidence.first { $0.value == "T9002" })
        #expect(parent.reliability != "derived")  // observed, not implied by the sub-technique
        #expect(abs(parent.weight - (last.candidates.first?.evidence.first { $0.value == "T9002" }?.weight ?? 0)) < 1e-9)
    }
}

/// The benchmark on the real ATT&CK data (what `sightline evaluate attribution` prints).
@Suite(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) struct AttributionBenchmarkTests {
    @Test func beatsTheTFIDFBaselineOnHeldOutCampaigns() throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        for f in ["attack/enterprise-attack-18.1.json", "misp-galaxy/threat-actor.json"] {
            _ = try kb.importFile(try #require(Corpus.file(f)).path)
        }
        let graph = try KnowledgeGraph(store: kb)
        // One technique most groups use says almost nothing: no actor or umbrella may look likely (a tiny
        // profile holding it once got 66% through an unshrunk resemblance).
        let vague = AttributionModel(graph: graph).attribute(Evidence(techniques: ["T1059"]))
        #expect((vague.candidates.first?.confidence ?? 1) < 0.15)
        #expect((vague.umbrellas.first?.confidence ?? 1) < 0.25)
        let (rows, fitted) = AttributionBenchmark.run(graph: graph, parameters: .init(), fitTemperature: true)
        for r in rows {
            print(r.method, r.variant, r.queries, r.top1, r.mrr, r.countryTop1 ?? -1, r.ece ?? -1)
        }
        let ours = try #require(rows.first { $0.method == "Sightline" && $0.variant.hasPrefix("leave-one") })
        let base = try #require(rows.first { $0.method == "TF-IDF baseline" && $0.variant.hasPrefix("leave-one") })
        #expect(ours.queries == 24)
        #expect(base.top1 < 0.15)  // the published baseline figure is about 8%
        #expect(ours.top1 >= 0.25)
        #expect(ours.mrr >= 0.35)
        #expect(ours.mrr > base.mrr * 2.2)
        #expect(try #require(ours.countryTop1) >= 0.55)
        // The ceiling: the evidence of 22 campaigns shares an item with the true group's profile in the
        // graph under test (3CX's and C0033's do not); the baseline, without parents or software
        // techniques, has the same 22 with all the evidence.
        #expect(ours.sharing == 22 && base.sharing == 22)
        // At the umbrella level 3CX (AppleJeus, under Lazarus Group in MISP) is answered right too. (Not a
        // bound: an umbrella can also lose a group ranked first to a bigger umbrella.)
        #expect(ours.umbrellaTop1 == 8.0 / 24)
        // Smaller subsets of the evidence still beat the baseline by far.
        for variant in ["… random 50%", "… random 30%"] {
            let o = try #require(rows.first { $0.method == "Sightline" && $0.variant.hasPrefix(variant) })
            let b = try #require(rows.first { $0.method == "TF-IDF baseline" && $0.variant.hasPrefix(variant) })
            #expect(o.mrr > b.mrr * 2)
        }
        // Cross-validated calibration on the report-level holdout (136 queries; 24 are too few for a stable ECE).
        let report = try #require(rows.first { $0.method == "Sightline" && $0.variant.hasPrefix("report-level") })
        #expect(try #require(report.ece) <= 0.1)
        // The close match: the report-level holdout's small groups, reproduced by their held-out half, rank
        // first (46% without it; the baseline's cosine gives 64%), while the campaigns keep their 7 of 24.
        #expect(report.top1 == 81.0 / 136)
        #expect(ours.top1 == 7.0 / 24)
        let pooled = try #require(rows.first { $0.variant.hasPrefix("all of the above") })
        #expect(try #require(pooled.ece) <= 0.1)
        #expect(report.sharing == 124)
        #expect(rows.first { $0.method == "TF-IDF baseline" && $0.variant.hasPrefix("report-level") }?.sharing == 117)
        #expect(rows.contains { $0.variant.hasPrefix("unknown actor") && $0.queries > 100 })
        // scripts/attribution-families.py replays the benchmark in Python (to compare ranking methods on
        // the same queries): its replica of the shipped model must rank every query's true group where the
        // benchmark does. The script is plain Python 3: any interpreter runs it.
        let python = Corpus.python ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : nil)
        if let python {
            let dir = try Corpus.temporaryDirectory()
            let exported = dir.appendingPathComponent("graph.json")
            try Data(JSONWriter().string(graph.exportJSON()).utf8).write(to: exported)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [Corpus.packageRoot.appendingPathComponent("scripts/attribution-families.py").path, "--shipped-only", exported.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            let replica = output.split(separator: "\n").filter { $0.hasPrefix("ranks ") }.map {
                $0.split(separator: ":").last.map { $0.split(separator: " ").compactMap { Int($0) } } ?? []
            }
            let expected = ["leave-one", "… random 50%", "… random 30%", "report-level"].compactMap { prefix in
                rows.first { $0.method == "Sightline" && $0.variant.hasPrefix(prefix) }?.ranks
            }
            #expect(expected.map(\.count) == [24, 24, 24, 136])
            #expect(replica == expected, "\(output)")
        }
        // The shipped calibration is the one this benchmark fits.
        let shipped = AttributionModel.Parameters()
        #expect(abs(fitted.temperature - shipped.temperature) < 0.01)
        #expect(abs(fitted.knownSlope - shipped.knownSlope) < 0.01)
        #expect(abs(fitted.knownIntercept - shipped.knownIntercept) < 0.01)
    }
}
