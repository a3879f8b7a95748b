#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// The fields of the 4096-byte EVTX file header.
public struct EVTXFileHeader: Sendable, Equatable {
    /// Number of the oldest chunk.
    public var firstChunkNumber: UInt64
    /// Number of the newest chunk.
    public var lastChunkNumber: UInt64
    /// Identifier the next record will get.
    public var nextRecordID: UInt64
    /// Size of the used header (128).
    public var headerSize: UInt32
    /// Format minor version (1 or 2).
    public var minorVersion: UInt16
    /// Format major version (3).
    public var majorVersion: UInt16
    /// Size of the header block (4096).
    public var headerBlockSize: UInt16
    /// Chunks the header declares (dirty files may hold more).
    public var chunkCount: UInt16
    /// File flags: 0x1 dirty, 0x2 full.
    public var flags: UInt32
    /// CRC32 of the header's first 120 bytes, as stored.
    public var checksum: UInt32

    /// The file was not closed cleanly: the header may be stale, and chunks past `chunkCount` may hold records.
    public var isDirty: Bool { flags & 0x1 != 0 }
    /// The log reached its maximum size.
    public var isFull: Bool { flags & 0x2 != 0 }
}

/// An EVTX file opened for reading, chunk by chunk.
///
/// The file is never loaded whole: each chunk (64 KiB) is read with `pread` into a buffer the caller owns,
/// so memory stays flat whatever the file's size, and several threads can read different chunks at once.
public final class EVTXFile: @unchecked Sendable {
    // Sendable: the descriptor is only used with pread, which is thread-safe; every other field is immutable.

    /// Bytes before the first chunk.
    public static let fileHeaderSize = 4096
    /// Bytes per chunk.
    public static let chunkSize = 65536

    /// The path as given.
    public let path: String
    /// The file's size in bytes.
    public let size: Int
    /// The header, when the file is at least 4096 bytes long (read even when its magic or checksum is bad).
    public let header: EVTXFileHeader?
    /// Problems found in the file header (bad magic, checksum); chunks are read anyway.
    public let headerErrors: [EVTXError]
    /// Chunk slots in the file, counting a final partial chunk; the header's own count is not trusted
    /// (dirty files hold chunks past it).
    public let chunkCount: Int

    /// The open descriptor, or -1 while ``closeUntilNeeded()`` has closed it.
    let descriptor: Mutex<Int32>

    /// Opens `path` and reads its header.
    ///
    /// - Throws: ``EVTXError`` with kind `.io` when the file cannot be opened.
    public convenience init(path: String) throws(EVTXError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EVTXError(.io(String(cString: strerror(errno))), offset: 0) }
        try self.init(descriptor: fd, path: path)
    }

    /// Reads the header of the file open as `fd` (opened read-only from `path`), which the new value owns:
    /// it closes it, also when this throws. A caller that opened the file to look at its first bytes
    /// hands its descriptor over instead of opening the file again.
    ///
    /// - Throws: ``EVTXError`` with kind `.io` when the file's size cannot be read.
    public init(descriptor fd: Int32, path: String) throws(EVTXError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw EVTXError(.io(message), offset: 0)
        }
        self.descriptor = Mutex(fd)
        self.path = path
        self.size = Int(st.st_size)
        var errors: [EVTXError] = []
        if size < EVTXFile.fileHeaderSize {
            errors.append(EVTXError(.fileTooSmall, offset: 0))
            header = nil
            chunkCount = 0
        } else {
            var block = [UInt8](repeating: 0, count: 128)
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 128, 0) }
            if n == 128 {
                let h = block.withUnsafeBytes { b -> EVTXFileHeader in
                    EVTXFileHeader(
                        firstChunkNumber: b.u64(8),
                        lastChunkNumber: b.u64(16),
                        nextRecordID: b.u64(24),
                        headerSize: b.u32(32),
                        minorVersion: b.u16(36),
                        majorVersion: b.u16(38),
                        headerBlockSize: b.u16(40),
                        chunkCount: b.u16(42),
                        flags: b.u32(120),
                        checksum: b.u32(124)
                    )
                }
                if !block.starts(with: Array("ElfFile\0".utf8)) {
                    errors.append(EVTXError(.badFileMagic, offset: 0))
                } else {
                    let computed = block.withUnsafeBytes {
                        CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<120]))
                    }
                    if computed != h.checksum {
                        errors.append(
                            EVTXError(.fileHeaderChecksum(stored: h.checksum, computed: computed), offset: 124)
                        )
                    }
                }
                header = h
            } else {
                header = nil
                errors.append(EVTXError(.io("short read of the file header"), offset: 0))
            }
            chunkCount = (size - EVTXFile.fileHeaderSize + EVTXFile.chunkSize - 1) / EVTXFile.chunkSize
        }
        headerErrors = errors
    }

    deinit {
        descriptor.withLock { fd in if fd >= 0 { close(fd) } }
    }

    /// Closes the file descriptor until the next read reopens it, so that a caller holding thousands of
    /// files (a hunt over a folder lists them all first) keeps only those being read open. Call it only
    /// while no read of this file is in progress.
    public func closeUntilNeeded() {
        descriptor.withLock { fd in
            if fd >= 0 {
                close(fd)
                fd = -1
            }
        }
    }

    /// The open descriptor, reopening the file if ``closeUntilNeeded()`` closed it (-1 if that fails).
    func openDescriptor() -> Int32 {
        descriptor.withLock { fd in
            if fd < 0 { fd = open(path, O_RDONLY) }
            return fd
        }
    }

    /// The file offset of chunk `index`.
    public static func offset(ofChunk index: Int) -> Int { fileHeaderSize + index * chunkSize }

    /// Reads chunk `index` into `buffer` (at least 65536 bytes); returns the number of bytes read.
    func readChunk(_ index: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        readChunk(index, bytes: 0..<EVTXFile.chunkSize, into: buffer)
    }

    /// Reads bytes `range` of chunk `index` to the same place in `buffer`; returns where the data read ends.
    func readChunk(_ index: Int, bytes range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let offset = EVTXFile.offset(ofChunk: index)
        let fd = openDescriptor()
        var at = range.lowerBound
        while fd >= 0 && at < range.upperBound {
            let n = pread(fd, buffer.baseAddress! + at, range.upperBound - at, off_t(offset + at))
            if n <= 0 { break }
            at += n
        }
        return at
    }
}
