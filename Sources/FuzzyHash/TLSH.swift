/// A TLSH digest (the default build: 128 buckets, 1-byte checksum, `T1` version prefix, 72 hex digits)
/// and the TLSH distance between two digests.
///
/// Sightline compares digests it is given (evidence, knowledge-base indicators) and computes them for
/// the suspicious files `investigate` is handed (``init(of:)``). Distance 0 means identical digests; below about 50 the files are very likely
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

    // MARK: Computing a digest

    /// The digest of `bytes` as the reference implementation's default build computes it; `nil` (TLSH's
    /// `TNULL`) for fewer than 50 bytes, or when half or more of the 128 buckets are empty (too little
    /// variety to describe).
    ///
    /// Every window of 5 bytes adds one to six of 256 buckets, chosen by Pearson hashes of byte triplets
    /// (the window's last byte with two others, salted 2, 3, 5, 7, 11, 13), and updates a Pearson checksum.
    /// The first 128 buckets become 2-bit codes by their quartiles; the header holds the checksum, the
    /// length's logarithmic bucket and the quartile ratios q1/q3 and q2/q3 (percent, modulo 16).
    public init?(of bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 50 else { return nil }
        var buckets = [UInt32](repeating: 0, count: 256)
        var checksum: UInt8 = 0
        let p = bytes.bindMemory(to: UInt8.self)
        Self.pearson.withUnsafeBufferPointer { t in
            Self.firstRounds.withUnsafeBufferPointer { first in
                buckets.withUnsafeMutableBufferPointer { b in
                    // Pearson's hash of (salt, x, y, z) is t[t[t[t[salt] ^ x] ^ y] ^ z]; its first two rounds
                    // depend on the salt and the window's last byte only, and come from a table.
                    @inline(__always) func mix(_ salt: Int, _ x: UInt8, _ y: UInt8, _ z: UInt8) -> Int {
                        Int(t[Int(t[Int(first[salt &* 256 &+ Int(x)] ^ y)] ^ z)])
                    }
                    for i in 4..<p.count {
                        let (c0, c1, c2, c3, c4) = (p[i], p[i &- 1], p[i &- 2], p[i &- 3], p[i &- 4])
                        checksum = UInt8(mix(0, c0, c1, checksum))
                        b[mix(1, c0, c1, c2)] &+= 1
                        b[mix(2, c0, c1, c3)] &+= 1
                        b[mix(3, c0, c2, c3)] &+= 1
                        b[mix(4, c0, c2, c4)] &+= 1
                        b[mix(5, c0, c1, c4)] &+= 1
                        b[mix(6, c0, c3, c4)] &+= 1
                    }
                }
            }
        }
        let used = Array(buckets[0..<128])
        guard used.filter({ $0 > 0 }).count > 64 else { return nil }
        let sorted = used.sorted()
        let (q1, q2, q3) = (sorted[31], sorted[63], sorted[95])
        guard q3 > 0 else { return nil }
        var body = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            var h: UInt8 = 0
            for j in 0..<4 {
                let k = used[4 * i + j]
                let code: UInt8 = k > q3 ? 3 : k > q2 ? 2 : k > q1 ? 1 : 0
                h |= code << (2 * j)
            }
            body[31 - i] = h  // written last bucket group first
        }
        let length = UInt64(bytes.count)
        guard let l = Self.lengthBuckets.firstIndex(where: { length <= $0 }) else { return nil }
        self.checksum = checksum
        self.lvalue = UInt8(l)
        // The reference multiplies in 32-bit unsigned arithmetic (which wraps) and divides in single precision.
        self.q1ratio = UInt8(UInt64(Float(q1 &* 100) / Float(q3)) % 16)
        self.q2ratio = UInt8(UInt64(Float(q2 &* 100) / Float(q3)) % 16)
        self.body = body
    }

    /// The digest as text: `T1`, then the header bytes with their nibbles swapped, then the body.
    public var text: String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = Array("T1".utf8)
        for b in [checksum << 4 | checksum >> 4, lvalue << 4 | lvalue >> 4, q1ratio << 4 | q2ratio] + body {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first two rounds of the Pearson hash, t[t[salt] ^ x], for the salts TLSH uses (0 for the
    /// checksum; 2, 3, 5, 7, 11 and 13 for the six triplets) in that order, 256 entries each.
    static let firstRounds: [UInt8] = [0, 2, 3, 5, 7, 11, 13].flatMap { salt in
        (0..<256).map { x in pearson[Int(pearson[salt] ^ UInt8(x))] }
    }

    /// Pearson's 1990 permutation of 0–255, the one TLSH hashes its byte triplets with.
    static let pearson: [UInt8] = [
        1, 87, 49, 12, 176, 178, 102, 166, 121, 193, 6, 84, 249, 230, 44, 163,
        14, 197, 213, 181, 161, 85, 218, 80, 64, 239, 24, 226, 236, 142, 38, 200,
        110, 177, 104, 103, 141, 253, 255, 50, 77, 101, 81, 18, 45, 96, 31, 222,
        25, 107, 190, 70, 86, 237, 240, 34, 72, 242, 20, 214, 244, 227, 149, 235,
        97, 234, 57, 22, 60, 250, 82, 175, 208, 5, 127, 199, 111, 62, 135, 248,
        174, 169, 211, 58, 66, 154, 106, 195, 245, 171, 17, 187, 182, 179, 0, 243,
        132, 56, 148, 75, 128, 133, 158, 100, 130, 126, 91, 13, 153, 246, 216, 219,
        119, 68, 223, 78, 83, 88, 201, 99, 122, 11, 92, 32, 136, 114, 52, 10,
        138, 30, 48, 183, 156, 35, 61, 26, 143, 74, 251, 94, 129, 162, 63, 152,
        170, 7, 115, 167, 241, 206, 3, 150, 55, 59, 151, 220, 90, 53, 23, 131,
        125, 173, 15, 238, 79, 95, 89, 16, 105, 137, 225, 224, 217, 160, 37, 123,
        118, 73, 2, 157, 46, 116, 9, 145, 134, 228, 207, 212, 202, 215, 69, 229,
        27, 188, 67, 124, 168, 252, 42, 4, 29, 108, 21, 247, 19, 205, 39, 203,
        233, 40, 186, 147, 198, 192, 155, 33, 164, 191, 98, 204, 165, 180, 117, 76,
        140, 36, 210, 172, 41, 54, 159, 8, 185, 232, 113, 196, 231, 47, 146, 120,
        51, 65, 28, 144, 254, 221, 93, 189, 194, 139, 112, 43, 71, 109, 184, 209,
    ]

    /// The upper bounds of the length buckets (the length value is the first bucket that holds the length),
    /// as the reference implementation tabulates them: a logarithm in double precision is off by one for
    /// about half the lengths above 190,000 bytes.
    static let lengthBuckets: [UInt64] = [
        1, 2, 3, 5, 7, 11, 17, 25,
        38, 57, 86, 129, 194, 291, 437, 656,
        854, 1110, 1443, 1876, 2439, 3171, 3475, 3823,
        4205, 4626, 5088, 5597, 6157, 6772, 7450, 8195,
        9014, 9916, 10907, 11998, 13198, 14518, 15970, 17567,
        19323, 21256, 23382, 25720, 28292, 31121, 34233, 37656,
        41422, 45564, 50121, 55133, 60646, 66711, 73382, 80721,
        88793, 97672, 107439, 118183, 130002, 143002, 157302, 173032,
        190335, 209369, 230306, 253337, 278670, 306538, 337191, 370911,
        408002, 448802, 493682, 543050, 597356, 657091, 722800, 795081,
        874589, 962048, 1058252, 1164078, 1280486, 1408534, 1549388, 1704327,
        1874759, 2062236, 2268459, 2495305, 2744836, 3019320, 3321252, 3653374,
        4018711, 4420582, 4862641, 5348905, 5883796, 6472176, 7119394, 7831333,
        8614467, 9475909, 10423501, 11465851, 12612437, 13873681, 15261050, 16787154,
        18465870, 20312458, 22343706, 24578077, 27035886, 29739474, 32713425, 35984770,
        39583245, 43541573, 47895730, 52685306, 57953837, 63749221, 70124148, 77136564,
        84850228, 93335252, 102668779, 112935659, 124229227, 136652151, 150317384, 165349128,
        181884040, 200072456, 220079703, 242087671, 266296456, 292926096, 322218735, 354440623,
        389884688, 428873168, 471760495, 518936559, 570830240, 627913311, 690704607, 759775136,
        835752671, 919327967, 1011260767, 1112386880, 1223623232, 1345985727, 1480584256, 1628642751,
        1791507135, 1970657856, 2167723648, 2384496256, 2622945920, 2885240448, 3173764736, 3491141248,
        3840255616, 4224281216,
    ]
}
