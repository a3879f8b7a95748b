import COpenSSL

/// STIX identifiers: `type--UUID`.
public enum STIXIdentifier {
    /// The namespace STIX 2.1 prescribes for deterministic (UUIDv5) SCO identifiers.
    public static let scoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"
    /// Sightline's own namespace for deterministic identifiers of objects it derives (countries, sectors, merges).
    public static let sightlineNamespace = "5e1f7a3c-2b0d-4c6e-9a41-8d2f0b6c3e15"

    /// Splits `type--uuid`; `nil` unless the form is right and the UUID is RFC 4122 shaped.
    public static func split(_ id: String) -> (type: Substring, uuid: Substring)? {
        let u = id.utf8
        var i = u.startIndex
        var found: String.Index?
        while i < u.endIndex {
            let next = u.index(after: i)
            if u[i] == UInt8(ascii: "-"), next < u.endIndex, u[next] == UInt8(ascii: "-") {
                found = i
                break
            }
            i = next
        }
        guard let found else { return nil }
        let type = id[..<found]
        let uuid = id[u.index(found, offsetBy: 2)...]
        guard isValidType(type), isValidUUID(uuid) else { return nil }
        return (type, uuid)
    }

    /// True when `type` is a valid STIX type name: 3–250 of `a-z`, `0-9` and `-`, no leading or doubled hyphen.
    public static func isValidType(_ type: Substring) -> Bool {
        let u = type.utf8
        guard u.count >= 3, u.count <= 250, u.first != UInt8(ascii: "-"), u.last != UInt8(ascii: "-") else {
            return false
        }
        var previousHyphen = false
        for c in u {
            let hyphen = c == UInt8(ascii: "-")
            guard (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || hyphen else { return false }
            if hyphen && previousHyphen { return false }
            previousHyphen = hyphen
        }
        return true
    }

    /// True for the 8-4-4-4-12 hex form of an RFC 4122 UUID: version 1–5, variant bits `8`, `9`, `a` or `b`.
    public static func isValidUUID(_ uuid: Substring) -> Bool {
        let u = Array(uuid.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return false }
            } else {
                guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) else {
                    return false
                }
            }
        }
        // RFC 4122 versions 1 to 5 (what STIX 2.1 and the OASIS validator accept).
        guard u[14] >= UInt8(ascii: "1") && u[14] <= UInt8(ascii: "5") else { return false }
        let variant = u[19] | 0x20
        return variant == UInt8(ascii: "8") || variant == UInt8(ascii: "9") || variant == UInt8(ascii: "a")
            || variant == UInt8(ascii: "b")
    }

    /// A deterministic UUIDv5 identifier: `type--uuid5(namespace, name)`.
    public static func deterministic(type: String, namespace: String = sightlineNamespace, name: String) -> String {
        "\(type)--\(uuid5(namespace: namespace, name: name))"
    }

    /// A random UUIDv4 identifier.
    public static func random(type: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<16 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return "\(type)--\(format(bytes))"
    }

    /// RFC 4122 name-based UUID, version 5 (SHA-1).
    public static func uuid5(namespace: String, name: String) -> String {
        var input = parseUUID(namespace)
        input.append(contentsOf: Array(name.utf8))
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { buf in
            _ = SHA1(buf.baseAddress, buf.count, &digest)
        }
        var bytes = Array(digest[0..<16])
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return format(bytes)
    }

    static func parseUUID(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 where c != UInt8(ascii: "-") {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: continue
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    static func format(_ b: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
