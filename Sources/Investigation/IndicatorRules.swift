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
/// `ipv6-addr:value`, `domain-name:value` or a file hash. Their values go into product-wide Windows
/// rules over the fields where Sysmon and the Security log record such values, one rule per set of
/// actors and kind of value; the rest are counted as not expressible. The detections carry the values,
/// so attribution then matches them against the same indicators with the patterning engine's full
/// semantics, and `pattern match` names the indicator.
public enum IndicatorRules {
    /// What was made.
    public struct Made: Sendable {
        public var rules: RuleCollection
        /// Indicators swept for (their values are in the rules).
        public var swept: Int
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

    /// Rules for the indicators that `indicate` an actor, software or a technique in the knowledge base:
    /// named after the actors and software, and tagged with the software's and techniques' ATT&CK ids
    /// (`attack.s0366`, `attack.t1486`), so that a detection carries them as a rule's tags do.
    public static func make(from graph: KnowledgeGraph) -> Made {
        let softwareNames = Dictionary(
            graph.nodes.values.compactMap { n in n.attackID.map { ($0, n.name) } }, uniquingKeysWith: { a, _ in a })
        return make(
            sources: graph.indicatorLinks.map { link in
                Source(
                    id: link.id, pattern: link.pattern,
                    names: graph.actors.filter { link.actors.contains($0.id) }.map(\.name).sorted()
                        + link.software.sorted().map { softwareNames[$0] ?? $0 },
                    tags: (link.software.sorted() + link.techniques.sorted()).map { "attack." + $0.lowercased() })
            }, source: "the knowledge base")
    }

    /// An indicator to sweep for: what its rule is named after, and the tags its rule carries.
    struct Source {
        var id: String
        var pattern: String
        var names: [String]
        var tags: [String] = []
    }

    /// Rules for indicators given as id, pattern and the names of the actors they indicate (none for
    /// indicators of unknown origin, such as a partner's list given to `hunt --indicators`).
    ///
    /// Indicators are grouped, not made into a rule each: per set of actors, one rule per kind of value
    /// (addresses, network blocks, domains, hashes) holding every value of that kind. A rule per
    /// indicator made 31,000 rules of a 31,000-indicator feed (`cidr` rules, which no literal prefilter
    /// can skip, were evaluated on every event: 4,400 events/s and 264 MB); grouped, the equality rules
    /// are evaluated only on events where the literal prefilter sees one of their values.
    public static func make(
        from indicators: [(id: String, pattern: String, actors: [String])], source: String = "the knowledge base"
    ) -> Made {
        make(sources: indicators.map { Source(id: $0.id, pattern: $0.pattern, names: $0.actors) }, source: source)
    }

    static func make(sources indicators: [Source], source: String) -> Made {
        // Per set of actors: each field's values in first-seen order, once each.
        struct Group {
            var fields: [String] = []
            var values: [String: [String]] = [:]
            var seen: [String: Set<String>] = [:]
            var indicators = 0
        }
        // Grouped by what the rule is named after and tagged with.
        struct Key: Hashable {
            var names: [String]
            var tags: [String]
        }
        var groups: [Key: Group] = [:]
        var notExpressible = 0
        for i in indicators {
            guard let pattern = try? Pattern.parse(i.pattern), let search = search(pattern.root) else {
                notExpressible += 1
                continue
            }
            let key = Key(names: i.names, tags: i.tags)
            groups[key, default: Group()].indicators += 1
            for item in search.items {
                if groups[key]!.values[item.field] == nil { groups[key]!.fields.append(item.field) }
                for v in item.values where groups[key]!.seen[item.field, default: []].insert(v).inserted {
                    groups[key]!.values[item.field, default: []].append(v)
                }
            }
        }
        var documents: [YAMLNode] = []
        let order = groups.keys.sorted {
            ($0.names.joined(separator: ","), $0.tags.joined(separator: ",")) < ($1.names.joined(separator: ","), $1.tags.joined(separator: ","))
        }
        for key in order {
            let g = groups[key]!
            // One rule per kind of value.
            for kind in ["address", "network", "domain", "hash"] {
                let items = g.fields.filter { Self.kind(of: $0) == kind }.map { (field: $0, values: g.values[$0]!) }
                guard !items.isEmpty else { continue }
                documents.append(
                    document(
                        kind: kind, actors: key.names, tags: key.tags, values: items[0].values.count, source: source, items: items))
            }
        }
        // Made as nodes, not YAML text: a feed's tens of thousands of values would take seconds to parse.
        var rules =
            documents.isEmpty ? RuleCollection() : RuleLoader.load(documents: documents, file: "<indicators from \(source)>")
        rules.files = 0
        return Made(rules: rules, swept: groups.values.reduce(0) { $0 + $1.indicators }, notExpressible: notExpressible)
    }

    /// The kind of value a rule field holds.
    static func kind(of field: String) -> String {
        if field.hasSuffix("|cidr") { return "network" }
        if field.hasSuffix("|contains") { return "hash" }
        if domainFields.contains(field) { return "domain" }
        return "address"
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
                if t.op == .isSubset {
                    for f in addressFields { s.items.append((f + "|cidr", values)) }
                    break
                }
                // IPv4 also as the Security log's IPv4-mapped spelling; IPv6 as a one-address network,
                // since logs spell IPv6 addresses in several ways (compressed or not).
                let v4 = values.filter { !$0.contains(":") }
                let v6 = values.filter { $0.contains(":") }
                if !v4.isEmpty { for f in addressFields { s.items.append((f, v4 + v4.map { "::ffff:" + $0 })) } }
                if !v6.isEmpty { for f in addressFields { s.items.append((f + "|cidr", v6)) } }
            case "domain-name":
                guard t.op != .isSubset, steps.count == 1, case .key("value") = steps[0],
                    values.allSatisfy(isHostName)
                else { return false }
                for f in domainFields { s.items.append((f, values)) }
            case "file":
                guard t.op != .isSubset, steps.count == 2, case .key("hashes") = steps[0], case .key(let algorithm) = steps[1],
                    let name = sysmonName(algorithm), let length = hexLength(name),
                    values.allSatisfy({ isHex($0) && $0.utf8.count == length })
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

    /// Hex digits of a hash (a shorter value would match the start of another hash: `contains`).
    static func hexLength(_ sysmonName: String) -> Int? {
        switch sysmonName {
        case "MD5": return 32
        case "SHA1": return 40
        case "SHA256": return 64
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

    static func document(
        kind: String, actors: [String], tags: [String] = [], values: Int, source: String, items: [(field: String, values: [String])]
    ) -> YAMLNode {
        func text(_ s: String) -> YAMLNode { .scalar(s, plain: false) }
        let who = actors.joined(separator: ", ")
        let tagged = tags.isEmpty ? "" : ":" + tags.joined(separator: ",")
        let ruleID = STIXIdentifier.uuid5(
            namespace: STIXIdentifier.sightlineNamespace, name: "indicator-rule:\(source):\(who)\(tagged):\(kind)")
        let title = actors.isEmpty ? "Indicator match (\(kind)) from \(source)" : "Known indicator of \(who) (\(kind))"
        let links = actors.isEmpty ? "" : ", which links them to \(who)"
        let description =
            "\(values) \(kind) value(s) of the STIX indicators in \(source)\(links). Infrastructure can be shared or "
            + "reused; a match says the value was seen, not who used it."
        let selection = YAMLNode.sequence(
            items.map { item in .mapping([(key: item.field, value: .sequence(item.values.map(text)))]) })
        return .mapping([
            (key: "title", value: text(title)),
            (key: "id", value: text(ruleID)),
            (key: "status", value: text("experimental")),
            (key: "description", value: text(description)),
            (key: "author", value: text("Sightline (made from STIX indicators)")),
            (key: "logsource", value: .mapping([(key: "product", value: text("windows"))])),
            (
                key: "detection",
                value: .mapping([(key: "selection", value: selection), (key: "condition", value: text("selection"))])
            ),
            (key: "level", value: text("high")),
        ] + (tags.isEmpty ? [] : [(key: "tags", value: .sequence(tags.map(text)))]))
    }
}
