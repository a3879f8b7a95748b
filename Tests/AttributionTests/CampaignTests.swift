import Attribution
import STIX
import Testing

@Suite struct CampaignBuilderTests {
    func t(_ s: String) -> STIXTimestamp { STIXTimestamp(s)! }

    @Test func groupsByHostAccountIndicatorAndLateralMovement() {
        let findings = [
            Finding(id: "a", title: "phish", time: t("2013-03-18T01:00:00Z"), host: "PC-01", account: "kim",
                     techniques: ["T1566.001"], tactics: ["initial-access"], source: "pc01.evtx:1"),
            Finding(id: "b", title: "creds", time: t("2013-03-18T03:00:00Z"), host: "PC-01", account: "SYSTEM",
                     techniques: ["T1003"], tactics: ["credential-access"], source: "pc01.evtx:2"),
            Finding(id: "c", title: "remote logon", time: t("2013-03-19T01:00:00Z"), host: "PMS-01", account: "admin2",
                     techniques: ["T1021"], tactics: ["lateral-movement"], linkedHosts: ["PC-01"], source: "pms.evtx:7"),
            Finding(id: "d", title: "wiper", time: t("2013-03-20T05:00:00Z"), host: "PC-77", account: "SYSTEM",
                     techniques: ["T1561.002"], tactics: ["impact"], software: ["S0364"],
                     fileHashes: ["ABCD"], source: "pc77.evtx:3"),
            Finding(id: "e", title: "same wiper elsewhere", time: t("2013-03-25T05:00:00Z"), host: "PC-99",
                     techniques: ["T1561.002"], tactics: ["impact"], fileHashes: ["abcd"], source: "pc99.evtx:3"),
            Finding(id: "f", title: "unrelated", time: t("2013-06-01T00:00:00Z"), host: "PC-50", account: "SYSTEM",
                     techniques: ["T1059.001"], tactics: ["execution"], source: "pc50.evtx:9"),
        ]
        let campaigns = CampaignBuilder.campaigns(from: findings)
        #expect(campaigns.map { $0.findings.map(\.id) } == [["a", "b", "c"], ["d", "e"], ["f"]])
        let first = campaigns[0]
        #expect(first.hosts == ["PC-01", "PMS-01"])
        #expect(first.tactics == ["initial-access", "credential-access", "lateral-movement"])
        #expect(first.links.contains("lateral movement to pc-01"))
        #expect(first.evidence.techniques == ["T1566.001", "T1003", "T1021"])
        #expect(first.evidence.activityTimes.count == 3)
        #expect(first.firstSeen == t("2013-03-18T01:00:00Z"))
        #expect(campaigns[1].links == ["shared indicator abcd"])
        #expect(campaigns[1].evidence.software == ["S0364"])
        #expect(campaigns.map(\.number) == [1, 2, 3])
    }

    @Test func genericAccountsAndDistantTimesDoNotLink() {
        let findings = [
            Finding(id: "a", title: "x", time: t("2020-01-01T00:00:00Z"), host: "A", account: "SYSTEM"),
            Finding(id: "b", title: "y", time: t("2020-01-01T00:10:00Z"), host: "B", account: "SYSTEM"),
            Finding(id: "c", title: "z", time: t("2020-01-05T00:00:00Z"), host: "A"),
        ]
        #expect(CampaignBuilder.campaigns(from: findings).count == 3)
        #expect(CampaignBuilder.campaigns(from: []).isEmpty)
    }
}
