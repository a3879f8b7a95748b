import Foundation
import JSON
import STIX

/// Converts a MISP threat-actor galaxy cluster into STIX 2.1 objects.
///
/// Each actor becomes an `intrusion-set` with id `intrusion-set--<MISP uuid>`, its value as name, its
/// synonyms as aliases (ATT&CK ids a synonym or reference cites go to `external_references` under
/// `misp-cites-attack` instead), its references, and every other `meta` key kept as an `x_misp_*` property.
/// Facts become graph edges: `meta.country` → `originates-from` a `location`; `targeted-sector` and
/// `cfr-target-category` → `targets` a sector `identity`; `cfr-suspected-victims` that name a country →
/// `targets` a `location`. Derived objects have deterministic UUIDv5 ids, so the same galaxy imports
/// to the same objects. MISP actors carry no timestamps: `created` is 2016-01-01 (the galaxy's start) and
/// `modified` adds the galaxy's version in minutes, so a newer galaxy supersedes an older one.
public enum MISPGalaxy {
    /// The converted objects and the values that could not be converted.
    public struct Conversion: Sendable {
        public var objects: [STIXObject] = []
        public var rejections: [STIXError] = []
        /// Victim names that are not countries (organizations, regions), kept only as `x_misp_*` values.
        public var unmappedVictims = 0
    }

    /// Errors of the galaxy file itself.
    public enum GalaxyError: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let m): return "not a MISP galaxy cluster: \(m)"
            }
        }
    }

    static let epoch = STIXTimestamp("2016-01-01T00:00:00.000Z")!
    static let mispIdentityID = STIXIdentifier.deterministic(type: "identity", name: "misp-galaxy:threat-actor")

    /// True when the bytes are a JSON object with `values` and `uuid` and no `objects` (a galaxy cluster).
    public static func looksLikeGalaxy(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var c = JSONCursor(raw)
            var keys: Set<String> = []
            do throws(JSONError) {
                guard c.peek() == UInt8(ascii: "{") else { return false }
                try c.beginObject()
                while let k = try c.nextKey() {
                    keys.insert(k)
                    try c.skipValue()
                }
            } catch {
                return false
            }
            return keys.contains("values") && keys.contains("uuid") && !keys.contains("objects")
        }
    }

    /// Converts a galaxy cluster file's bytes.
    public static func convert(_ bytes: [UInt8]) throws -> Conversion {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw GalaxyError.malformed("\(error)")
        }
        guard let values = root["values"]?.arrayValue else { throw GalaxyError.malformed("no 'values' list") }
        let version = root["version"]?.intValue ?? 0
        let modifiedTime = STIXTimestamp(seconds: epoch.seconds + version * 60, nanoseconds: 0, fractionDigits: 3)
        let created = epoch.description
        let modified = modifiedTime.description
        let galaxyName = root["name"]?.stringValue ?? "Threat Actor"

        var out = Conversion()
        var emitted: Set<String> = []
        func emit(_ o: JSONObject) {
            guard let id = o["id"]?.stringValue, emitted.insert(id).inserted else { return }
            if let object = try? STIXObject(o) { out.objects.append(object) }
        }
        func common(_ type: String, _ id: String) -> JSONObject {
            JSONObject([
                JSONMember(key: "type", value: .string(type)),
                JSONMember(key: "spec_version", value: "2.1"),
                JSONMember(key: "id", value: .string(id)),
                JSONMember(key: "created", value: .string(created)),
                JSONMember(key: "modified", value: .string(modified)),
            ])
        }
        var identity = common("identity", mispIdentityID)
        identity["name"] = .string("MISP Project galaxy: \(galaxyName)")
        identity["identity_class"] = "organization"
        emit(identity)

        func relationship(_ source: String, _ type: String, _ target: String) {
            var r = common("relationship", STIXIdentifier.deterministic(type: "relationship", name: "\(source)|\(type)|\(target)"))
            r["created_by_ref"] = .string(mispIdentityID)
            r["relationship_type"] = .string(type)
            r["source_ref"] = .string(source)
            r["target_ref"] = .string(target)
            emit(r)
        }
        func country(_ code: String) -> String {
            let id = STIXIdentifier.deterministic(type: "location", name: "country:\(code)")
            var l = common("location", id)
            l["name"] = .string(CountryCodes.displayName[code] ?? code)
            l["country"] = .string(code)
            emit(l)
            return id
        }
        func sector(_ raw: String) -> String {
            let key = SectorVocabulary.canonical(raw)
            let id = STIXIdentifier.deterministic(type: "identity", name: "sector:\(key)")
            var s = common("identity", id)
            s["name"] = .string(SectorVocabulary.displayName(key))
            s["identity_class"] = "class"
            s["sectors"] = [.string(key)]
            emit(s)
            return id
        }

        for (index, value) in values.enumerated() {
            guard let v = value.objectValue, let name = v["value"]?.stringValue, !name.isEmpty else {
                out.rejections.append(STIXError(.missingProperty("values[\(index)].value"), objectID: nil, index: index))
                continue
            }
            guard let uuid = v["uuid"]?.stringValue, !uuid.isEmpty else {
                out.rejections.append(
                    STIXError(.invalidValue(property: "values[\(index)].uuid", reason: "missing"),
                        objectID: name, index: index))
                continue
            }
            // STIX ids take RFC 4122 UUIDs (versions 1–5); others (MISP has UUIDv7s) map to a UUIDv5 of them.
            let id =
                STIXIdentifier.isValidUUID(Substring(uuid))
                ? "intrusion-set--\(uuid.lowercased())"
                : STIXIdentifier.deterministic(type: "intrusion-set", name: "misp-galaxy:\(uuid.lowercased())")
            let meta = v["meta"]?.objectValue ?? JSONObject()
            var o = common("intrusion-set", id)
            o["created_by_ref"] = .string(mispIdentityID)
            o["name"] = .string(name)
            if let d = v["description"]?.stringValue, !d.isEmpty { o["description"] = .string(d) }
            var aliases = [name]
            var cited: [String] = []
            for s in (meta["synonyms"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if isAttackGroupID(s) {
                    cited.append(s)
                } else if !aliases.contains(s) {
                    aliases.append(s)
                }
            }
            o["aliases"] = .array(aliases.map(JSONValue.string))
            var refs: [JSONValue] = [
                ExternalReference(sourceName: "misp-galaxy", externalID: uuid.lowercased()).json
            ]
            for url in (meta["refs"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if let g = attackGroupID(inURL: url) { cited.append(g) }
                refs.append(ExternalReference(sourceName: "misp-ref", url: escapeURI(url)).json)
            }
            var citedSeen: Set<String> = []
            for g in cited where citedSeen.insert(g).inserted {
                refs.append(ExternalReference(sourceName: "misp-cites-attack", externalID: g).json)
            }
            o["external_references"] = .array(refs)
            for m in meta.members where m.key != "synonyms" && m.key != "refs" {
                o[customName(m.key)] = m.value
            }
            emit(o)

            if let code = meta["country"]?.stringValue?.uppercased(), CountryCodes.displayName[code] != nil {
                relationship(id, "originates-from", country(code))
            }
            var sectors: [String] = []
            for k in ["targeted-sector", "cfr-target-category"] {
                for s in (meta[k]?.arrayValue ?? []).compactMap(\.stringValue) where !sectors.contains(s) {
                    sectors.append(s)
                }
            }
            for s in sectors { relationship(id, "targets", sector(s)) }
            for victim in (meta["cfr-suspected-victims"]?.arrayValue ?? []).compactMap(\.stringValue) {
                if let code = CountryCodes.byName[victim.lowercased()] {
                    relationship(id, "targets", country(code))
                } else {
                    out.unmappedVictims += 1
                }
            }
        }
        return out
    }

    static func isAttackGroupID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return u.count == 5 && u[0] == UInt8(ascii: "G") && u[1...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func attackGroupID(inURL url: String) -> String? {
        guard let r = url.range(of: "attack.mitre.org/groups/") else { return nil }
        let rest = url[r.upperBound...].prefix(5)
        return isAttackGroupID(String(rest)) ? String(rest) : nil
    }

    /// Percent-encodes the characters an RFC 3986 URI cannot hold (`|`, spaces, quotes, non-ASCII).
    static func escapeURI(_ url: String) -> String {
        let allowed = Set("-._~:/?#[]@!$&'()*+,;=%".utf8)
        var out = ""
        for c in url.utf8 {
            let isAlnum = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A)
            if isAlnum || allowed.contains(c) {
                out.unicodeScalars.append(Unicode.Scalar(c))
            } else {
                let hex = String(c, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// `cfr-suspected-victims` → `x_misp_cfr_suspected_victims`; anything not a-z0-9 becomes `_`. Names that
    /// would end in a suffix the STIX tools read as a type (`_hex`, `_bin`, `_ref`, `_refs`) get `_value` added.
    static func customName(_ key: String) -> String {
        var out = "x_misp_"
        for c in key.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("_") {
                out.append("_")
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        if ["_hex", "_bin", "_ref", "_refs"].contains(where: out.hasSuffix) { out += "_value" }
        return String(out.prefix(250))
    }
}

/// Maps sector names from MISP and others onto STIX's industry-sector vocabulary where one fits.
public enum SectorVocabulary {
    static let synonyms: [String: String] = [
        "government": "government", "government, administration": "government", "administration": "government",
        "military": "defense", "defense": "defense", "defence": "defense", "defense industrial base": "defense",
        "finance": "financial-services", "financial": "financial-services", "bank": "financial-services",
        "banking": "financial-services", "payment": "financial-services", "investment": "financial-services",
        "cryptocurrency": "financial-services", "financial services": "financial-services",
        "energy": "energy", "electric": "utilities", "gas": "energy", "oil": "energy", "utilities": "utilities",
        "nuclear": "energy",
        "telecoms": "telecommunications", "telecommunications": "telecommunications", "telecomms": "telecommunications",
        "technology": "technology", "high-tech": "technology", "high tech": "technology",
        "information technology": "technology",
        "healthcare": "healthcare", "health": "healthcare", "medical": "healthcare",
        "pharmaceuticals": "pharmaceuticals", "pharmacy": "pharmaceuticals", "biomedical": "pharmaceuticals",
        "education": "education", "universities": "education", "academia - university": "education",
        "media": "entertainment", "news - media": "entertainment", "media and entertainment": "entertainment",
        "journalist": "entertainment",
        "aerospace": "aerospace", "aviation": "aviation", "space": "aerospace",
        "transportation": "transportation", "transportation systems": "transportation", "rail": "transportation",
        "logistics": "transportation", "maritime": "transportation",
        "manufacturing": "manufacturing", "critical manufacturing": "manufacturing", "industrial": "manufacturing",
        "electronics manufacturers": "manufacturing", "automotive": "automotive", "chemical": "chemical",
        "civil society": "non-profit", "ngos": "non-profit", "non-profit organisation": "non-profit",
        "activists": "non-profit", "think tanks": "non-profit", "dissidents": "non-profit",
        "legal": "legal", "justice": "legal", "retail": "retail", "hospitality": "hospitality-leisure",
        "gaming": "hospitality-leisure", "gambling companies": "hospitality-leisure", "mining": "mining",
        "infrastructure": "infrastructure", "intelligence": "government-intelligence",
        "diplomacy": "government-national", "political party": "government-national",
    ]

    /// The canonical key of a sector name: the STIX vocabulary term when one fits, else the name lowercased
    /// with runs of other characters turned into `-`.
    public static func canonical(_ raw: String) -> String {
        let lower = raw.lowercased().trimmingCharacters(in: .whitespaces)
        if let s = synonyms[lower] { return s }
        var out = ""
        for c in lower.unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") {
                out.unicodeScalars.append(c)
            } else if !out.isEmpty && !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "other" : out
    }

    /// A display name for a canonical key: "financial-services" → "Financial services".
    public static func displayName(_ key: String) -> String {
        let words = key.replacingOccurrences(of: "-", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }
}
