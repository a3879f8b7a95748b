import Testing

@testable import EVTX

/// The folded (PCLMULQDQ) CRC-32 agrees with a plain bitwise CRC-32 at every length around its block sizes.
@Suite struct CRC32Tests {
    /// CRC-32 (IEEE 802.3), one bit at a time.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    @Test func foldedChecksumMatchesTheBitwiseOne() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let data: [UInt8] = (0..<5000).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let lengths = Array(0...200) + [255, 256, 257, 511, 512, 1000, 4095, 4096, 4097, 5000]
        for n in lengths {
            let slice = Array(data[0..<n])
            let got = slice.withUnsafeBytes { CRC32.checksum($0) }
            #expect(got == CRC32Tests.reference(slice), "length \(n)")
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }
}
