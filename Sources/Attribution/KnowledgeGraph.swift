import FuzzyHash
import Indicators
import JSON
import Knowledge
import STIX

/// A compact, in-memory view of the knowledge base that attribution reasons over.
///
/// Built once from a ``KnowledgeStore``; holdout experiments remove relationships from a copy of it
/// (it is a value type) and rebuild the model, without touching the store.
public struct KnowledgeGraph: Sendable {
    /// An actor as attribution sees it.
    public struct Actor: Sendable {
        public var id: String
        public var attackID: String?
        public var name: String
        public var aliases: [String]
        public var countries: [String]
        public var sectors: [String]
        public var targetCountries: [String]
        public var memberIDs: [String]
    }

    /// A `uses` or `attributed-to` relationship, with the references that support it.
    public struct Edge: Sendable, Hashable {
        public var id: String
        public var type: String
        public var source: String
        public var target: String
        /// Source names of its external references (the reports it cites).
        public var references: Set<String>
        public var description: String
    }

    /// A technique, software or campaign, by STIX id.
    public struct Node: Sendable {
        public var type: String
        public var attackID: String?
        public var name: String
        public var aliases: [String] = []
    }

    public var actors: [Actor]
    /// Which actor an intrusion set (member) belongs to.
    public var actorOfMember: [String: String]
    public var edges: [Edge]
    public var nodes: [String: Node]
    /// Sub-technique id → parent technique id (ATT&CK ids).
    public var parentTechnique: [String: String]
    /// Group actor id → umbrella actor id (e.g. APT38 → Lazarus Group), from MISP entries that merged into
    /// the umbrella and name the subgroup as a synonym.
    public var umbrella: [String: String]
    /// Indicator values (lowercased literals of STIX patterns) → actors the indicator `indicates`; used
    /// for TLSH digests, which are compared by distance rather than matched.
    public var indicatorActors: [String: Set<String>]
    /// The actor-linked indicators (ids) whose patterns quote each literal, lowercased.
    public var indicatorsQuoting: [String: Set<String>]
    /// The indicators that `indicate` an actor, indexed by their STIX patterns: an observed address,
    /// domain, URL or hash is matched with the patterning engine's semantics (CIDR blocks, `LIKE`,
    /// `MATCHES`, equality), without evaluating every indicator.
    public var indicatorIndex: IndicatorIndex
    /// For each indicator of ``indicatorIndex`` (by ordinal): its id, pattern, and what it indicates: actors,
    /// software (ATT&CK S-ids of `malware` and `tool` objects) and techniques (T-ids of `attack-pattern`
    /// objects).
    public var indicatorLinks: [IndicatorLink]

    public struct IndicatorLink: Sendable {
        public var id: String
        public var pattern: String
        public var actors: Set<String>
        public var software: Set<String> = []
        public var techniques: Set<String> = []
    }
    /// ssdeep digests among the literals of actor-linked indicators (`[file:hashes.SSDEEP = '…']`), in
    /// their own case (ssdeep signatures are case-sensitive base64), with the actors they are linked to.
    public var ssdeepSamples: [(digest: SSDeepDigest, actors: Set<String>)]

    /// Reads the graph from a store: visible actors, techniques, software, campaigns and their relationships.
    public init(store: KnowledgeStore) throws {
        let summaries = try store.actors()
        actors = summaries.map {
            Actor(
                id: $0.id, attackID: $0.attackID, name: $0.name, aliases: $0.aliases, countries: $0.countries,
                sectors: $0.sectors, targetCountries: $0.targetCountries, memberIDs: $0.memberIDs)
        }
        var memberMap: [String: String] = [:]
        for a in actors { for m in a.memberIDs { memberMap[m] = a.id } }
        actorOfMember = memberMap
        var nodes: [String: Node] = [:]
        var parents: [String: String] = [:]
        for o in try store.currentObjects(types: ["attack-pattern", "malware", "tool", "campaign", "intrusion-set"]) {
            nodes[o.id] = Node(type: o.type, attackID: o.attackID, name: o.name ?? o.id, aliases: o.aliases)
            if o.type == "attack-pattern", let a = o.attackID, let dot = a.firstIndex(of: ".") {
                parents[a] = String(a[..<dot])
            }
        }
        self.nodes = nodes
        parentTechnique = parents
        var edges: [Edge] = []
        var indicates: [(indicator: String, target: String)] = []
        for o in try store.currentObjects(types: ["relationship"]) {
            if o.relationshipType == "indicates", let s = o.sourceRef, let t = o.targetRef {
                indicates.append((s, t))
                continue
            }
            guard let t = o.relationshipType, t == "uses" || t == "attributed-to",
                let s = o.sourceRef, let g = o.targetRef, nodes[g] != nil || memberMap[g] != nil
            else { continue }
            let refs = Set(o.externalReferences.map(\.sourceName).filter { $0 != "mitre-attack" })
            edges.append(Edge(id: o.id, type: t, source: s, target: g, references: refs, description: o.description ?? ""))
        }
        self.edges = edges
        var umbrella: [String: String] = [:]
        for c in try store.conflicts() {
            guard let parent = memberMap[c.memberID], c.reason.hasPrefix("merged into") else { continue }
            for candidate in c.candidateIDs {
                if let child = memberMap[candidate], child != parent { umbrella[child] = parent }
            }
        }
        self.umbrella = umbrella
        // Indicators linked to actors: `indicator --indicates--> intrusion-set`.
        // And to software and techniques: `indicator --indicates--> malware | tool | attack-pattern`.
        var actorsOfIndicator: [String: Set<String>] = [:]
        var softwareOfIndicator: [String: Set<String>] = [:]
        var techniquesOfIndicator: [String: Set<String>] = [:]
        for (s, t) in indicates {
            if let actor = memberMap[t] {
                actorsOfIndicator[s, default: []].insert(actor)
            } else if let node = nodes[t], let id = node.attackID {
                if node.type == "malware" || node.type == "tool" { softwareOfIndicator[s, default: []].insert(id) }
                if node.type == "attack-pattern" { techniquesOfIndicator[s, default: []].insert(id) }
            }
        }
        var links: [String: Set<String>] = [:]
        var quoting: [String: Set<String>] = [:]
        var ssdeep: [SSDeepDigest: Set<String>] = [:]
        var index = IndicatorIndex()
        var indexed: [IndicatorLink] = []
        for o in try store.currentObjects(types: ["indicator"]) {
            let actors = actorsOfIndicator[o.id] ?? []
            let software = softwareOfIndicator[o.id] ?? []
            let techniques = techniquesOfIndicator[o.id] ?? []
            guard let p = o["pattern"]?.stringValue, !(actors.isEmpty && software.isEmpty && techniques.isEmpty) else { continue }
            if !actors.isEmpty {
                for v in Self.literals(in: p) {
                    links[v.lowercased(), default: []].formUnion(actors)
                    quoting[v.lowercased(), default: []].insert(o.id)
                }
            }
            guard (o["pattern_type"]?.stringValue ?? "stix") == "stix" else { continue }
            if !actors.isEmpty {
                for v in Self.ssdeepLiterals(in: p) {
                    if let d = SSDeepDigest(v) { ssdeep[d, default: []].formUnion(actors) }
                }
            }
            // Ordinals count every pattern added, the invalid ones too (they never match).
            _ = index.add(id: o.id, pattern: p)
            indexed.append(IndicatorLink(id: o.id, pattern: p, actors: actors, software: software, techniques: techniques))
        }
        indicatorActors = links
        indicatorsQuoting = quoting
        indicatorIndex = index
        indicatorLinks = indexed
        ssdeepSamples = ssdeep.map { (digest: $0.key, actors: $0.value) }.sorted { $0.digest.text < $1.digest.text }
    }

    /// Observed objects to look up for an observed value: an address, domain or URL as its SCO (domains
    /// also lowercased: DNS names are not case-sensitive), a hash as a file's MD5, SHA-1 or SHA-256 (by
    /// length) in lower and upper case (hex digits have no case).
    static func observedObjects(type: String, value: String) -> [JSONObject] {
        func sco(_ t: String, _ v: String) -> JSONObject {
            JSONObject([JSONMember(key: "type", value: .string(t)), JSONMember(key: "value", value: .string(v))])
        }
        if type == "file" {
            let algorithm: String
            switch value.utf8.count {
            case 32: algorithm = "MD5"
            case 40: algorithm = "SHA-1"
            case 64: algorithm = "SHA-256"
            default: return []
            }
            return Set([value.lowercased(), value.uppercased()]).sorted().map { v in
                JSONObject([
                    JSONMember(key: "type", value: .string("file")),
                    JSONMember(key: "hashes", value: .object(JSONObject([JSONMember(key: algorithm, value: .string(v))]))),
                ])
            }
        }
        if type == "domain-name" && value.lowercased() != value { return [sco(type, value), sco(type, value.lowercased())] }
        return [sco(type, value)]
    }

    /// The indicators (ordinals of ``indicatorIndex``) an observed value matches.
    public func matchingIndicators(type: String, value: String) -> [Int32] {
        var out: [Int32] = []
        for o in Self.observedObjects(type: type, value: value) { out += indicatorIndex.matches(o) }
        return Array(Set(out)).sorted()
    }

    /// The literals a STIX pattern compares `hashes.SSDEEP` (or `hashes.'SSDEEP'`) with by `=`, as written:
    /// only those are ssdeep digests (a file name may look like one).
    static func ssdeepLiterals(in pattern: String) -> [String] {
        quotedValues(in: pattern).compactMap { v in
            var path = v.before.filter { $0 != "'" && $0 != " " }.uppercased()
            guard path.hasSuffix("=") else { return nil }
            path.removeLast()
            return path.hasSuffix("HASHES.SSDEEP") ? v.value : nil
        }
    }

    /// The quoted string literals of a STIX pattern, as written (`[ipv4-addr:value = '1.2.3.4']` → `1.2.3.4`).
    static func literals(in pattern: String) -> [String] { quotedValues(in: pattern).map(\.value) }

    /// The quoted values of a STIX pattern, as written, each with the pattern text between the previous
    /// value and it (its object path and operator, quoted path keys such as `hashes.'SHA-256'` included).
    static func quotedValues(in pattern: String) -> [(value: String, before: Substring)] {
        var out: [(value: String, before: Substring)] = []
        var current = ""
        var inside = false
        var escaped = false
        var isPathKey = false
        var previous: Character = " "
        var segmentStart = pattern.startIndex
        var quote = pattern.startIndex
        for i in pattern.indices {
            let ch = pattern[i]
            if inside {
                if escaped {
                    current.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "'" {
                    // A quoted key in an object path (hashes.'SHA-256') is not a value.
                    if !isPathKey {
                        out.append((current, pattern[segmentStart..<quote]))
                        segmentStart = pattern.index(after: i)
                    }
                    current = ""
                    inside = false
                } else {
                    current.append(ch)
                }
            } else if ch == "'" {
                inside = true
                isPathKey = previous == "."
                quote = i
            }
            previous = ch
        }
        return out
    }

    /// The actor a STIX id belongs to (an intrusion set's actor), if any.
    public func actor(of id: String) -> String? { actorOfMember[id] }
}

extension KnowledgeGraph {
    /// The graph as one JSON document (actors, nodes, edges, parents, umbrellas), for offline analysis of
    /// the attribution model (`sightline evaluate attribution --export-graph FILE`).
    public func exportJSON() -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
        let actorValues: [JSONValue] = actors.map { a in
            .object(
                JSONObject(pairs: [
                    "id": .string(a.id), "attack_id": a.attackID.map { .string($0) } ?? .null, "name": .string(a.name),
                    "countries": strings(a.countries), "sectors": strings(a.sectors),
                    "target_countries": strings(a.targetCountries), "members": strings(a.memberIDs),
                ]))
        }
        let nodeValues: [JSONValue] = nodes.keys.sorted().map { id in
            let n = nodes[id]!
            return .object(
                JSONObject(pairs: [
                    "id": .string(id), "type": .string(n.type), "attack_id": n.attackID.map { .string($0) } ?? .null,
                    "name": .string(n.name),
                ]))
        }
        let edgeValues: [JSONValue] = edges.map { e in
            .object(
                JSONObject(pairs: [
                    "id": .string(e.id), "type": .string(e.type), "source": .string(e.source), "target": .string(e.target),
                    "references": strings(e.references.sorted()), "description": .string(e.description),
                ]))
        }
        return .object(
            JSONObject(pairs: [
                "actors": .array(actorValues), "nodes": .array(nodeValues), "edges": .array(edgeValues),
                "parents": .object(JSONObject(parentTechnique.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: .string($0.value)) })),
                "umbrella": .object(JSONObject(umbrella.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: .string($0.value)) })),
            ]))
    }
}
