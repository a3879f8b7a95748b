import Events
import JSON
import Testing

@testable import EVTX

/// Damaged files: every problem is located by its byte offset, and every intact record is still read.
@Suite struct EVTXDamageTests {
    static let chunk0 = 4096

    func intact() throws -> [UInt8] { try Support.bytes(try Support.fixture("security-pass-the-hash.evtx")) }

    /// File offsets of the intact records.
    func recordOffsets(_ bytes: [UInt8]) throws -> [Int] {
        let file = try EVTXFile(path: try Support.temporaryFile(bytes))
        var offsets: [Int] = []
        EVTXReader.forEachRecord(in: file) { offsets.append($0.offset) }
        return offsets
    }

    /// A file of two copies of the fixture's chunk, declared in the header.
    func twoChunks() throws -> [UInt8] {
        var bytes = try intact()
        bytes += Array(bytes[4096..<(4096 + 65536)])
        Support.putU16(2, at: 42, in: &bytes)
        Support.fixHeaderChecksum(&bytes)
        return bytes
    }

    @Test func truncatedFileKeepsTheRecordsBeforeTheCut() async throws {
        let bytes = try intact()
        let offsets = try recordOffsets(bytes)
        let cut = offsets[5] + 40  // inside the sixth record
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(Array(bytes[0..<cut])))
        #expect(lines.count == 5)
        #expect(summary.errors.contains(EVTXError(.truncatedChunk(available: cut - 4096), offset: 4096)))
        let bad = try #require(
            summary.errors.first { if case .badRecordSize = $0.kind { return true } else { return false } }
        )
        #expect(bad.offset == offsets[5])
        let (full, _) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(Array(full.prefix(5)) == lines)
    }

    @Test func flippedBitIsCaughtByTheChunkChecksum() async throws {
        var bytes = try intact()
        let offsets = try recordOffsets(bytes)
        let (full, _) = try await Support.dump(try Support.temporaryFile(bytes))
        // Flip a bit in the last bytes of record 3's BinXML (inside a substitution value).
        let size = Int(Support.u32(bytes, offsets[2] + 4))
        bytes[offsets[2] + size - 8] ^= 0x01
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        let checksum = try #require(summary.errors.first)
        guard case .chunkDataChecksum = checksum.kind else {
            Issue.record("expected a data checksum error, got \(checksum)")
            return
        }
        #expect(checksum.offset == Self.chunk0 + 52)
        #expect(checksum.isWarning)
        #expect(lines.count == 8)
        // Only the damaged record differs.
        #expect(zip(lines, full).filter { $0 != $1 }.count <= 1)
    }

    @Test func badRecordMagicResynchronizesOnTheNextRecord() async throws {
        var bytes = try intact()
        let offsets = try recordOffsets(bytes)
        bytes[offsets[1]] = 0x00
        bytes[offsets[1] + 1] = 0x11
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(summary.errors.contains(EVTXError(.badRecordMagic, offset: offsets[1])))
        #expect(lines.count == 7)
        #expect(summary.damagedRecords == 1)
    }

    @Test func zeroedChunkIsCountedAndTheNextChunkRead() async throws {
        var bytes = try twoChunks()
        for i in 4096..<(4096 + 65536) { bytes[i] = 0 }
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(lines.count == 8)
        #expect(summary.errors == [EVTXError(.zeroedChunk, offset: 4096)])
        #expect(summary.damagedChunks == 1)
    }

    /// A chunk without its magic is empty only when every byte is zero: one stray byte anywhere (the
    /// zero check reads 32 bytes at a time, then the tail) makes it a damaged chunk.
    @Test(arguments: [8, 511, 512, 40_000, 65_535])
    func strayByteInAZeroedChunkIsDamage(at position: Int) async throws {
        var bytes = try twoChunks()
        for i in 4096..<(4096 + 65536) { bytes[i] = 0 }
        bytes[4096 + position] = 0x01
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(lines.count == 8)
        #expect(summary.errors == [EVTXError(.badChunkMagic, offset: 4096)])
        let parser = EVTXChunkParser()
        for count in [1, 31, 33, 100] {
            var tail = [UInt8](repeating: 0, count: count)
            let empty = tail.withUnsafeBytes { parser.parse(bytes: $0, fileOffset: 0) { _ in } }
            #expect(empty.isEmpty && empty.errors.isEmpty)
            tail[count - 1] = 7
            let damaged = tail.withUnsafeBytes { parser.parse(bytes: $0, fileOffset: 0) { _ in } }
            #expect(!damaged.isEmpty && damaged.errors == [EVTXError(.badChunkMagic, offset: 0)])
        }
    }

    /// Past the chunk count of a cleanly closed file's header, a chunk that begins with 512 zero bytes is
    /// the log's preallocated space: the rest of it is not read, so a stray byte there is not reported.
    /// With `--recover`, or in a file not closed cleanly (whose header may be stale), it is read and checked.
    @Test func unusedChunkPastTheCountIsNotRead() async throws {
        var bytes = try twoChunks()
        Support.putU16(1, at: 42, in: &bytes)
        Support.fixHeaderChecksum(&bytes)
        let second = 4096 + 65536
        for i in second..<(second + 65536) { bytes[i] = 0 }
        bytes[second + 40_000] = 1
        let path = try Support.temporaryFile(bytes)
        let (lines, summary) = try await Support.dump(path)
        #expect(lines.count == 8)
        #expect(summary.errors.isEmpty)
        let file = try EVTXFile(path: path)
        let parser = EVTXChunkParser()
        let unread = parser.parse(file, chunk: 1) { _ in }
        #expect(unread.isEmpty && unread.unread && unread.errors.isEmpty)
        parser.recoversSlack = true
        let read = parser.parse(file, chunk: 1) { _ in }
        #expect(!read.unread && read.errors == [EVTXError(.badChunkMagic, offset: second)])
        // Not closed cleanly: read whole.
        bytes[120] |= 0x1
        let dirty = try EVTXFile(path: try Support.temporaryFile(bytes))
        let plain = EVTXChunkParser()
        let checked = plain.parse(dirty, chunk: 1) { _ in }
        #expect(!checked.unread && checked.errors == [EVTXError(.badChunkMagic, offset: second)])
        // Within the count, the chunk is read whole as before (see `strayByteInAZeroedChunkIsDamage`).
    }

    @Test func badChunkMagicSkipsOnlyThatChunk() async throws {
        var bytes = try twoChunks()
        bytes[4096 + 65536] = UInt8(ascii: "X")
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(lines.count == 8)
        #expect(summary.errors == [EVTXError(.badChunkMagic, offset: 4096 + 65536)])
    }

    @Test func wrongFileMagicStillReadsChunks() async throws {
        var bytes = try intact()
        bytes[0] = UInt8(ascii: "X")
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(lines.count == 8)
        #expect(summary.errors == [EVTXError(.badFileMagic, offset: 0)])
    }

    @Test func dirtyHeaderWithStaleChecksumIsRead() async throws {
        var bytes = try intact()
        bytes[120] |= 0x01
        bytes[24] ^= 0xFF  // a stale "next record id", as a crash leaves it
        let file = try EVTXFile(path: try Support.temporaryFile(bytes))
        #expect(file.header?.isDirty == true)
        let (lines, summary) = try await Support.dump(file.path)
        #expect(lines.count == 8)
        #expect(summary.errors.count == 1)
        #expect(summary.errors.first?.offset == 124)
        #expect(summary.errors.first?.isWarning == true)
    }

    @Test func tooSmallFile() async throws {
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(Array("ElfFile\0".utf8)))
        #expect(lines.isEmpty)
        #expect(summary.errors == [EVTXError(.fileTooSmall, offset: 0)])
    }

    @Test func absurdValueCountIsALocatedRecordError() async throws {
        var bytes = try intact()
        let offsets = try recordOffsets(bytes)
        // Record BinXML: fragment header (4), template instance token (1), 9 header bytes, then the
        // inline definition or the value count. Find the count by walking the first record's instance.
        let r = offsets[0] + 24
        #expect(bytes[r] == 0x0F && bytes[r + 4] == 0x0C)
        var p = r + 5 + 9
        let definition = Int(Support.u32(bytes, r + 5 + 5))
        if definition + 4096 == p {
            p += 24 + Int(Support.u32(bytes, p + 20))
        }
        for i in 0..<4 { bytes[p + i] = 0xFF }
        let (lines, summary) = try await Support.dump(try Support.temporaryFile(bytes))
        #expect(lines.count == 7)
        let e = try #require(summary.errors.first { if case .binXML = $0.kind { return true } else { return false } })
        #expect(e.recordID != nil)
        #expect(e.offset == r + 4)
    }

    @Test func deepNestingIsRefused() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        // An inline-looking name "A" at 600; a stream of 1000 nested elements at 1000.
        chunk[606] = 1
        chunk[608] = UInt8(ascii: "A")
        var p = 1000
        for _ in 0..<1000 {
            chunk[p] = 0x01
            chunk[p + 5] = 0x58  // name offset 600 (0x258)
            chunk[p + 6] = 0x02
            chunk[p + 9] = 0x02  // close start element
            p += 10
        }
        let end = p
        var decoder = BinXMLDecoder()
        chunk.withUnsafeBytes { raw in
            decoder.reset(chunk: raw)
            #expect(throws: BinXMLError.self) { try decoder.decodeRecord(start: 1000, end: end) }
            do throws(BinXMLError) {
                _ = try decoder.decodeRecord(start: 1000, end: end)
            } catch {
                #expect(error.message.contains("nested too deeply"))
                #expect(error.chunkOffset == 1000 + 512 * 10 + 9)
            }
        }
    }

    @Test func randomCorruptionNeverCrashes() async throws {
        let intact = try intact()
        var rng = SplitMix64(seed: 0x5EED)
        var totalErrors = 0
        for _ in 0..<300 {
            var bytes = intact
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let at = 4096 + Int(rng.next() % 65536)
                bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            let file = try EVTXFile(path: try Support.temporaryFile(bytes))
            var records = 0
            let summary = EVTXReader.forEachRecord(in: file) { record in
                var out: [UInt8] = []
                record.appendJSON(to: &out)
                record.appendXML(to: &out)
                _ = record.fields
                records += 1
            }
            #expect(records <= 16)
            totalErrors += summary.errors.count
            for e in summary.errors { #expect(e.offset >= 0 && e.offset < bytes.count) }
        }
        #expect(totalErrors > 0)
    }
}

/// A small deterministic random generator for the corruption test.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Records left in a chunk's slack (after the last record its header declares) are carved on request.
@Suite struct EVTXSlackTests {
    @Test func slackRecordsAreRecoveredOnlyWhenAsked() async throws {
        var bytes = try Support.bytes(try Support.fixture("security-pass-the-hash.evtx"))
        let file0 = try EVTXFile(path: try Support.temporaryFile(bytes))
        var offsets: [Int] = []
        var ids: [UInt64] = []
        EVTXReader.forEachRecord(in: file0) {
            offsets.append($0.offset)
            ids.append($0.recordID)
        }
        // The fixture already has slack: 17 older records left after its log was cleared (event 1102).
        var slack: [UInt64] = []
        let s0 = EVTXReader.forEachRecord(in: file0, recoveringSlack: true) {
            if $0.isRecovered { slack.append($0.recordID) }
        }
        #expect(s0.recoveredRecords == 17)
        #expect(slack.allSatisfy { $0 > 60_000 })
        // Declare record 5 the last one: records 6...8 become slack too.
        let chunk = 4096
        withUnsafeBytes(of: ids[4].littleEndian) { for i in 0..<8 { bytes[chunk + 32 + i] = $0[i] } }
        let free = UInt32(offsets[5] - chunk)
        withUnsafeBytes(of: free.littleEndian) { for i in 0..<4 { bytes[chunk + 48 + i] = $0[i] } }
        let file = try EVTXFile(path: try Support.temporaryFile(bytes))
        var plain: [UInt64] = []
        let s1 = EVTXReader.forEachRecord(in: file) { plain.append($0.recordID) }
        #expect(plain == Array(ids.prefix(5)))
        #expect(s1.recoveredRecords == 0)
        var carved: [(UInt64, Bool)] = []
        let s2 = EVTXReader.forEachRecord(in: file, recoveringSlack: true) {
            carved.append(($0.recordID, $0.isRecovered))
        }
        #expect(carved.map(\.0) == ids + slack)
        #expect(
            carved.map(\.1) == [false, false, false, false, false] + Array(repeating: true, count: 3 + slack.count)
        )
        #expect(s2.recoveredRecords == 3 + slack.count)
        var out: [UInt8] = []
        _ = await EVTXReader.render(file, displayName: "x", format: .jsonl, threads: 2, recoveringSlack: true) {
            out.append(contentsOf: $0)
        }
        let lines = out.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.count == 8 + slack.count)
        #expect(lines.filter { $0.contains(#""recovered":true"#) }.count == 3 + slack.count)
    }
}

/// A template whose definition instantiates itself (through a nested BinXML value) is stopped by the
/// nesting limit with a located error, not a stack overflow.
@Suite struct EVTXTemplateLoopTests {
    @Test func selfInstantiatingTemplateIsRefused() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        func put32(_ v: UInt32, _ o: Int) { for i in 0..<4 { chunk[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) } }
        func put16(_ v: UInt16, _ o: Int) { for i in 0..<2 { chunk[o + i] = UInt8((v >> (8 * UInt16(i))) & 0xFF) } }
        // Name "A" at 600.
        put16(1, 606)
        chunk[608] = UInt8(ascii: "A")
        // A nested stream: a template instance of the definition at 1000, with no values.
        let nested: [UInt8] = [0x0C, 0x01, 0, 0, 0, 0, 0xE8, 0x03, 0, 0, 0, 0, 0, 0]
        // The definition at 1000: <A> (nested BinXML value) </A>.
        var data: [UInt8] = [0x0F, 0x01, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x58, 0x02, 0, 0, 0x02, 0x05, 0x21]
        data += [UInt8(nested.count), 0] + nested + [0x04, 0x00]
        put32(UInt32(data.count), 1020)
        for (i, b) in data.enumerated() { chunk[1024 + i] = b }
        // The record at 3000: fragment header and an instance of the same definition.
        let record: [UInt8] = [0x0F, 0x01, 0x01, 0x00] + nested + [0x00]
        for (i, b) in record.enumerated() { chunk[3000 + i] = b }
        var decoder = BinXMLDecoder()
        chunk.withUnsafeBytes { raw in
            decoder.reset(chunk: raw)
            do throws(BinXMLError) {
                _ = try decoder.decodeRecord(start: 3000, end: 3000 + record.count)
                Issue.record("the loop was decoded")
            } catch {
                #expect(error.message.contains("nested too deeply"))
                #expect(error.chunkOffset >= 1024 && error.chunkOffset < 1024 + data.count)
            }
        }
    }
}
