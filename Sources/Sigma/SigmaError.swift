/// A rule that could not be read or compiled, with the file and the reason.
public struct SigmaError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable, Hashable {
        /// The file could not be read.
        case io(String)
        /// The YAML is malformed (libyaml's message, with line and column).
        case yaml(String)
        /// A required attribute is missing or has the wrong type.
        case attribute(String)
        /// A field name carries a modifier this engine does not know.
        case unknownModifier(String)
        /// A modifier combination or value that cannot be compiled.
        case invalidValue(String)
        /// The condition does not parse or names an unknown search identifier.
        case condition(String)
        /// A regular expression does not compile (PCRE2's message and offset).
        case regex(String)
        /// A correlation rule is malformed or refers to unknown rules.
        case correlation(String)
    }

    public var kind: Kind
    /// The file the rule came from, when known.
    public var file: String?
    /// The 0-based index of the YAML document in its file.
    public var document: Int?

    public init(_ kind: Kind, file: String? = nil, document: Int? = nil) {
        self.kind = kind
        self.file = file
        self.document = document
    }

    /// A short name of the kind, for summaries (`yaml`, `unknown modifier`, …).
    public var category: String {
        switch kind {
        case .io: return "io"
        case .yaml: return "yaml"
        case .attribute: return "attribute"
        case .unknownModifier: return "unknown modifier"
        case .invalidValue: return "invalid value"
        case .condition: return "condition"
        case .regex: return "regex"
        case .correlation: return "correlation"
        }
    }

    public var description: String {
        let what: String
        switch kind {
        case .io(let m): what = "cannot read: \(m)"
        case .yaml(let m): what = "YAML: \(m)"
        case .attribute(let m): what = "attribute: \(m)"
        case .unknownModifier(let m): what = "unknown modifier '\(m)'"
        case .invalidValue(let m): what = "invalid value: \(m)"
        case .condition(let m): what = "condition: \(m)"
        case .regex(let m): what = "regular expression: \(m)"
        case .correlation(let m): what = "correlation: \(m)"
        }
        var place = file ?? "<rule>"
        if let document, document > 0 { place += " (document \(document + 1))" }
        return "\(place): \(what)"
    }
}
