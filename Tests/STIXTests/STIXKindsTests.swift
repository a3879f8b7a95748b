import JSON
import STIX
import Testing

/// Validation across the kinds of STIX 2.1 objects: SCOs, SROs, meta objects, custom objects.
@Suite struct STIXKindsTests {
    static let uuid = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    static let time = "2024-01-01T00:00:00.000Z"

    func errors(_ v: JSONValue) throws -> [STIXError] { STIXValidator().errors(in: try STIXObject(v)) }

    @Test func observablesNeedOnlyTypeIDAndTheirOwnProperties() throws {
        #expect(try errors(["type": "ipv4-addr", "id": .string("ipv4-addr--\(Self.uuid)"), "value": "175.45.178.19"]).isEmpty)
        #expect(try errors(["type": "file", "id": .string("file--\(Self.uuid)"), "hashes": ["SHA-256": "ab"]]).isEmpty)
        let noValue = try errors(["type": "domain-name", "id": .string("domain-name--\(Self.uuid)")])
        #expect(noValue.map(\.kind) == [.missingProperty("value")])
        let file = try errors(["type": "file", "id": .string("file--\(Self.uuid)"), "size": 10])
        #expect(file.map(\.kind) == [.missingProperty("hashes or name")])
        let traffic = try errors(["type": "network-traffic", "id": .string("network-traffic--\(Self.uuid)"), "protocols": ["tcp"],
                                  "dst_ref": "ipv4-addr"])
        #expect(traffic.contains { $0.path == "dst_ref" })
    }

    @Test func sightingsAndMetaObjects() throws {
        let sighting: JSONValue = [
            "type": "sighting", "spec_version": "2.1", "id": .string("sighting--\(Self.uuid)"), "created": .string(Self.time),
            "modified": .string(Self.time), "sighting_of_ref": .string("indicator--\(Self.uuid)"), "count": -1,
        ]
        #expect(try errors(sighting).map(\.path) == ["count"])
        let marking: JSONValue = [
            "type": "marking-definition", "spec_version": "2.1", "id": .string("marking-definition--\(Self.uuid)"),
            "created": .string(Self.time), "definition_type": "tlp", "definition": ["tlp": "green"],
        ]
        #expect(try errors(marking).isEmpty)
        let language: JSONValue = [
            "type": "language-content", "spec_version": "2.1", "id": .string("language-content--\(Self.uuid)"),
            "created": .string(Self.time), "modified": .string(Self.time), "object_ref": .string("campaign--\(Self.uuid)"),
            "contents": ["ko": ["name": "다크서울"]],
        ]
        #expect(try errors(language).isEmpty)
        let extensionDefinition: JSONValue = [
            "type": "extension-definition", "spec_version": "2.1", "id": .string("extension-definition--\(Self.uuid)"),
            "created": .string(Self.time), "modified": .string(Self.time), "name": "x",
            "schema": "https://example.org/schema", "version": "1.0", "extension_types": ["new-sdo"],
        ]
        #expect(try errors(extensionDefinition).map(\.kind) == [.missingProperty("created_by_ref")])
    }

    @Test func customObjectsDeclaredByExtensionsAreAccepted() throws {
        let custom: JSONValue = [
            "type": "weapon-system", "spec_version": "2.1", "id": .string("weapon-system--\(Self.uuid)"),
            "created": .string(Self.time), "modified": .string(Self.time),
            "extensions": ["extension-definition--\(Self.uuid)": ["extension_type": "new-sdo"]],
        ]
        let o = try STIXObject(custom)
        #expect(o.kind == .custom)
        #expect(STIXValidator().errors(in: o).isEmpty)
    }

    @Test func bundleWrapperIsChecked() throws {
        let good = try #require(JSONValue(dictionaryLiteral: ("type", "bundle"), ("id", .string("bundle--\(Self.uuid)"))).objectValue)
        #expect(STIXValidator().bundleErrors(good).isEmpty)
        let bad = try #require(JSONValue(dictionaryLiteral: ("type", "bundle"), ("id", "bundle--1"), ("objects", 3)).objectValue)
        #expect(STIXValidator().bundleErrors(bad).compactMap(\.path) == ["id", "objects"])
    }

    @Test func propertyRulesAcrossTypes() throws {
        let bad: JSONValue = [
            "type": "threat-actor", "spec_version": "2.1", "id": .string("threat-actor--\(Self.uuid)"),
            "created": .string(Self.time), "modified": .string(Self.time), "name": "x", "confidence": 101,
            "bad-name": 1, "external_references": [["source_name": "x", "url": "not a uri"]], "labels": [1],
            "kill_chain_phases": [["phase_name": "impact"]], "revoked": "no",
        ]
        let paths = Set(try errors(bad).compactMap(\.path))
        #expect(paths == ["confidence", "bad-name", "external_references[0].url", "labels", "kill_chain_phases[0].kill_chain_name", "revoked"])
        #expect(STIXValidator.isURI("https://attack.mitre.org/groups/G0032"))
        #expect(!STIXValidator.isURI("https://example.org/a|b"))
        let v7 = "intrusion-set--019514dc-c894-751f-8cfd-ff2b932ff451"
        #expect(STIXIdentifier.split(v7) == nil)
    }
}
