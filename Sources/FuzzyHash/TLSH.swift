/// A TLSH digest (the default build: 128 buckets, 1-byte checksum, `T1` version prefix, 72 hex digits)
/// and the TLSH distance between two digests.
///
/// Sightline compares digests it is given (evidence, knowledge-base indicators); it does not compute
/// them from file contents. Distance 0 means identical digests; below about 50 the files are very likely
/// related, and 100 or more says little.
public struct TLSHDigest: Sendable, Hashable {
    public let checksum: UInt8
    /// The length value (a logarithmic bucket of the input length).
    public let lvalue: UInt8
    public let q1ratio: UInt8
    public let q2ratio: UInt8
    /// The 32 body bytes: 128 two-bit bucket codes.
    public let body: [UInt8]

    /// Parses `T1` + 70 hex digits (or the older 70-digit form without the prefix), any case; `nil` for
    /// anything else, including `TNULL`.
    public init?(_ text: String) {
        var hex = Array(text.utf8)
        if hex.count == 72, hex[0] == UInt8(ascii: "T") || hex[0] == UInt8(ascii: "t"), hex[1] == UInt8(ascii: "1") {
            hex.removeFirst(2)
        }
        guard hex.count == 70 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(35)
        var i = 0
        while i < 70 {
            guard let hi = Self.nibble(hex[i]), let lo = Self.nibble(hex[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        // The header bytes are written with their nibbles swapped.
        checksum = bytes[0] << 4 | bytes[0] >> 4
        lvalue = bytes[1] << 4 | bytes[1] >> 4
        q1ratio = bytes[2] >> 4
        q2ratio = bytes[2] & 0x0F
        body = Array(bytes[3...])
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Circular distance between `a` and `b` on a ring of `size`.
    static func ringDistance(_ a: Int, _ b: Int, _ size: Int) -> Int {
        let d = abs(a - b)
        return min(d, size - d)
    }

    /// The TLSH distance; `includingLength: false` ignores the length value (TLSH's "diffxlen").
    public func distance(to other: TLSHDigest, includingLength: Bool = true) -> Int {
        var total = 0
        if includingLength {
            let d = Self.ringDistance(Int(lvalue), Int(other.lvalue), 256)
            total += d <= 1 ? d : d * 12
        }
        for (a, b) in [(q1ratio, other.q1ratio), (q2ratio, other.q2ratio)] {
            let d = Self.ringDistance(Int(a), Int(b), 16)
            total += d <= 1 ? d : (d - 1) * 12
        }
        if checksum != other.checksum { total += 1 }
        for (x, y) in zip(body, other.body) {
            var shift = 0
            while shift < 8 {
                let d = abs(Int((x >> shift) & 3) - Int((y >> shift) & 3))
                total += d == 3 ? 6 : d
                shift += 2
            }
        }
        return total
    }
}
