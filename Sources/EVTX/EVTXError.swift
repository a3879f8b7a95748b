/// A located problem found while reading an EVTX file.
///
/// Every error carries the absolute byte offset in the file where the damaged structure starts,
/// and the record identifier when one is known. Readers skip the damaged chunk or record, count the
/// error, and go on.
public struct EVTXError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable, Hashable {
        /// The file could not be opened or read.
        case io(String)
        /// The file is shorter than the 4096-byte file header.
        case fileTooSmall
        /// The file header does not start with `ElfFile\0`; chunks are still scanned.
        case badFileMagic
        /// The file header's CRC32 does not match its first 120 bytes.
        case fileHeaderChecksum(stored: UInt32, computed: UInt32)
        /// A chunk does not start with `ElfChnk\0` (and is not all zeros); the chunk is skipped.
        case badChunkMagic
        /// A chunk the file header counts as in use is all zeros (wiped); its records are lost.
        case zeroedChunk
        /// The chunk header's CRC32 (bytes 0..<120 and 128..<512) does not match; records are still read.
        case chunkHeaderChecksum(stored: UInt32, computed: UInt32)
        /// The CRC32 of the chunk's record area does not match; records are still read one by one.
        case chunkDataChecksum(stored: UInt32, computed: UInt32)
        /// The file ends inside this chunk; the records that fit are read.
        case truncatedChunk(available: Int)
        /// A record does not start with `**\0\0`; the reader resynchronizes on the next record.
        case badRecordMagic
        /// A record declares a size smaller than its header or larger than what is left of the chunk.
        case badRecordSize(UInt32)
        /// The record's BinXML could not be decoded; the record is skipped.
        case binXML(String)
    }

    /// What went wrong.
    public var kind: Kind
    /// Absolute byte offset in the file.
    public var offset: Int
    /// The record identifier, when the damaged structure is a record whose header was readable.
    public var recordID: UInt64?

    /// Makes an error of `kind` at file offset `offset`, for record `recordID` when known.
    public init(_ kind: Kind, offset: Int, recordID: UInt64? = nil) {
        self.kind = kind
        self.offset = offset
        self.recordID = recordID
    }

    /// True for problems that lose no data by themselves (checksums, magic of the file header).
    public var isWarning: Bool {
        switch kind {
        case .fileHeaderChecksum, .chunkHeaderChecksum, .chunkDataChecksum, .badFileMagic: return true
        default: return false
        }
    }

    /// True when this error means a whole chunk was lost or damaged.
    public var isChunkLevel: Bool {
        switch kind {
        case .badChunkMagic, .zeroedChunk, .chunkHeaderChecksum, .chunkDataChecksum, .truncatedChunk: return true
        default: return false
        }
    }

    /// The error with its location, e.g. `record 12 at byte 5120: record BinXML: …`.
    public var description: String {
        let what: String
        switch kind {
        case .io(let m): what = "cannot read file: \(m)"
        case .fileTooSmall: what = "file smaller than the 4096-byte EVTX header"
        case .badFileMagic: what = "file header magic is not ElfFile"
        case .fileHeaderChecksum(let s, let c):
            what = "file header checksum mismatch (stored \(hex(s)), computed \(hex(c)))"
        case .badChunkMagic: what = "chunk magic is not ElfChnk; chunk skipped"
        case .zeroedChunk: what = "chunk declared in use by the file header is all zeros"
        case .chunkHeaderChecksum(let s, let c):
            what = "chunk header checksum mismatch (stored \(hex(s)), computed \(hex(c)))"
        case .chunkDataChecksum(let s, let c):
            what = "chunk records checksum mismatch (stored \(hex(s)), computed \(hex(c)))"
        case .truncatedChunk(let n): what = "file ends inside the chunk (\(n) of 65536 bytes)"
        case .badRecordMagic: what = "record magic is not 2a2a0000; resynchronizing"
        case .badRecordSize(let n): what = "record size \(n) is out of bounds; resynchronizing"
        case .binXML(let m): what = "record BinXML: \(m); record skipped"
        }
        if let recordID { return "record \(recordID) at byte \(offset): \(what)" }
        return "byte \(offset): \(what)"
    }
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

/// A BinXML decoding failure, located by its offset inside the chunk.
struct BinXMLError: Error {
    var message: String
    var chunkOffset: Int

    init(_ message: String, at chunkOffset: Int) {
        self.message = message
        self.chunkOffset = chunkOffset
    }
}
