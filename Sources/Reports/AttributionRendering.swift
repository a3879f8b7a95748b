import Attribution
import Foundation
import JSON

/// Renders attribution results and benchmark tables.
public enum AttributionRendering {
    static func num(_ d: Double, _ places: Int = 3) -> JSONValue {
        let p = pow(10.0, Double(places))
        return .double((d * p).rounded() / p)
    }

    public static func json(_ r: AttributionResult) -> JSONValue {
        [
            "candidates": .array(r.candidates.map { c in
                [
                    "id": .string(c.id), "attack_id": c.attackID.map(JSONValue.string) ?? .null, "name": .string(c.name),
                    "aliases": .array(c.aliases.map(JSONValue.string)), "country": c.country.map(JSONValue.string) ?? .null,
                    "umbrella": c.umbrellaName.map(JSONValue.string) ?? .null,
                    "score": num(c.score), "confidence": num(c.confidence),
                    "evidence": .array(c.evidence.map { e in
                        [
                            "kind": .string(e.kind), "value": .string(e.value), "weight": num(e.weight),
                            "explanation": .string(e.explanation), "reliability": .string(e.reliability),
                            "source": e.source.map(JSONValue.string) ?? .null,
                        ]
                    }),
                ]
            }),
            "unknown_actor_confidence": num(r.unknownActorConfidence),
            "umbrellas": .array(r.umbrellas.map { ["id": .string($0.id), "name": .string($0.name), "confidence": num($0.confidence)] }),
            "countries": .array(r.countries.map { ["country": .string($0.country), "confidence": num($0.confidence)] }),
            "verdict": r.verdict.map(JSONValue.string) ?? .null,
            "notes": .array(r.notes.map(JSONValue.string)),
        ]
    }

    static func percent(_ d: Double) -> String { String(format: "%.0f%%", d * 100) }

    public static func text(_ r: AttributionResult) -> String {
        var out = ""
        if let v = r.verdict { out += "Verdict: \(v)\n" }
        out += "Unknown actor: \(percent(r.unknownActorConfidence))\n"
        if let top = r.countries.first {
            // The country holding the most probability, summed over its actors (the best-ranked actor's
            // country when they differ is said too). When it holds less than a third, it is a guess, and
            // the line says so.
            let best = r.candidates.first { $0.country != nil }
            out += "Country: \(top.country) (\(percent(top.confidence)) of the probability, summed over its actors"
            if let best, let c = best.country, c != top.country {
                out += "; the best-ranked actor whose country is known, \(best.name), is of \(c)"
            }
            if top.confidence < 1.0 / 3 {
                out += "); weak: no country holds a third\n"
            } else if let second = r.countries.dropFirst().first, second.confidence * 1.5 > top.confidence {
                // Evidence that points two ways (one actor's malware beside another's) is said to.
                out += "); contested: \(second.country) holds \(percent(second.confidence))\n"
            } else {
                out += ")\n"
            }
        }
        if !r.countries.isEmpty {
            out += "Probability by country: "
                + r.countries.prefix(3).map { "\($0.country) \(percent($0.confidence))" }.joined(separator: ", ") + "\n"
        }
        if !r.umbrellas.isEmpty {
            out += "Umbrella actors: " + r.umbrellas.prefix(3).map { "\($0.name) \(percent($0.confidence))" }.joined(separator: ", ") + "\n"
        }
        if !r.candidates.isEmpty {
            out += "Evidence lines: weight (log-likelihood ratio; for resemblance lines a bonus), reliability of the item (H high, M medium, L low, D derived), why.\n"
        }
        for (i, c) in r.candidates.enumerated() {
            out += "\n\(i + 1). \(c.name)" + (c.attackID.map { " (\($0))" } ?? "") + "  confidence \(percent(c.confidence))"
            out += String(format: "  score %+.2f", c.score)
            if let country = c.country { out += "  country \(country)" }
            if let u = c.umbrellaName { out += "  part of \(u)" }
            out += "\n"
            for e in c.evidence.prefix(12) {
                // Reliability as one letter (high, medium, low, derived), so the explanation stays in front.
                let mark = e.reliability.first.map { String($0).uppercased() } ?? "?"
                out += String(format: "   %+6.2f ", e.weight) + mark + " " + e.explanation + "\n"
            }
            if c.evidence.count > 12 { out += "   … \(c.evidence.count - 12) more items (--format json lists all)\n" }
        }
        for n in r.notes { out += "note: \(n)\n" }
        return out
    }

    public static func benchmarkTable(_ rows: [AttributionBenchmark.Row]) -> String {
        var t = TextTable(
            ["METHOD", "VARIANT", "N", "SHARE AN ITEM", "TOP-1", "TOP-3", "TOP-5", "MRR", "UMBRELLA TOP-1", "COUNTRY TOP-1", "ECE", "ECE IF CALIBRATED"], maxColumnWidth: 50)
        for r in rows {
            t.add([
                r.method, r.variant, "\(r.queries)", r.sharing.map { "\($0) (\(percent(Double($0) / Double(max(r.queries, 1)))))" } ?? "-",
                percent(r.top1), r.top3.isNaN ? "-" : percent(r.top3),
                r.top5.isNaN ? "-" : percent(r.top5), r.mrr.isNaN ? "-" : String(format: "%.3f", r.mrr),
                r.umbrellaTop1.map { percent($0) } ?? "-",
                r.countryTop1.map { "\(percent($0)) of \(r.countryQueries)" } ?? "-", r.ece.map { String(format: "%.3f", $0) } ?? "-",
                r.eceIfCalibrated.map { String(format: "%.3f (%.3f–%.3f)", $0.median, $0.low, $0.high) } ?? "-",
            ])
        }
        return t.render()
    }

    public static func benchmarkJSON(_ rows: [AttributionBenchmark.Row]) -> JSONValue {
        .array(rows.map { r in
            [
                "method": .string(r.method), "variant": .string(r.variant), "queries": .int(Int64(r.queries)),
                "top1": num(r.top1), "top3": r.top3.isNaN ? .null : num(r.top3), "top5": r.top5.isNaN ? .null : num(r.top5),
                "mrr": r.mrr.isNaN ? .null : num(r.mrr),
                "sharing": r.sharing.map { .int(Int64($0)) } ?? .null, "umbrella_top1": r.umbrellaTop1.map { num($0) } ?? .null,
                "ranks": r.ranks.isEmpty ? .null : .array(r.ranks.map { .int(Int64($0)) }),
                "country_top1": r.countryTop1.map { num($0) } ?? .null, "ece": r.ece.map { num($0) } ?? .null,
                "ece_if_calibrated": r.eceIfCalibrated.map { c -> JSONValue in ["median": num(c.median), "p5": num(c.low), "p95": num(c.high)] } ?? .null,
            ]
        })
    }
}
