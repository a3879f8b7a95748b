/// Everything `sightline pattern validate` checks, in one call.
public enum PatternValidation {
    /// Syntax, compile-time (regex, CIDR, limits) and semantic errors of a pattern; empty when valid.
    public static func errors(in text: String) -> [PatternError] {
        let pattern: Pattern
        do {
            pattern = try Pattern.parse(text)
        } catch {
            return [error]
        }
        do {
            _ = try PatternMatcher(pattern)
        } catch {
            return [error]
        }
        return PatternValidator.check(pattern)
    }

    /// A line of spaces with `^` under the character at byte `offset` of `text`.
    public static func caret(for offset: Int, in text: String) -> String {
        let prefix = text.utf8.prefix(offset)
        let columns = String(decoding: prefix, as: UTF8.self).count
        return String(repeating: " ", count: columns) + "^"
    }
}
