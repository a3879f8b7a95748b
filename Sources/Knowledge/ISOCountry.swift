import Foundation

/// ISO 3166-1 countries, for what users type: an alpha-2 code or a country's name.
public enum ISOCountry {
    /// The assigned alpha-2 code that `text` is (`kr`, `KR`) or names (`South Korea`, `Korea`), else `nil`.
    public static func code(of text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.utf8.count == 2, CountryCodes.displayName[t.uppercased()] != nil { return t.uppercased() }
        return CountryCodes.byName[t.lowercased()]
    }
}
