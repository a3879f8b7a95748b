import JSON

/// Generates STIX indicators and single-SCO observations from a seed, for the index's tests and
/// benchmark: IPv4 and IPv6 addresses, domains (some with subdomains), URLs, file hashes, CIDR blocks,
/// and about 1% complex patterns (AND-ed properties, regexes, several observations, qualifiers).
public struct IndicatorCorpus {
    var state: UInt64
    var counter = 0
    /// Values used by indicators so far, per kind, to draw observations that hit.
    var seen: [[String]] = Array(repeating: [], count: 6)

    public init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func ipv4() -> String { "\(1 + int(223)).\(int(256)).\(int(256)).\(int(256))" }
    mutating func ipv6() -> String {
        "2001:db8:\(String(int(65536), radix: 16)):\(String(int(65536), radix: 16))::\(String(int(65536), radix: 16))"
    }
    mutating func domain() -> String { "d\(int(1 << 30)).\(["com", "net", "kr", "cn", "org"][int(5)])" }
    mutating func hex(_ n: Int) -> String {
        var s = ""
        while s.count < n { s += String(next(), radix: 16).leftPadded(16) }
        return String(s.prefix(n))
    }

    mutating func remember(_ kind: Int, _ v: String) {
        if seen[kind].count < 100_000 { seen[kind].append(v) } else { seen[kind][int(100_000)] = v }
    }

    /// The next indicator: an id and a pattern.
    public mutating func nextIndicator() -> (id: String, pattern: String) {
        counter += 1
        let id = "indicator--\(String(counter, radix: 16).leftPadded(8))-0000-4000-8000-000000000000"
        let r = int(1000)
        let pattern: String
        if r < 10 {
            pattern = complexPattern()
        } else {
            switch r % 7 {
            case 0, 1:
                let v = ipv4()
                remember(0, v)
                pattern = "[ipv4-addr:value = '\(v)']"
            case 2:
                let v = ipv6()
                remember(1, v)
                pattern = "[ipv6-addr:value = '\(v)']"
            case 3:
                let v = domain()
                remember(2, v)
                pattern =
                    int(4) == 0
                    ? "[domain-name:value = '\(v)' OR domain-name:value LIKE '%.\(v)']" : "[domain-name:value = '\(v)']"
            case 4:
                let v = "http://\(domain())/\(hex(8)).php"
                remember(3, v)
                pattern = "[url:value = '\(v)']"
            case 5:
                let v = hex(64)
                remember(4, v)
                pattern = "[file:hashes.'SHA-256' = '\(v)']"
            default:
                let a = ipv4().split(separator: ".").prefix(2).joined(separator: ".")
                remember(5, a)
                pattern = "[ipv4-addr:value ISSUBSET '\(a).0.0/16']"
            }
        }
        return (id, pattern)
    }

    mutating func complexPattern() -> String {
        switch int(5) {
        case 0:
            let h = hex(32)
            remember(4, h)
            return "[file:hashes.MD5 = '\(h)' AND file:size > \(int(100_000))]"
        case 1: return "[url:value MATCHES '^https?://[^/]*\(hex(6))']"
        case 2: return "[ipv4-addr:value = '\(ipv4())'] AND [domain-name:value = '\(domain())']"
        case 3: return "([ipv4-addr:value ISSUBSET '\(ipv4())/24'] REPEATS 5 TIMES) WITHIN 600 SECONDS"
        default: return "[domain-name:value LIKE 'd\(int(1000))%.kr' AND domain-name:value != 'd1.kr']"
        }
    }

    /// A single SCO; with probability `hitRate` its value is one an indicator names.
    public mutating func nextObservation(hitRate: Double) -> JSONObject {
        let hit = Double(int(10_000)) < hitRate * 10_000
        func pick(_ kind: Int, _ fresh: () -> String) -> String {
            hit && !seen[kind].isEmpty ? seen[kind][int(seen[kind].count)] : fresh()
        }
        let o: [(String, JSONValue)]
        switch int(6) {
        case 0: o = [("type", "ipv4-addr"), ("value", .string(pick(0) { ipv4() }))]
        case 1: o = [("type", "ipv6-addr"), ("value", .string(pick(1) { ipv6() }))]
        case 2:
            var d = pick(2) { domain() }
            if int(3) == 0 { d = "www." + d }
            o = [("type", "domain-name"), ("value", .string(d))]
        case 3: o = [("type", "url"), ("value", .string(pick(3) { "http://\(domain())/\(hex(8)).php" }))]
        case 4:
            let h = pick(4) { hex(64) }
            let name = h.count == 32 ? "MD5" : "SHA-256"
            o = [
                ("type", "file"), ("hashes", .object(JSONObject([JSONMember(key: name, value: .string(h))]))),
                ("size", .int(Int64(int(200_000)))),
            ]
        default:
            let prefix = pick(5) { ipv4().split(separator: ".").prefix(2).joined(separator: ".") }
            o = [("type", "ipv4-addr"), ("value", .string("\(prefix).\(int(256)).\(int(256))"))]
        }
        return JSONObject(o.map { JSONMember(key: $0.0, value: $0.1) })
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
