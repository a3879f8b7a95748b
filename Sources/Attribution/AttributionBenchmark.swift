import Foundation

/// Held-out evaluation of attribution over the knowledge base, with a TF-IDF baseline computed beside it.
///
/// - **Leave-one-campaign-out**: for each campaign attributed to an actor, the campaign, its relationships
///   and every relationship that duplicates one of them (same target, and a shared reference or the same
///   description) are removed from the graph; the model is rebuilt and asked to attribute the campaign's
///   techniques and software — all of them, and random 30% and 50% subsets (fixed seeds).
/// - **Report-level holdout**: for each actor, half of the reports its relationships and its campaigns'
///   cite (a seeded shuffle) are held out: relationships supported only by held-out reports leave the
///   graph (the actor's, its campaigns', and software's relationships to what they name), and everything
///   the held-out reports say about the actor becomes the query.
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
        /// Umbrella-level top-1: the umbrella actor holding the most probability (subgroups such as APT38
        /// and AppleJeus summed into Lazarus Group) is the true actor's (`nil` for the baseline).
        public var umbrellaTop1: Double? = nil
        /// Queries whose evidence shares at least one item with the true actor's profile as the method
        /// holds it in the graph under test. For Sightline: an observed technique or software, or the parent
        /// of an observed sub-technique, among the actor's profile entries — its own and its campaigns'
        /// items, the parents of its sub-techniques, and (at low weight) its software's techniques and
        /// their parents. For the baseline: an observed item among the actor's and its campaigns' items.
        /// On the other queries the method can rank the true actor first only by winning a tie among
        /// actors that share nothing (for a method without per-actor priors or size charges): it is the
        /// variant's ceiling for that method's top-1.
        public var sharing: Int? = nil
        /// The true actor's rank for each query, in the benchmark's order (campaigns sorted by id, actors
        /// in the knowledge base's order).
        public var ranks: [Int] = []
        /// Expected calibration error of the top-1 confidence (10 bins; `nil` for the baseline).
        public var ece: Double?
        /// The ECE a perfectly calibrated model would show by chance with the same confidences (each answer
        /// right with probability equal to its confidence): median and 90% range over seeded draws. Few
        /// queries make ECE noisy; an ECE inside this range is what perfect calibration looks like.
        public var eceIfCalibrated: (median: Double, low: Double, high: Double)? = nil
    }

    struct Outcome {
        var rank: Int
        var confidence: Double?
        var correct: Bool
        var countryCorrect: Bool?
        var scored: Scored?
        /// Whether the evidence shares an item with the true actor's remaining record (see `Row.sharing`).
        var sharesItem = false
        var umbrellaCorrect: Bool? = nil
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
    /// fitted on three pools weighted equally — the leave-one-campaign-out queries with all evidence, the
    /// report-level holdout and the unknown-actor holdout — by minimizing the log-loss of the top answer's
    /// confidence (an actor or "unknown actor"). The confidences behind every calibration error are
    /// cross-validated: a query's confidence comes from parameters fitted on the other four of five folds
    /// (a campaign's subsets share its fold). The parameters returned are fitted on all of it.
    public static func run(
        graph: KnowledgeGraph, parameters: AttributionModel.Parameters, fitTemperature: Bool
    ) -> (rows: [Row], parameters: AttributionModel.Parameters) {
        var p = parameters
        let (reportOurs, reportBaseline, _) = reportHoldout(graph: graph, parameters: p)
        var unknown = unknownActorHoldout(graph: graph, parameters: p)
        let loco = leaveOneCampaignOut(graph: graph, parameters: p)
        // Fold of each query: by position, so that subsets of one campaign share the fold of the campaign.
        let folds = 5
        var pool: [(query: Scored, fold: Int, weight: Double)] = []
        func addPool(_ qs: [Scored]) {
            for (i, q) in qs.enumerated() { pool.append((q, i % folds, 1 / Double(max(qs.count, 1)))) }
        }
        addPool(loco.first?.1.compactMap(\.scored) ?? [])
        addPool(reportOurs.compactMap(\.scored))
        for i in unknown.indices { unknown[i].isUnknown = true }
        addPool(unknown)
        var foldParameters = Array(repeating: p, count: folds)
        if fitTemperature {
            p = bestCalibration(pool.map { ($0.query, $0.weight) }, base: p)
            for f in 0..<folds {
                foldParameters[f] = bestCalibration(pool.filter { $0.fold != f }.map { ($0.query, $0.weight) }, base: p)
            }
        }
        /// The best-ranked actors of a variant's queries under their folds' parameters.
        func answers(_ qs: [Scored]) -> [(confidence: Double, correct: Bool)] {
            qs.enumerated().map { i, q in topCandidate(q, foldParameters[i % folds]) }
        }
        var rows: [Row] = []
        var pooled: [(confidence: Double, correct: Bool)] = []
        for (variant, ours, baseline) in loco {
            let a = answers(ours.compactMap(\.scored))
            pooled += a
            rows.append(summarize("Sightline", variant, ours, calibration: a))
            rows.append(summarize("TF-IDF baseline", variant, baseline))
        }
        let reportAnswers = answers(reportOurs.compactMap(\.scored))
        pooled += reportAnswers
        rows.append(summarize("Sightline", "report-level holdout", reportOurs, calibration: reportAnswers))
        rows.append(summarize("TF-IDF baseline", "report-level holdout", reportBaseline))
        // Calibration over every known-actor query together: bins of 24 queries are too thin to judge alone.
        rows.append(
            Row(method: "Sightline", variant: "all of the above pooled: best-ranked actor right", queries: pooled.count,
                top1: Double(pooled.filter(\.correct).count) / Double(max(pooled.count, 1)), top3: .nan, top5: .nan,
                mrr: .nan, countryTop1: nil, countryQueries: 0, ece: expectedCalibrationError(pooled),
                eceIfCalibrated: chanceCalibrationError(pooled.map(\.confidence))))
        let unknownAnswers = unknown.enumerated().map { i, q in topAnswer(q, foldParameters[i % folds]) }
        let unknownShare = Double(unknownAnswers.filter(\.correct).count) / Double(max(unknownAnswers.count, 1))
        rows.append(
            Row(method: "Sightline", variant: "unknown actor (group removed): answered unknown", queries: unknown.count,
                top1: unknownShare, top3: .nan, top5: .nan, mrr: .nan, countryTop1: nil, countryQueries: 0,
                ece: expectedCalibrationError(unknownAnswers), eceIfCalibrated: chanceCalibrationError(unknownAnswers.map(\.confidence))))
        return (rows, p)
    }

    /// Raw scores of one query: every ranked actor's score and whether it is a true answer.
    struct Scored {
        var scores: [Double]
        var truth: [Bool]
        var featureCount: Int
        /// True when the right answer is "unknown actor" (the actor was removed from the graph).
        var isUnknown = false
    }

    /// The answer the model gives — "unknown actor" when that is more likely than all known actors
    /// together, else its best-ranked actor — with its confidence and whether it is right.
    static func topAnswer(_ q: Scored, _ p: AttributionModel.Parameters) -> (confidence: Double, correct: Bool) {
        let (probs, unknown) = AttributionModel.probabilities(
            scores: q.scores, featureCount: q.featureCount, parameters: p)
        guard let top = probs.indices.max(by: { probs[$0] < probs[$1] }), unknown < 0.5 else { return (unknown, q.isUnknown) }
        return (probs[top], !q.isUnknown && q.truth[top])
    }

    /// The best-ranked actor of a query: its confidence and whether it is right.
    static func topCandidate(_ q: Scored, _ p: AttributionModel.Parameters) -> (confidence: Double, correct: Bool) {
        let (probs, _) = AttributionModel.probabilities(
            scores: q.scores, featureCount: q.featureCount, parameters: p)
        guard let top = probs.indices.max(by: { probs[$0] < probs[$1] }) else { return (0, false) }
        return (probs[top], !q.isUnknown && q.truth[top])
    }

    /// Fits the calibration: first the known-actor logistic on all queries (weighted Newton iterations on
    /// the best actor's score per square root of the evidence count), then the softmax temperature on the
    /// known-actor queries (log-loss of the best-ranked actor's confidence, on a grid).
    static func bestCalibration(_ queries: [(query: Scored, weight: Double)], base: AttributionModel.Parameters) -> AttributionModel.Parameters {
        var p = base
        // Logistic regression of "a known actor did it" on the best actor's score per square root of the
        // evidence count (Newton iterations, a little ridge for stability). The best actor's profile
        // resemblance was a second input until the close match entered the score; it no longer changed the
        // calibration (pooled ECE 0.047 with it, 0.048 without, with the close match over the actor's own
        // items) and was dropped.
        let samples = queries.map { item -> (z: Double, y: Double, w: Double) in
            let q = item.query
            return ((q.scores.max() ?? 0) / sqrt(Double(max(q.featureCount, 1))), q.isUnknown ? 0 : 1, item.weight)
        }
        var (a, c) = (0.0, 0.0)
        let ridge = 1e-3
        for _ in 0..<200 {
            // Gradient (ga, gc) and Hessian [[haa, hac], [hac, hcc]] of the weighted log-loss.
            var (ga, gc, haa, hac, hcc) = (ridge * a, ridge * c, ridge, 0.0, ridge)
            for s in samples {
                let pr = 1 / (1 + exp(-(a * s.z + c)))
                ga += s.w * (pr - s.y) * s.z
                gc += s.w * (pr - s.y)
                let v = s.w * pr * (1 - pr)
                haa += v * s.z * s.z
                hac += v * s.z
                hcc += v
            }
            let det = haa * hcc - hac * hac
            guard abs(det) > 1e-12 else { break }
            var step = ((hcc * ga - hac * gc) / det, (haa * gc - hac * ga) / det)
            guard step.0.isFinite, step.1.isFinite else { break }
            // Damped: at most a unit step, so that a nearly separable pool cannot throw the fit away.
            let size = abs(step.0) + abs(step.1)
            if size > 1 { step = (step.0 / size, step.1 / size) }
            a -= step.0
            c -= step.1
            if size < 1e-9 { break }
        }
        (p.knownSlope, p.knownIntercept) = (a, c)
        var best = (loss: Double.infinity, t: base.temperature)
        var trial = p
        for step in 0...48 {
            trial.temperature = 0.1 * pow(1.15, Double(step))
            var loss = 0.0
            for (q, w) in queries where !q.isUnknown {
                let (conf, ok) = topCandidate(q, trial)
                let clipped = min(max(conf, 1e-6), 1 - 1e-6)
                loss -= w * (ok ? log(clipped) : log(1 - clipped))
            }
            if loss < best.loss { best = (loss, trial.temperature) }
        }
        p.temperature = best.t
        return p
    }

    /// A row of results; `calibration` holds the best-ranked actors (cross-validated confidences) whose
    /// expected calibration error the row reports.
    static func summarize(
        _ method: String, _ variant: String, _ outcomes: [Outcome], calibration: [(confidence: Double, correct: Bool)]? = nil
    ) -> Row {
        let n = Double(max(outcomes.count, 1))
        func share(_ k: Int) -> Double { Double(outcomes.filter { $0.rank <= k }.count) / n }
        let mrr = outcomes.reduce(0.0) { $0 + 1 / Double($1.rank) } / n
        let withCountry = outcomes.compactMap(\.countryCorrect)
        let country = withCountry.isEmpty ? nil : Double(withCountry.filter { $0 }.count) / Double(withCountry.count)
        let ece = calibration.map { expectedCalibrationError($0) }
        let umbrellas = outcomes.compactMap(\.umbrellaCorrect)
        return Row(
            method: method, variant: variant, queries: outcomes.count, top1: share(1), top3: share(3), top5: share(5),
            mrr: mrr, countryTop1: outcomes.first?.confidence == nil ? nil : country,
            countryQueries: withCountry.count,
            umbrellaTop1: umbrellas.isEmpty ? nil : Double(umbrellas.filter { $0 }.count) / Double(umbrellas.count),
            sharing: outcomes.filter(\.sharesItem).count, ranks: outcomes.map(\.rank),
            ece: ece, eceIfCalibrated: calibration.map { chanceCalibrationError($0.map(\.confidence)) })
    }

    /// The ECE of a perfectly calibrated model with these confidences, by simulation (1,000 seeded draws
    /// in which each answer is right with probability equal to its confidence): median, 5th and 95th
    /// percentiles.
    static func chanceCalibrationError(_ confidences: [Double]) -> (median: Double, low: Double, high: Double) {
        var rng = SplitMix(state: 0x5EED)
        var draws: [Double] = []
        for _ in 0..<1000 {
            let answers = confidences.map { c in (confidence: c, correct: Double(rng.next() >> 11) / Double(1 << 53) < c) }
            draws.append(expectedCalibrationError(answers))
        }
        draws.sort()
        return (draws[500], draws[50], draws[949])
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
        let campaigns = campaignsByActor(graph)
        for actor in graph.actors {
            let members = Set(actor.memberIDs)
            let direct = reportedUses(graph, of: members.union(campaigns[actor.id] ?? []))
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
        let campaigns = campaignsByActor(graph)
        for actor in graph.actors {
            let members = Set(actor.memberIDs)
            // The actor's relationships include those of the campaigns attributed to it: the model counts them
            // toward its profile, so a campaign relationship citing a held-out report would leak it back.
            let direct = reportedUses(graph, of: members.union(campaigns[actor.id] ?? []))
            let reports = Array(Set(direct.flatMap(\.references))).sorted()
            guard reports.count >= 2 else { continue }
            var rng = SplitMix(state: UInt64(abs(actor.id.hashValueStable)))
            let shuffled = reports.shuffled(using: &rng)
            let heldOut = Set(shuffled.prefix(reports.count / 2))
            // The held-out reports are the query: everything they say about the actor, whether or not a kept
            // report says it too. Relationships that only held-out reports support leave the model: the
            // actor's, its campaigns', and software's relationships to what the held-out reports name (the
            // model credits an actor with its software's techniques).
            let cited = direct.filter { !$0.references.isDisjoint(with: heldOut) }
            let citedTargets = Set(cited.map(\.target))
            var removedIDs = Set(direct.filter { $0.references.isSubset(of: heldOut) }.map(\.id))
            for e in graph.edges where e.type == "uses" && citedTargets.contains(e.target) && !e.references.isEmpty
                && e.references.isSubset(of: heldOut)
            {
                if let t = graph.nodes[e.source]?.type, t == "malware" || t == "tool" { removedIDs.insert(e.id) }
            }
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

    /// Campaigns attributed to each actor.
    static func campaignsByActor(_ graph: KnowledgeGraph) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for e in graph.edges where e.type == "attributed-to" && graph.nodes[e.source]?.type == "campaign" {
            if let a = graph.actor(of: e.target) { out[a, default: []].insert(e.source) }
        }
        return out
    }

    /// The `uses` relationships of `sources` that cite at least one report.
    static func reportedUses(_ graph: KnowledgeGraph, of sources: Set<String>) -> [KnowledgeGraph.Edge] {
        graph.edges.filter { sources.contains($0.source) && $0.type == "uses" && !$0.references.isEmpty }
    }

    // MARK: Scoring a query

    static func evaluate(_ model: AttributionModel, _ items: [String], truth: Set<String>) -> Outcome {
        var e = Evidence()
        for i in items { if i.hasPrefix("T") { e.techniques.append(i) } else { e.software.append(i) } }
        let result = model.attribute(e, top: model.rankedActorCount)
        let rank = (result.candidates.firstIndex { truth.contains($0.id) } ?? result.candidates.count) + 1
        let top = result.candidates.first
        let trueCountries = Set(model.graph.actors.filter { truth.contains($0.id) }.compactMap(\.countries.first))
        // The country verdict: the country holding the most probability, summed over its actors (what
        // `attribute` and `investigate` answer).
        let predicted = result.countries.first?.country
        let countryCorrect: Bool? = trueCountries.isEmpty ? nil : predicted.map { trueCountries.contains($0) } ?? false
        var notes: [String] = []
        let fs = model.features(of: e, notes: &notes)
        let scored = Scored(
            scores: result.candidates.map(\.score), truth: result.candidates.map { truth.contains($0.id) },
            featureCount: fs.count)
        let trueUmbrellas = Set(truth.map { model.graph.umbrella[$0] ?? $0 })
        return Outcome(rank: rank, confidence: top?.confidence ?? 0, correct: top.map { truth.contains($0.id) } ?? false,
                       countryCorrect: countryCorrect, scored: scored,
                       sharesItem: sharesItem(model, fs, truth: truth),
                       umbrellaCorrect: result.umbrellas.first.map { trueUmbrellas.contains($0.id) } ?? false)
    }

    /// Whether an evidence feature (an observed technique or software, or the parent of an observed
    /// sub-technique) is among a true actor's profile entries, whatever their weight: its own and its
    /// campaigns' items, the parents of its sub-techniques, its software's techniques and their parents.
    /// Any such entry scores above a missing one, so without one the actor can only win a tie.
    static func sharesItem(_ model: AttributionModel, _ fs: [AttributionModel.Feature], truth: Set<String>) -> Bool {
        model.actorIndex.indices.contains { k in
            truth.contains(model.graph.actors[model.actorIndex[k]].id)
                && fs.contains { f in !AttributionModel.isSparse(f.key) && (model.features[k][f.key]?.0 ?? 0) > 0 }
        }
    }

    /// TF-IDF over each actor's techniques and software — its own and those of the campaigns attributed to
    /// it, the same relationships the model learns from — cosine similarity with the query.
    static func baselineRank(_ g: KnowledgeGraph, _ items: [String], truth: Set<String>) -> Outcome {
        let campaigns = campaignsByActor(g)
        var actorsOfCampaign: [String: [String]] = [:]
        for (actor, cs) in campaigns { for c in cs { actorsOfCampaign[c, default: []].append(actor) } }
        var docs: [String: Set<String>] = [:]
        for e in g.edges where e.type == "uses" {
            guard let f = g.nodes[e.target]?.attackID else { continue }
            if let actor = g.actor(of: e.source) { docs[actor, default: []].insert(f) }
            for actor in actorsOfCampaign[e.source] ?? [] { docs[actor, default: []].insert(f) }
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
        let shares = truth.contains { !(docs[$0] ?? []).isDisjoint(with: q) }
        return Outcome(rank: rank, confidence: nil, correct: rank == 1, countryCorrect: nil, scored: nil, sharesItem: shares)
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
