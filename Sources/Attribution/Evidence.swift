import Foundation
import JSON
import Knowledge

/// What an investigation found, in the form attribution takes it.
///
/// Every key is optional. Techniques are ATT&CK ids (or names); software ATT&CK S-ids or names;
/// indicators STIX SCO type and value; activity times RFC 3339 timestamps; victims sectors and ISO
/// country codes.
public struct Evidence: Sendable, Equatable {
    /// An observed indicator: a STIX cyber-observable type and its value.
    public struct Indicator: Sendable, Equatable {
        public var type: String
        public var value: String
        /// The ISO 3166 code of the country the address is located or registered in, when known (given in
        /// the evidence, or looked up with `--geoip`). Weak evidence: infrastructure is rented, relayed and
        /// spoofed.
        public var country: String?
        /// Whether this is an IP address (IPv4 or IPv6), the indicators that have a location.
        public var isAddress: Bool { type == "ipv4-addr" || type == "ipv6-addr" }
        public init(type: String, value: String, country: String? = nil) {
            self.type = type
            self.value = value
            self.country = country
        }
    }

    public var techniques: [String] = []
    public var software: [String] = []
    public var indicators: [Indicator] = []
    public var activityTimes: [String] = []
    public var victimSectors: [String] = []
    public var victimCountries: [String] = []
    public var fileHashes: [String] = []
    public var tlsh: [String] = []
    /// ssdeep digests of suspicious files (`blocksize:signature:signature`).
    public var ssdeep: [String] = []
    /// Where each item came from (detection, event), keyed by item value, for explanations.
    public var provenance: [String: String] = [:]
    /// How reliable each item is (`high`, `medium`, `low`), keyed by item value; items without an entry get
    /// their kind's default (see ``EvidenceContribution/reliability``).
    public var reliability: [String: String] = [:]
    /// The file each file hash belongs to (a key shared by the MD5, SHA-1 and SHA-256 of one file), where
    /// known: one file's hashes matching are one observation.
    public var fileOf: [String: String] = [:]
    /// Whether a GeoIP lookup (``locateAddresses(with:)``) has run over the addresses, so that addresses it
    /// could not place are reported even when it placed none.
    public var addressesLookedUp = false

    /// Orders reliability words (unknown words rank lowest).
    public static func reliabilityRank(_ r: String) -> Int { ["low": 1, "medium": 2, "high": 3][r] ?? 0 }

    public init(techniques: [String] = [], software: [String] = []) {
        self.techniques = techniques
        self.software = software
    }

    /// Fills in the country of each observed IPv4 or IPv6 address that has none, with `locate` (a GeoIP
    /// lookup: address → ISO 3166 code, or nil). Returns how many addresses it located.
    @discardableResult
    public mutating func locateAddresses(with locate: (String) -> String?) -> Int {
        addressesLookedUp = true
        var located = 0
        for i in indicators.indices where indicators[i].country == nil && indicators[i].isAddress {
            if let c = locate(indicators[i].value) {
                indicators[i].country = c
                located += 1
            }
        }
        return located
    }

    /// Whether `text` is an IPv4 (or, with `ipv6`, an IPv6) address.
    public static func isAddress(_ text: String, ipv6: Bool) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return ipv6 ? inet_pton(AF_INET6, text, &v6) == 1 : inet_pton(AF_INET, text, &v4) == 1
    }

    /// An IP address in its canonical text (`2001:0220:0::9` → `2001:220::9`); other text unchanged.
    public static func canonicalAddress(_ text: String) -> String {
        var v4 = in_addr()
        var v6 = in6_addr()
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if inet_pton(AF_INET, text, &v4) == 1, inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil {
            return Self.text(ofNulTerminated: buffer)
        }
        if inet_pton(AF_INET6, text, &v6) == 1, inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil {
            return Self.text(ofNulTerminated: buffer)
        }
        return text
    }

    static func text(ofNulTerminated buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when there is nothing to reason from.
    public var isEmpty: Bool {
        techniques.isEmpty && software.isEmpty && indicators.isEmpty && activityTimes.isEmpty
            && victimSectors.isEmpty && victimCountries.isEmpty && fileHashes.isEmpty && tlsh.isEmpty && ssdeep.isEmpty
    }

    /// Problems with an evidence file.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    /// Reads the `sightline attribute` input: `{"techniques": [...], "software": [...], "indicators":
    /// [{"type", "value", "country"?}], "activity_times": [...], "victims": {"sectors": [...], "countries": [...]},
    /// "file_hashes": [...], "tlsh": [...], "ssdeep": [...]}`.
    public static func parse(_ value: JSONValue) throws(FormatError) -> Evidence {
        guard let o = value.objectValue else { throw FormatError(message: "evidence must be a JSON object") }
        func strings(_ v: JSONValue?, _ path: String) throws(FormatError) -> [String] {
            guard let v else { return [] }
            guard let a = v.arrayValue else { throw FormatError(message: "\(path): expected a list of strings") }
            var out: [String] = []
            for (i, e) in a.enumerated() {
                guard let s = e.stringValue else { throw FormatError(message: "\(path)[\(i)]: expected a string") }
                out.append(s)
            }
            return out
        }
        let known: Set<String> = [
            "techniques", "software", "indicators", "activity_times", "victims", "file_hashes", "tlsh", "ssdeep",
        ]
        for k in o.keys where !known.contains(k) {
            throw FormatError(message: "\(k): unknown key (expected one of \(known.sorted().joined(separator: ", ")))")
        }
        var e = Evidence()
        e.techniques = try strings(o["techniques"], "techniques")
        e.software = try strings(o["software"], "software")
        e.activityTimes = try strings(o["activity_times"], "activity_times")
        e.fileHashes = try strings(o["file_hashes"], "file_hashes")
        e.tlsh = try strings(o["tlsh"], "tlsh")
        e.ssdeep = try strings(o["ssdeep"], "ssdeep")
        if let v = o["victims"] {
            guard let victims = v.objectValue else { throw FormatError(message: "victims: expected an object") }
            e.victimSectors = try strings(victims["sectors"], "victims.sectors")
            for (i, c) in try strings(victims["countries"], "victims.countries").enumerated() {
                guard let code = ISOCountry.code(of: c) else {
                    throw FormatError(
                        message: "victims.countries[\(i)]: '\(c)' is neither an ISO 3166 alpha-2 code such as \"KR\" nor a country's name")
                }
                e.victimCountries.append(code)
            }
        }
        if let v = o["indicators"] {
            guard let list = v.arrayValue else { throw FormatError(message: "indicators: expected a list") }
            for (i, item) in list.enumerated() {
                guard let t = item["type"]?.stringValue, let val = item["value"]?.stringValue else {
                    throw FormatError(message: "indicators[\(i)]: expected {\"type\": …, \"value\": …}")
                }
                var country: String?
                if let c = item["country"] {
                    guard let text = c.stringValue, text.utf8.count == 2, let code = ISOCountry.code(of: text) else {
                        throw FormatError(message: "indicators[\(i)].country: expected an ISO 3166 alpha-2 code such as \"CN\"")
                    }
                    country = code
                }
                e.indicators.append(Indicator(type: t, value: val, country: country))
            }
        }
        return e
    }
}
