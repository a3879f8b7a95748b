import Attribution
import Patterning
import STIX
import Sigma

/// Sigma rules made from the knowledge base's indicators, so that `investigate` sweeps every event for
/// known infrastructure and files in the same pass as its behaviour rules: an event that touches an
/// address, domain or file an indicator links to an actor is a detection even when no behaviour rule
/// fires on it.
///
/// Only patterns that say "this value" translate to a log search: one observation (or an `OR` of
/// them) whose tests, joined by `OR`, are `=`, `IN` or `ISSUBSET` on `ipv4-addr:value`,
/// `ipv6-addr:value`, `domain-name:value` or a file hash. Each becomes a product-wide Windows rule over
/// the fields where Sysmon and the Security log record such values; the rest are counted as not
/// expressible. The detections carry the values, so attribution then matches them against the same
/// indicators with the patterning engine's full semantics.
public enum IndicatorRules {
    /// What was made.
    public struct Made: Sendable {
        public var rules: RuleCollection
        /// Indicators whose pattern is not a plain value search (counted, left out).
        public var notExpressible: Int
    }

    /// Event fields that hold an IP address (Sysmon network connections, Security WFP and logon events).
    static let addressFields = ["DestinationIp", "SourceIp", "DestAddress", "SourceAddress", "IpAddress"]
    /// Event fields that hold a host name looked up or connected to (Sysmon DNS queries and connections).
    static let domainFields = ["QueryName", "DestinationHostname"]
    /// Event fields that hold `ALGORITHM=hex` lists (Sysmon process, image-load and file events).
    static let hashFields = ["Hashes", "Hash"]

    /// One indicator as a rule's detection: field → values (`|modifier` in the key), any of which matches.
    struct Search {
        var items: [(field: String, values: [String])] = []
    }

    /// Rules for the indicators that `indicate` an actor in the knowledge base.
    public static func make(from graph: KnowledgeGraph) -> Made {
        make(
            from: graph.indicatorLinks.map { link in
                (id: link.id, pattern: link.pattern, actors: graph.actors.filter { link.actors.contains($0.id) }.map(\.name).sorted())
            })
    }

    /// Rules for indicators given as id, pattern and the names of the actors they indicate (none for
    /// indicators of unknown origin, such as a partner's list given to `hunt --indicators`).
    public static func make(from indicators: [(id: String, pattern: String, actors: [String])]) -> Made {
        var yaml = ""
        var notExpressible = 0
        var made = 0
        for i in indicators {
            guard let pattern = try? Pattern.parse(i.pattern), let search = search(pattern.root) else {
                notExpressible += 1
                continue
            }
            yaml += document(for: i.id, pattern: i.pattern, actors: i.actors, search: search)
            made += 1
        }
        var rules = made == 0 ? RuleCollection() : RuleLoader.load(text: yaml, file: "<indicators>")
        rules.files = 0
        return Made(rules: rules, notExpressible: notExpressible)
    }

    /// The search an observation expression stands for, or `nil` when it is not a plain value search.
    static func search(_ e: ObservationExpression) -> Search? {
        switch e {
        case .observation(let c):
            var s = Search()
            guard add(c, to: &s) else { return nil }
            return s
        case .or(let xs):
            var s = Search()
            for x in xs {
                guard let part = search(x) else { return nil }
                s.items += part.items
            }
            return s
        default:
            return nil
        }
    }

    static func add(_ c: ComparisonExpression, to s: inout Search) -> Bool {
        switch c {
        case .or(let xs):
            for x in xs { guard add(x, to: &s) else { return false } }
            return true
        case .and:
            return false
        case .test(let t):
            guard !t.negated else { return false }
            var values: [String] = []
            switch t.op {
            case .equal:
                guard case .string(let v)? = t.value else { return false }
                values = [v]
            case .in:
                for l in t.set {
                    guard case .string(let v) = l else { return false }
                    values.append(v)
                }
            case .isSubset:
                guard case .string(let v)? = t.value, IPNetwork(v) != nil else { return false }
                values = [v]
            default:
                return false
            }
            let steps = t.path.steps
            switch t.path.objectType {
            case "ipv4-addr", "ipv6-addr":
                guard steps.count == 1, case .key("value") = steps[0],
                    values.allSatisfy({ IPNetwork($0) != nil })
                else { return false }
                let suffix = t.op == .isSubset ? "|cidr" : ""
                for f in addressFields { s.items.append((f + suffix, values)) }
            case "domain-name":
                guard t.op != .isSubset, steps.count == 1, case .key("value") = steps[0],
                    values.allSatisfy(isHostName)
                else { return false }
                for f in domainFields { s.items.append((f, values)) }
            case "file":
                guard t.op != .isSubset, steps.count == 2, case .key("hashes") = steps[0], case .key(let algorithm) = steps[1],
                    let name = sysmonName(algorithm), values.allSatisfy(isHex)
                else { return false }
                for f in hashFields { s.items.append((f + "|contains", values.map { "\(name)=\($0)" })) }
            default:
                return false
            }
            return true
        }
    }

    /// Sysmon's name for a STIX hash algorithm.
    static func sysmonName(_ stix: String) -> String? {
        switch stix.uppercased() {
        case "MD5": return "MD5"
        case "SHA-1", "SHA1": return "SHA1"
        case "SHA-256", "SHA256": return "SHA256"
        default: return nil
        }
    }

    static func isHex(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }
    }

    static func isHostName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 253
            && s.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || $0 == 0x2D || $0 == 0x2E
                    || $0 == 0x5F
            }
    }

    /// A YAML single-quoted scalar.
    static func quoted(_ s: String) -> String {
        "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    static func document(for id: String, pattern: String, actors: [String], search: Search) -> String {
        let ruleID = STIXIdentifier.uuid5(namespace: STIXIdentifier.sightlineNamespace, name: "indicator-rule:" + id)
        let shown = pattern.count > 120 ? String(pattern.prefix(117)) + "…" : pattern
        let who = actors.joined(separator: ", ")
        var out = "---\n"
        if actors.isEmpty {
            out += "title: \(quoted("Indicator match: \(shown)"))\n"
            out += "id: \(ruleID)\n"
            out += "status: experimental\n"
            out += "description: \(quoted("STIX indicator \(id). The match says the value was seen, not who used it."))\n"
        } else {
            out += "title: \(quoted("Known indicator of \(who): \(shown)"))\n"
            out += "id: \(ruleID)\n"
            out += "status: experimental\n"
            out += "description: \(quoted("STIX indicator \(id) from the knowledge base, which links it to \(who). Infrastructure can be shared or reused; the match says the value was seen, not who used it."))\n"
        }
        out += "author: Sightline (made from STIX indicators)\n"
        out += "logsource:\n    product: windows\n"
        out += "detection:\n    selection:\n"
        for item in search.items {
            out += "        - \(item.field):\n"
            for v in item.values { out += "              - \(quoted(v))\n" }
        }
        out += "    condition: selection\n"
        out += "level: high\n"
        return out
    }
}
