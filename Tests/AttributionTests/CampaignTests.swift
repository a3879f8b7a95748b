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

    /// Shared files and infrastructure, and lateral movement, link within a week, not at any time: the same
    /// binary on two hosts months apart is two campaigns.
    @Test func sharedValuesAndLateralMovementLinkWithinAWeek() {
        let findings = [
            Finding(id: "a", title: "x", time: t("2020-01-01T00:00:00Z"), host: "A", fileHashes: ["aa"]),
            Finding(id: "b", title: "x", time: t("2020-01-06T00:00:00Z"), host: "B", fileHashes: ["aa"]),
            Finding(id: "c", title: "x", time: t("2020-04-01T00:00:00Z"), host: "C", fileHashes: ["aa"]),
            Finding(id: "d", title: "logon", time: t("2020-04-04T00:00:00Z"), host: "D", linkedHosts: ["C"]),
            Finding(id: "e", title: "logon", time: t("2020-05-01T00:00:00Z"), host: "E", linkedHosts: ["C"]),
            Finding(id: "f", title: "x", time: t("2020-08-01T00:00:00Z"), host: "F",
                    indicators: [.init(type: "ipv4-addr", value: "8.8.8.8")]),
            Finding(id: "g", title: "x", time: t("2020-09-01T00:00:00Z"), host: "G",
                    indicators: [.init(type: "ipv4-addr", value: "8.8.8.8")]),
        ]
        let campaigns = CampaignBuilder.campaigns(from: findings)
        #expect(campaigns.map { $0.findings.map(\.id) } == [["a", "b"], ["c", "d"], ["e"], ["f"], ["g"]])
        // With a longer link window, they join.
        #expect(CampaignBuilder.campaigns(from: findings, linkWindow: 400 * 86_400).count == 2)
    }

    /// A finding without a time links to one finding of the peer host, not to all: it cannot join the
    /// peer's campaigns of January and July into one.
    @Test func aTimelessFindingDoesNotBridgeMonths() {
        let findings = [
            Finding(id: "a", title: "x", time: t("2020-01-06T00:00:00Z"), host: "HOST-A"),
            Finding(id: "b", title: "x", time: t("2020-07-06T00:00:00Z"), host: "HOST-A"),
            Finding(id: "c", title: "logon", host: "HOST-B", linkedHosts: ["HOST-A"]),
        ]
        let campaigns = CampaignBuilder.campaigns(from: findings)
        #expect(campaigns.map { $0.findings.map(\.id).sorted() } == [["a", "c"], ["b"]])
        // Nor the other way: a timeless finding on the peer host is not linked from every month; a peer with
        // only timeless findings is linked once, from the earliest finding that names it.
        let onlyTimeless = [
            Finding(id: "a", title: "logon", time: t("2020-01-06T00:00:00Z"), host: "HOST-B", linkedHosts: ["HOST-A"]),
            Finding(id: "b", title: "logon", time: t("2020-07-06T00:00:00Z"), host: "HOST-C", linkedHosts: ["HOST-A"]),
            Finding(id: "c", title: "x", host: "HOST-A"),
        ]
        #expect(CampaignBuilder.campaigns(from: onlyTimeless).map { $0.findings.map(\.id).sorted() } == [["a", "c"], ["b"]])
    }

    /// The hashes of one file, from different findings (an event's MD5 and SHA-256, a scanned copy's MD5,
    /// SHA-1 and SHA-256), are one file.
    @Test func oneFilesHashesAcrossFindings() {
        let findings = [
            Finding(id: "a", title: "x", time: t("2020-01-01T00:00:00Z"), host: "A", fileHashes: ["m", "s256"]),
            Finding(id: "b", title: "file", fileHashes: ["m", "zz-s1", "s256"]),
            Finding(id: "c", title: "y", time: t("2020-01-01T00:01:00Z"), host: "A", fileHashes: ["other"]),
        ]
        let c = CampaignBuilder.campaigns(from: findings)
        #expect(c.count == 1)
        let fileOf = c[0].evidence.fileOf
        #expect(Set(["m", "zz-s1", "s256"].compactMap { fileOf[$0] }).count == 1)
        #expect(fileOf["m"] != nil && fileOf["other"] == nil)
    }

    /// A host named by its address is the whole address; a domain that is an investigated host's own name
    /// is internal, neither evidence nor a link.
    @Test func addressHostsAndInternalNames() {
        let findings = [
            Finding(id: "a", title: "x", time: t("2020-01-01T00:00:00Z"), host: "10.0.0.5"),
            Finding(id: "b", title: "x", time: t("2020-01-01T00:01:00Z"), host: "10.0.0.9"),
            Finding(id: "c", title: "agent", time: t("2020-02-01T00:00:00Z"), host: "PC-1.corp.example.kr",
                    indicators: [.init(type: "domain-name", value: "pms-01.tv.example.kr")]),
            Finding(id: "d", title: "agent", time: t("2020-02-01T00:01:00Z"), host: "PC-2.corp.example.kr",
                    indicators: [.init(type: "domain-name", value: "pms-01.tv.example.kr")]),
            Finding(id: "e", title: "server", time: t("2020-02-01T00:02:00Z"), host: "PMS-01.tv.example.kr"),
        ]
        let campaigns = CampaignBuilder.campaigns(from: findings)
        #expect(campaigns.map { $0.findings.map(\.id) } == [["a"], ["b"], ["c"], ["d"], ["e"]])
        #expect(campaigns.allSatisfy { $0.evidence.indicators.isEmpty })
        // Without the server among the hosts, the name is an outside one: shared, it links.
        let outside = CampaignBuilder.campaigns(from: Array(findings[2...3]))
        #expect(outside.count == 1 && outside[0].evidence.indicators.map(\.value) == ["pms-01.tv.example.kr"])
    }
}
