import Foundation
import TestSupport

/// Small hand-written STIX and MISP inputs (not copied from any source).
enum Fixtures {
    static let identity = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
    static let lazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a"
    static let apt38 = "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340"
    static let andariel = "intrusion-set--39d6890e-7f23-4474-b8ef-e7b0343c5fc8"
    static let stolenPencil = "intrusion-set--ab1e0d3e-cbb5-4d6b-8a0e-2f2a6c6d8f01"
    static let wiper = "attack-pattern--b82f7d37-b826-4ec9-9391-8e121c78aed7"
    static let mbr = "attack-pattern--0af0ca99-357d-4ba1-805f-674fdfb7bef9"
    static let destover = "malware--6a21e3a4-5ffe-4581-af9a-6a54c7536f44"
    static let darkseoul = "campaign--f2a3c4d5-1111-4222-8333-944455556666"

    static func rel(_ n: Int, _ type: String, _ s: String, _ t: String) -> String {
        """
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-\(String(format: "%012d", n))",
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "relationship_type": "\(type)", "source_ref": "\(s)", "target_ref": "\(t)",
         "description": "(Citation: Report \(n))"}
        """
    }

    static func group(_ id: String, _ name: String, _ attackID: String, aliases: [String], modified: String = "2024-01-01T00:00:00.000Z",
                      extra: String = "") -> String {
        let a = aliases.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {"type": "intrusion-set", "spec_version": "2.1", "id": "\(id)", "created": "2017-05-31T21:32:03.807Z",
             "modified": "\(modified)", "name": "\(name)", "aliases": [\(a)], "created_by_ref": "\(identity)",
             "description": "A group.", "x_mitre_domains": ["enterprise-attack"]\(extra),
             "external_references": [{"source_name": "mitre-attack", "external_id": "\(attackID)",
               "url": "https://attack.mitre.org/groups/\(attackID)"}]}
            """
    }

    static var attackBundle: String {
        let objects = [
            """
            {"type": "identity", "spec_version": "2.1", "id": "\(identity)", "created": "2017-06-01T00:00:00.000Z",
             "modified": "2017-06-01T00:00:00.000Z", "name": "The MITRE Corporation", "identity_class": "organization"}
            """,
            group(lazarus, "Lazarus Group", "G0032", aliases: ["Lazarus Group", "HIDDEN COBRA", "Guardians of Peace"]),
            group(apt38, "APT38", "G0082", aliases: ["APT38", "BeagleBoyz", "Bluenoroff"]),
            group(andariel, "Andariel", "G0138", aliases: ["Andariel", "Silent Chollima", "Onyx Sleet"]),
            group(stolenPencil, "Stolen Pencil", "G0086", aliases: ["Stolen Pencil"], extra: ", \"revoked\": true"),
            """
            {"type": "attack-pattern", "spec_version": "2.1", "id": "\(wiper)", "created": "2019-01-01T00:00:00.000Z",
             "modified": "2024-01-01T00:00:00.000Z", "name": "Disk Content Wipe",
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "impact"}],
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1561.001"}]}
            """,
            """
            {"type": "attack-pattern", "spec_version": "2.1", "id": "\(mbr)", "created": "2019-01-01T00:00:00.000Z",
             "modified": "2024-01-01T00:00:00.000Z", "name": "Disk Structure Wipe",
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "impact"}],
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1561.002"}]}
            """,
            """
            {"type": "malware", "spec_version": "2.1", "id": "\(destover)", "created": "2019-01-01T00:00:00.000Z",
             "modified": "2024-01-01T00:00:00.000Z", "name": "Destover", "is_family": true, "x_mitre_aliases": ["Destover"],
             "external_references": [{"source_name": "mitre-attack", "external_id": "S0188"}]}
            """,
            """
            {"type": "campaign", "spec_version": "2.1", "id": "\(darkseoul)", "created": "2019-01-01T00:00:00.000Z",
             "modified": "2024-01-01T00:00:00.000Z", "name": "DarkSeoul", "first_seen": "2013-03-20T00:00:00.000Z",
             "last_seen": "2013-03-20T00:00:00.000Z",
             "external_references": [{"source_name": "mitre-attack", "external_id": "C9999"}]}
            """,
            rel(1, "uses", lazarus, wiper), rel(2, "uses", lazarus, mbr), rel(3, "uses", lazarus, destover),
            rel(4, "uses", apt38, mbr), rel(5, "attributed-to", darkseoul, lazarus), rel(6, "revoked-by", stolenPencil, andariel),
        ]
        return "{\"type\": \"bundle\", \"id\": \"bundle--6b1e0d3e-cbb5-4d6b-8a0e-2f2a6c6d8f01\", \"objects\": [\n"
            + objects.joined(separator: ",\n") + "\n]}"
    }

    /// The same bundle with a newer Lazarus version, one invalid object and one of an unknown type.
    static var attackBundleV2: String {
        let newer = group(lazarus, "Lazarus Group", "G0032", aliases: ["Lazarus Group", "HIDDEN COBRA", "Guardians of Peace", "ZINC"],
                          modified: "2025-10-24T01:29:21.748Z")
        let broken = #"{"type": "tool", "spec_version": "2.1", "id": "tool--11111111-2222-4333-8444-555555555555", "created": "yesterday", "modified": "2024-01-01T00:00:00Z"}"#
        let unknown = #"{"type": "gadget", "spec_version": "2.1", "id": "gadget--11111111-2222-4333-8444-555555555555", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}"#
        return "{\"type\": \"bundle\", \"id\": \"bundle--7b1e0d3e-cbb5-4d6b-8a0e-2f2a6c6d8f01\", \"objects\": [\n"
            + [newer, broken, unknown].joined(separator: ",\n") + "\n]}"
    }

    static let misp = #"""
        {"name": "Threat Actor", "type": "threat-actor", "uuid": "7cdff317-a673-4474-84ec-4f1754947823", "version": 349,
         "category": "actor", "description": "Actors.", "values": [
          {"value": "Lazarus Group", "uuid": "68391641-859f-4a9a-9a1e-3e5cf71ec376", "description": "DPRK.",
           "meta": {"country": "KP", "synonyms": ["Hidden Cobra", "APT38", "Andariel", "G0032", "G0082"],
                    "refs": ["https://attack.mitre.org/groups/G0032/", "https://example.org/report|1 2"],
                    "targeted-sector": ["Finance", "Media"], "cfr-suspected-victims": ["South Korea", "Sony Pictures Entertainment"],
                    "origin:TEMP.Hex": ["FireEye"]}},
          {"value": "Silent Chollima", "uuid": "245c8dde-ed42-4c49-b48b-634e3e21bdd7",
           "meta": {"country": "KP", "synonyms": ["Andariel", "Subgroup: Andariel"]}},
          {"value": "Kimsuky", "uuid": "0199f5d2-85a2-7c4e-9cf2-2b8d7a3c4e5f",
           "meta": {"country": "KP", "synonyms": ["Velvet Chollima", "G0086"]}},
          {"value": "Twins", "uuid": "11112222-3333-4444-8555-666677778888",
           "meta": {"synonyms": ["Bluenoroff", "Onyx Sleet"]}},
          {"value": "", "uuid": "21112222-3333-4444-8555-666677778888"}
        ]}
        """#

    static func write(_ text: String, name: String) throws -> String {
        let dir = try Corpus.temporaryDirectory()
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}
