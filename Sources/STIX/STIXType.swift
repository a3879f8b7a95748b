/// What kind of STIX object a type is.
public enum STIXObjectKind: String, Sendable, Hashable {
    /// STIX Domain Object.
    case domain = "sdo"
    /// STIX Relationship Object.
    case relationship = "sro"
    /// STIX Cyber-observable Object.
    case observable = "sco"
    /// Marking definitions, language content, extension definitions.
    case meta = "meta"
    /// A custom object type (`x-` prefix, or declared by an extension definition).
    case custom = "custom"
}

/// The specification's facts about one object type: its kind, required properties and property types.
public struct STIXTypeSpec: Sendable {
    public var type: String
    public var kind: STIXObjectKind
    /// Properties the type requires beyond the common ones of its kind.
    public var required: [String]
    /// Groups of which at least one property must be present (e.g. location: region, country or latitude).
    public var atLeastOneOf: [[String]]

    init(_ type: String, _ kind: STIXObjectKind, required: [String] = [], atLeastOneOf: [[String]] = []) {
        self.type = type
        self.kind = kind
        self.required = required
        self.atLeastOneOf = atLeastOneOf
    }
}

/// The registry of STIX 2.1 object types.
public enum STIXTypes {
    /// Every type defined by STIX 2.1, keyed by type name.
    public static let all: [String: STIXTypeSpec] = {
        var specs: [STIXTypeSpec] = [
            // Domain objects (section 4).
            .init("attack-pattern", .domain, required: ["name"]),
            .init("campaign", .domain, required: ["name"]),
            .init("course-of-action", .domain, required: ["name"]),
            .init("grouping", .domain, required: ["context", "object_refs"]),
            .init("identity", .domain, required: ["name"]),
            .init("incident", .domain, required: ["name"]),
            .init("indicator", .domain, required: ["pattern", "pattern_type", "valid_from"]),
            .init("infrastructure", .domain, required: ["name"]),
            .init("intrusion-set", .domain, required: ["name"]),
            .init("location", .domain, atLeastOneOf: [["region", "country", "latitude"]]),
            .init("malware", .domain, required: ["is_family"]),
            .init("malware-analysis", .domain, required: ["product"], atLeastOneOf: [["result", "analysis_sco_refs"]]),
            .init("note", .domain, required: ["content", "object_refs"]),
            .init("observed-data", .domain, required: ["first_observed", "last_observed", "number_observed"]),
            .init("opinion", .domain, required: ["opinion", "object_refs"]),
            .init("report", .domain, required: ["name", "published", "object_refs"]),
            .init("threat-actor", .domain, required: ["name"]),
            .init("tool", .domain, required: ["name"]),
            .init("vulnerability", .domain, required: ["name"]),
            // Relationship objects (section 5).
            .init("relationship", .relationship, required: ["relationship_type", "source_ref", "target_ref"]),
            .init("sighting", .relationship, required: ["sighting_of_ref"]),
            // Cyber-observable objects (section 6).
            .init("artifact", .observable),
            .init("autonomous-system", .observable, required: ["number"]),
            .init("directory", .observable, required: ["path"]),
            .init("domain-name", .observable, required: ["value"]),
            .init("email-addr", .observable, required: ["value"]),
            .init("email-message", .observable, required: ["is_multipart"]),
            .init("file", .observable, atLeastOneOf: [["hashes", "name"]]),
            .init("ipv4-addr", .observable, required: ["value"]),
            .init("ipv6-addr", .observable, required: ["value"]),
            .init("mac-addr", .observable, required: ["value"]),
            .init("mutex", .observable, required: ["name"]),
            .init("network-traffic", .observable, required: ["protocols"], atLeastOneOf: [["src_ref", "dst_ref"]]),
            .init("process", .observable),
            .init("software", .observable, required: ["name"]),
            .init("url", .observable, required: ["value"]),
            .init("user-account", .observable),
            .init("windows-registry-key", .observable),
            .init("x509-certificate", .observable),
            // Meta objects (section 7).
            .init("language-content", .meta, required: ["modified", "object_ref", "contents"]),
            .init("marking-definition", .meta),
            .init("extension-definition", .meta,
                required: ["modified", "created_by_ref", "name", "schema", "version", "extension_types"]),
        ]
        specs.sort { $0.type < $1.type }
        return Dictionary(uniqueKeysWithValues: specs.map { ($0.type, $0) })
    }()

    /// The kind of a spec type, `.custom` for an `x-` type, `nil` otherwise (see ``STIXObject/kind``).
    public static func kind(of type: String) -> STIXObjectKind? {
        if let spec = all[type] { return spec.kind }
        if type.hasPrefix("x-") { return .custom }
        return nil
    }

    /// Properties whose values are STIX timestamps, in any type.
    public static let timestampProperties: Set<String> = [
        "created", "modified", "first_seen", "last_seen", "first_observed", "last_observed", "valid_from",
        "valid_until", "published", "start_time", "stop_time", "analysis_started", "analysis_ended",
        "submitted", "ctime", "mtime", "atime", "date", "created_time", "modified_time",
    ]

    /// The domain object types, sorted.
    public static var domainTypes: [String] { all.values.filter { $0.kind == .domain }.map(\.type).sorted() }
    /// The cyber-observable types, sorted.
    public static var observableTypes: [String] {
        all.values.filter { $0.kind == .observable }.map(\.type).sorted()
    }
}
