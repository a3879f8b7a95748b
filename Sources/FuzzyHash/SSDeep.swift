import CFuzzy

/// An ssdeep digest (context-triggered piecewise hash, `blocksize:signature:signature`) and the ssdeep
/// similarity score between two digests, computed by libfuzzy (the ssdeep project's C library).
///
/// Sightline compares digests it is given (evidence, knowledge-base indicators) and computes them for
/// the suspicious files `investigate` is handed (``init(of:)``). The score runs from 0 (nothing in common, or block sizes too far apart to
/// compare) to 100 (near-identical). Unlike a TLSH distance it is case-sensitive text: the signatures
/// are base64.
public struct SSDeepDigest: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let blockSize: Int

    /// Parses `blocksize:sig1:sig2` — block size a decimal number, both signatures base64 characters,
    /// the first at most 64, the second at most 64 (libfuzzy writes at most 32); `nil` otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let size = Int(parts[0]), size > 0, parts[0].allSatisfy(\.isASCII) else { return nil }
        for sig in parts[1...] {
            guard sig.utf8.count <= 64, sig.utf8.allSatisfy(Self.isBase64) else { return nil }
        }
        self.text = text
        self.blockSize = size
    }

    static func isBase64(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "/"):
            return true
        default: return false
        }
    }

    public var description: String { text }

    /// The digest of `bytes` (libfuzzy's `fuzzy_hash_buf`); `nil` if libfuzzy fails.
    public init?(of bytes: UnsafeRawBufferPointer) {
        var out = [CChar](repeating: 0, count: 2 * 64 + 20)  // FUZZY_MAX_RESULT
        let status = fuzzy_hash_buf(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(clamping: bytes.count), &out)
        guard status == 0 else { return nil }
        self.init(String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// libfuzzy's `fuzzy_compare`: 0–100, higher is more similar.
    public func similarity(to other: SSDeepDigest) -> Int {
        let score = text.withCString { a in other.text.withCString { b in fuzzy_compare(a, b) } }
        // libfuzzy returns -1 only for digests it cannot parse, which the initializer rules out.
        return max(Int(score), 0)
    }
}
