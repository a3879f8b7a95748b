import Foundation
import FuzzyHash
import Knowledge
import STIX

/// One piece of evidence's contribution to a candidate's score.
public struct EvidenceContribution: Sendable, Equatable {
    /// technique, software, victim-sector, victim-country, activity-time, indicator.
    public var kind: String
    public var value: String
    /// Log-likelihood ratio this item adds to the candidate's score (natural log).
    public var weight: Double
    public var explanation: String
    /// Where the item came from (a detection and its file and record), when known.
    public var source: String? = nil
    /// How far the item itself can be trusted — not how much it weighs: `high` (software named by a
    /// detection, near-identical code, the victims as the responders know them), `medium` (a technique a
    /// detection maps to; a Sigma rule's level can raise or lower it), `low` (infrastructure, which is
    /// shared and spoofed; activity hours, which operators can shift; distant code similarity), or
    /// `derived` (computed from the other items).
    public var reliability: String = "medium"
}

/// A ranked candidate actor.
public struct AttributionCandidate: Sendable {
    public var id: String
    public var attackID: String?
    public var name: String
    public var aliases: [String]
    public var country: String?
    /// The umbrella actor it belongs to (APT38 → Lazarus Group), when known.
    public var umbrellaID: String?
    public var umbrellaName: String?
    /// Sum of the evidence contributions.
    public var score: Double
    /// Calibrated probability that this actor is the one behind the evidence.
    public var confidence: Double
    public var evidence: [EvidenceContribution]
}

/// The answer to "who did this".
public struct AttributionResult: Sendable {
    public var candidates: [AttributionCandidate]
    /// Probability that none of the known actors did it.
    public var unknownActorConfidence: Double
    /// Confidence per umbrella actor (subgroups summed into their umbrella), best first.
    public var umbrellas: [(id: String, name: String, confidence: Double)]
    /// Confidence per country of origin, summed over the actors whose country is known, best first.
    public var countries: [(country: String, confidence: Double)]
    /// Evidence items that could not be used, and why.
    public var notes: [String]
    /// "insufficient evidence", "unknown actor", or nil when a candidate or umbrella actor leads.
    public var verdict: String?
}

/// Ranks the knowledge base's actors for a body of evidence.
///
/// Each actor is a set of weighted features — ATT&CK techniques (with their parent techniques at a lower
/// weight), software, targeted sectors and countries — learned from its own `uses` relationships, those of
/// campaigns attributed to it, and, at a low weight, the techniques of the software it uses. The score has
/// three parts:
///
/// - **Per-item likelihood ratios** (a Bernoulli naive-Bayes view): each observed feature adds
///   log(P(actor shows it) / P(an average actor shows it)), with P(actor shows it) smoothed toward the
///   share of actors that show it. A technique 150 groups use adds little, software one group uses adds
///   much, and a feature the actor is not known for costs the same for every actor — so a large profile is
///   not penalized for its size, as it would be under a multinomial model, and a tiny profile does not win
///   by matching nothing.
/// - **Profile resemblance**: the IDF-weighted cosine between the evidence and the actor's recorded
///   techniques and software, which rewards an actor whose profile the evidence covers as a whole.
/// - **Close match**: a bonus where the cosine with the actor's whole record (own and campaigns'),
///   without the floor that damps small profiles, is high (the evidence and the record are nearly the
///   same set), large enough to outweigh the likelihood ratios. These favour large profiles, which cover
///   more of any evidence; the close match lets a small profile that the evidence reproduces win (report-level holdout 46% → 60% top-1; the campaigns' top-1
///   unchanged).
///
/// Activity times add a bounded likelihood ratio for actors whose country's office hours they fit;
/// indicators linked to an actor in the knowledge base add a fixed strong ratio.
///
/// Confidence has two calibrated parts (both fitted by `sightline evaluate attribution`): the probability
/// that a known actor did it at all — a logistic function of how well the best actor fits (its score per
/// square root of the number of evidence items) — and, given that, a softmax over the actors' scores at a
/// fitted temperature. "Unknown actor" takes the rest.
public struct AttributionModel: Sendable {
    /// The model's tunable constants; the defaults are the calibrated ones.
    public struct Parameters: Sendable {
        /// Strength of the prior that pulls an actor's feature probability toward the share of actors
        /// that show the feature (in pseudo-observations).
        public var smoothing: Double = 1.0
        /// Weight of a parent technique implied by a sub-technique.
        public var parentWeight: Double = 0.25
        /// Weight of observed software relative to a technique (software is rarer and more telling).
        public var softwareWeight: Double = 2.0
        /// Weight of a technique implied by software the actor uses.
        public var softwareTechniqueWeight: Double = 0.2
        /// Weight of the profile-resemblance term (IDF-weighted cosine, 0–1).
        public var similarityWeight: Double = 10
        /// Floor added (in quadrature) to the evidence's and the profile's IDF norms in the resemblance:
        /// about the weight of two rare items.
        public var resemblanceFloor: Double = 5
        /// A close match: where the evidence and an actor's record (its own and its campaigns' techniques
        /// and software) are nearly the same set (their IDF-weighted cosine, without a floor, above this
        /// threshold), the excess counts `closeMatchWeight` per evidence item and per unit of cosine,
        /// enough to rank the closest matches first.
        public var closeMatchThreshold: Double = 0.3
        public var closeMatchWeight: Double = 20
        /// Observed techniques and software a close match needs (counting those some ranked actors record
        /// and others do not): with fewer, a profile of one or two items matches by chance (one common
        /// technique is "the same set" as a group known for nothing else).
        public var closeMatchMinimumItems = 5
        /// Softmax temperature among the actors (scores per square root of the evidence count are divided by it).
        public var temperature: Double = 0.708
        /// Logistic fit of P(a known actor did it) on the best actor's score per square root of the evidence
        /// count: slope and intercept.
        public var knownSlope: Double = 0.125
        public var knownIntercept: Double = 0.045
        /// Log-likelihood ratio of an indicator the knowledge base links to the actor.
        public var indicatorWeight: Double = 3.0
        /// Largest log-likelihood ratio of observed addresses located in the actor's country (all of at
        /// least five located addresses there): weak, as activity hours are.
        public var infrastructureCountryWeight: Double = 0.5
        public init() {}
    }

    public let graph: KnowledgeGraph
    public let parameters: Parameters
    /// Actors with at least one feature (only they can be ranked).
    let actorIndex: [Int]
    /// Per ranked actor: feature → (weight, provenance).
    let features: [[String: (Double, String)]]
    /// Feature → summed weight over the ranked actors (a weighted count of the actors that show it).
    let background: [String: Double]
    let documentFrequency: [String: Int]
    /// The actors' own techniques and software, for the resemblance term, and their whole records (own
    /// and campaigns'), for the close match.
    let ownView: ProfileView
    let recordView: ProfileView
    let featureNames: [String: String]
    let softwareByName: [String: String]
    let techniqueByName: [String: String]
    let knownAttackIDs: Set<String>
    /// TLSH digests of samples the knowledge base links to actors (from indicator patterns).
    let tlshSamples: [(TLSHDigest, Set<String>)]
    /// Distances at or above this say nothing about relatedness.
    static let tlshRelatedDistance = 100

    /// Builds the model from a graph.
    public init(graph: KnowledgeGraph, parameters: Parameters = Parameters()) {
        self.graph = graph
        self.parameters = parameters
        var names: [String: String] = [:]
        var softwareByName: [String: String] = [:]
        var techniqueByName: [String: String] = [:]
        var attackIDOf: [String: String] = [:]
        var known: Set<String> = []
        for (id, n) in graph.nodes {
            guard let a = n.attackID else { continue }
            attackIDOf[id] = a
            names[a] = n.name
            known.insert(a)
            switch n.type {
            case "malware", "tool":
                for x in [n.name] + n.aliases { softwareByName[AliasNormalizer.normalize(x)] = a }
            case "attack-pattern":
                techniqueByName[AliasNormalizer.normalize(n.name)] = a
            default: break
            }
        }
        // Software → techniques, and campaign → features.
        var softwareTechniques: [String: [String]] = [:]
        var campaignFeatures: [String: [String]] = [:]
        var actorDirect: [String: [(String, String)]] = [:]  // actor → (feature, provenance)
        var campaignActors: [String: [String]] = [:]
        for e in graph.edges {
            if e.type == "attributed-to" {
                if let actor = graph.actor(of: e.target) { campaignActors[e.source, default: []].append(actor) }
                continue
            }
            guard let f = attackIDOf[e.target] else { continue }
            let sourceType = graph.nodes[e.source]?.type
            if let actor = graph.actor(of: e.source) {
                actorDirect[actor, default: []].append((f, "direct"))
            } else if sourceType == "campaign" {
                campaignFeatures[e.source, default: []].append(f)
            } else if sourceType == "malware" || sourceType == "tool", f.hasPrefix("T") {
                if let s = attackIDOf[e.source] { softwareTechniques[s, default: []].append(f) }
            }
        }
        for (campaign, actors) in campaignActors {
            let label = graph.nodes[campaign].map { "campaign " + ($0.attackID ?? $0.name) } ?? "campaign"
            for a in actors { for f in campaignFeatures[campaign] ?? [] { actorDirect[a, default: []].append((f, label)) } }
        }
        let parents = graph.parentTechnique
        var index: [Int] = []
        var features: [[String: (Double, String)]] = []
        for (i, actor) in graph.actors.enumerated() {
            var map: [String: (Double, String)] = [:]
            func add(_ f: String, _ w: Double, _ why: String) {
                if (map[f]?.0 ?? 0) < w { map[f] = (w, why) }
            }
            for (f, why) in actorDirect[actor.id] ?? [] {
                add(f, 1, why)
                if let p = parents[f] { add(p, parameters.parentWeight, why) }
                if f.hasPrefix("S") {
                    for t in softwareTechniques[f] ?? [] {
                        add(t, parameters.softwareTechniqueWeight, "software \(f)")
                        if let p = parents[t] { add(p, parameters.softwareTechniqueWeight * parameters.parentWeight, "software \(f)") }
                    }
                }
            }
            let techniqueOrSoftware = !map.isEmpty
            for s in actor.sectors { add("sector:" + s, 1, "targets") }
            for c in actor.targetCountries { add("victim:" + c, 1, "targets") }
            guard techniqueOrSoftware else { continue }
            index.append(i)
            features.append(map)
        }
        var background: [String: Double] = [:]
        var df: [String: Int] = [:]
        for map in features {
            for (f, (w, _)) in map {
                background[f, default: 0] += w
                df[f, default: 0] += 1
            }
        }
        self.ownView = ProfileView(.own, features: features)
        self.recordView = ProfileView(.record, features: features)
        self.actorIndex = index
        self.features = features
        self.background = background
        self.documentFrequency = df
        self.featureNames = names
        self.softwareByName = softwareByName
        self.techniqueByName = techniqueByName
        self.knownAttackIDs = known
        self.tlshSamples = graph.indicatorActors.compactMap { value, actors in TLSHDigest(value).map { ($0, actors) } }
    }

    /// Number of actors the model can rank.
    public var rankedActorCount: Int { actorIndex.count }

    // MARK: Features of evidence

    struct Feature {
        var key: String
        var weight: Double
        var kind: String
        var value: String
        /// A parent technique implied by an observed sub-technique (not itself observed).
        var implied = false
        /// The item as the evidence gave it (a name, a YARA rule), which keys its provenance and reliability.
        var given: String
        /// Software read out of a longer name (a YARA rule's, an antivirus detection's): a guess.
        var guessed = false
    }

    func features(of e: Evidence, notes: inout [String]) -> [Feature] {
        var out: [Feature] = []
        var seen: Set<String> = []
        func add(
            _ key: String, _ w: Double, _ kind: String, _ value: String, implied: Bool = false, given: String? = nil,
            guessed: Bool = false
        ) {
            guard seen.insert(key).inserted else { return }
            out.append(Feature(key: key, weight: w, kind: kind, value: value, implied: implied, given: given ?? value, guessed: guessed))
        }
        var techniques: [String] = []
        for raw in e.techniques {
            let t = raw.trimmingCharacters(in: .whitespaces)
            let id = knownAttackIDs.contains(t.uppercased()) ? t.uppercased() : techniqueByName[AliasNormalizer.normalize(t)]
            guard let id, id.hasPrefix("T") else {
                notes.append("technique '\(raw)' is not in the knowledge base; ignored")
                continue
            }
            add(id, 1, "technique", id)
            techniques.append(id)
        }
        // Parents implied by sub-techniques after every observed technique, so that a parent observed
        // itself counts as observed wherever it stands in the list.
        for id in techniques {
            if let p = graph.parentTechnique[id] { add(p, parameters.parentWeight, "technique", p, implied: true) }
        }
        // Software: each name resolved first, so that one named outright keeps its full weight however
        // the list is ordered, and a guess at the same software adds nothing.
        var resolved: [(id: String, given: String, raw: String, guess: String?)] = []
        for raw in e.software {
            let s = raw.trimmingCharacters(in: .whitespaces)
            if let id = knownAttackIDs.contains(s.uppercased()) && s.uppercased().hasPrefix("S")
                ? s.uppercased() : softwareByName[AliasNormalizer.normalize(s)]
            {
                resolved.append((id, s, raw, nil))
            } else if let (found, name) = softwareNamed(within: s) {
                // A YARA rule or antivirus detection name: `win_hoplight_auto`, `Trojan.Win32.KillDisk.A`.
                resolved.append((found, s, raw, name))
            } else {
                notes.append("software '\(raw)' is not in the knowledge base; ignored")
            }
        }
        let named = Set(resolved.filter { $0.guess == nil }.map(\.id))
        for r in resolved {
            guard let name = r.guess else {
                add(r.id, parameters.softwareWeight, "software", r.id, given: r.given)
                continue
            }
            if named.contains(r.id) { continue }
            // A name read out of another is a guess (`APT_Carbon_Paper_Doc` is not the Carbon backdoor): it
            // weighs half, and is of low reliability.
            notes.append(
                "software '\(r.raw)' read as \(featureNames[r.id] ?? r.id) (\(r.id)), the name '\(name)' within it; weighed as a guess")
            add(r.id, parameters.softwareWeight / 2, "software", r.id, given: r.given, guessed: true)
        }

        for s in e.victimSectors { add("sector:" + SectorVocabulary.canonical(s), 0.5, "victim-sector", s) }
        for c in e.victimCountries { add("victim:" + c.uppercased(), 0.5, "victim-country", c.uppercased()) }
        return out
    }

    /// Words in YARA rule and antivirus detection names that name no family (a rule named
    /// `Generic_Wiper` is not Lazarus Group's Wiper, S0041).
    static let genericNameWords: Set<String> = [
        "wiper", "loader", "backdoor", "dropper", "stealer", "ransomware", "ransom", "trojan", "malware", "generic",
        "exploit", "payload", "shellcode", "injector", "downloader", "keylogger", "miner", "agent", "implant", "hacktool",
        "suspicious", "win32", "win64", "windows", "linux", "macos", "sample", "samples", "malicious", "heur", "auto",
        "webshell", "packed", "encoded", "strings", "config", "module", "plugin", "service", "installer", "launcher",
    ]

    /// The software whose name (or alias) is a run of one to three words of `text`, a YARA rule or antivirus
    /// detection name (`win_hoplight_auto`, `Trojan.Win32.KillDisk.A`, `Lazarus_Manuscrypt_Loader`):
    /// the longest run first, then the leftmost. Single words of under five letters and generic words do
    /// not count. `nil` when none is known.
    public func softwareNamed(within text: String) -> (id: String, name: String)? {
        // Words: the runs of letters and digits.
        let words = text.split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { !$0.isEmpty }
        guard words.count > 1 else { return nil }
        for length in stride(from: min(3, words.count), through: 1, by: -1) {
            for start in 0...(words.count - length) {
                let run = words[start..<(start + length)]
                let key = AliasNormalizer.normalize(run.joined())
                if length == 1 && (key.count < 5 || Self.genericNameWords.contains(key)) { continue }
                if let id = softwareByName[key] { return (id, run.joined(separator: " ")) }
            }
        }
        return nil
    }

    // MARK: Scoring

    /// The share of ranked actors that show feature `f` (weighted), with a floor for unseen features.
    func share(_ f: String) -> Double {
        let n = Double(max(features.count, 1))
        return max(background[f, default: 0], 0.5) / n
    }

    /// Log-likelihood ratio of feature `f` for ranked actor `k`, and whether the actor is known for it.
    ///
    /// Victim sectors and countries are recorded sparsely (MISP lists them for few actors), so their
    /// absence from an actor's profile is no evidence against it: they only count where they match.
    func contribution(_ k: Int, _ f: String) -> (Double, Bool) {
        let w = features[k][f]?.0 ?? 0
        if w == 0 && Self.isSparse(f) { return (0, false) }
        let base = share(f)
        let m = parameters.smoothing
        let p = (min(w, 1) + m * base) / (1 + m)
        return (log(p / base), w > 0)
    }

    static func isSparse(_ f: String) -> Bool { f.hasPrefix("sector:") || f.hasPrefix("victim:") }

    /// One view of the actors' profiles for an IDF-weighted cosine with the evidence: which entries it
    /// holds, the IDF over them (by the share of ranked actors holding each) and each actor's norm.
    struct ProfileView: Sendable {
        enum Entries: Sendable {
            /// The actor's own `uses` relationships (not a campaign's, nor implied by software or a
            /// sub-technique): the resemblance term.
            case own
            /// Its own and those of the campaigns attributed to it: the close match.
            case record

            func contain(_ weight: Double, _ provenance: String) -> Bool {
                switch self {
                case .own: weight >= 1 && provenance == "direct"
                case .record: weight >= 1 && (provenance == "direct" || provenance.hasPrefix("campaign"))
                }
            }
        }

        let entries: Entries
        let idf: [String: Double]
        let norms: [Double]

        init(_ entries: Entries, features: [[String: (Double, String)]]) {
            var df: [String: Int] = [:]
            for map in features {
                for (f, (w, why)) in map where entries.contain(w, why) && !AttributionModel.isSparse(f) { df[f, default: 0] += 1 }
            }
            let n = Double(max(features.count, 1))
            let idf = df.mapValues { log(n / Double($0)) }
            self.entries = entries
            self.idf = idf
            self.norms = features.map { map in
                sqrt(map.reduce(0.0) { acc, entry in
                    guard entries.contain(entry.value.0, entry.value.1), let x = idf[entry.key] else { return acc }
                    return acc + x * x
                })
            }
        }

        /// The evidence's observed techniques and software against `profile`: the IDF-weighted overlap
        /// (`dot`) and the evidence's squared norm, the items shared, the items with an IDF (`observed`) and
        /// those with an IDF above 0 (`telling`: some actors hold them and others do not).
        func overlap(_ profile: [String: (Double, String)], _ fs: [Feature]) -> (
            dot: Double, norm: Double, shared: Int, observed: Int, telling: Int
        ) {
            var out = (dot: 0.0, norm: 0.0, shared: 0, observed: 0, telling: 0)
            for f in fs where !f.implied && (f.kind == "technique" || f.kind == "software") {
                guard let x = idf[f.key] else { continue }
                out.observed += 1
                if x > 0 { out.telling += 1 }
                out.norm += x * x
                if let (w, why) = profile[f.key], entries.contain(w, why) {
                    out.dot += x * x
                    out.shared += 1
                }
            }
            return out
        }
    }

    /// IDF-weighted cosine between the evidence's observed techniques and software and ranked actor `k`'s
    /// own ones, with the number of shared items.
    func resemblance(_ k: Int, _ fs: [Feature]) -> (cosine: Double, shared: Int, observed: Int) {
        let o = ownView.overlap(features[k], fs)
        let profileNorm = ownView.norms[k]
        guard o.norm > 0, profileNorm > 0 else { return (0, o.shared, o.observed) }
        // Both norms are shrunk toward a floor, so that a handful of common items, or a profile of a
        // handful of items, cannot look like a close resemblance (one ubiquitous technique against an
        // actor known for little else would otherwise give a cosine near 1).
        let floor = parameters.resemblanceFloor * parameters.resemblanceFloor
        return (o.dot / (sqrt(o.norm + floor) * sqrt(profileNorm * profileNorm + floor)), o.shared, o.observed)
    }

    /// IDF-weighted cosine between the evidence's observed techniques and software and ranked actor `k`'s
    /// record (its own and its campaigns'), without a floor: how nearly the two are the same set; and the
    /// number of telling items observed (items every actor records say nothing and do not count toward
    /// the close match's minimum).
    func closeness(_ k: Int, _ fs: [Feature]) -> (cosine: Double, observed: Int) {
        let o = recordView.overlap(features[k], fs)
        let profileNorm = recordView.norms[k]
        guard o.norm > 0, profileNorm > 0 else { return (0, o.telling) }
        return (o.dot / (sqrt(o.norm) * profileNorm), o.telling)
    }


    /// Ranks actors for `evidence`.
    ///
    /// - Parameter top: how many candidates to return.
    public func attribute(_ evidence: Evidence, top: Int = 5) -> AttributionResult {
        var notes: [String] = []
        let links = directLinks(evidence, notes: &notes)
        // Software and techniques that indicators say the observed values are join the evidence as such,
        // with the indicator as their source (unless a detection named them already).
        var evidence = evidence
        for (id, why) in links.software {
            evidence.software.append(id)
            if evidence.provenance[id] == nil { evidence.provenance[id] = why }
            if evidence.reliability[id] == nil { evidence.reliability[id] = "medium" }
        }
        for (id, why) in links.techniques {
            evidence.techniques.append(id)
            if evidence.provenance[id] == nil { evidence.provenance[id] = why }
        }
        let fs = features(of: evidence, notes: &notes)
        let n = features.count
        // Actors that the evidence names directly (an indicator, a sample's code) but for which the
        // knowledge base records no technique or software (most of the MISP galaxy's actors): ranked too,
        // after the profiled ones, on what names them and on times and places; techniques, software and
        // victims say nothing about them.
        let profiledIDs = Set(actorIndex.map { graph.actors[$0].id })
        let position = Dictionary(graph.actors.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let unprofiled = Set(links.actors.filter { !profiledIDs.contains($0) }).compactMap { position[$0] }
            .sorted { (graph.actors[$0].name, $0) < (graph.actors[$1].name, $1) }
        let ranked = actorIndex + unprofiled
        let m = ranked.count
        guard m > 0 else {
            return AttributionResult(
                candidates: [], unknownActorConfidence: 1, umbrellas: [], countries: [],
                notes: notes + ["the knowledge base holds no actors with known techniques or software"],
                verdict: "unknown actor")
        }
        // Raw scores: the per-item likelihood ratios plus the resemblance terms (computed once per actor).
        let resemblances = (0..<n).map { resemblance($0, fs) }
        let wholeRecord = (0..<n).map { closeness($0, fs) }
        // Per evidence item, as the likelihood ratios add up: techniques (with implied parents) and
        // software, not victim facts, which only count where they match.
        let items = Double(fs.filter { !Self.isSparse($0.key) }.count)
        let closeMatch = wholeRecord.map {
            $0.observed < parameters.closeMatchMinimumItems
                ? 0 : parameters.closeMatchWeight * items * max(0, $0.cosine - parameters.closeMatchThreshold)
        }
        var scores = (0..<m).map { k in
            k >= n
                ? 0
                : fs.reduce(0) { $0 + $1.weight * contribution(k, $1.key).0 } + parameters.similarityWeight * resemblances[k].cosine
                    + closeMatch[k]
        }
        var extra: [[EvidenceContribution]] = Array(repeating: [], count: m)
        for k in 0..<n {
            let r = resemblances[k]
            if closeMatch[k] > 0 {
                let c = String(format: "%.2f", wholeRecord[k].cosine)
                extra[k].append(
                    EvidenceContribution(
                        kind: "profile-match", value: c, weight: closeMatch[k],
                        explanation:
                            "close match: the evidence and this actor's whole record (its own and its campaigns' techniques and software) are nearly the same set (rarity-weighted cosine \(c) without size damping, above \(String(format: "%.2f", parameters.closeMatchThreshold))), as when the knowledge base describes this actor from reports like this one",
                        reliability: "derived"))
            }
            guard r.cosine > 0 else { continue }
            extra[k].append(
                EvidenceContribution(
                    kind: "profile-similarity", value: String(format: "%.2f", r.cosine),
                    weight: parameters.similarityWeight * r.cosine,
                    explanation:
                        "\(r.shared) of the \(r.observed) observed techniques and software are among this actor's own recorded techniques and software (not its campaigns'); weighted by rarity, the evidence and those overlap with cosine \(String(format: "%.2f", r.cosine))",
                    reliability: "derived"))
        }
        // Activity times: office hours in the actor's country.
        let times = evidence.activityTimes.compactMap(Self.instant)
        if evidence.activityTimes.count > times.count {
            notes.append("\(evidence.activityTimes.count - times.count) activity times are not RFC 3339 timestamps; ignored")
        }
        if !times.isEmpty {
            for k in 0..<m {
                let actor = graph.actors[ranked[k]]
                guard let c = actor.countries.first, let offset = Self.utcOffsetHours[c] else { continue }
                let inHours = times.filter { Self.isOfficeHours($0, offsetHours: offset) }.count
                let frac = Double(inHours) / Double(times.count)
                let strength = min(Double(times.count), 10) / 10
                let w = strength * log((0.05 + frac) / (0.05 + 0.33))
                scores[k] += w
                extra[k].append(
                    EvidenceContribution(
                        kind: "activity-time", value: "\(times.count) timestamps", weight: w,
                        explanation:
                            "\(inHours) of \(times.count) activity times fall in weekday office hours (08–19) in UTC\(offset >= 0 ? "+" : "")\(Self.format(offset)), the time of \(c); weak evidence: operators can shift hours",
                        reliability: "low"))
            }
        }
        // Infrastructure location: the countries of observed addresses (given, or looked up with --geoip).
        // Weak and only positive: operators rent, relay and spoof infrastructure abroad as a rule, so an
        // address elsewhere says nothing against an actor, and one in its own country says a little.
        var located: [String: String] = [:]  // address (canonical) → country
        var unlocated: Set<String> = []
        for i in evidence.indicators where i.isAddress {
            let address = Evidence.canonicalAddress(i.value)
            if let c = i.country { located[address] = c.uppercased() } else { unlocated.insert(address) }
        }
        unlocated.subtract(located.keys)
        if !unlocated.isEmpty && (!located.isEmpty || evidence.addressesLookedUp) {
            notes.append(
                "\(unlocated.count) observed addresses have no known country ("
                    + (evidence.addressesLookedUp ? "not given, and not in the GeoIP database" : "not given; --geoip looks them up")
                    + ")")
        }
        if !located.isEmpty {
            let byCountry = Dictionary(grouping: located.values, by: { $0 }).mapValues(\.count)
            notes.append(
                "\(located.count) observed addresses located: "
                    + byCountry.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + " (weak evidence: infrastructure is rented, relayed and spoofed)")
            let strength = min(Double(located.count), 5) / 5
            for k in 0..<m {
                let actor = graph.actors[ranked[k]]
                guard let c = actor.countries.first, let m = byCountry[c] else { continue }
                let w = parameters.infrastructureCountryWeight * Double(m) / Double(located.count) * strength
                scores[k] += w
                extra[k].append(
                    EvidenceContribution(
                        kind: "infrastructure-country", value: c, weight: w,
                        explanation:
                            "\(m) of \(located.count) located addresses are in \(c), this actor's country; weak evidence: infrastructure is rented, relayed and spoofed (DarkSeoul's \"Chinese\" address was a Korean bank's)",
                        reliability: "low"))
            }
        }
        // Indicators and file hashes linked to actors.
        var sourceOf: [String: String] = [:]
        for (k, v) in evidence.provenance { sourceOf[k.lowercased()] = v }
        for (value, byActor) in links.indicators {
            for k in 0..<m {
                guard let why = byActor[graph.actors[ranked[k]].id] else { continue }
                scores[k] += parameters.indicatorWeight
                extra[k].append(
                    EvidenceContribution(
                        kind: "indicator", value: value, weight: parameters.indicatorWeight,
                        explanation: why, source: sourceOf[value.lowercased()], reliability: "low"))
            }
        }
        // Code similarity: TLSH digests near, and ssdeep digests scoring above 0 against, a sample the
        // knowledge base links to an actor. `best` is each actor's closest sample's distance or score.
        func creditCodeSimilarity(
            _ raw: String, _ best: [String: Int], weight: (Int) -> Double, explanation: (Int) -> String,
            reliability: (Int) -> String
        ) {
            for k in 0..<m {
                guard let measure = best[graph.actors[ranked[k]].id] else { continue }
                let w = weight(measure)
                scores[k] += w
                extra[k].append(
                    EvidenceContribution(
                        kind: "code-similarity", value: raw, weight: w, explanation: explanation(measure),
                        source: evidence.provenance[raw], reliability: reliability(measure)))
            }
        }
        for (raw, best) in links.tlsh {
            creditCodeSimilarity(
                raw, best, weight: { parameters.indicatorWeight * (1 - Double($0) / Double(Self.tlshRelatedDistance)) },
                explanation: {
                    "TLSH distance \($0) to a sample the knowledge base links to this actor (0 is identical; under 50 very likely related); code is shared, sold and stolen"
                },
                reliability: { $0 < 30 ? "high" : $0 < 70 ? "medium" : "low" })
        }
        for (raw, best) in links.ssdeep {
            creditCodeSimilarity(
                raw, best, weight: { parameters.indicatorWeight * Double($0) / 100 },
                explanation: {
                    "ssdeep score \($0) against a sample the knowledge base links to this actor (100 is near-identical; 0 nothing in common); code is shared, sold and stolen"
                },
                reliability: { $0 >= 80 ? "high" : $0 >= 40 ? "medium" : "low" })
        }
        if !unprofiled.isEmpty {
            notes.append(
                "\(unprofiled.count) actors named by the evidence have no recorded techniques or software ("
                    + unprofiled.prefix(5).map { graph.actors[$0].name }.joined(separator: ", ") + (unprofiled.count > 5 ? ", …" : "")
                    + "): ranked on what names them, times and places only")
        }

        // Calibrated probabilities over actors and "unknown".
        let (probs, unknown) = Self.probabilities(
            scores: scores, featureCount: fs.count, parameters: parameters)

        let order = (0..<m).sorted { (scores[$0], graph.actors[ranked[$1]].name) > (scores[$1], graph.actors[ranked[$0]].name) }
        var candidates: [AttributionCandidate] = []
        for k in order.prefix(max(top, 0)) {
            let actor = graph.actors[ranked[k]]
            var items: [EvidenceContribution] = fs.map { f in
                let (llr, has) = k < n ? contribution(k, f.key) : (0, false)
                let users = documentFrequency[f.key] ?? 0
                let label = f.kind == "technique" || f.kind == "software"
                    ? "\(f.key) \(featureNames[f.key] ?? "")".trimmingCharacters(in: .whitespaces) : f.value
                let why: String
                if k >= n {
                    why = "\(label): the knowledge base records no techniques or software for this actor, so the item says nothing for or against it"
                } else if has {
                    let via = features[k][f.key]?.1 ?? "direct"
                    let source = via == "direct" ? "knowledge base" : via
                    why = llr >= 0
                        ? "\(label): known for this actor (\(source)); \(users) of \(n) actors share it"
                        : "\(label): known for this actor only indirectly (\(source)), and \(users) of \(n) actors share it, so it counts slightly against"
                } else if Self.isSparse(f.key) {
                    why = "\(label): not recorded for this actor; victim facts are sparse, so no weight"
                } else {
                    why = "\(label): not recorded for this actor; \(users) of \(n) actors have it"
                }
                let reliability: String
                switch f.kind {
                case _ where f.implied: reliability = "derived"
                case "technique": reliability = evidence.reliability[f.given] ?? evidence.reliability[f.value] ?? "medium"
                case "software" where f.guessed: reliability = "low"
                case "software": reliability = evidence.reliability[f.given] ?? evidence.reliability[f.value] ?? "high"
                default: reliability = "high"  // victims, as the responders know them
                }
                return EvidenceContribution(
                    kind: f.kind, value: f.value, weight: f.weight * llr, explanation: why,
                    source: f.implied ? nil : evidence.provenance[f.given] ?? evidence.provenance[f.value], reliability: reliability)
            }
            items += extra[k]
            items.sort { abs($0.weight) > abs($1.weight) }
            let u = graph.umbrella[actor.id]
            candidates.append(
                AttributionCandidate(
                    id: actor.id, attackID: actor.attackID, name: actor.name, aliases: actor.aliases,
                    country: actor.countries.first, umbrellaID: u,
                    umbrellaName: u.flatMap { id in graph.actors.first { $0.id == id }?.name },
                    score: scores[k], confidence: probs[k], evidence: items))
        }
        var umbrellaTotals: [String: Double] = [:]
        var countryTotals: [String: Double] = [:]
        for k in 0..<m {
            let actor = graph.actors[ranked[k]]
            umbrellaTotals[graph.umbrella[actor.id] ?? actor.id, default: 0] += probs[k]
            if let c = actor.countries.first { countryTotals[c, default: 0] += probs[k] }
        }
        let umbrellas = umbrellaTotals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { entry in
            (id: entry.key, name: graph.actors.first { $0.id == entry.key }?.name ?? entry.key, confidence: entry.value)
        }
        let countries = countryTotals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map {
            (country: $0.key, confidence: $0.value)
        }
        var verdict: String?
        let locatedAddresses = evidence.indicators.contains { $0.isAddress && $0.country != nil }
        if fs.isEmpty && times.isEmpty && links.indicators.isEmpty && links.tlsh.isEmpty && links.ssdeep.isEmpty
            && !locatedAddresses
        {
            // Nothing to rank on: no candidate, umbrella or country is named (a ranking of equal scores
            // would only echo the knowledge base's order).
            return AttributionResult(
                candidates: [], unknownActorConfidence: unknown, umbrellas: [], countries: [],
                notes: notes + [
                    "no usable evidence: no known technique, software or victim, no indicator, hash or digest linked to an actor, no activity time or located address"
                ],
                verdict: "insufficient evidence")
        } else if unknown >= 0.5 {
            // "Unknown actor" is more likely than all the known actors together.
            verdict = "unknown actor"
        }
        return AttributionResult(
            candidates: candidates, unknownActorConfidence: unknown, umbrellas: Array(umbrellas),
            countries: Array(countries), notes: notes, verdict: verdict)
    }

    /// What in the evidence names actors directly, matched once per attribution: observed indicators and
    /// file hashes (each with, per actor, why it matches), TLSH and ssdeep digests (each with, per actor,
    /// its closest sample's distance or best score); every actor named. Values that name nobody, and digests that are not digests, are noted.
    struct DirectLinks {
        var indicators: [(value: String, byActor: [String: String])] = []
        var tlsh: [(raw: String, best: [String: Int])] = []
        var ssdeep: [(raw: String, best: [String: Int])] = []
        /// Software and techniques that matched indicators say the observed values are, with why.
        var software: [(id: String, why: String)] = []
        var techniques: [(id: String, why: String)] = []
        var actors: [String] {
            indicators.flatMap(\.byActor.keys) + tlsh.flatMap(\.best.keys) + ssdeep.flatMap(\.best.keys)
        }
    }

    /// STIX 2.1 cyber-observable types (indicators of other types are still compared as text).
    static let observableTypes: Set<String> = [
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr",
        "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    ]

    /// Whether the evidence's indicators, file hashes or fuzzy digests name anything of the knowledge base:
    /// an actor, or software or a technique (through an indicator).
    public func namesKnownThreat(_ evidence: Evidence) -> Bool {
        var notes: [String] = []
        let links = directLinks(evidence, notes: &notes)
        return !links.actors.isEmpty || !links.software.isEmpty || !links.techniques.isEmpty
    }

    func directLinks(_ evidence: Evidence, notes: inout [String]) -> DirectLinks {
        var out = DirectLinks()
        let given =
            evidence.indicators.map { (type: $0.type, value: $0.value) } + evidence.fileHashes.map { (type: "file", value: $0) }
        // Each value once, addresses in canonical form (`2001:0db8:0:0::77` is `2001:db8::77`); what is not
        // an address of its type, and types that are not STIX cyber-observables, are noted.
        var observed: [(type: String, value: String)] = []
        var seen: Set<String> = []
        var unknownTypes: Set<String> = []
        for (type, raw) in given {
            var v = raw.trimmingCharacters(in: .whitespaces)
            if type == "ipv4-addr" || type == "ipv6-addr" {
                guard Evidence.isAddress(v, ipv6: type == "ipv6-addr") else {
                    notes.append("indicator '\(raw)' is not an \(type == "ipv4-addr" ? "IPv4" : "IPv6") address; ignored")
                    continue
                }
                v = Evidence.canonicalAddress(v)
            } else if !Self.observableTypes.contains(type) {
                unknownTypes.insert(type)
            }
            if v.isEmpty || !seen.insert(type + "\u{0}" + v.lowercased()).inserted { continue }
            observed.append((type, v))
        }
        for t in unknownTypes.sorted() {
            notes.append("indicator type '\(t)' is not a STIX cyber-observable type; its values count only where an indicator's pattern quotes them")
        }
        var unmatchedIndicators = 0
        // An actor is credited once per file: one file's MD5, SHA-1 and SHA-256 matching (one indicator or
        // three) are one observation, not three; so are hashes matching one indicator when their file is not
        // known. Distinct addresses or domains matching one indicator count each.
        var creditedIndicators: Set<String> = []  // "indicator id|actor", for file hashes
        var creditedFiles: Set<String> = []  // "file|actor"
        for (type, v) in observed {
            // Matched through the indicator index, with the patterning engine's semantics (a CIDR block
            // holds the address, `LIKE` and `MATCHES` apply), each actor counted once per observed value.
            var byActor: [String: String] = [:]
            var named = false
            let file = type == "file" ? evidence.fileOf[v.lowercased()] : nil
            let shared = type == "file" ? "files are copied and shared" : "infrastructure can be shared or spoofed"
            var handled: Set<String> = []  // actors this value matched, credited now or already
            // Per actor, every indicator this value matches (all are marked as used, so that which one is
            // used first cannot depend on order), and the first one's pattern for the explanation.
            var matched: [String: (ids: [String], pattern: String)] = [:]
            for ordinal in graph.matchingIndicators(type: type, value: v).sorted() {
                let link = graph.indicatorLinks[Int(ordinal)]
                for actor in link.actors.sorted() {
                    matched[actor, default: ([], link.pattern)].ids.append(link.id)
                }
                // What the indicator says the value is: software (a file hash of a malware family) or a
                // technique. These become evidence of that kind, scored like software or techniques seen.
                for id in link.software.sorted() where !out.software.contains(where: { $0.id == id }) {
                    out.software.append((id, "\(v) matches the knowledge-base indicator \(link.pattern) of \(id)"))
                    named = true
                }
                for id in link.techniques.sorted() where !out.techniques.contains(where: { $0.id == id }) {
                    out.techniques.append((id, "\(v) matches the knowledge-base indicator \(link.pattern) of \(id)"))
                    named = true
                }
            }
            // A hash credits an actor once per indicator (and once per file): credited when one of the
            // indicators it matches has not been used for that actor yet; all of them are used then.
            func fresh(_ ids: [String], _ actor: String) -> Bool {
                let unused = ids.map { creditedIndicators.insert("\($0)|\(actor)").inserted }.contains(true)
                return (type != "file" || unused) && (file.map { creditedFiles.insert("\($0)|\(actor)").inserted } ?? true)
            }
            for actor in matched.keys.sorted() {
                handled.insert(actor)
                named = true
                let m = matched[actor]!
                guard fresh(m.ids, actor) else { continue }
                byActor[actor] = "\(v) matches the knowledge-base indicator \(m.pattern) for this actor; \(shared)"
            }
            // Indicators one observed value cannot satisfy on its own (several observations, other
            // properties, hash algorithms without a fixed length) still count when the value is one of
            // their literals, as a weaker statement.
            let quoting = (graph.indicatorsQuoting[v.lowercased()] ?? []).sorted()
            for actor in (graph.indicatorActors[v.lowercased()] ?? []).sorted() where handled.insert(actor).inserted {
                named = true
                guard fresh(quoting, actor) else { continue }
                byActor[actor] = "\(v) appears in a knowledge-base indicator for this actor; \(shared)"
            }
            if byActor.isEmpty {
                if !named { unmatchedIndicators += 1 }
            } else {
                out.indicators.append((v, byActor))
            }
        }
        if unmatchedIndicators > 0 {
            notes.append("\(unmatchedIndicators) indicators or hashes match no indicator linked to an actor, software or technique")
        }
        // Code similarity: each digest's closest sample per actor (TLSH: smallest distance under the
        // related bound; ssdeep: highest score above 0).
        func closest<D>(
            _ raws: [String], parse: (String) -> D?, samples: [(D, Set<String>)], invalid: (String) -> String,
            measure: (D, D) -> Int?, better: (Int, Int) -> Bool
        ) -> (found: [(raw: String, best: [String: Int])], unrelated: Int) {
            var found: [(raw: String, best: [String: Int])] = []
            var unrelated = 0
            for raw in Self.unique(raws) {
                guard let digest = parse(raw) else {
                    notes.append(invalid(raw) + "; ignored")
                    continue
                }
                var best: [String: Int] = [:]  // actor → closest sample's measure
                for (known, actors) in samples {
                    guard let m = measure(digest, known) else { continue }
                    for a in actors where best[a].map({ better(m, $0) }) ?? true { best[a] = m }
                }
                if best.isEmpty { unrelated += 1 } else { found.append((raw, best)) }
            }
            return (found, unrelated)
        }
        let tlsh = closest(
            evidence.tlsh, parse: TLSHDigest.init, samples: tlshSamples, invalid: { "TLSH '\($0)' is not a TLSH digest (T1 and 70 hex digits)" },
            measure: { d, known in let x = d.distance(to: known); return x < Self.tlshRelatedDistance ? x : nil }, better: <)
        out.tlsh = tlsh.found
        if tlsh.unrelated > 0 {
            notes.append("\(tlsh.unrelated) TLSH digests are within distance \(Self.tlshRelatedDistance) of no sample linked to an actor")
        }
        let ssdeep = closest(
            evidence.ssdeep, parse: SSDeepDigest.init, samples: graph.ssdeepSamples.map { ($0.digest, $0.actors) },
            invalid: { "ssdeep '\($0)' is not an ssdeep digest (blocksize:signature:signature)" },
            measure: { d, known in let x = d.similarity(to: known); return x > 0 ? x : nil }, better: >)
        out.ssdeep = ssdeep.found
        if ssdeep.unrelated > 0 {
            notes.append("\(ssdeep.unrelated) ssdeep digests score 0 against every sample linked to an actor")
        }
        return out
    }

    /// An RFC 3339 time: UTC (`2013-03-20T05:00:00Z`) or with an offset (`2013-03-20T14:00:00+09:00`,
    /// brought to UTC); `nil` otherwise.
    public static func instant(_ text: String) -> STIXTimestamp? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let utc = STIXTimestamp(t) { return utc }
        let u = Array(t.utf8)
        guard u.count > 6, u[u.count - 3] == UInt8(ascii: ":"), u[u.count - 6] == UInt8(ascii: "+") || u[u.count - 6] == UInt8(ascii: "-"),
            u[(u.count - 5)..<(u.count - 3)].allSatisfy({ (48...57).contains($0) }), u[(u.count - 2)...].allSatisfy({ (48...57).contains($0) }),
            let hours = Int64(String(decoding: u[(u.count - 5)..<(u.count - 3)], as: UTF8.self)),
            let minutes = Int64(String(decoding: u[(u.count - 2)...], as: UTF8.self)), hours < 24, minutes < 60,
            var local = STIXTimestamp(String(decoding: u[..<(u.count - 6)], as: UTF8.self) + "Z")
        else { return nil }
        let offset = (hours * 3600 + minutes * 60) * (u[u.count - 6] == UInt8(ascii: "+") ? 1 : -1)
        local.seconds -= offset
        return local
    }

    /// Trimmed values, each once, in their first order.
    static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { seen.insert($0).inserted }
    }

    // MARK: Calibration

    /// Confidence of each actor and of "unknown actor" for raw scores: P(known) × softmax, and 1 − P(known).
    ///
    /// Scores are sums over evidence items, so their spread grows with the amount of evidence; both the
    /// softmax and the known-actor probability use scores per square root of the number of items.
    public static func probabilities(
        scores: [Double], featureCount: Int, parameters: Parameters
    ) -> (actors: [Double], unknown: Double) {
        guard let top = scores.max() else { return ([], 1) }
        let root = sqrt(Double(max(featureCount, 1)))
        let known = 1 / (1 + exp(-(parameters.knownSlope * top / root + parameters.knownIntercept)))
        let t = parameters.temperature * root
        let z = scores.reduce(0.0) { $0 + exp(($1 - top) / t) }
        return (scores.map { known * exp(($0 - top) / t) / z }, 1 - known)
    }

    // MARK: Time zones

    /// Standard UTC offsets of the countries most often named as origins.
    static let utcOffsetHours: [String: Double] = [
        "KP": 9, "KR": 9, "CN": 8, "HK": 8, "TW": 8, "RU": 3, "IR": 3.5, "UA": 2, "BY": 3, "TR": 3, "VN": 7,
        "IN": 5.5, "PK": 5, "US": -5, "GB": 0, "IL": 2, "LB": 2, "PS": 2, "AE": 4, "KZ": 5, "SY": 3, "SA": 3,
        "NG": 1, "BR": -3, "ES": 1, "FR": 1, "DE": 1, "IT": 1, "NL": 1, "SE": 1,
    ]

    static func isOfficeHours(_ t: STIXTimestamp, offsetHours: Double) -> Bool {
        let local = t.seconds + Int64(offsetHours * 3600)
        let days = Int((local >= 0 ? local : local - 86_399) / 86_400)
        let secondOfDay = Int(local - Int64(days) * 86_400)
        let hour = secondOfDay / 3600
        let weekday = ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday (4); 0 = Sunday
        return weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 19
    }

    static func format(_ offset: Double) -> String {
        offset == offset.rounded() ? String(Int(offset)) : String(offset)
    }
}
