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
/// literal ids. The caches of one worker share a ``Budget`` of bytes (16 MB by default): once it is
/// spent, a new value replaces an entry only if it is no larger, so input built of long unique values in
/// many fields cannot make the caches grow past it.
final class ScanCache {
    /// Bytes the caches of one worker may hold, and hold.
    final class Budget {
        let limit: Int
        var used = 0
        init(limit: Int = 16 << 20) { self.limit = limit }
    }

    /// Held strongly: a cache may outlive the view that made it.
    let budget: Budget

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

    init(budget: Budget) {
        self.budget = budget
        entries = .allocate(capacity: ScanCache.capacity)
        entries.initialize(repeating: Entry(hash: 0, storage: nil, length: 0, idCount: 0), count: ScanCache.capacity)
    }

    deinit {
        for i in 0..<ScanCache.capacity where entries[i].storage != nil {
            entries[i].storage?.deallocate()
            budget.used -= ScanCache.size(Int(entries[i].length), Int(entries[i].idCount))
        }
        entries.deallocate()
    }

    /// Bytes an entry of a `length`-byte value with `ids` literal ids holds.
    @inline(__always)
    static func size(_ length: Int, _ ids: Int) -> Int { max(1, idsOffset(length) + 4 * ids) }

    /// A 64-bit hash of every byte of `bytes`: four independent lanes of eight bytes (so the multiplies
    /// overlap instead of waiting on each other), then the last words and bytes, mixed.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        let seed: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        guard let base = bytes.baseAddress, n > 0 else { return finish(seed) }
        @inline(__always) func word(_ at: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64, _ k: UInt64) -> UInt64 {
            let m = (h ^ w) &* k
            return m ^ (m &>> 32)
        }
        var a = seed
        var b: UInt64 = 0x2545_F491_4F6C_DD1D
        var c: UInt64 = 0x6A09_E667_F3BC_C909
        var d: UInt64 = 0xBB67_AE85_84CA_A73B
        var i = 0
        while i &+ 32 <= n {
            a = mix(a, word(i), 0xFF51_AFD7_ED55_8CCD)
            b = mix(b, word(i &+ 8), 0xC4CE_B9FE_1A85_EC53)
            c = mix(c, word(i &+ 16), 0x9FB2_1C65_1E98_DF25)
            d = mix(d, word(i &+ 24), 0xD6E8_FEB8_6659_FD93)
            i &+= 32
        }
        while i &+ 8 <= n {
            a = mix(a, word(i), 0xFF51_AFD7_ED55_8CCD)
            i &+= 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &<< shift
                shift &+= 8
                i &+= 1
            }
            b = mix(b, tail, 0xC4CE_B9FE_1A85_EC53)
        }
        return finish(a ^ (b &>> 17 | b &<< 47) ^ (c &>> 31 | c &<< 33) ^ (d &>> 45 | d &<< 19))
    }

    @inline(__always)
    static func finish(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h &>> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h &>> 29
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
        let size = ScanCache.size(bytes.count, ids.count)
        let old = entries[i].storage == nil ? 0 : ScanCache.size(Int(entries[i].length), Int(entries[i].idCount))
        if budget.used - old + size > budget.limit { return }
        entries[i].storage?.deallocate()
        budget.used += size - old
        let at = ScanCache.idsOffset(bytes.count)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        if let base = bytes.baseAddress, bytes.count > 0 { storage.copyMemory(from: base, byteCount: bytes.count) }
        if let base = ids.baseAddress, ids.count > 0 { (storage + at).copyMemory(from: base, byteCount: 4 * ids.count) }
        entries[i] = Entry(hash: hash, storage: storage, length: Int32(bytes.count), idCount: Int32(ids.count))
    }

    @inline(__always)
    static func idsOffset(_ length: Int) -> Int { (length + 3) & ~3 }
}
