import ArgumentParser
import GeoIP

/// `--geoip FILE`: a MaxMind DB country database to locate observed addresses with.
struct GeoIPOption: ParsableArguments {
    @Option(
        name: .customLong("geoip"),
        help: ArgumentHelp(
            "A MaxMind DB country database (.mmdb: GeoLite2/GeoIP2 Country or City, DB-IP Country) to locate observed IP addresses with; their countries weigh a little in attribution.",
            valueName: "file"))
    var path: String?

    /// The lookup, or nil without `--geoip`; a file that is not a database is a clear error.
    func lookup() throws -> (@Sendable (String) -> String?)? {
        guard let path else { return nil }
        let db: GeoIPDatabase
        do {
            db = try GeoIPDatabase(path: path)
        } catch {
            throw ValidationError("--geoip \(error)")
        }
        return { address in
            if case .country(let c) = db.country(of: address) { return c }
            return nil
        }
    }
}
