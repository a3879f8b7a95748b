import CEVTXSupport
import CZlib

/// Little-endian reads from a raw buffer; callers check bounds first.
extension UnsafeRawBufferPointer {
    @inline(__always) func u8(_ o: Int) -> UInt8 { self[o] }
    @inline(__always) func u16(_ o: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) func u32(_ o: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inline(__always) func u64(_ o: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }

    /// Whether every byte is zero, 64 bytes at a time (a preallocated log is mostly zeroed chunks, and a
    /// byte-by-byte check of each cost as much as decoding its records).
    func isAllZero() -> Bool {
        guard let base = baseAddress else { return true }
        return sightline_all_zero(base.assumingMemoryBound(to: UInt8.self), count) != 0
    }
}

/// CRC32 (IEEE 802.3, the one EVTX uses) through zlib's optimized implementation.
enum CRC32 {
    static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        if buffer.count >= 64 {
            // Fold the whole 16-byte blocks with carry-less multiplication (where the CPU has it), then
            // finish with zlib: the folded block and the tail have the prefix's remainder, and zlib's
            // running value 0xFFFFFFFF means "raw register 0" (see CEVTXSupport.h).
            var folded: (UInt64, UInt64) = (0, 0)
            let used = withUnsafeMutableBytes(of: &folded) {
                sightline_crc32_fold(bytes, buffer.count, 0xFFFF_FFFF, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            if used > 0 {
                var c = withUnsafeBytes(of: &folded) {
                    crc32(0xFFFF_FFFF, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), 16)
                }
                c = crc32(c, bytes + used, uInt(buffer.count - used))
                return UInt32(truncatingIfNeeded: c)
            }
        }
        return UInt32(truncatingIfNeeded: crc32(0, bytes, uInt(buffer.count)))
    }

    static func checksum(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> UInt32 {
        var c = crc32(0, nil, 0)
        if let base = a.baseAddress, a.count > 0 {
            c = crc32(c, base.assumingMemoryBound(to: Bytef.self), uInt(a.count))
        }
        if let base = b.baseAddress, b.count > 0 {
            c = crc32(c, base.assumingMemoryBound(to: Bytef.self), uInt(b.count))
        }
        return UInt32(truncatingIfNeeded: c)
    }
}
