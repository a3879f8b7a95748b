import STIX

/// One thing found in the evidence — a detection or an indicator match — as campaigns and attribution see it.
public struct Finding: Sendable, Equatable {
    /// A stable id (rule id and record, indicator and line, …).
    public var id: String
    /// What was found, for people ("Wiper overwrites the master boot record").
    public var title: String
    public var time: STIXTimestamp?
    public var host: String?
    public var account: String?
    /// ATT&CK technique ids it maps to.
    public var techniques: [String]
    /// ATT&CK tactic short names it maps to (`execution`, `impact`, …).
    public var tactics: [String]
    /// Software names or ATT&CK S-ids it names.
    public var software: [String]
    /// Addresses, domains, URLs it involves.
    public var indicators: [Evidence.Indicator]
    public var fileHashes: [String]
    /// ssdeep and TLSH digests of the files it involves (a suspicious file handed over with the logs).
    public var ssdeep: [String] = []
    public var tlsh: [String] = []
    /// Other hosts it links to (the source of a remote logon, the target of a remote service).
    public var linkedHosts: [String]
    /// Where it came from: file and record or line.
    public var source: String
    /// How far what it names can be trusted: `high`, `medium` or `low` (a Sigma rule's level maps here).
    public var reliability: String

    public init(
        id: String, title: String, time: STIXTimestamp? = nil, host: String? = nil, account: String? = nil,
        techniques: [String] = [], tactics: [String] = [], software: [String] = [], indicators: [Evidence.Indicator] = [],
        fileHashes: [String] = [], linkedHosts: [String] = [], source: String = "", reliability: String = "medium"
    ) {
        self.id = id
        self.title = title
        self.time = time
        self.host = host
        self.account = account
        self.techniques = techniques
        self.tactics = tactics
        self.software = software
        self.indicators = indicators
        self.fileHashes = fileHashes
        self.linkedHosts = linkedHosts
        self.source = source
        self.reliability = reliability
    }
}

/// Findings that belong together: one intrusion as the evidence shows it.
public struct Campaign: Sendable {
    /// 1-based, in order of first activity.
    public var number: Int
    public var findings: [Finding]
    public var hosts: [String]
    public var accounts: [String]
    public var firstSeen: STIXTimestamp?
    public var lastSeen: STIXTimestamp?
    /// The ATT&CK tactics reached, in kill-chain order.
    public var tactics: [String]
    /// What the campaign gives attribution.
    public var evidence: Evidence
    /// Why its findings were grouped (shared host, account, indicator, lateral movement).
    public var links: [String]
}

/// Groups findings into campaigns.
///
/// Two findings belong to the same campaign when they share a host and lie within `window` of each
/// other, share a non-generic account within `window`, or, within `linkWindow`, share an indicator or
/// file hash or one names the other's host as a lateral-movement peer (an intruder may wait days
/// between the first host and the next; a week, so that a public resolver or a file seen on two hosts
/// months apart does not join unrelated activity). A finding without a time links at any time. The
/// groups are the connected components.
public enum CampaignBuilder {
    /// ATT&CK Enterprise tactics in kill-chain order.
    public static let killChain = [
        "reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation",
        "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection", "command-and-control",
        "exfiltration", "impact",
    ]

    /// Accounts too common to link anything.
    static let genericAccounts: Set<String> = [
        "system", "nt authority\\system", "local service", "network service", "administrator", "-", "",
        "anonymous logon", "nt authority\\local service", "nt authority\\network service",
    ]

    /// Builds campaigns, ordered by first activity (then by first finding id).
    public static func campaigns(from findings: [Finding], window: Int64 = 86_400, linkWindow: Int64 = 7 * 86_400) -> [Campaign] {
        // A domain name that is one of the investigated hosts' own names (an agent calling its management
        // server) is internal: it is neither an indicator nor a link.
        let hostNames = Set(findings.compactMap { $0.host?.lowercased() })
        let findings = findings.map { f in
            var f = f
            f.indicators.removeAll { $0.type == "domain-name" && hostNames.contains($0.value.lowercased()) }
            return f
        }
        let n = findings.count
        var parent = Array(0..<n)
        func find(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        var reasons: [Int: Set<String>] = [:]
        func union(_ a: Int, _ b: Int, _ why: String) {
            let ra = find(a)
            let rb = find(b)
            if ra != rb { parent[ra] = rb }
            reasons[a, default: []].insert(why)
        }
        func close(_ a: Finding, _ b: Finding, within limit: Int64) -> Bool {
            guard let x = a.time, let y = b.time else { return true }
            return abs(x.seconds - y.seconds) <= limit
        }
        // Index by key to avoid comparing every pair.
        // Hosts compare by their first label, case-insensitively: "PC-01" is "pc-01.corp.example"; a host
        // named by its address compares whole ("10.0.0.5" is not "10.0.0.9").
        func hostKey(_ h: String) -> String {
            let h = h.lowercased()
            if h.contains(":") || (h.split(separator: ".").count == 4 && h.split(separator: ".").allSatisfy { UInt8($0) != nil }) {
                return h
            }
            return String(h.split(separator: ".").first ?? "")
        }
        var byHost: [String: [Int]] = [:]
        var byAccount: [String: [Int]] = [:]
        var byIndicator: [String: [Int]] = [:]
        for (i, s) in findings.enumerated() {
            if let h = s.host.map(hostKey), !h.isEmpty { byHost[h, default: []].append(i) }
            if let a = s.account?.lowercased(), !genericAccounts.contains(a) { byAccount[a, default: []].append(i) }
            for v in s.indicators.map({ $0.value.lowercased() }) + s.fileHashes.map({ $0.lowercased() }) {
                byIndicator[v, default: []].append(i)
            }
        }
        func linkSorted(_ groups: [String: [Int]], _ label: String, within limit: Int64) {
            for (key, members) in groups {
                let ordered = members.sorted { (findings[$0].time?.seconds ?? 0) < (findings[$1].time?.seconds ?? 0) }
                for (a, b) in zip(ordered, ordered.dropFirst()) where close(findings[a], findings[b], within: limit) {
                    union(a, b, "\(label) \(key)")
                }
            }
        }
        linkSorted(byHost, "same host", within: window)
        linkSorted(byAccount, "same account", within: window)
        linkSorted(byIndicator, "shared indicator", within: linkWindow)
        // Lateral movement, from the earliest finding on: a finding without a time links to the peer's first
        // finding only, as the other links do (linked to all of them, it would join the peer's campaigns of
        // any months into one); a timed finding links to the peer's timed findings within the window, and
        // to a peer that has only timeless findings once, from the earliest finding that names it (linked
        // from every month, that timeless finding would join them just the same).
        var timelessPeersLinked: Set<String> = []
        let byTime = findings.indices.sorted { (findings[$0].time?.seconds ?? .min, $0) < (findings[$1].time?.seconds ?? .min, $1) }
        for i in byTime {
            let s = findings[i]
            for peer in s.linkedHosts.map(hostKey) {
                let onPeer = byHost[peer] ?? []
                let first = onPeer.min { (findings[$0].time?.seconds ?? .min, $0) < (findings[$1].time?.seconds ?? .min, $1) }
                var candidates: [Int]
                if s.time == nil {
                    candidates = first.map { [$0] } ?? []
                } else {
                    candidates = onPeer.filter { findings[$0].time != nil }
                    if candidates.isEmpty, let first, timelessPeersLinked.insert(peer).inserted { candidates = [first] }
                }
                for j in candidates where close(s, findings[j], within: linkWindow) {
                    union(i, j, "lateral movement to \(peer)")
                }
            }
        }

        var groups: [Int: [Int]] = [:]
        for i in 0..<n { groups[find(i), default: []].append(i) }
        var campaigns: [Campaign] = []
        for members in groups.values {
            let ss = members.map { findings[$0] }.sorted { ($0.time?.seconds ?? .max, $0.id) < ($1.time?.seconds ?? .max, $1.id) }
            var evidence = Evidence()
            var seen: Set<String> = []
            func addUnique(_ s: String, _ list: inout [String]) { if seen.insert(s).inserted { list.append(s) } }
            var detections: [String: Int] = [:]
            var sameFile: [String: String] = [:]  // hash → another hash of the same file (union-find)
            func fileKey(_ h: String) -> String {
                var h = h
                while let next = sameFile[h], next != h { h = next }
                return h
            }
            var grouped: Set<String> = []
            func joinHashes(_ a: String, _ b: String) {
                grouped.formUnion([a, b])
                let (ra, rb) = (fileKey(a), fileKey(b))
                if ra != rb { sameFile[ra] = rb }
            }
            for s in ss {
                for t in s.techniques { addUnique(t, &evidence.techniques) }
                for w in s.software { addUnique("sw:" + w, &evidence.software) }
                for i in s.indicators where seen.insert("ioc:" + i.value).inserted { evidence.indicators.append(i) }
                for h in s.fileHashes { addUnique("hash:" + h, &evidence.fileHashes) }
                // The hashes of one file (Sysmon's MD5, SHA-1 and SHA-256 of an image; a scanned file's),
                // joined across findings: an event's MD5 and SHA-256 and a scanned copy's three are one file.
                let hs = s.fileHashes.map { $0.lowercased() }
                for (a, b) in zip(hs, hs.dropFirst()) { joinHashes(a, b) }
                for d in s.ssdeep { addUnique("ssdeep:" + d, &evidence.ssdeep) }
                for d in s.tlsh { addUnique("tlsh:" + d, &evidence.tlsh) }
                if let t = s.time { evidence.activityTimes.append(t.description) }
                // Where each item was first seen, how many detections name it, and the best reliability among them.
                for key in s.techniques + s.software + s.indicators.map(\.value) + s.fileHashes + s.ssdeep + s.tlsh {
                    detections[key, default: 0] += 1
                    if evidence.provenance[key] == nil { evidence.provenance[key] = "\(s.title) (\(s.source))" }
                    if Evidence.reliabilityRank(s.reliability) > Evidence.reliabilityRank(evidence.reliability[key] ?? "") {
                        evidence.reliability[key] = s.reliability
                    }
                }
            }
            for (key, count) in detections where count > 1 {
                evidence.provenance[key] = "\(count) detections, first: " + (evidence.provenance[key] ?? "")
            }
            evidence.software = evidence.software.map { String($0.dropFirst(3)) }
            evidence.fileHashes = evidence.fileHashes.map { String($0.dropFirst(5)) }
            for h in grouped { evidence.fileOf[h] = fileKey(h) }
            evidence.ssdeep = evidence.ssdeep.map { String($0.dropFirst(7)) }
            evidence.tlsh = evidence.tlsh.map { String($0.dropFirst(5)) }
            let tactics = Set(ss.flatMap(\.tactics))
            let hosts = Array(Set(ss.compactMap(\.host))).sorted()
            let accounts = Array(Set(ss.compactMap(\.account))).sorted()
            let links = Array(Set(members.flatMap { reasons[$0] ?? [] })).sorted()
            campaigns.append(
                Campaign(
                    number: 0, findings: ss, hosts: hosts, accounts: accounts, firstSeen: ss.compactMap(\.time).min(),
                    lastSeen: ss.compactMap(\.time).max(), tactics: killChain.filter(tactics.contains)
                        + tactics.subtracting(killChain).sorted(),
                    evidence: evidence, links: links))
        }
        campaigns.sort { ($0.firstSeen?.seconds ?? .max, $0.findings[0].id) < ($1.firstSeen?.seconds ?? .max, $1.findings[0].id) }
        for i in campaigns.indices { campaigns[i].number = i + 1 }
        return campaigns
    }
}
