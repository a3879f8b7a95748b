import JSON

/// Checks STIX 2.1 objects against the specification's MUST rules.
///
/// Checked: the type name and the `type--UUID` id form (the id's type must be the object's type);
/// the common required properties of each kind and the required properties of each type;
/// `spec_version` = "2.1"; timestamp syntax and `modified` ≥ `created`; identifier syntax of every
/// `*_ref` and `*_refs` property; the shape of `external_references`, `kill_chain_phases`, `granular_markings`;
/// property names; type-specific rules (indicator validity window, malware names, observed-data counts
/// and windows, report and grouping `object_refs`, location coordinates, confidence range).
public struct STIXValidator: Sendable {
    public init() {}

    /// All MUST-rule violations of `object`; empty when it is valid.
    public func errors(in object: STIXObject) -> [STIXError] {
        var errors: [STIXError] = []
        let id = object.properties["id"]?.stringValue
        func fail(_ kind: STIXError.Kind) { errors.append(STIXError(kind, objectID: id)) }
        let p = object.properties
        let type = object.type

        guard STIXIdentifier.isValidType(Substring(type)) else {
            fail(.invalidValue(property: "type", reason: "'\(type)' is not a valid type name"))
            return errors
        }
        guard let kind = object.kind else {
            fail(.unknownType(type))
            return errors
        }
        if let id {
            if let (idType, _) = STIXIdentifier.split(id) {
                if idType != type {
                    fail(.invalidValue(property: "id", reason: "the id's type '\(idType)' is not the object's type '\(type)'"))
                }
            } else {
                fail(.invalidValue(property: "id", reason: "'\(id)' is not of the form type--UUID"))
            }
        }

        // Common required properties by kind.
        var required: [String] = []
        switch kind {
        case .domain, .relationship, .custom: required = ["spec_version", "created", "modified"]
        case .meta: required = ["spec_version", "created"]
        case .observable: required = []
        }
        let spec = STIXTypes.all[type]
        required += spec?.required ?? []
        for r in required where p[r] == nil { fail(.missingProperty(r)) }
        for group in spec?.atLeastOneOf ?? [] where !group.contains(where: { p[$0] != nil }) {
            fail(.missingProperty(group.joined(separator: " or ")))
        }

        if let sv = p["spec_version"] {
            if sv.stringValue == nil {
                fail(.wrongType(property: "spec_version", expected: "string"))
            } else if sv.stringValue != "2.1" {
                fail(.invalidValue(property: "spec_version", reason: "must be \"2.1\", found \"\(sv.stringValue!)\""))
            }
        }

        // Property names, timestamps and references.
        var created: STIXTimestamp?
        var modified: STIXTimestamp?
        for m in p.members {
            let name = m.key
            if !isValidPropertyName(name) {
                fail(.invalidValue(property: name, reason: "property names use only a-z, A-Z, 0-9 and _, at most 250"))
            }
            let isTimestamp =
                STIXTypes.timestampProperties.contains(name)
                && (kind != .custom || name == "created" || name == "modified")
            if isTimestamp {
                if let s = m.value.stringValue {
                    if let t = STIXTimestamp(s) {
                        if name == "created" { created = t }
                        if name == "modified" { modified = t }
                    } else {
                        fail(.invalidValue(property: name, reason: "'\(s)' is not a STIX timestamp (YYYY-MM-DDTHH:mm:ss[.s+]Z)"))
                    }
                } else {
                    fail(.wrongType(property: name, expected: "timestamp string"))
                }
            }
            if name.hasPrefix("x_") {
                // Custom properties are the producer's business (ATT&CK has empty x_mitre_*_ref values).
            } else if name.hasSuffix("_ref") {
                checkReference(m.value, path: name, fail: fail)
            } else if name.hasSuffix("_refs") {
                if let list = m.value.arrayValue {
                    for (i, e) in list.enumerated() { checkReference(e, path: "\(name)[\(i)]", fail: fail) }
                } else {
                    fail(.wrongType(property: name, expected: "list of identifiers"))
                }
            }
        }
        if let created, let modified, modified < created {
            fail(.invalidValue(property: "modified", reason: "must not be earlier than created"))
        }

        checkList(p, "external_references", fail: fail) { v, path in
            guard let o = v.objectValue else { return [.wrongType(property: path, expected: "object")] }
            var e: [STIXError.Kind] = []
            if o["source_name"]?.stringValue == nil { e.append(.missingProperty(path + ".source_name")) }
            if let h = o["hashes"], h.objectValue == nil { e.append(.wrongType(property: path + ".hashes", expected: "dictionary")) }
            if let u = o["url"] {
                if let s = u.stringValue {
                    if !STIXValidator.isURI(s) { e.append(.invalidValue(property: path + ".url", reason: "'\(s)' is not a URI (RFC 3986)")) }
                } else {
                    e.append(.wrongType(property: path + ".url", expected: "string"))
                }
            }
            return e
        }
        checkList(p, "kill_chain_phases", fail: fail) { v, path in
            guard let o = v.objectValue else { return [.wrongType(property: path, expected: "object")] }
            var e: [STIXError.Kind] = []
            for k in ["kill_chain_name", "phase_name"] where o[k]?.stringValue == nil {
                e.append(.missingProperty("\(path).\(k)"))
            }
            return e
        }
        checkList(p, "granular_markings", fail: fail) { v, path in
            guard let o = v.objectValue else { return [.wrongType(property: path, expected: "object")] }
            var e: [STIXError.Kind] = []
            if o["selectors"]?.arrayValue == nil { e.append(.missingProperty(path + ".selectors")) }
            if o["marking_ref"] == nil && o["lang"] == nil { e.append(.missingProperty(path + ".marking_ref or lang")) }
            return e
        }
        for listName in ["labels", "aliases"] {
            if let v = p[listName], v.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
                fail(.wrongType(property: listName, expected: "list of strings"))
            }
        }
        for boolName in ["revoked", "is_family", "defanged"] {
            if let v = p[boolName], v.boolValue == nil { fail(.wrongType(property: boolName, expected: "boolean")) }
        }
        if let c = p["confidence"] {
            if let i = c.intValue, (0...100).contains(i) {
            } else {
                fail(.invalidValue(property: "confidence", reason: "must be an integer from 0 to 100"))
            }
        }

        checkTypeRules(type, p, fail: fail)
        return errors
    }

    /// Errors of the bundle wrapper itself (not of its objects).
    public func bundleErrors(_ bundle: JSONObject) -> [STIXError] {
        var errors: [STIXError] = []
        let id = bundle["id"]?.stringValue
        if bundle["type"]?.stringValue != "bundle" {
            errors.append(STIXError(.invalidValue(property: "type", reason: "a bundle's type must be \"bundle\""), objectID: id))
        }
        if let id {
            if STIXIdentifier.split(id)?.type != "bundle" {
                errors.append(STIXError(.invalidValue(property: "id", reason: "'\(id)' is not of the form bundle--UUID"), objectID: id))
            }
        } else {
            errors.append(STIXError(.missingProperty("id"), objectID: nil))
        }
        if let o = bundle["objects"], o.arrayValue == nil {
            errors.append(STIXError(.wrongType(property: "objects", expected: "list"), objectID: id))
        }
        return errors
    }

    /// True when `s` is an absolute URI: a scheme, then only RFC 3986 characters (percent-escapes allowed).
    public static func isURI(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let colon = u.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        func alpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
        func digit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        guard alpha(u[0]) else { return false }
        for c in u[1..<colon] where !(alpha(c) || digit(c) || c == 0x2B || c == 0x2D || c == 0x2E) { return false }
        let allowed = Set("-._~:/?#[]@!$&'()*+,;=%".utf8)
        for c in u[(colon + 1)...] where !(alpha(c) || digit(c) || allowed.contains(c)) { return false }
        return true
    }

    func isValidPropertyName(_ name: String) -> Bool {
        let u = name.utf8
        guard !u.isEmpty, u.count <= 250 else { return false }
        return u.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
        }
    }

    func checkReference(_ v: JSONValue, path: String, fail: (STIXError.Kind) -> Void) {
        guard let s = v.stringValue else {
            fail(.wrongType(property: path, expected: "identifier string"))
            return
        }
        if STIXIdentifier.split(s) == nil {
            fail(.invalidValue(property: path, reason: "'\(s)' is not an identifier (type--UUID)"))
        }
    }

    func checkList(
        _ p: JSONObject, _ name: String, fail: (STIXError.Kind) -> Void,
        element: (JSONValue, String) -> [STIXError.Kind]
    ) {
        guard let v = p[name] else { return }
        guard let list = v.arrayValue else {
            fail(.wrongType(property: name, expected: "list"))
            return
        }
        for (i, e) in list.enumerated() {
            for k in element(e, "\(name)[\(i)]") { fail(k) }
        }
    }

    func checkTypeRules(_ type: String, _ p: JSONObject, fail: (STIXError.Kind) -> Void) {
        func time(_ k: String) -> STIXTimestamp? { p[k]?.stringValue.flatMap(STIXTimestamp.init) }
        switch type {
        case "indicator":
            if let a = time("valid_from"), let b = time("valid_until"), b <= a {
                fail(.invalidValue(property: "valid_until", reason: "must be later than valid_from"))
            }
            for k in ["pattern", "pattern_type"] where p[k] != nil && p[k]?.stringValue == nil {
                fail(.wrongType(property: k, expected: "string"))
            }
        case "malware":
            if p["is_family"]?.boolValue == true && p["name"] == nil {
                fail(.missingProperty("name"))
            }
        case "observed-data":
            if let n = p["number_observed"] {
                if let i = n.intValue, (1...999_999_999).contains(i) {
                } else {
                    fail(.invalidValue(property: "number_observed", reason: "must be an integer from 1 to 999,999,999"))
                }
            }
            if let a = time("first_observed"), let b = time("last_observed"), b < a {
                fail(.invalidValue(property: "last_observed", reason: "must not be earlier than first_observed"))
            }
            let hasRefs = p["object_refs"] != nil
            let hasObjects = p["objects"] != nil
            if hasRefs == hasObjects {
                fail(.invalidValue(property: "object_refs", reason: "exactly one of object_refs and objects is required"))
            }
        case "report", "grouping", "note", "opinion":
            if let refs = p["object_refs"]?.arrayValue, refs.isEmpty {
                fail(.invalidValue(property: "object_refs", reason: "must not be empty"))
            }
        case "location":
            let lat = p["latitude"]?.doubleValue
            let lon = p["longitude"]?.doubleValue
            if (lat == nil) != (lon == nil) {
                fail(.invalidValue(property: "latitude", reason: "latitude and longitude go together"))
            }
            if let lat, !(-90...90).contains(lat) { fail(.invalidValue(property: "latitude", reason: "out of range")) }
            if let lon, !(-180...180).contains(lon) { fail(.invalidValue(property: "longitude", reason: "out of range")) }
        case "intrusion-set", "threat-actor", "campaign", "infrastructure":
            if let a = time("first_seen"), let b = time("last_seen"), b < a {
                fail(.invalidValue(property: "last_seen", reason: "must not be earlier than first_seen"))
            }
        case "sighting":
            if let c = p["count"], c.intValue.map({ (0...999_999_999).contains($0) }) != true {
                fail(.invalidValue(property: "count", reason: "must be an integer from 0 to 999,999,999"))
            }
        default:
            break
        }
    }
}
