import CMaxMindDB

/// A MaxMind DB (`.mmdb`) country database, read with libmaxminddb: the country an IP address is
/// registered or located in, as analysts use it — weak evidence, since attackers rent, relay and spoof
/// infrastructure.
///
/// Any database with a `country.iso_code` (or `registered_country.iso_code`) field works: MaxMind's
/// GeoLite2/GeoIP2 Country or City, DB-IP's country databases in MMDB form. Sightline ships none: the
/// user names one with `--geoip`.
public final class GeoIPDatabase: @unchecked Sendable {
    /// The database type its metadata gives (`GeoLite2-Country`, `DBIP-Country-Lite`, …).
    public let databaseType: String
    private var db = MMDB_s()

    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Opens (memory-maps) the database at `path`.
    public init(path: String) throws(OpenError) {
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), &db)
        guard status == MMDB_SUCCESS else {
            throw OpenError(path: path, reason: "cannot open as a MaxMind DB: " + String(cString: MMDB_strerror(status)))
        }
        databaseType = db.metadata.database_type.map { String(cString: $0) } ?? "unknown"
    }

    deinit { MMDB_close(&db) }

    /// The outcome of a lookup.
    public enum Answer: Equatable, Sendable {
        /// The ISO 3166 alpha-2 code.
        case country(String)
        /// The database has no country for this address (private, reserved or unlisted).
        case unknown
        /// Not an IPv4 or IPv6 address.
        case notAnAddress
    }

    /// The country of `address` (IPv4 or IPv6 text).
    public func country(of address: String) -> Answer {
        var out: (CChar, CChar, CChar) = (0, 0, 0)
        let status = withUnsafeMutableBytes(of: &out) { buffer in
            sightline_mmdb_country(&db, address, buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        switch status {
        case 1:
            return .country(String(decoding: [UInt8(bitPattern: out.0), UInt8(bitPattern: out.1)], as: UTF8.self))
        case -1: return .notAnAddress
        default: return .unknown
        }
    }
}
