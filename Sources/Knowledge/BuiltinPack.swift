import Foundation
import GRDB
import JSON
import STIX

/// The built-in knowledge pack: ATT&CK and MISP facts (ids, names, aliases, relationships, countries,
/// sectors; no description text), shipped with Sightline and loaded into an empty store.
///
/// `scripts/make-builtin-pack.sh` regenerates it from the corpus with `sightline intel pack`.
public enum BuiltinPack {
    /// Object types the pack keeps.
    public static let keptTypes: Set<String> = [
        "attack-pattern", "intrusion-set", "campaign", "malware", "tool", "x-mitre-tactic", "relationship",
        "identity", "location", "marking-definition",
    ]
    /// Relationship types the pack keeps.
    public static let keptRelationships: Set<String> = [
        "uses", "attributed-to", "subtechnique-of", "revoked-by", "originates-from", "targets",
    ]
    /// Custom properties dropped as bulky prose or bookkeeping.
    static let droppedProperties: Set<String> = [
        "description", "x_mitre_contributors", "x_mitre_detection", "x_mitre_remote_support",
        "x_mitre_data_sources", "x_mitre_permissions_required", "x_mitre_effective_permissions",
        "x_mitre_defense_bypassed", "x_mitre_system_requirements", "x_mitre_impact_type", "x_mitre_network_requirements",
        "x_mitre_modified_by_ref", "x_mitre_attack_spec_version", "x_mitre_version", "x_mitre_first_seen_citation",
        "x_mitre_last_seen_citation", "x_mitre_shortname",
    ]

    /// The compact, facts-only form of `object`, or `nil` when the pack leaves it out.
    public static func strip(_ object: STIXObject) -> STIXObject? {
        guard keptTypes.contains(object.type) else { return nil }
        if object.type == "relationship", !keptRelationships.contains(object.relationshipType ?? "") { return nil }
        var o = object
        for name in droppedProperties { o[name] = nil }
        if let refs = o["external_references"]?.arrayValue {
            let kept: [JSONValue] = refs.compactMap { r in
                guard let obj = r.objectValue, let x = obj["external_id"]?.stringValue,
                    let s = obj["source_name"]?.stringValue
                else { return nil }
                return ExternalReference(sourceName: s, externalID: x).json
            }
            o["external_references"] = kept.isEmpty || object.type == "relationship" ? nil : .array(kept)
        }
        return o
    }

    /// Builds the pack from the current objects of `store`: gzip-compressed compact STIX bundle, sorted by id.
    public static func make(from store: KnowledgeStore) throws -> [UInt8] {
        let all = try store.currentObjects(types: Array(keptTypes), includeHidden: true)
        let objects = all.compactMap(strip).sorted { $0.id < $1.id }
        let bundle = STIXBundle(
            id: STIXIdentifier.deterministic(type: "bundle", name: "sightline-builtin-pack"), objects: objects)
        return try Gzip.compress(JSONWriter().bytes(bundle.json))
    }

    /// The pack's bytes as shipped (gzip).
    static func shippedBytes() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "builtin-pack.json", withExtension: "gz") else {
            throw KnowledgeError.builtinPack("resource builtin-pack.json.gz is missing")
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw KnowledgeError.builtinPack("cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}

extension KnowledgeStore {
    /// Loads the shipped built-in pack (objects are stored with source `builtin`).
    public func loadBuiltinPack() throws {
        let gz = try BuiltinPack.shippedBytes()
        let bytes: [UInt8]
        do {
            bytes = try Gzip.decompress(gz)
        } catch {
            throw KnowledgeError.builtinPack("cannot decompress: \(error)")
        }
        let report = try importBytes(bytes, path: "builtin-pack.json.gz", source: "builtin")
        if let fatal = report.fatal { throw KnowledgeError.builtinPack(fatal) }
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('builtin', ?)",
                arguments: [String(report.total.added)])
        }
    }
}
