import Foundation
import GeoIP
import Testing

@Suite struct GeoIPTests {
    static func fixture() throws -> String {
        try #require(Bundle.module.url(forResource: "GeoLite2-Country-Test", withExtension: "mmdb", subdirectory: "Fixtures")).path
    }

    /// MaxMind's test database (Tests/GeoIPTests/Fixtures/README.md): its source data gives these networks.
    @Test func looksUpCountriesOfIPv4AndIPv6Addresses() throws {
        let db = try GeoIPDatabase(path: try Self.fixture())
        #expect(db.databaseType == "GeoLite2-Country")
        #expect(db.country(of: "111.235.160.1") == .country("CN"))
        #expect(db.country(of: "81.2.69.160") == .country("GB"))
        #expect(db.country(of: "89.160.20.130") == .country("SE"))
        #expect(db.country(of: "2001:220::1") == .country("KR"))
        #expect(db.country(of: "10.0.0.1") == .unknown)
        #expect(db.country(of: "1.1.1.1") == .unknown)
        #expect(db.country(of: "not an address") == .notAnAddress)
        #expect(db.country(of: "") == .notAnAddress)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-geoip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.mmdb")
        try Data("not a database".utf8).write(to: bad)
        do {
            _ = try GeoIPDatabase(path: bad.path)
            Issue.record("opened a file that is not a database")
        } catch {
            #expect(error.description.hasPrefix(bad.path + ": cannot open as a MaxMind DB"))
        }
        #expect(throws: GeoIPDatabase.OpenError.self) { try GeoIPDatabase(path: dir.appendingPathComponent("missing.mmdb").path) }
    }
}
