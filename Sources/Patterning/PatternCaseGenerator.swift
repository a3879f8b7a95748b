import JSON

/// Generates random pattern-matching cases (a pattern and a bundle of observed data) from a seed.
///
/// The same seed always gives the same cases. Used by the differential test against the OASIS
/// reference matcher and by `scripts/bench-pattern.sh`. Values are drawn from small pools so that a
/// good share of the patterns match. Constructs on which the reference matcher is known to depart
/// from the specification are generated on purpose, now and then, and each case lists the ones it
/// contains in ``GeneratedCase/deviations``.
public struct PatternCaseGenerator {
    /// A known departure of the reference matcher from the specification (see docs/PATTERNING.md).
    public enum Deviation: String, Sendable, CaseIterable {
        /// `NOT EXISTS` is evaluated as `EXISTS` by the reference.
        case notExists = "not-exists"
        /// The reference's `ISSUBSET`/`ISSUPERSET` handle IPv4 only (IPv6 raises an error).
        case ipv6Subset = "ipv6-subset"
        /// The reference's `IN` treats `true` as `1` and `false` as `0`.
        case boolInSet = "bool-in-set"
        /// The reference's `ISSUPERSET` raises an error when the observed value is a plain address, not a CIDR block.
        case supersetOfAddress = "superset-of-address"
    }

    /// One generated case.
    public struct GeneratedCase: Sendable {
        public var id: String
        public var pattern: String
        public var objects: [JSONValue]
        public var deviations: Set<Deviation>

        /// The case as one input line of `sightline pattern eval`.
        public var line: String {
            JSONValue.object(
                JSONObject([
                    JSONMember(key: "id", value: .string(id)), JSONMember(key: "pattern", value: .string(pattern)),
                    JSONMember(key: "observed_data", value: .array(objects)),
                ])
            ).jsonString
        }
    }

    var state: UInt64
    var deviations: Set<Deviation> = []
    var counter = 0

    public init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) < p * 10_000 }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

    static let ipv4 = ["10.0.0.1", "10.0.0.2", "10.0.1.7", "192.168.1.10", "175.45.178.19", "210.52.109.7"]
    static let ipv6 = ["2001:db8::1", "2001:db8:85a3::8a2e:370:7334", "fe80::1", "::1"]
    static let domains = ["example.com", "evil.example.com", "naver.com", "kisa.or.kr", "update.microsoft.com"]
    static let fileNames = ["mssecsvc.exe", "tasksche.exe", "a.dll", "report.doc", "svchost.exe"]
    static let sizes = [0, 100, 4096, 3_723_264]
    static let md5s = [
        "db349b97c37d22f5ea1d1841e3c89eb4", "84c82835a5d21bbcf75a61706d8ab549", "00000000000000000000000000000000",
    ]
    static let tags = ["wiper", "lazarus", "apt38", "ransomware"]
    static let ports = [22, 80, 443, 445, 3389]
    static let protocols = ["ipv4", "tcp", "udp", "http", "tls"]
    static let payloads = ["hello", "MZ\u{90}", "wannacry", "abc"]
    static let urls = ["http://evil.example.com/a.php", "https://naver.com/", "http://10.0.0.1:8080/x"]
    static let processNames = ["cmd.exe", "powershell.exe", "mssecsvc.exe"]
    static let base = 1_709_287_200  // 2024-03-01T10:00:00Z

    static func time(_ seconds: Int, millis: Int = 0) -> String {
        var t = Timestamp(seconds: Int64(base + seconds)).description
        if millis > 0 {
            t.removeLast()
            let m = String(millis)
            t += "." + String(repeating: "0", count: 3 - m.count) + m + "Z"
        }
        return t
    }

    /// The next case.
    public mutating func nextCase() -> GeneratedCase {
        counter += 1
        deviations = []
        var objects = bundle()
        var pattern = observationExpression(depth: 0)
        // Now and then a broken case: both engines must report an error.
        switch int(100) {
        case 0: pattern.removeLast()
        case 1: pattern = pattern.replacingOccurrences(of: "] ", with: "]] ")
        case 2:
            if case .object(var od) = objects[0] {
                od["number_observed"] = .int(0)
                objects[0] = .object(od)
            }
        default: break
        }
        return GeneratedCase(id: "c\(counter)", pattern: pattern, objects: objects, deviations: deviations)
    }

    // MARK: - Observed data

    mutating func bundle() -> [JSONValue] {
        var out: [JSONValue] = []
        var n = 0
        for od in 0..<(1 + int(4)) {
            let start = int(120)
            let first = PatternCaseGenerator.time(start, millis: chance(0.2) ? int(1000) : 0)
            let last = PatternCaseGenerator.time(start + int(31), millis: 999)
            var refs: [JSONValue] = []
            var scos: [JSONValue] = []
            for _ in 0..<(1 + int(3)) {
                n += 1
                for sco in observable(n) {
                    refs.append(sco["id"]!)
                    scos.append(sco)
                }
            }
            out.append(
                .object(
                    JSONObject([
                        JSONMember(key: "type", value: "observed-data"),
                        JSONMember(key: "id", value: .string("observed-data--\(od)")),
                        JSONMember(key: "spec_version", value: "2.1"),
                        JSONMember(key: "created", value: "2024-03-01T00:00:00.000Z"),
                        JSONMember(key: "modified", value: "2024-03-01T00:00:00.000Z"),
                        JSONMember(key: "first_observed", value: .string(first)),
                        JSONMember(key: "last_observed", value: .string(last)),
                        JSONMember(key: "number_observed", value: .int(Int64(1 + int(3)))),
                        JSONMember(key: "object_refs", value: .array(refs)),
                    ])))
            out.append(contentsOf: scos)
        }
        return out
    }

    static func sco(_ type: String, _ n: Int, _ props: [(String, JSONValue)]) -> JSONValue {
        var members = [
            JSONMember(key: "type", value: .string(type)), JSONMember(key: "id", value: .string("\(type)--\(n)")),
        ]
        for (k, v) in props { members.append(JSONMember(key: k, value: v)) }
        return .object(JSONObject(members))
    }

    /// One SCO (network traffic comes with the two addresses it references).
    mutating func observable(_ n: Int) -> [JSONValue] {
        typealias G = PatternCaseGenerator
        switch int(8) {
        case 0:
            var value = pick(G.ipv4)
            if chance(0.15) { value = value.split(separator: ".").prefix(3).joined(separator: ".") + ".0/24" }
            return [G.sco("ipv4-addr", n, [("value", .string(value))])]
        case 1:
            return [G.sco("ipv6-addr", n, [("value", .string(pick(G.ipv6)))])]
        case 2:
            return [G.sco("domain-name", n, [("value", .string(pick(G.domains)))])]
        case 3:
            var props: [(String, JSONValue)] = [
                ("name", .string(pick(G.fileNames))), ("size", .int(Int64(pick(G.sizes)))),
            ]
            if chance(0.7) {
                props.append(("hashes", .object(JSONObject([JSONMember(key: "MD5", value: .string(pick(G.md5s)))]))))
            }
            if chance(0.5) { props.append(("x_tags", .array((0..<(1 + int(2))).map { _ in .string(pick(G.tags)) }))) }
            return [G.sco("file", n, props)]
        case 4:
            let src = G.sco("ipv4-addr", n * 100 + 1, [("value", .string(pick(G.ipv4)))])
            let dst = G.sco("ipv4-addr", n * 100 + 2, [("value", .string(pick(G.ipv4)))])
            var props: [(String, JSONValue)] = [
                ("src_ref", src["id"]!), ("dst_ref", dst["id"]!), ("dst_port", .int(Int64(pick(G.ports)))),
                ("protocols", .array([.string(pick(G.protocols)), .string(pick(G.protocols))])),
                ("start", .string(G.time(int(120)))),
            ]
            if chance(0.5) { props.append(("is_active", .bool(chance(0.5)))) }
            return [G.sco("network-traffic", n, props), src, dst]
        case 5:
            return [
                G.sco(
                    "process", n,
                    [
                        ("pid", .int(Int64(1 + int(5000)))), ("name", .string(pick(G.processNames))),
                        ("command_line", .string(pick(G.processNames) + " -k " + pick(G.tags))),
                    ])
            ]
        case 6:
            return [G.sco("artifact", n, [("payload_bin", .string(G.base64(Array(pick(G.payloads).utf8))))])]
        default:
            return [G.sco("url", n, [("value", .string(pick(G.urls)))])]
        }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(table[Int(v >> 18 & 63)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(i + 1 < bytes.count ? table[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Patterns

    mutating func observationExpression(depth: Int) -> String {
        var e: String
        if depth >= 2 || chance(0.55) {
            e = "[" + comparisonExpression() + "]"
        } else {
            let op = pick(["AND", "OR", "FOLLOWEDBY"])
            let n = 2 + (chance(0.2) ? 1 : 0)
            e = "(" + (0..<n).map { _ in observationExpression(depth: depth + 1) }.joined(separator: " \(op) ") + ")"
        }
        if chance(0.3) {
            switch int(3) {
            case 0: e += " WITHIN \(1 + int(90))\(chance(0.2) ? ".5" : "") SECONDS"
            case 1: e += " REPEATS \(2 + int(2)) TIMES"
            default:
                let s = int(100)
                e += " START t'\(PatternCaseGenerator.time(s))' STOP t'\(PatternCaseGenerator.time(s + 1 + int(90)))'"
            }
        }
        return e
    }

    mutating func comparisonExpression() -> String {
        // EXISTS stays alone in its brackets (the reference cannot combine it with other tests).
        if chance(0.05) { return existsTest() }
        let type = pick([
            "ipv4-addr", "ipv6-addr", "domain-name", "file", "network-traffic", "process", "artifact", "url",
        ])
        let n = 1 + (chance(0.35) ? 1 + int(2) : 0)
        var parts: [String] = []
        for _ in 0..<n { parts.append(test(type)) }
        var s = parts[0]
        for p in parts.dropFirst() { s += (chance(0.5) ? " AND " : " OR ") + p }
        if n == 3 && chance(0.5) { s = "(" + s + ")" }
        return s
    }

    mutating func existsTest() -> String {
        let path = pick(["file:hashes.MD5", "file:x_tags", "network-traffic:is_active", "file:name", "process:pid"])
        if chance(0.3) {
            deviations.insert(.notExists)
            return "NOT EXISTS " + path
        }
        return "EXISTS " + path
    }

    static func quote(_ s: String) -> String {
        "'" + s.replacingBackslashesAndQuotes() + "'"
    }

    mutating func not() -> String { chance(0.15) ? "NOT " : "" }

    mutating func stringTest(_ path: String, _ pool: [String]) -> String {
        typealias G = PatternCaseGenerator
        let v = pick(pool)
        switch int(8) {
        case 0: return "\(path) \(not())= \(G.quote(v))"
        case 1: return "\(path) != \(G.quote(v))"
        case 2:
            let k = int(max(1, v.count))
            return "\(path) \(not())LIKE \(G.quote(String(v.prefix(k)) + "%"))"
        case 3:
            var chars = Array(v)
            if !chars.isEmpty { chars[int(chars.count)] = "_" }
            return "\(path) \(not())LIKE \(G.quote("%" + String(chars.suffix(4))))"
        case 4:
            let re = pick([
                "^" + String(v.prefix(3)).regexEscaped(), String(v.suffix(3)).regexEscaped() + "$", "[0-9]", "e.a",
                "(?i)EXE", "^[a-z]+\\.",
            ])
            return "\(path) \(not())MATCHES \(G.quote(re))"
        case 5:
            let set = (0..<(1 + int(3))).map { _ in G.quote(pick(pool)) }
            return "\(path) \(not())IN (\(set.joined(separator: ", ")))"
        case 6: return "\(path) \(not())\(pick(["<", ">", "<=", ">="])) \(G.quote(v))"
        default: return "\(path) = \(G.quote(v))"
        }
    }

    mutating func intTest(_ path: String, _ pool: [Int]) -> String {
        let v = pick(pool)
        switch int(4) {
        case 0: return "\(path) \(not())\(pick(["=", "!=", "<", ">", "<=", ">="])) \(v)"
        case 1:
            return "\(path) \(not())IN (\((0..<(1 + int(3))).map { _ in String(pick(pool)) }.joined(separator: ", ")))"
        case 2: return "\(path) \(pick(["<", ">="])) \(v).5"
        default: return "\(path) = \(v)"
        }
    }

    mutating func addressTest(_ path: String, v6: Bool) -> String {
        typealias G = PatternCaseGenerator
        if v6 {
            let v = pick(G.ipv6)
            if chance(0.08) {
                deviations.insert(.ipv6Subset)
                return "\(path) \(not())ISSUBSET '\(pick(["2001:db8::/32", "fe80::/10", "::/0", v + "/128"]))'"
            }
            return "\(path) \(not())= '\(v)'"
        }
        let v = pick(G.ipv4)
        switch int(20) {
        case 0..<8:
            let parts = v.split(separator: ".").map { Int($0)! }
            let prefix = pick([8, 16, 24, 30, 32])
            var addr = 0
            for p in parts { addr = addr << 8 | p }
            addr &= prefix == 0 ? 0 : ~((1 << (32 - prefix)) - 1) & 0xFFFF_FFFF
            if chance(0.3) { addr ^= 1 << (32 - prefix) }
            let text = [24, 16, 8, 0].map { String(addr >> $0 & 255) }.joined(separator: ".")
            return "\(path) \(not())ISSUBSET '\(text)/\(prefix)'"
        case 8:
            deviations.insert(.supersetOfAddress)
            return "\(path) \(not())ISSUPERSET '\(v)'"
        case 9..<13:
            return "\(path) \(not())IN ('\(v)', '\(pick(G.ipv4))')"
        default:
            return "\(path) \(not())= '\(v)'"
        }
    }

    mutating func test(_ type: String) -> String {
        typealias G = PatternCaseGenerator
        switch type {
        case "ipv4-addr": return addressTest("ipv4-addr:value", v6: false)
        case "ipv6-addr": return addressTest("ipv6-addr:value", v6: true)
        case "domain-name": return stringTest("domain-name:value", G.domains)
        case "url": return stringTest("url:value", G.urls)
        case "process":
            switch int(3) {
            case 0: return intTest("process:pid", [1, 100, 2500, 4999])
            case 1: return stringTest("process:name", G.processNames)
            default: return stringTest("process:command_line", G.processNames.map { $0 + " -k " + pick(G.tags) })
            }
        case "artifact":
            let p = pick(G.payloads)
            switch int(3) {
            case 0: return "artifact:payload_bin \(not())= b'\(G.base64(Array(p.utf8)))'"
            case 1:
                return
                    "artifact:payload_bin \(not())= h'\(Array(p.utf8).map { String($0, radix: 16).leftPadded(2) }.joined())'"
            default: return "artifact:payload_bin \(pick(["=", "<", ">"])) \(G.quote(p))"
            }
        case "file":
            switch int(5) {
            case 0: return stringTest("file:name", G.fileNames)
            case 1: return intTest("file:size", G.sizes)
            case 2: return "file:hashes.\(pick(["MD5", "'MD5'"])) \(not())= '\(pick(G.md5s))'"
            case 3: return "file:x_tags[\(pick(["*", "0", "1"]))] \(not())= '\(pick(G.tags))'"
            default: return "file:hashes.MD5 \(not())LIKE '\(pick(["db%", "%0", "84c8%549"]))'"
            }
        default:
            switch int(8) {
            case 0: return addressTest("network-traffic:src_ref.value", v6: false)
            case 1: return addressTest("network-traffic:dst_ref.value", v6: false)
            case 2: return intTest("network-traffic:dst_port", G.ports)
            case 3: return "network-traffic:protocols[\(pick(["*", "0", "1", "5"]))] \(not())= '\(pick(G.protocols))'"
            case 4:
                return "network-traffic:start \(not())\(pick(["<", ">", "=", ">="])) t'\(G.time(int(120)))'"
            case 5:
                if chance(0.25) {
                    deviations.insert(.boolInSet)
                    return "network-traffic:is_active \(not())IN (\(pick(["1", "0", "1, 0"])))"
                }
                return "network-traffic:is_active \(not())= \(pick(["true", "false"]))"
            case 6: return "network-traffic:protocols[*] \(not())IN ('\(pick(G.protocols))', '\(pick(G.protocols))')"
            default: return intTest("network-traffic:dst_port", G.ports)
            }
        }
    }
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }

    func replacingBackslashesAndQuotes() -> String {
        var out = ""
        for c in self {
            if c == "\\" || c == "'" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    func regexEscaped() -> String {
        var out = ""
        for c in self {
            if !(c.isLetter || c.isNumber) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
