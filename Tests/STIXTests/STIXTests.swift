import Foundation
import JSON
import STIX
import TestSupport
import Testing

@Suite struct STIXObjectTests {
    static let lazarus = #"""
        {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a",
         "created": "2017-05-31T21:32:03.807Z", "modified": "2025-10-24T01:29:21.748Z", "name": "Lazarus Group",
         "aliases": ["Lazarus Group", "HIDDEN COBRA"], "x_mitre_deprecated": false, "x_custom": {"nested": [1, 2.5, null]},
         "external_references": [{"source_name": "mitre-attack", "external_id": "G0032", "url": "https://attack.mitre.org/groups/G0032"}]}
        """#

    @Test func readsCommonPropertiesAndAttackID() throws {
        let o = try STIXObject(try JSONParser.parse(Self.lazarus))
        #expect(o.type == "intrusion-set")
        #expect(o.name == "Lazarus Group")
        #expect(o.aliases == ["Lazarus Group", "HIDDEN COBRA"])
        #expect(o.attackID == "G0032")
        #expect(o.kind == .domain)
        #expect(STIXValidator().errors(in: o).isEmpty)
    }

    @Test func customPropertiesSurviveRoundTrip() throws {
        let o = try STIXObject(try JSONParser.parse(Self.lazarus))
        let again = try STIXObject(try JSONParser.parse(o.jsonString))
        #expect(again == o)
        #expect(again.properties.keys == o.properties.keys)
        #expect(again["x_custom"] == ["nested": [1, 2.5, nil]])
    }

    @Test func validatorNamesObjectAndPropertyPath() throws {
        var json = try JSONParser.parse(Self.lazarus).objectValue!
        json["created"] = "2017-05-31"
        json["id"] = "intrusion-set--not-a-uuid"
        json["external_references"] = [["url": "https://x"]]
        json["name"] = nil
        let errors = STIXValidator().errors(in: try STIXObject(json))
        let paths = Set(errors.compactMap(\.path))
        #expect(paths == ["created", "id", "external_references[0].source_name", "name"])
        #expect(errors.allSatisfy { $0.objectID == "intrusion-set--not-a-uuid" })
        #expect(errors.first { $0.path == "created" }!.description.contains("not a STIX timestamp"))
    }

    @Test func validatorChecksTypeSpecificRules() throws {
        let indicator: JSONValue = [
            "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[ipv4-addr:value = '175.45.178.19']", "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z", "valid_until": "2015-01-01T00:00:00Z",
        ]
        let errors = STIXValidator().errors(in: try STIXObject(indicator))
        #expect(errors.map(\.path) == ["valid_until"])

        let rel: JSONValue = [
            "type": "relationship", "spec_version": "2.0", "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-05T20:03:48.000Z",
            "relationship_type": "uses", "source_ref": "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a",
            "target_ref": "malware",
        ]
        let relErrors = STIXValidator().errors(in: try STIXObject(rel)).compactMap(\.path)
        #expect(Set(relErrors) == ["spec_version", "modified", "target_ref"])
    }

    @Test func unknownTypesAreRejectedButCustomTypesAccepted() throws {
        let unknown: JSONValue = ["type": "weird-thing", "id": "weird-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]
        #expect(STIXValidator().errors(in: try STIXObject(unknown)).map(\.kind) == [.unknownType("weird-thing")])
        let custom: JSONValue = [
            "type": "x-mitre-tactic", "id": "x-mitre-tactic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "spec_version": "2.1", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        ]
        #expect(STIXValidator().errors(in: try STIXObject(custom)).isEmpty)
        #expect(throws: STIXError.self) { try STIXObject(JSONValue.array([])) }
    }

    @Test func timestampsCompareByInstant() throws {
        let a = try #require(STIXTimestamp("2016-04-06T20:03:03Z"))
        let b = try #require(STIXTimestamp("2016-04-06T20:03:03.500Z"))
        let c = try #require(STIXTimestamp("2016-04-06T20:03:03.000Z"))
        #expect(a < b)
        #expect(a == c)
        #expect(b.description == "2016-04-06T20:03:03.500Z")
        #expect(STIXTimestamp("2016-02-30T00:00:00Z") == nil)
        #expect(STIXTimestamp("2016-04-06 20:03:03Z") == nil)
        #expect(STIXTimestamp("1969-12-31T23:59:59Z")?.description == "1969-12-31T23:59:59Z")
    }

    @Test func deterministicIdentifiersAreUUIDv5() {
        // The STIX 2.1 specification's example: ipv4-addr with value 198.51.100.3 → its UUIDv5 id.
        let id = STIXIdentifier.deterministic(
            type: "ipv4-addr", namespace: STIXIdentifier.scoNamespace, name: #"{"value":"198.51.100.3"}"#)
        // Cross-checked with Python: uuid.uuid5(UUID(scoNamespace), name).
        #expect(id == "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")
        #expect(STIXIdentifier.split(STIXIdentifier.random(type: "bundle"))?.type == "bundle")
    }
}

@Suite struct STIXReaderTests {
    @Test func streamsBundleObjectsAndReportsBrokenOnes() throws {
        let text = #"""
            {"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [
              {"type": "tool", "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "x"},
              {"type": "tool"},
              42
            ]}
            """#
        var ok = 0
        var failed: [STIXError] = []
        let header = try Array(text.utf8).withUnsafeBytes { raw in
            try STIXReader.read(raw) { item in
                switch item.result {
                case .success: ok += 1
                case .failure(let e): failed.append(e)
                }
            }
        }
        #expect(header.bundleID == "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
        #expect(ok == 1)
        #expect(failed.map(\.index) == [1, 2])
        #expect(failed[0].kind == .missingProperty("id"))
    }

    @Test func malformedJSONKeepsObjectsReadBeforeIt() throws {
        let text = #"[{"type": "tool", "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, {"type": "#
        var ok = 0
        #expect {
            try Array(text.utf8).withUnsafeBytes { raw in
                _ = try STIXReader.read(raw) { _ in ok += 1 }
            }
        } throws: { error in
            guard let e = error as? STIXError, case .malformedJSON(let m) = e.kind else { return false }
            return m.contains("at byte") && e.index == 1
        }
        #expect(ok == 1)
    }

    @Test(.enabled(if: Corpus.isPresent)) func enterpriseAttackParsesAndValidates() throws {
        let url = try #require(Corpus.file("attack/enterprise-attack-18.1.json"))
        let bytes = [UInt8](try Data(contentsOf: url))
        let bundle = try STIXBundle.parse(bytes)
        #expect(bundle.objects.count == 24_772)
        let validator = STIXValidator()
        let errors = bundle.objects.flatMap { validator.errors(in: $0) }
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        #expect(bundle.objects.filter { $0.type == "intrusion-set" }.count == 187)
    }
}
