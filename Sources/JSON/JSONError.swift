/// A JSON syntax error, located by byte offset in the input.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The input ended inside a value.
        case unexpectedEnd
        /// A byte that cannot start or continue what was being read.
        case unexpectedByte(UInt8)
        /// A number that does not follow JSON's number grammar.
        case invalidNumber
        /// A backslash escape other than the nine JSON allows.
        case invalidEscape
        /// A `\u` escape with bad hex digits or an unpaired surrogate.
        case invalidUnicodeEscape
        /// String bytes that are not UTF-8.
        case invalidUTF8
        /// An unescaped control character (below U+0020) inside a string.
        case controlCharacterInString
        /// Arrays and objects nested deeper than the parser's limit.
        case tooDeep(limit: Int)
        /// Something other than white space after the top-level value.
        case trailingData
        /// A specific token was expected.
        case expected(String)
    }

    public var kind: Kind
    /// Byte offset of the error from the start of the input.
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let b):
            if b >= 0x20 && b < 0x7F {
                what = "unexpected character '\(Character(Unicode.Scalar(b)))'"
            } else {
                what = "unexpected byte 0x\(String(b, radix: 16))"
            }
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicodeEscape: what = "invalid \\u escape"
        case .invalidUTF8: what = "invalid UTF-8 in string"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "data after the JSON value"
        case .expected(let s): what = "expected \(s)"
        }
        return "\(what) at byte \(offset)"
    }
}
