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
}

/// CRC32 (IEEE 802.3, the one EVTX uses) through zlib's optimized implementation.
enum CRC32 {
    static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return UInt32(truncatingIfNeeded: crc32(0, base.assumingMemoryBound(to: Bytef.self), uInt(buffer.count)))
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
