/// An IPv4 or IPv6 address with a prefix length: `10.0.0.0/8`, `2001:db8::/32`, or a single address.
///
/// IPv4 addresses are strict dotted decimal (four parts, 0–255, no leading zeros); IPv6 follows
/// RFC 4291 text forms, including `::` and an embedded dotted IPv4 tail.
public struct IPNetwork: Sendable, Equatable, Hashable {
    /// True for IPv6.
    public var isIPv6: Bool
    /// The address, right-aligned (an IPv4 address uses the low 32 bits).
    public var address: UInt128
    /// Prefix length: 0...32 for IPv4, 0...128 for IPv6; a plain address is a full-length prefix.
    public var prefix: Int

    var bits: Int { isIPv6 ? 128 : 32 }

    public init(isIPv6: Bool, address: UInt128, prefix: Int) {
        self.isIPv6 = isIPv6
        self.address = address
        self.prefix = prefix
    }

    /// Parses `address` or `address/prefix`; `nil` when malformed.
    public init?(_ text: String) {
        var text = text
        guard let v = text.withUTF8({ IPNetwork.parse($0) }) else { return nil }
        self = v
    }

    /// Parses the UTF-8 bytes of `address` or `address/prefix` in place; `nil` when malformed.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> IPNetwork? {
        var end = b.count
        var prefix: Int?
        if let slash = b.firstIndex(of: UInt8(ascii: "/")) {
            let digits = b[(slash + 1)...]
            guard !digits.isEmpty, digits.count <= 3 else { return nil }
            var p = 0
            for c in digits {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                p = p * 10 + Int(c - 0x30)
            }
            prefix = p
            end = slash
        }
        let addr = UnsafeBufferPointer(rebasing: b[0..<end])
        if addr.contains(UInt8(ascii: ":")) {
            guard let a = parseIPv6(addr) else { return nil }
            let p = prefix ?? 128
            guard p <= 128 else { return nil }
            return IPNetwork(isIPv6: true, address: a, prefix: p)
        }
        guard let a = parseIPv4(addr) else { return nil }
        let p = prefix ?? 32
        guard p <= 32 else { return nil }
        return IPNetwork(isIPv6: false, address: UInt128(a), prefix: p)
    }

    static func parseIPv4(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var parts = 0
        var value: UInt32 = 0
        var part = 0
        var digits = 0
        var leadingZero = false
        for c in b {
            if c == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | UInt32(part)
                parts += 1
                part = 0
                digits = 0
                continue
            }
            guard c >= 0x30 && c <= 0x39 else { return nil }
            if digits == 0 { leadingZero = c == 0x30 } else if leadingZero { return nil }
            part = part * 10 + Int(c - 0x30)
            digits += 1
            guard part <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | UInt32(part)
    }

    static func parseIPv6(_ b: UnsafeBufferPointer<UInt8>) -> UInt128? {
        // Up to 8 groups before and after a `::`, kept in two words without allocating.
        var head: UInt128 = 0
        var headCount = 0
        var tail: UInt128 = 0
        var tailCount = 0
        var gap = false
        var i = 0
        let n = b.count
        func push(_ g: UInt16) -> Bool {
            if gap {
                tail = tail << 16 | UInt128(g)
                tailCount += 1
            } else {
                head = head << 16 | UInt128(g)
                headCount += 1
            }
            return headCount + tailCount <= 8
        }
        if n >= 2 && b[0] == UInt8(ascii: ":") && b[1] == UInt8(ascii: ":") {
            gap = true
            i = 2
            if i == n { return 0 }
        } else if n > 0 && b[0] == UInt8(ascii: ":") {
            return nil
        }
        while i < n {
            var j = i
            var isDotted = false
            while j < n, b[j] != UInt8(ascii: ":") {
                if b[j] == UInt8(ascii: ".") { isDotted = true }
                j += 1
            }
            if isDotted {
                guard j == n, headCount + tailCount <= 6, let v4 = parseIPv4(UnsafeBufferPointer(rebasing: b[i..<j]))
                else {
                    return nil
                }
                _ = push(UInt16(v4 >> 16))
                _ = push(UInt16(v4 & 0xFFFF))
                i = j
                break
            }
            guard j > i, j - i <= 4 else { return nil }
            var v: UInt32 = 0
            for k in i..<j {
                guard let d = PatternParser.hexDigit(b[k]) else { return nil }
                v = v << 4 | UInt32(d)
            }
            guard push(UInt16(v)) else { return nil }
            i = j
            if i < n {
                if i + 1 < n && b[i + 1] == UInt8(ascii: ":") {
                    guard !gap else { return nil }
                    gap = true
                    i += 2
                } else {
                    i += 1
                    guard i < n else { return nil }
                }
            }
        }
        if gap {
            guard headCount + tailCount < 8 else { return nil }
            return (headCount == 0 ? 0 : head << UInt128(16 * (8 - headCount))) | tail
        }
        guard headCount == 8 else { return nil }
        return head
    }

    func masked(_ p: Int) -> UInt128 {
        if p <= 0 { return 0 }
        let shift = bits - p
        return shift <= 0 ? address : (address >> UInt128(shift)) << UInt128(shift)
    }

    /// True when every address of `self` lies in `other` (same family only).
    public func isSubset(of other: IPNetwork) -> Bool {
        guard isIPv6 == other.isIPv6, prefix >= other.prefix else { return false }
        return masked(other.prefix) == other.masked(other.prefix)
    }
}
