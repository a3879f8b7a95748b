/// Why a pattern was rejected, located by byte offset in the pattern text.
public struct PatternError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The grammar wanted something else here; `found` describes what was there.
        case expected(String, found: String)
        /// A literal that is well formed but impossible (month 13, bad base64, `\q` escape…).
        case invalidLiteral(String)
        /// Parentheses, brackets and qualifiers nested deeper than the limit.
        case tooDeep(limit: Int)
        /// A pattern that parses but breaks a rule of the specification (set of mixed types, `REPEATS 0`…).
        case semantic(String)
        /// Matching would need more work than the engine allows (see docs/PATTERNING.md).
        case tooComplex(String)
    }

    public var kind: Kind
    /// Byte offset in the pattern text (0-based).
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch kind {
        case .expected(let e, let found): what = "expected \(e), found \(found)"
        case .invalidLiteral(let s): what = s
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .semantic(let s): what = s
        case .tooComplex(let s): what = s
        }
        return "\(what) at position \(offset)"
    }
}
