/// A problem with one STIX object or bundle, located by object id and property path.
public struct STIXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Equatable {
        /// The value is not a JSON object (the payload names what it is).
        case notAnObject(String)
        /// A required property is absent.
        case missingProperty(String)
        /// A property has the wrong JSON type.
        case wrongType(property: String, expected: String)
        /// A property's value breaks a rule of the specification.
        case invalidValue(property: String, reason: String)
        /// The type is neither defined by STIX 2.1 nor a custom type.
        case unknownType(String)
        /// The input is not valid JSON.
        case malformedJSON(String)
    }

    public var kind: Kind
    /// The id of the object, when it has one.
    public var objectID: String?
    /// Index of the object in its bundle's `objects`, when read from a bundle.
    public var index: Int?

    public init(_ kind: Kind, objectID: String?, index: Int? = nil) {
        self.kind = kind
        self.objectID = objectID
        self.index = index
    }

    /// The property path the error is about (`external_references[2].source_name`), if any.
    public var path: String? {
        switch kind {
        case .missingProperty(let p), .wrongType(let p, _), .invalidValue(let p, _): return p
        default: return nil
        }
    }

    public var description: String {
        if case .malformedJSON(let m) = kind {
            return "malformed JSON: \(m)" + (index.map { " (after \($0) objects)" } ?? "")
        }
        var location = objectID ?? "object"
        if let index { location += " (objects[\(index)])" }
        switch kind {
        case .notAnObject(let what): return "\(location): expected a JSON object, found \(what)"
        case .missingProperty(let p): return "\(location): \(p): required property is missing"
        case .wrongType(let p, let expected): return "\(location): \(p): expected \(expected)"
        case .invalidValue(let p, let reason): return "\(location): \(p): \(reason)"
        case .unknownType(let t): return "\(location): unknown object type '\(t)' (not STIX 2.1, not x- custom)"
        case .malformedJSON: return "malformed JSON"
        }
    }
}
