/// An open-addressing hash table from (path, value bytes) to indicator ordinals, with the key bytes
/// kept in one arena: no allocation per key, one cache line per probe in the common case.
///
/// A key held by several indicators occupies several slots; a lookup (``probe(path:key:)``, then
/// ``next(_:_:)``) walks the probe sequence to the first empty slot and yields every slot whose key matches.
///
/// Beside the slots, one control byte per slot holds 7 bits of the key's hash (0 for an empty slot). A
/// look-up walks the control bytes, which are small enough to stay in the CPU caches, and reads a slot
/// only when its byte matches: most observations match nothing, and their look-ups never touch the
/// slots, whose size puts them in main memory. Slots hold no hash (16 bytes, four to a cache line): the
/// control byte rejects all but 1 in 128 other keys, and growing recomputes hashes from the keys.
struct ExactTable: Sendable {
    struct Slot: Sendable {
        /// Where the key's bytes start in the arena; a key of at most 4 bytes is kept here instead.
        var offset: UInt32
        var length: UInt32
        var path: UInt32
        /// The indicator, or -1 for an empty slot.
        var ordinal: Int32
    }

    private(set) var slots: [Slot] = Array(repeating: Slot(offset: 0, length: 0, path: 0, ordinal: -1), count: 1024)
    private(set) var control = [UInt8](repeating: 0, count: 1024)
    private(set) var arena: [UInt8] = []
    private(set) var count = 0
    let seed: UInt64

    init(seed: UInt64) { self.seed = seed }

    /// A fast keyed hash of the path and bytes (64-bit multiply–xorshift over 8-byte words).
    @inline(__always)
    static func hash(_ path: UInt32, _ b: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(path) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(b.count)
        var i = 0
        while i + 8 <= b.count {
            let w = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        if i < b.count {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < b.count {
                w |= UInt64(b[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }

    /// A key of at most 4 bytes as one word (little-endian, zero-padded), kept in the slot itself.
    @inline(__always)
    static func inlineKey(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var w: UInt32 = 0
        for i in 0..<b.count { w |= UInt32(b[i]) << UInt32(8 * i) }
        return w
    }

    /// The control byte of a hash: its top 7 bits, with the high bit set so that it is never 0 (empty).
    @inline(__always)
    static func tag(_ h: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: h >> 57) | 0x80 }

    /// Stores `ordinal` under (path, key); `verified` entries are candidates that need the full matcher.
    mutating func insert(path: UInt32, key: UnsafeRawBufferPointer, ordinal: Int32, verified: Bool = false) {
        if (count + 1) * 2 > slots.count { grow() }
        let h = ExactTable.hash(path, key, seed: seed)
        let offset: UInt32
        if key.count <= 4 {
            offset = ExactTable.inlineKey(key)
        } else {
            offset = UInt32(arena.count)
            arena.append(contentsOf: key)
        }
        place(
            Slot(offset: offset, length: UInt32(key.count), path: path | (verified ? 0x8000_0000 : 0), ordinal: ordinal),
            hash: h)
        count += 1
    }

    private mutating func place(_ slot: Slot, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while control[i] != 0 { i = (i + 1) & mask }
        slots[i] = slot
        control[i] = ExactTable.tag(hash)
    }

    /// The hash of a stored slot's key, recomputed from its bytes.
    private func hash(of s: Slot) -> UInt64 {
        let path = s.path & 0x7FFF_FFFF
        if s.length <= 4 {
            return withUnsafeBytes(of: s.offset.littleEndian) {
                ExactTable.hash(path, UnsafeRawBufferPointer(rebasing: $0[0..<Int(s.length)]), seed: seed)
            }
        }
        return arena.withUnsafeBytes {
            ExactTable.hash(
                path, UnsafeRawBufferPointer(rebasing: $0[Int(s.offset)..<Int(s.offset) + Int(s.length)]), seed: seed)
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(offset: 0, length: 0, path: 0, ordinal: -1), count: old.count * 2)
        control = Array(repeating: 0, count: old.count * 2)
        for s in old where s.ordinal >= 0 { place(s, hash: hash(of: s)) }
    }

    /// A look-up in progress: where the probe sequence is, and what it is looking for.
    struct Probe {
        var index: Int
        let tag: UInt8
        let path: UInt32
        /// The key itself when it has at most 4 bytes.
        let word: UInt32
    }

    /// Starts a look-up of (path, key); ``next(_:_:)`` then yields its entries. (A loop over `next` needs
    /// no closure: a closure passed to a call carries a copy of what it captures.)
    @inline(__always)
    func probe(path: UInt32, key: UnsafeRawBufferPointer) -> Probe {
        let h = ExactTable.hash(path, key, seed: seed)
        return Probe(
            index: Int(truncatingIfNeeded: h) & (control.count - 1), tag: ExactTable.tag(h), path: path,
            word: key.count <= 4 ? ExactTable.inlineKey(key) : 0)
    }

    /// The next entry stored under the probe's (path, `key`): the ordinal and whether it was stored
    /// `verified`; `nil` when there are no more.
    @inline(__always)
    func next(_ p: inout Probe, _ key: UnsafeRawBufferPointer) -> (ordinal: Int32, verified: Bool)? {
        let mask = control.count - 1
        while true {
            let b = control[p.index]
            if b == 0 { return nil }
            let i = p.index
            p.index = (i + 1) & mask
            guard b == p.tag else { continue }
            let slot = slots[i]
            guard slot.path & 0x7FFF_FFFF == p.path, Int(slot.length) == key.count else { continue }
            if key.count <= 4 {
                guard slot.offset == p.word else { continue }
            } else {
                let same = arena.withUnsafeBytes {
                    memcmp($0.baseAddress! + Int(slot.offset), key.baseAddress!, key.count) == 0
                }
                guard same else { continue }
            }
            return (slot.ordinal, slot.path & 0x8000_0000 != 0)
        }
    }

    /// Bytes held: slots and arena.
    var bytes: Int { slots.count * (MemoryLayout<Slot>.stride + 1) + arena.count }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
