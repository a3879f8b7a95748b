@testable import Attribution
import Reports
import Testing

/// The text answer's country line names the country holding the most probability, summed over its
/// actors, says when the best-ranked actor is of another country, and says when it is weak.
@Suite struct CountryLineTests {
    func candidate(_ name: String, _ country: String?, _ confidence: Double) -> AttributionCandidate {
        AttributionCandidate(
            id: "intrusion-set--\(name)", attackID: nil, name: name, aliases: [], country: country, umbrellaID: nil,
            umbrellaName: nil, score: 1, confidence: confidence, evidence: [])
    }

    func result(_ candidates: [AttributionCandidate], _ countries: [(String, Double)]) -> AttributionResult {
        AttributionResult(
            candidates: candidates, unknownActorConfidence: 0.2, umbrellas: [],
            countries: countries.map { (country: $0.0, confidence: $0.1) }, notes: [], verdict: nil)
    }

    func countryLine(_ r: AttributionResult) -> String? {
        AttributionRendering.text(r).split(separator: "\n").first { $0.hasPrefix("Country:") }.map(String.init)
    }

    @Test func theCountryWithTheMostProbabilityIsTheAnswer() {
        // One Iranian actor ranks first, but three Chinese actors together hold more.
        let r = result(
            [candidate("A", "IR", 0.30), candidate("B", "CN", 0.20), candidate("C", "CN", 0.15), candidate("D", "CN", 0.10)],
            [("CN", 0.45), ("IR", 0.30)])
        #expect(
            countryLine(r)
                == "Country: CN (45% of the probability, summed over its actors; the best-ranked actor whose country is known, A, is of IR)")
    }

    @Test func agreementAndWeakness() {
        let strong = result([candidate("Lazarus Group", "KP", 0.67)], [("KP", 0.67)])
        #expect(countryLine(strong) == "Country: KP (67% of the probability, summed over its actors)")
        let weak = result([candidate("X", "CN", 0.12)], [("CN", 0.12), ("RU", 0.11)])
        #expect(countryLine(weak) == "Country: CN (12% of the probability, summed over its actors); weak: no country holds a third")
        #expect(countryLine(result([candidate("Y", nil, 0.5)], [])) == nil)
        // Evidence that points two ways (one country's malware beside another's) is contested.
        let split = result([candidate("L", "KP", 0.35), candidate("Z", "RU", 0.34)], [("KP", 0.35), ("RU", 0.34)])
        #expect(countryLine(split) == "Country: KP (35% of the probability, summed over its actors); contested: RU holds 34%")
    }
}
