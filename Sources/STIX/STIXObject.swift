import JSON

/// One STIX 2.1 object of any type: SDO, SRO, SCO, meta object or custom object.
///
/// The object keeps every property in document order, so custom properties (`x_mitre_*`, `x_misp_*`,
/// anything) survive a read–write round trip unchanged. Typed accessors read the common properties;
/// ``STIXValidator`` checks the specification's rules.
public struct STIXObject: Sendable, Equatable {
    /// All properties, in document order.
    public var properties: JSONObject

    /// Wraps a JSON object; throws unless it has string `type` and `id` properties.
    public init(_ object: JSONObject) throws(STIXError) {
        guard let t = object["type"] else { throw STIXError(.missingProperty("type"), objectID: object["id"]?.stringValue) }
        guard case .string = t else { throw STIXError(.wrongType(property: "type", expected: "string"), objectID: object["id"]?.stringValue) }
        guard let i = object["id"] else { throw STIXError(.missingProperty("id"), objectID: nil) }
        guard case .string = i else { throw STIXError(.wrongType(property: "id", expected: "string"), objectID: nil) }
        self.properties = object
    }

    /// Wraps a JSON value that must be an object with `type` and `id`.
    public init(_ value: JSONValue) throws(STIXError) {
        guard case .object(let o) = value else { throw STIXError(.notAnObject(value.kindName), objectID: nil) }
        try self.init(o)
    }

    /// The object's JSON.
    public var json: JSONValue { .object(properties) }

    public subscript(property: String) -> JSONValue? {
        get { properties[property] }
        set { properties[property] = newValue }
    }

    // MARK: Common properties

    public var type: String { properties["type"]?.stringValue ?? "" }
    public var id: String { properties["id"]?.stringValue ?? "" }
    public var specVersion: String? { properties["spec_version"]?.stringValue }
    public var created: String? { properties["created"]?.stringValue }
    public var modified: String? { properties["modified"]?.stringValue }
    public var name: String? { properties["name"]?.stringValue }
    public var description: String? { properties["description"]?.stringValue }
    public var createdByRef: String? { properties["created_by_ref"]?.stringValue }
    public var revoked: Bool { properties["revoked"]?.boolValue ?? false }
    /// ATT&CK's deprecation flag.
    public var isDeprecated: Bool { properties["x_mitre_deprecated"]?.boolValue ?? false }
    public var labels: [String] { stringList("labels") }
    /// `aliases` (intrusion sets, campaigns, threat actors, infrastructure) or `x_mitre_aliases` (software).
    public var aliases: [String] {
        let a = stringList("aliases")
        return a.isEmpty ? stringList("x_mitre_aliases") : a
    }

    /// The object's kind; a custom type declared through an extension definition counts as custom.
    public var kind: STIXObjectKind? {
        if let k = STIXTypes.kind(of: type) { return k }
        if let ext = properties["extensions"]?.objectValue {
            for m in ext.members where m.key.hasPrefix("extension-definition--") {
                if let et = m.value["extension_type"]?.stringValue, et.hasPrefix("new-") { return .custom }
            }
        }
        return nil
    }

    /// The external references, in order.
    public var externalReferences: [ExternalReference] {
        (properties["external_references"]?.arrayValue ?? []).compactMap { v in
            guard let o = v.objectValue, let source = o["source_name"]?.stringValue else { return nil }
            return ExternalReference(
                sourceName: source, externalID: o["external_id"]?.stringValue, url: o["url"]?.stringValue,
                description: o["description"]?.stringValue)
        }
    }

    /// The ATT&CK id (G0032, S0041, T1059.001, C0022, …) from a `mitre-*-attack` external reference.
    public var attackID: String? {
        for r in externalReferences {
            if let x = r.externalID, r.sourceName.hasPrefix("mitre-") && r.sourceName.hasSuffix("attack") {
                return x
            }
        }
        return nil
    }

    /// Kill-chain phases as (kill chain, phase) pairs.
    public var killChainPhases: [(chain: String, phase: String)] {
        (properties["kill_chain_phases"]?.arrayValue ?? []).compactMap { v in
            guard let c = v["kill_chain_name"]?.stringValue, let p = v["phase_name"]?.stringValue else { return nil }
            return (c, p)
        }
    }

    // Relationships and sightings.
    public var relationshipType: String? { properties["relationship_type"]?.stringValue }
    public var sourceRef: String? { properties["source_ref"]?.stringValue }
    public var targetRef: String? { properties["target_ref"]?.stringValue }

    /// A list property's string elements.
    public func stringList(_ property: String) -> [String] {
        (properties[property]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// The object as a compact JSON string.
    public var jsonString: String { JSONWriter().string(json) }
}

/// An entry of `external_references`.
public struct ExternalReference: Sendable, Hashable {
    public var sourceName: String
    public var externalID: String?
    public var url: String?
    public var description: String?

    public init(sourceName: String, externalID: String? = nil, url: String? = nil, description: String? = nil) {
        self.sourceName = sourceName
        self.externalID = externalID
        self.url = url
        self.description = description
    }

    /// The reference as STIX JSON.
    public var json: JSONValue {
        var o = JSONObject()
        o["source_name"] = .string(sourceName)
        if let description { o["description"] = .string(description) }
        if let url { o["url"] = .string(url) }
        if let externalID { o["external_id"] = .string(externalID) }
        return .object(o)
    }
}
