#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the prefilter found in recent values of one field: the literals of the field's scanner that each
/// value holds, keyed by the value's raw UTF-16 bytes as the record stores them.
///
/// Logs repeat their values: the same image path, parent, user or directory recurs from event to event
/// (in the corpus, 84% of the data values of an event were among the last 256 values of their field, with
/// no file read twice). A value found here is neither decoded, nor case-folded, nor scanned: its literals
/// are replayed. The cache is small and direct-mapped (``capacity`` entries per field and worker), so it
/// holds recent values only: its memory is bounded whatever the input, and a hit rate comes from the
/// log's own repetition, not from having seen the whole input.
///
/// Plain memory owned by the cache: each entry is one allocation holding the value's bytes, then its
/// literal ids.
final class ScanCache {
    /// Entries per field (direct-mapped on the hash's top ``indexBits`` bits).
    static let indexBits = 8
    static let capacity = 1 << indexBits
    /// Values longer than this are scanned every time (a long value rarely repeats, and copying it would
    /// cost more than it saves).
    static let longestValue = 2048

    struct Entry {
        var hash: UInt64
        /// The value's bytes, then `idCount` literal ids (Int32), in one allocation; nil when empty.
        var storage: UnsafeMutableRawPointer?
        var length: Int32
        var idCount: Int32
    }

    private let entries: UnsafeMutablePointer<Entry>
    /// Look-ups answered from the cache, and all look-ups (for measurements).
    private(set) var hits = 0
    private(set) var lookups = 0

    init() {
        entries = .allocate(capacity: ScanCache.capacity)
        entries.initialize(repeating: Entry(hash: 0, storage: nil, length: 0, idCount: 0), count: ScanCache.capacity)
    }

    deinit {
        for i in 0..<ScanCache.capacity { entries[i].storage?.deallocate() }
        entries.deallocate()
    }

    /// A 64-bit hash of `bytes` (eight bytes at a time, then the tail).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return (h ^ h >> 29) | 1 }
        let n = bytes.count
        var i = 0
        while i &+ 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i &+= 8
        }
        if i < n {
            var tail: UInt64 = 0
            var k: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << k
                k &+= 8
                i &+= 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 29
        return h | 1  // never 0: 0 marks an empty entry
    }

    /// The literal ids recorded for `bytes` (whose hash is `hash`), or nil when it is not cached.
    @inline(__always)
    func lookup(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> UnsafeBufferPointer<Int32>? {
        lookups &+= 1
        let e = entries[Int(truncatingIfNeeded: hash >> UInt64(64 - ScanCache.indexBits))]
        guard e.hash == hash, Int(e.length) == bytes.count, let storage = e.storage else { return nil }
        if bytes.count > 0 && memcmp(storage, bytes.baseAddress!, bytes.count) != 0 { return nil }
        hits &+= 1
        let ids = (storage + ScanCache.idsOffset(bytes.count)).assumingMemoryBound(to: Int32.self)
        return UnsafeBufferPointer(start: ids, count: Int(e.idCount))
    }

    /// Records that `bytes` (hash `hash`) holds the literals `ids`, replacing what its entry held.
    func store(_ bytes: UnsafeRawBufferPointer, hash: UInt64, ids: UnsafeBufferPointer<Int32>) {
        let i = Int(truncatingIfNeeded: hash >> UInt64(64 - ScanCache.indexBits))
        entries[i].storage?.deallocate()
        let at = ScanCache.idsOffset(bytes.count)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, at + 4 * ids.count), alignment: 8)
        if let base = bytes.baseAddress, bytes.count > 0 { storage.copyMemory(from: base, byteCount: bytes.count) }
        if let base = ids.baseAddress, ids.count > 0 { (storage + at).copyMemory(from: base, byteCount: 4 * ids.count) }
        entries[i] = Entry(hash: hash, storage: storage, length: Int32(bytes.count), idCount: Int32(ids.count))
    }

    @inline(__always)
    static func idsOffset(_ length: Int) -> Int { (length + 3) & ~3 }
}
