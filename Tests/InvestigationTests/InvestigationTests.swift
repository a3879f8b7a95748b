import Attribution
import Events
import Foundation
import Hunting
import Investigation
import Knowledge
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
                ("Hashes", "MD5=AA,SHA256=BB"),
            ])
        let f = Investigator.finding(s)
        #expect(f.id == "r1@pms.evtx:7")
        #expect(f.tactics == ["lateral-movement"])
        #expect(f.software == ["S0364"])
        #expect(f.account == "kim.jh-adm")
        #expect(f.linkedHosts == ["BANK-PC-014"])
        #expect(f.indicators.map(\.value) == ["175.45.178.19", "update.example.com"])  // private 10.x left out
        #expect(f.fileHashes == ["aa", "bb"])
        #expect(f.time?.description == "2013-03-20T05:00:00.000Z")
    }
}

/// The example that ships with the project: DarkSeoul, March 2013, in Sysmon and Security logs.
@Suite struct DarkSeoulExampleTests {
    @Test func investigationFindsOneCampaignAndPointsAtNorthKorea() async throws {
        let logs = Corpus.packageRoot.appendingPathComponent("examples/darkseoul/logs").path
        let rules = try #require(BuiltinRules.folder)
        let collection = RuleLoader.load(paths: [rules])
        #expect(collection.failures.isEmpty)
        #expect(collection.rules.count == 10)
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)  // with the built-in pack
        let investigator = Investigator(rules: collection, model: AttributionModel(graph: try KnowledgeGraph(store: kb)))
        let result = await investigator.investigate(paths: [logs], threads: 2)
        #expect(result.files == 9)
        #expect(result.events == 44)
        #expect(result.sightingCount == 41)
        #expect(result.campaigns.count == 1)
        let c = try #require(result.campaigns.first).campaign
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
