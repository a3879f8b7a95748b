#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Sigma string value compiled for matching bytes: wildcards `*` and `?`, escapes, case folding.
///
/// The value is parsed once: `\*`, `\?` and `\\` are literal `*`, `?` and `\`; any other backslash is
/// literal. Case-insensitive patterns are folded with ``CaseFolding/fold(_:)`` and matched against
/// folded field text. The common shapes (exact, prefix, suffix, substring) get their own fast paths;
/// anything else runs a backtracking glob with a linear-time bound per star.
public struct StringPattern: Sendable, Hashable {
    public static func == (a: StringPattern, b: StringPattern) -> Bool {
        a.shape == b.shape && a.caseSensitive == b.caseSensitive
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(shape)
        hasher.combine(caseSensitive)
    }

    /// A piece of a wildcard pattern.
    public enum Piece: Sendable, Hashable {
        case literal([UInt8])
        /// `?`: exactly one character (one UTF-8 scalar).
        case one
        /// `*`: any run of bytes.
        case star
    }

    /// The compiled shape.
    public enum Shape: Sendable, Hashable {
        case exact([UInt8])
        case prefix([UInt8])
        case suffix([UInt8])
        case contains([UInt8])
        case glob([Piece])
    }

    public let shape: Shape
    public let caseSensitive: Bool
    /// The shape flattened for the hot path: 0 exact, 1 prefix, 2 suffix, 3 contains, 4 glob.
    let kind: UInt8
    let literal: [UInt8]
    let globPieces: [Piece]

    public init(pieces: [Piece], caseSensitive: Bool) {
        self.caseSensitive = caseSensitive
        var merged: [Piece] = []
        for p in pieces {
            switch (merged.last, p) {
            case (.literal(let a)?, .literal(let b)):
                merged[merged.count - 1] = .literal(a + b)
            case (.star?, .star):
                continue
            case (_, .literal(let b)) where b.isEmpty:
                continue
            default:
                merged.append(caseSensitive ? p : StringPattern.fold(p))
            }
        }
        if merged.isEmpty {
            shape = .exact([])
        } else if merged.count == 1, case .literal(let l) = merged[0] {
            shape = .exact(l)
        } else if merged == [.star] {
            shape = .glob([.star])
        } else if merged.count == 2, case .literal(let l) = merged[0], merged[1] == .star {
            shape = .prefix(l)
        } else if merged.count == 2, case .literal(let l) = merged[1], merged[0] == .star {
            shape = .suffix(l)
        } else if merged.count == 3, merged[0] == .star, merged[2] == .star, case .literal(let l) = merged[1] {
            shape = .contains(l)
        } else {
            shape = .glob(merged)
        }
        switch shape {
        case .exact(let l): (kind, literal, globPieces) = (0, l, [])
        case .prefix(let l): (kind, literal, globPieces) = (1, l, [])
        case .suffix(let l): (kind, literal, globPieces) = (2, l, [])
        case .contains(let l): (kind, literal, globPieces) = (3, l, [])
        case .glob(let p): (kind, literal, globPieces) = (4, [], p)
        }
    }

    /// A copy that shares no storage with `self` (worker threads then never touch the same
    /// reference counts).
    func copy() -> StringPattern {
        func fresh(_ a: [UInt8]) -> [UInt8] { [UInt8](unsafeUninitializedCapacity: a.count) { b, n in
            _ = b.initialize(from: a)
            n = a.count
        } }
        let pieces: [Piece]
        switch shape {
        case .exact(let l): pieces = [.literal(fresh(l))]
        case .prefix(let l): pieces = [.literal(fresh(l)), .star]
        case .suffix(let l): pieces = [.star, .literal(fresh(l))]
        case .contains(let l): pieces = [.star, .literal(fresh(l)), .star]
        case .glob(let p):
            pieces = p.map { if case .literal(let l) = $0 { return .literal(fresh(l)) } else { return $0 } }
        }
        return StringPattern(pieces: pieces, caseSensitive: caseSensitive)
    }

    static func fold(_ p: Piece) -> Piece {
        if case .literal(let l) = p { return .literal(CaseFolding.fold(l)) }
        return p
    }

    /// Parses a Sigma value's wildcards and escapes into pieces.
    public static func pieces(of value: String, wildcards: Bool = true) -> [Piece] {
        var out: [Piece] = []
        var lit: [UInt8] = []
        let bytes = Array(value.utf8)
        var i = 0
        func flush() {
            if !lit.isEmpty {
                out.append(.literal(lit))
                lit = []
            }
        }
        while i < bytes.count {
            let c = bytes[i]
            if wildcards && c == UInt8(ascii: "\\") && i + 1 < bytes.count {
                let n = bytes[i + 1]
                if n == UInt8(ascii: "*") || n == UInt8(ascii: "?") || n == UInt8(ascii: "\\") {
                    lit.append(n)
                    i += 2
                    continue
                }
            }
            if wildcards && c == UInt8(ascii: "*") {
                flush()
                out.append(.star)
            } else if wildcards && c == UInt8(ascii: "?") {
                flush()
                out.append(.one)
            } else {
                lit.append(c)
            }
            i += 1
        }
        flush()
        return out
    }

    /// The literal bytes every match must contain (the longest literal piece), for prefiltering.
    public var requiredLiteral: [UInt8] {
        switch shape {
        case .exact(let l), .prefix(let l), .suffix(let l), .contains(let l): return l
        case .glob(let pieces):
            var best: [UInt8] = []
            for case .literal(let l) in pieces where l.count > best.count { best = l }
            return best
        }
    }

    /// Whether `text` (already folded when the pattern is case-insensitive) matches.
    @inline(__always)
    public func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if kind == 4 { return StringPattern.glob(globPieces, text) }
        return literal.withUnsafeBufferPointer { l in
            switch kind {
            case 0: return l.count == text.count && StringPattern.equal(l, text, at: 0)
            case 1: return l.count <= text.count && StringPattern.equal(l, text, at: 0)
            case 2: return l.count <= text.count && StringPattern.equal(l, text, at: text.count - l.count)
            default: return StringPattern.find(l, in: text, from: 0) != nil
            }
        }
    }

    static func equal(_ l: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        if l.isEmpty { return true }
        return bytesEqual(l.baseAddress!, text.baseAddress! + offset, l.count)
    }

    static func find(_ needle: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        if needle.isEmpty { return from }
        guard text.count - from >= needle.count, let base = text.baseAddress else { return nil }
        let first = Int32(needle[0])
        let n = needle.count
        var i = from
        let last = text.count - n
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if n == 1 || bytesEqual(base + at + 1, needle.baseAddress! + 1, n - 1) { return at }
            i = at + 1
        }
        return nil
    }

    /// Length of the UTF-8 scalar starting with `lead`.
    static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Wildcard matching. Between stars, a segment (literals and `?`) is placed at its leftmost
    /// position; only the last star backtracks, so the cost is O(pattern × text). A star followed by a
    /// literal moves straight to the literal's next occurrence (`memchr` on its first byte).
    static func glob(_ pieces: [Piece], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        pieces.withUnsafeBufferPointer { pieces in
            var p = 0
            var t = 0
            var starP = -1
            var starT = 0
            while t < text.count || p < pieces.count {
                if p < pieces.count {
                    switch pieces[p] {
                    case .star:
                        starP = p
                        p += 1
                        if p == pieces.count { return true }  // a last star takes the rest
                        if case .literal(let l) = pieces[p] {
                            // The literal must start at or after here: where it next occurs, the star ends.
                            guard let at = l.withUnsafeBufferPointer({ find($0, in: text, from: t) }) else { return false }
                            t = at
                        }
                        starT = t
                        continue
                    case .one:
                        if t < text.count {
                            t += min(scalarLength(text[t]), text.count - t)
                            p += 1
                            continue
                        }
                    case .literal(let l):
                        if l.count <= text.count - t, l.withUnsafeBufferPointer({ equal($0, text, at: t) }) {
                            t += l.count
                            p += 1
                            continue
                        }
                    }
                }
                guard starP >= 0, starT < text.count else { return false }
                // The last star takes one more character: back to it, one place further on.
                p = starP
                t = starT + 1
            }
            return true
        }
    }
}

/// Case folding shared by patterns and field text, so both sides fold the same way.
public enum CaseFolding {
    /// ASCII bytes are lower-cased in place; text with other scalars is lower-cased by the standard library.
    public static func fold(_ bytes: [UInt8]) -> [UInt8] {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            var out = bytes
            for i in out.indices where out[i] >= 0x41 && out[i] <= 0x5A { out[i] |= 0x20 }
            return out
        }
        return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8)
    }
}

/// Whether the `n` bytes at `a` and at `b` are the same. Runs of up to 32 bytes (the usual pattern or
/// prefilter key) are compared inline, eight bytes at a time, the last word overlapping the one before;
/// longer ones by `memcmp` (a call per comparison of a few bytes cost more than the comparison: 5% of the
/// hunt went to `memcmp`).
@inline(__always)
func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n > 32 { return memcmp(a, b, n) == 0 }
    if n >= 8 {
        var i = 0
        while i &+ 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        return i == n
            || a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    if n >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
                == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
    }
    var i = 0
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}
