import Attribution
import Foundation
import Events
import FileScan
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
    /// Suspicious files (neither EVTX nor JSON) read, and YARA rules they were scanned with.
    public var suspiciousFiles = FileSummary()
    public var yaraRuleCount = 0
}

/// The suspicious files of an investigation: how many were read, how many joined it (a YARA match, a
/// hash a detection names, a hash or digest the knowledge base links to an actor), and YARA matches.
public struct FileSummary: Sendable {
    public var scanned = 0
    public var flagged = 0
    public var yaraMatches = 0
}

/// Sightline's own Sigma rules, shipped with it (`Sources/Investigation/Rules`).
public enum BuiltinRules {
    /// The folder holding them, or `nil` if the resource bundle is missing.
    public static var folder: String? { Bundle.module.url(forResource: "Rules", withExtension: nil)?.path }
    /// Sightline's own YARA rules (`Sources/Investigation/YARA`), which scan every suspicious file.
    public static var yaraFolder: String? { Bundle.module.url(forResource: "YARA", withExtension: nil)?.path }
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
    /// Read the files that are not event logs as suspicious files: hashes, ssdeep, and YARA with
    /// ``yaraRules``.
    public var scansFiles = true
    public var yaraRules: YARARules?

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
        // A sweep rule's detection keeps the hashes it matched, wherever the file is.
        let sweepRules = Set(indicatorRules.rules.rules.map(\.id))
        var findings = result.sightings.map { Self.finding($0, keepsSystemHashes: sweepRules.contains($0.ruleID)) }
        // Files that are not event logs are the suspicious files handed over with them.
        var skippedFiles = result.skippedFiles
        var problems = result.problems
        var files = FileSummary()
        if scansFiles {
            let detectionHashes = Set(findings.flatMap(\.fileHashes))
            // Files named on the command line that are not logs, and the files in the folders that have no
            // log extension.
            // Each file once, however it was named (a path given twice, a folder and a file in it, a link).
            var listed: Set<[UInt64]> = []
            let suspicious = (skippedFiles.filter { $0.reason == FileCollector.unknownFormat }.map(\.path)
                + FileCollector.otherFiles(under: paths)).filter { path in
                    var st = stat()
                    return stat(path, &st) != 0 || listed.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted
                }
            skippedFiles.removeAll { $0.reason == FileCollector.unknownFormat }
            for (path, outcome) in zip(suspicious, FileScanner.scan(suspicious, rules: yaraRules, threads: threads)) {
                let scanned: ScannedFile
                switch outcome {
                case .success(let s): scanned = s
                case .failure(let error):
                    skippedFiles.append((path, "\(error)"))
                    continue
                }
                files.scanned += 1
                if let problem = scanned.yaraProblem { problems.append(problem) }
                var probe = Evidence()
                probe.fileHashes = scanned.hashes
                probe.ssdeep = scanned.ssdeep.map { [$0] } ?? []
                probe.tlsh = scanned.tlsh.map { [$0] } ?? []
                // A file joins the investigation when a YARA rule matches it, a detection names its hash, or
                // the knowledge base links its hash or digest to an actor; the rest are counted.
                guard !scanned.matches.isEmpty || !detectionHashes.isDisjoint(with: scanned.hashes) || model.namesKnownThreat(probe)
                else { continue }
                files.flagged += 1
                files.yaraMatches += scanned.matches.count
                findings.append(Self.finding(scanned))
            }
        }
        if let yaraRules {
            problems += yaraRules.failures.map { "YARA rule file \($0) (left out)" }
        }
        let campaigns = CampaignBuilder.campaigns(from: findings).map { c in
            var evidence = c.evidence
            evidence.victimSectors += victimSectors
            evidence.victimCountries += victimCountries.map { $0.uppercased() }
            if let locateAddress { evidence.locateAddresses(with: locateAddress) }
            return InvestigatedCampaign(campaign: c, attribution: model.attribute(evidence, top: top))
        }
        return Investigation(
            campaigns: campaigns, sightingCount: result.sightings.count, events: result.events, files: result.files.count,
            skippedFiles: skippedFiles, skippedRecords: result.skippedRecords,
            rulesLoaded: ruleCollection.rules.count, indicatorsSwept: indicatorRules.swept,
            indicatorsNotExpressible: indicatorRules.notExpressible, ruleFailures: collection.failures.map { "\($0)" },
            problems: problems, suspiciousFiles: files, yaraRuleCount: yaraRules?.ruleCount ?? 0)
    }

    /// What a suspicious file gives campaigns and attribution: its hashes, TLSH and ssdeep digests, and as
    /// software the families its YARA rules name (a rule's `malware_family` or `family` meta, else its
    /// name, in which attribution looks for a known software name). It has no host or time of its own;
    /// a detection that names its hash links it to that detection's campaign.
    public static func finding(_ f: ScannedFile) -> Finding {
        let name = (f.path as NSString).lastPathComponent
        var families: [String] = []
        for m in f.matches where !families.contains(m.family) { families.append(m.family) }
        let rules = f.matches.map { m in "\(m.namespace):\(m.rule)" + (m.author.map { " by \($0)" } ?? "") }
        var finding = Finding(
            id: "file:\(f.path)", title: rules.isEmpty ? "Known file \(name)" : "YARA \(rules.joined(separator: ", ")) on \(name)",
            software: families, fileHashes: f.hashes, source: f.path, reliability: "medium")
        finding.ssdeep = f.ssdeep.map { [$0] } ?? []
        finding.tlsh = f.tlsh.map { [$0] } ?? []
        return finding
    }

    /// Field names that name the account an event is about, in order of preference.
    static let accountFields = ["User", "TargetUserName", "SubjectUserName", "AccountName"]
    /// Field names that name another host an event links to (lateral movement).
    static let peerFields = ["WorkstationName", "SourceHostname", "SourceWorkstation", "DestinationHostname"]
    static let addressFields = ["IpAddress", "SourceIp", "DestinationIp", "SourceAddress", "DestAddress"]
    static let domainFields = ["QueryName", "DestinationHostname"]

    /// What a detection gives campaigns and attribution.
    public static func finding(_ s: Sighting, keepsSystemHashes: Bool = false) -> Finding {
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
            if let v = fields[f], let address = routableAddress(v) { indicators.append(address) }
        }
        for f in domainFields {
            if let d = fields[f].map(canonicalDomain), d.contains("."), routableAddress(d) == nil, !isIPv4(d),
                !isInternal(d, computer: s.computer)
            {
                indicators.append(.init(type: "domain-name", value: d))
            }
        }
        let hashed = ["ImageLoaded", "TargetFilename", "Image"].lazy.compactMap { fields[$0] }.first ?? ""
        let hashes = isSystemBinary(hashed) && !keepsSystemHashes ? [] : fileHashes(fields["Hashes"] ?? fields["Hash"] ?? "")
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

    /// A public IP address as an indicator: IPv4; IPv4-mapped IPv6 (`::ffff:a.b.c.d`, how the Security
    /// log writes an IPv4 peer) as the IPv4 address; other IPv6 in canonical form. `nil` for loopback,
    /// private, shared (CGNAT), link-local, multicast, reserved and unspecified addresses, which identify
    /// nobody, and for text that is no address.
    static func routableAddress(_ text: String) -> Evidence.Indicator? {
        let text = text.trimmingCharacters(in: .whitespaces)
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let o = withUnsafeBytes(of: &v4) { Array($0) }
            return isRoutable(ipv4: o) ? .init(type: "ipv4-addr", value: Evidence.canonicalAddress(text)) : nil
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
            let o = Array(b[12..<16])
            return isRoutable(ipv4: o) ? .init(type: "ipv4-addr", value: o.map(String.init).joined(separator: ".")) : nil
        }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] <= 1 { return nil }  // :: and ::1
        if b[0] == 0xFF || (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) { return nil }  // multicast, ULA, link-local
        return .init(type: "ipv6-addr", value: Evidence.canonicalAddress(text))
    }

    static func isRoutable(ipv4 o: [UInt8]) -> Bool {
        switch (o[0], o[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168), (172, 16...31), (100, 64...127): return false
        case (224...255, _): return false
        default: return true
        }
    }

    /// A host name as DNS compares it: lower case, without a trailing dot or surrounding space.
    static func canonicalDomain(_ text: String) -> String {
        var d = text.trimmingCharacters(in: .whitespaces).lowercased()
        while d.hasSuffix(".") { d.removeLast() }
        return d
    }

    /// Internal names identify nobody outside: a name under the reporting computer's own DNS suffix (the
    /// patch server `pms-01.bank.example.kr` seen from `PC-7.bank.example.kr`), or under a suffix that is
    /// only used inside networks (`.local`, `.lan`, `.internal`, `.localdomain`, `.home.arpa`, `.corp`).
    static func isInternal(_ domain: String, computer: String) -> Bool {
        let labels = computer.lowercased().split(separator: ".")
        // The suffix has at least two labels and is not a public second-level zone ("co.kr", "com.cn").
        let publicSecondLevel: Set<Substring> = ["co", "or", "go", "ac", "ne", "re", "com", "net", "org", "gov", "edu", "mil"]
        if labels.count >= 3, !(labels.count == 3 && publicSecondLevel.contains(labels[1])) {
            let suffix = labels.dropFirst().joined(separator: ".")
            if domain == suffix || domain.hasSuffix("." + suffix) { return true }
        }
        return [".local", ".lan", ".internal", ".localdomain", ".home.arpa", ".corp"].contains { domain.hasSuffix($0) }
            || domain == computer.lowercased()
    }

    /// Files under the Windows system folders are the operating system's own binaries in nearly every
    /// detection (`net.exe`, `cmd.exe`, `rundll32.exe`): their hashes are the same on every machine and
    /// would join unrelated hosts and be shared as indicators of the campaign. (A detection of the
    /// indicator sweep keeps them: the knowledge base named that hash, wherever the file sits.)
    static func isSystemBinary(_ path: String) -> Bool {
        let p = path.lowercased()
        return ["\\windows\\system32\\", "\\windows\\syswow64\\", "\\windows\\winsxs\\"].contains { p.contains($0) }
    }

    /// The file hashes in Sysmon's `Hashes` field (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`) or a bare hash: MD5,
    /// SHA-1 and SHA-256 values only (an import hash names no file, and is not a STIX file hash); an
    /// all-zero value is a placeholder, and the hashes of the empty file name no file worth linking.
    /// MD5, SHA-1 and SHA-256 of zero bytes.
    static let emptyFileHashes: Set<String> = [
        "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]

    static func fileHashes(_ field: String) -> [String] {
        var out: [String] = []
        for part in field.split(separator: ",") {
            let algorithm: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                algorithm = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                (algorithm, value) = ("", part)
            }
            let a = algorithm.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "-", with: "")
            let v = value.trimmingCharacters(in: .whitespaces).lowercased()
            let lengths: [String: Int] = ["MD5": 32, "SHA1": 40, "SHA256": 64]
            guard a.isEmpty ? [32, 40, 64].contains(v.count) : lengths[a] == v.count,
                v.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }), v.contains(where: { $0 != "0" }),
                !emptyFileHashes.contains(v)
            else { continue }
            out.append(v)
        }
        return out
    }
}
