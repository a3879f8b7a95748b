import Attribution
import Foundation
import Events
import Hunting
import Knowledge
import STIX
import Sigma

/// One campaign and who could be behind it.
public struct InvestigatedCampaign: Sendable {
    public var campaign: Campaign
    public var attribution: AttributionResult
}

/// What `sightline investigate` found.
public struct Investigation: Sendable {
    public var campaigns: [InvestigatedCampaign]
    /// Detections found by the hunt.
    public var sightingCount: Int
    public var events: Int
    public var files: Int
    public var skippedFiles: [(path: String, reason: String)]
    public var skippedRecords: Int
    public var rulesLoaded: Int
    /// The knowledge base's indicators swept for (in rules of their own, not counted in `rulesLoaded`),
    /// and those whose patterns are not plain value searches (left out of the sweep; attribution still
    /// matches them).
    public var indicatorsSwept: Int = 0
    public var indicatorsNotExpressible: Int = 0
    public var ruleFailures: [String]
    public var problems: [String]
}

/// Sightline's own Sigma rules, shipped with it (`Sources/Investigation/Rules`).
public enum BuiltinRules {
    /// The folder holding them, or `nil` if the resource bundle is missing.
    public static var folder: String? { Bundle.module.url(forResource: "Rules", withExtension: nil)?.path }
}

/// Runs the main job: hunt the evidence with Sigma rules, group the detections into campaigns, and
/// attribute each campaign with the knowledge base.
public struct Investigator: Sendable {
    public var ruleCollection: RuleCollection
    public var mapping: LogSourceMapping
    public var variant: LogSourceVariant
    public var model: AttributionModel
    public var top: Int
    /// What the responders know about the victims (sectors, ISO country codes), added to every campaign's
    /// evidence.
    public var victimSectors: [String] = []
    public var victimCountries: [String] = []
    /// Sweep every event for the knowledge base's indicators (``IndicatorRules``) along with the rules.
    public var sweepsIndicators = true
    /// Where observed addresses are (a GeoIP lookup: address → ISO 3166 code), when the user gave a database.
    public var locateAddress: (@Sendable (String) -> String?)?

    public init(
        rules: RuleCollection, model: AttributionModel, mapping: LogSourceMapping = .windows,
        variant: LogSourceVariant = .both, top: Int = 5
    ) {
        self.ruleCollection = rules
        self.model = model
        self.mapping = mapping
        self.variant = variant
        self.top = top
    }

    public func investigate(paths: [String], threads: Int) async -> Investigation {
        var collection = ruleCollection
        var indicatorRules = IndicatorRules.Made(rules: RuleCollection(), swept: 0, notExpressible: 0)
        if sweepsIndicators {
            indicatorRules = IndicatorRules.make(from: model.graph)
            collection.merge(indicatorRules.rules)
        }
        let set = RuleSet(
            rules: collection.rules, filters: collection.filters, mapping: mapping, variant: variant,
            minimumLevel: .informational)
        let hunter = Hunter(ruleSet: set, correlations: collection.correlations)
        let result = await hunter.hunt(paths: paths, threads: threads)
        let findings = result.sightings.map(Self.finding)
        let campaigns = CampaignBuilder.campaigns(from: findings).map { c in
            var evidence = c.evidence
            evidence.victimSectors += victimSectors
            evidence.victimCountries += victimCountries.map { $0.uppercased() }
            if let locateAddress { evidence.locateAddresses(with: locateAddress) }
            return InvestigatedCampaign(campaign: c, attribution: model.attribute(evidence, top: top))
        }
        return Investigation(
            campaigns: campaigns, sightingCount: result.sightings.count, events: result.events, files: result.files.count,
            skippedFiles: result.skippedFiles, skippedRecords: result.skippedRecords,
            rulesLoaded: ruleCollection.rules.count, indicatorsSwept: indicatorRules.swept,
            indicatorsNotExpressible: indicatorRules.notExpressible, ruleFailures: collection.failures.map { "\($0)" },
            problems: result.problems)
    }

    /// Field names that name the account an event is about, in order of preference.
    static let accountFields = ["User", "TargetUserName", "SubjectUserName", "AccountName"]
    /// Field names that name another host an event links to (lateral movement).
    static let peerFields = ["WorkstationName", "SourceHostname", "SourceWorkstation", "DestinationHostname"]
    static let addressFields = ["IpAddress", "SourceIp", "DestinationIp", "SourceAddress", "DestAddress"]
    static let domainFields = ["QueryName", "DestinationHostname"]

    /// What a detection gives campaigns and attribution.
    public static func finding(_ s: Sighting) -> Finding {
        let fields = Dictionary(s.fields.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        var tactics: [String] = []
        var software: [String] = []
        for tag in s.tags.map({ $0.lowercased() }) where tag.hasPrefix("attack.") {
            let rest = String(tag.dropFirst("attack.".count))
            let hyphenated = rest.replacingOccurrences(of: "_", with: "-")
            if CampaignBuilder.killChain.contains(hyphenated) {
                tactics.append(hyphenated)
            } else if rest.hasPrefix("s"), rest.dropFirst().allSatisfy(\.isNumber), rest.count == 5 {
                software.append(rest.uppercased())
            }
        }
        let account = accountFields.lazy.compactMap { fields[$0] }.first { !$0.isEmpty && $0 != "-" }
        var indicators: [Evidence.Indicator] = []
        for f in addressFields {
            if let ip = fields[f], isRoutableIPv4(ip) { indicators.append(.init(type: "ipv4-addr", value: ip)) }
        }
        for f in domainFields {
            if let d = fields[f], d.contains("."), !isIPv4(d) { indicators.append(.init(type: "domain-name", value: d.lowercased())) }
        }
        var hashes: [String] = []
        if let h = fields["Hashes"] ?? fields["Hash"] {
            for part in h.split(separator: ",") {
                if let eq = part.firstIndex(of: "=") { hashes.append(String(part[part.index(after: eq)...]).lowercased()) }
            }
        }
        var peers: [String] = []
        for f in peerFields {
            if let p = fields[f], !p.isEmpty, p != "-", p.lowercased() != s.computer.lowercased() { peers.append(p) }
        }
        let time = s.timestamp.map { t in
            let ticks = t.ticks - Timestamp.unixEpochTicks
            let seconds = ticks >= 0 ? ticks / 10_000_000 : (ticks - 9_999_999) / 10_000_000
            return STIXTimestamp(
                seconds: seconds, nanoseconds: Int32((ticks - seconds * 10_000_000) * 100), fractionDigits: 3)
        }
        let record = s.recordID.map { ":\($0)" } ?? ""
        return Finding(
            id: "\(s.ruleID)@\(s.file)\(record)", title: s.title, time: time, host: s.computer.isEmpty ? nil : s.computer,
            account: account, techniques: s.attack, tactics: tactics, software: software, indicators: indicators,
            fileHashes: hashes, linkedHosts: peers, source: "\(s.file)\(record)", reliability: reliability(of: s.level))
    }

    /// A detection's reliability from its rule's level: a high or critical rule is written to be precise.
    static func reliability(of level: SigmaLevel) -> String {
        switch level {
        case .critical, .high: return "high"
        case .medium: return "medium"
        case .low, .informational: return "low"
        }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Public IPv4 addresses only: loopback, private, link-local and unspecified ones identify nobody.
    static func isRoutableIPv4(_ s: String) -> Bool {
        guard isIPv4(s) else { return false }
        let o = s.split(separator: ".").compactMap { UInt8($0) }
        switch (o[0], o[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168): return false
        case (172, 16...31): return false
        default: return true
        }
    }
}
