import Foundation

/// Held-out evaluation of attribution over the knowledge base, with a TF-IDF baseline computed beside it.
///
/// - **Leave-one-campaign-out**: for each campaign attributed to an actor, the campaign, its relationships
///   and every relationship that duplicates one of them (same target, and a shared reference or the same
///   description) are removed from the graph; the model is rebuilt and asked to attribute the campaign's
///   techniques and software — all of them, and random 30% and 50% subsets (fixed seeds).
/// - **Report-level holdout**: for each actor, half of the reports its relationships cite (a seeded
///   shuffle) are held out: relationships supported only by held-out reports leave the graph, and
///   everything the held-out reports say about the actor becomes the query.
public enum AttributionBenchmark {
    /// One line of the results table.
    public struct Row: Sendable {
        public var method: String
        public var variant: String
        public var queries: Int
        public var top1: Double
        public var top3: Double
        public var top5: Double
        public var mrr: Double
        /// Country-level top-1 over the queries whose true actor has a known country (`nil` for the baseline).
        public var countryTop1: Double?
        public var countryQueries: Int
        /// Expected calibration error of the top-1 confidence (10 bins; `nil` for the baseline).
        public var ece: Double?
    }

    struct Outcome {
        var rank: Int
        var confidence: Double?
        var correct: Bool
        var countryCorrect: Bool?
        var scored: Scored?
    }

    /// A small, seedable random generator (SplitMix64) so that subsets are the same in every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Runs every variant; rows for Sightline and for the baseline, in a fixed order.
    public static func run(graph: KnowledgeGraph, parameters: AttributionModel.Parameters = .init()) -> [Row] {
        run(graph: graph, parameters: parameters, fitTemperature: false).rows
    }

    /// Runs every variant. With `fitTemperature`, the softmax temperature and the unknown-actor prior are
    /// first fitted (minimum multi-class Brier score) on the report-level holdout, then used for the leave-one-campaign-out confidences, so
    /// their calibration error is measured on queries the fit never saw.
    public static func run(
        graph: KnowledgeGraph, parameters: AttributionModel.Parameters, fitTemperature: Bool
    ) -> (rows: [Row], parameters: AttributionModel.Parameters) {
        var p = parameters
        var reportRows: [Row] = []
        let (ours, baseline, scored) = reportHoldout(graph: graph, parameters: p)
        let unknown = unknownActorHoldout(graph: graph, parameters: p)
        if fitTemperature { (p.temperature, p.unknownPrior) = bestCalibration(scored) }
        reportRows.append(summarize("Sightline", "report-level holdout", ours.map { recalibrated($0, p) }))
        reportRows.append(summarize("TF-IDF baseline", "report-level holdout", baseline))
        let answered = unknown.map { topAnswer($0, temperature: p.temperature, unknownPrior: p.unknownPrior) }
        let unknownShare = Double(answered.filter(\.correct).count) / Double(max(answered.count, 1))
        reportRows.append(
            Row(method: "Sightline", variant: "unknown actor (group removed): answered unknown", queries: unknown.count,
                top1: unknownShare, top3: .nan, top5: .nan, mrr: .nan, countryTop1: nil, countryQueries: 0,
                ece: expectedCalibrationError(answered)))
        var rows: [Row] = []
        for (variant, ours, baseline) in leaveOneCampaignOut(graph: graph, parameters: p) {
            rows.append(summarize("Sightline", variant, ours))
            rows.append(summarize("TF-IDF baseline", variant, baseline))
        }
        return (rows + reportRows, p)
    }

    /// Raw scores of one query: every ranked actor's score and whether it is a true answer.
    struct Scored {
        var scores: [Double]
        var truth: [Bool]
        var featureCount: Int
        /// True when the right answer is "unknown actor" (the actor was removed from the graph).
        var isUnknown = false
    }

    /// The top-1 answer over the actors and "unknown actor": its confidence and whether it is right.
    static func topAnswer(_ q: Scored, temperature: Double, unknownPrior: Double) -> (confidence: Double, correct: Bool) {
        let p = probabilities(q, temperature: temperature, unknownPrior: unknownPrior)
        let unknown = max(0, 1 - p.reduce(0, +))
        guard let top = p.indices.max(by: { p[$0] < p[$1] }), p[top] > unknown else { return (unknown, q.isUnknown) }
        return (p[top], !q.isUnknown && q.truth[top])
    }

    static func probabilities(_ q: Scored, temperature: Double, unknownPrior u: Double) -> [Double] {
        let s = q.scores
        let t = temperature * sqrt(Double(max(q.featureCount, 1)))
        let lp = log((1 - u) / Double(max(s.count, 1)))
        let logits = s.map { $0 / t + lp }
        let m = max(logits.max() ?? 0, log(u))
        let z = logits.reduce(exp(log(u) - m)) { $0 + exp($1 - m) }
        return logits.map { exp($0 - m) / z }
    }

    /// The temperature and unknown-actor prior that minimize the multi-class Brier score, on a grid. (The
    /// likelihood of the true actor is a poor target here: a few confidently wrong queries dominate it and
    /// flatten every other answer.)
    static func bestCalibration(_ queries: [Scored]) -> (temperature: Double, unknownPrior: Double) {
        var best = (loss: Double.infinity, t: 1.0, u: 0.05)
        for u in [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5] {
            for step in 0...48 {
                let t = 0.1 * pow(1.15, Double(step))
                var loss = 0.0
                for q in queries {
                    // The multi-class Brier score over the actors and "unknown actor" (a proper scoring rule).
                    let p = probabilities(q, temperature: t, unknownPrior: u)
                    let pu = max(0, 1 - p.reduce(0, +))
                    var l = (pu - (q.isUnknown ? 1 : 0)) * (pu - (q.isUnknown ? 1 : 0))
                    let truthShare = q.isUnknown ? 0 : 1 / Double(max(q.truth.filter { $0 }.count, 1))
                    for (pk, y) in zip(p, q.truth) {
                        let target = y ? truthShare : 0
                        l += (pk - target) * (pk - target)
                    }
                    loss += l
                }
                if loss < best.loss { best = (loss, t, u) }
            }
        }
        return (best.t, best.u)
    }

    static func recalibrated(_ o: Outcome, _ p: AttributionModel.Parameters) -> Outcome {
        guard let scored = o.scored else { return o }
        let probs = probabilities(scored, temperature: p.temperature, unknownPrior: p.unknownPrior)
        guard let top = probs.indices.max(by: { probs[$0] < probs[$1] }) else { return o }
        var r = o
        r.confidence = probs[top]
        return r
    }

    static func summarize(_ method: String, _ variant: String, _ outcomes: [Outcome]) -> Row {
        let n = Double(max(outcomes.count, 1))
        func share(_ k: Int) -> Double { Double(outcomes.filter { $0.rank <= k }.count) / n }
        let mrr = outcomes.reduce(0.0) { $0 + 1 / Double($1.rank) } / n
        let withCountry = outcomes.compactMap(\.countryCorrect)
        let country = withCountry.isEmpty ? nil : Double(withCountry.filter { $0 }.count) / Double(withCountry.count)
        var ece: Double?
        if outcomes.allSatisfy({ $0.confidence != nil }) && !outcomes.isEmpty {
            ece = expectedCalibrationError(outcomes.map { ($0.confidence!, $0.correct) })
        }
        return Row(
            method: method, variant: variant, queries: outcomes.count, top1: share(1), top3: share(3), top5: share(5),
            mrr: mrr, countryTop1: outcomes.first?.confidence == nil ? nil : country,
            countryQueries: withCountry.count, ece: ece)
    }

    /// Expected calibration error over 10 equal-width confidence bins.
    static func expectedCalibrationError(_ answers: [(confidence: Double, correct: Bool)]) -> Double {
        var bins = [(Double, Double, Int)](repeating: (0, 0, 0), count: 10)
        for (c, ok) in answers {
            let b = min(Int(c * 10), 9)
            bins[b].0 += c
            bins[b].1 += ok ? 1 : 0
            bins[b].2 += 1
        }
        let n = Double(max(answers.count, 1))
        return bins.reduce(0.0) { acc, bin in
            bin.2 == 0 ? acc : acc + Double(bin.2) / n * abs(bin.0 / Double(bin.2) - bin.1 / Double(bin.2))
        }
    }

    // MARK: Unknown actor

    /// For each actor with at least two cited reports: remove the actor (its relationships and its
    /// campaigns' attributions) and query with half of its reports; the right answer is "unknown actor".
    static func unknownActorHoldout(graph: KnowledgeGraph, parameters: AttributionModel.Parameters) -> [Scored] {
        var out: [Scored] = []
        for actor in graph.actors {
            let members = Set(actor.memberIDs)
            let direct = graph.edges.filter { members.contains($0.source) && $0.type == "uses" && !$0.references.isEmpty }
            let reports = Array(Set(direct.flatMap(\.references))).sorted()
            guard reports.count >= 2 else { continue }
            var rng = SplitMix(state: UInt64(abs(actor.id.hashValueStable)))
            let heldOut = Set(reports.shuffled(using: &rng).prefix(reports.count / 2))
            let items = Array(Set(direct.filter { !$0.references.isDisjoint(with: heldOut) }.compactMap {
                graph.nodes[$0.target]?.attackID
            })).sorted()
            guard !items.isEmpty else { continue }
            var g = graph
            g.edges.removeAll { members.contains($0.source) || members.contains($0.target) }
            let model = AttributionModel(graph: g, parameters: parameters)
            guard var scored = evaluate(model, items, truth: []).scored else { continue }
            scored.isUnknown = true
            out.append(scored)
        }
        return out
    }

    // MARK: Leave one campaign out

    static func leaveOneCampaignOut(graph: KnowledgeGraph, parameters: AttributionModel.Parameters)
        -> [(String, [Outcome], [Outcome])]
    {
        var truth: [String: Set<String>] = [:]
        for e in graph.edges where e.type == "attributed-to" {
            if let a = graph.actor(of: e.target), graph.nodes[e.source]?.type == "campaign" { truth[e.source, default: []].insert(a) }
        }
        let variants: [(String, Double)] = [("leave-one-campaign-out, all evidence", 1), ("… random 50% of evidence", 0.5), ("… random 30% of evidence", 0.3)]
        var results = variants.map { ($0.0, [Outcome](), [Outcome]()) }
        for campaign in truth.keys.sorted() {
            let actors = truth[campaign]!
            let uses = graph.edges.filter { $0.source == campaign && $0.type == "uses" }
            guard !uses.isEmpty else { continue }
            var g = graph
            let byTarget = Dictionary(grouping: uses, by: \.target)
            g.edges.removeAll { e in
                if e.source == campaign || e.target == campaign { return true }
                guard let originals = byTarget[e.target] else { return false }
                return originals.contains { o in
                    !o.references.isDisjoint(with: e.references) || (!o.description.isEmpty && o.description == e.description)
                }
            }
            let model = AttributionModel(graph: g, parameters: parameters)
            let items = uses.compactMap { g.nodes[$0.target]?.attackID }
            let unique = Array(Set(items)).sorted()
            for (vi, (_, fraction)) in variants.enumerated() {
                var rng = SplitMix(state: UInt64(abs(campaign.hashValueStable)) &+ UInt64(vi) &* 7919)
                var subset = unique
                if fraction < 1 {
                    subset.shuffle(using: &rng)
                    subset = Array(subset.prefix(max(1, Int((Double(unique.count) * fraction).rounded()))))
                }
                results[vi].1.append(evaluate(model, subset, truth: actors))
                results[vi].2.append(baselineRank(g, subset, truth: actors))
            }
        }
        return results
    }

    // MARK: Report-level holdout

    static func reportHoldout(graph: KnowledgeGraph, parameters: AttributionModel.Parameters) -> ([Outcome], [Outcome], [Scored]) {
        var ours: [Outcome] = []
        var baseline: [Outcome] = []
        for actor in graph.actors {
            let members = Set(actor.memberIDs)
            let direct = graph.edges.filter { members.contains($0.source) && $0.type == "uses" && !$0.references.isEmpty }
            let reports = Array(Set(direct.flatMap(\.references))).sorted()
            guard reports.count >= 2 else { continue }
            var rng = SplitMix(state: UInt64(abs(actor.id.hashValueStable)))
            let shuffled = reports.shuffled(using: &rng)
            let heldOut = Set(shuffled.prefix(reports.count / 2))
            // The held-out reports are the query: everything they say about the actor, whether or not a kept
            // report says it too. Relationships that only held-out reports support leave the model.
            let cited = direct.filter { !$0.references.isDisjoint(with: heldOut) }
            let removedIDs = Set(direct.filter { $0.references.isSubset(of: heldOut) }.map(\.id))
            var g = graph
            g.edges.removeAll { removedIDs.contains($0.id) }
            let items = Array(Set(cited.compactMap { g.nodes[$0.target]?.attackID })).sorted()
            guard !items.isEmpty else { continue }
            let model = AttributionModel(graph: g, parameters: parameters)
            guard model.actorIndex.contains(where: { g.actors[$0].id == actor.id }) else { continue }
            ours.append(evaluate(model, items, truth: [actor.id]))
            baseline.append(baselineRank(g, items, truth: [actor.id]))
        }
        return (ours, baseline, ours.compactMap(\.scored))
    }

    // MARK: Scoring a query

    static func evaluate(_ model: AttributionModel, _ items: [String], truth: Set<String>) -> Outcome {
        var e = Evidence()
        for i in items { if i.hasPrefix("T") { e.techniques.append(i) } else { e.software.append(i) } }
        let result = model.attribute(e, top: model.rankedActorCount)
        let rank = (result.candidates.firstIndex { truth.contains($0.id) } ?? result.candidates.count) + 1
        let top = result.candidates.first
        let trueCountries = Set(model.graph.actors.filter { truth.contains($0.id) }.compactMap(\.countries.first))
        // The country verdict: that of the best-ranked actor whose country is known.
        let predicted = result.candidates.first { $0.country != nil }?.country
        let countryCorrect: Bool? = trueCountries.isEmpty ? nil : predicted.map { trueCountries.contains($0) } ?? false
        var notes: [String] = []
        let featureCount = model.features(of: e, notes: &notes).count
        let scored = Scored(
            scores: result.candidates.map(\.score), truth: result.candidates.map { truth.contains($0.id) },
            featureCount: featureCount)
        return Outcome(rank: rank, confidence: top?.confidence ?? 0, correct: top.map { truth.contains($0.id) } ?? false,
                       countryCorrect: countryCorrect, scored: scored)
    }

    /// TF-IDF over each actor's own techniques and software, cosine similarity with the query.
    static func baselineRank(_ g: KnowledgeGraph, _ items: [String], truth: Set<String>) -> Outcome {
        var docs: [String: Set<String>] = [:]
        for e in g.edges where e.type == "uses" {
            guard let actor = g.actor(of: e.source), let f = g.nodes[e.target]?.attackID else { continue }
            docs[actor, default: []].insert(f)
        }
        let n = Double(docs.count)
        var df: [String: Double] = [:]
        for d in docs.values { for f in d { df[f, default: 0] += 1 } }
        func idf(_ f: String) -> Double { log(n / (df[f] ?? n)) }
        let q = Set(items)
        let qNorm = sqrt(q.reduce(0) { $0 + idf($1) * idf($1) })
        var scored: [(String, Double)] = []
        for (actor, d) in docs {
            let dNorm = sqrt(d.reduce(0) { $0 + idf($1) * idf($1) })
            let dot = q.intersection(d).reduce(0) { $0 + idf($1) * idf($1) }
            scored.append((actor, qNorm > 0 && dNorm > 0 ? dot / (qNorm * dNorm) : 0))
        }
        scored.sort { ($0.1, $1.0) > ($1.1, $0.0) }
        let rank = (scored.firstIndex { truth.contains($0.0) } ?? scored.count) + 1
        return Outcome(rank: rank, confidence: nil, correct: rank == 1, countryCorrect: nil, scored: nil)
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is seeded per process).
    var hashValueStable: Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01B3
        }
        return Int(truncatingIfNeeded: h & 0x7FFF_FFFF_FFFF_FFFF)
    }
}
