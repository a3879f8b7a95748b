/// An open-addressing hash table from (path, value bytes) to indicator ordinals, with the key bytes
/// kept in one arena: no allocation per key, one cache line per probe in the common case.
///
/// A key held by several indicators occupies several slots; a lookup walks the probe sequence to the
/// first empty slot and reports every slot whose key matches.
struct ExactTable: Sendable {
    struct Slot: Sendable {
        var hash: UInt64
        var offset: UInt32
        var length: UInt32
        var path: UInt32
        /// The indicator, or -1 for an empty slot.
        var ordinal: Int32
    }

    private(set) var slots: [Slot] = Array(
        repeating: Slot(hash: 0, offset: 0, length: 0, path: 0, ordinal: -1), count: 1024)
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

    /// Stores `ordinal` under (path, key); `verified` entries are candidates that need the full matcher.
    mutating func insert(path: UInt32, key: UnsafeRawBufferPointer, ordinal: Int32, verified: Bool = false) {
        if (count + 1) * 2 > slots.count { grow() }
        let h = ExactTable.hash(path, key, seed: seed)
        let offset = UInt32(arena.count)
        arena.append(contentsOf: key)
        place(
            Slot(
                hash: h, offset: offset, length: UInt32(key.count), path: path | (verified ? 0x8000_0000 : 0),
                ordinal: ordinal))
        count += 1
    }

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: slot.hash) & mask
        while slots[i].ordinal >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, offset: 0, length: 0, path: 0, ordinal: -1), count: old.count * 2)
        for s in old where s.ordinal >= 0 { place(s) }
    }

    /// Calls `body` with every ordinal stored under (path, key), and whether it was stored `verified`.
    @inline(__always)
    func forEach(path: UInt32, key: UnsafeRawBufferPointer, _ body: (Int32, Bool) -> Void) {
        let h = ExactTable.hash(path, key, seed: seed)
        slots.withUnsafeBufferPointer { s in
            arena.withUnsafeBytes { a in
                let mask = s.count - 1
                var i = Int(truncatingIfNeeded: h) & mask
                while s[i].ordinal >= 0 {
                    let slot = s[i]
                    if slot.hash == h, slot.path & 0x7FFF_FFFF == path, Int(slot.length) == key.count,
                        key.count == 0 || memcmp(a.baseAddress! + Int(slot.offset), key.baseAddress!, key.count) == 0
                    {
                        body(slot.ordinal, slot.path & 0x8000_0000 != 0)
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// Bytes held: slots and arena.
    var bytes: Int { slots.count * MemoryLayout<Slot>.stride + arena.count }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
