import Foundation
import JSON
import Testing

@testable import EVTX

/// Paths and helpers shared by the EVTX tests.
enum Support {
    static func fixture(_ name: String) throws -> String {
        let path = try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
        return path
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func temporaryFile(_ bytes: [UInt8], name: String = "test.evtx") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-evtx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Dumps a file as JSON lines (as `sightline events dump` does) and parses each line.
    static func dump(_ path: String, threads: Int = 1) async throws -> ([JSONValue], EVTXFileSummary) {
        let file = try EVTXFile(path: path)
        var out: [UInt8] = []
        let summary = await EVTXReader.render(file, displayName: "f", format: .jsonl, threads: threads) {
            out.append(contentsOf: $0)
        }
        var lines: [JSONValue] = []
        for line in out.split(separator: 0x0A) { lines.append(try JSONParser.parse(Array(line))) }
        return (lines, summary)
    }

    /// The CRC32 of the first 120 bytes, stored at 124: keeps an edited file header valid.
    static func fixHeaderChecksum(_ bytes: inout [UInt8]) {
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<120])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[124 + i] = $0[i] } }
    }

    static func putU16(_ v: UInt16, at o: Int, in bytes: inout [UInt8]) {
        bytes[o] = UInt8(v & 0xFF)
        bytes[o + 1] = UInt8(v >> 8)
    }

    static func u32(_ bytes: [UInt8], _ o: Int) -> UInt32 {
        UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
}
