import Foundation
import FuzzyHash
import JSON
import TestSupport
import Testing

@Suite struct TLSHTests {
    static let a = "T1B39002004689C744126445A980250DAA58A801492A04F415790A5497509592963246D1"

    @Test func parsesTheHeader() throws {
        // From the corpus vectors' debug section: checksum 59, lvalue 9, q1ratio 0, q2ratio 2.
        let d = try #require(TLSHDigest(Self.a))
        #expect(d.checksum == 59)
        #expect(d.lvalue == 9)
        #expect(d.q1ratio == 0)
        #expect(d.q2ratio == 2)
        #expect(d.body.count == 32)
        #expect(TLSHDigest(Self.a.lowercased()) == d)
        #expect(TLSHDigest(String(Self.a.dropFirst(2))) == d)
        #expect(d.distance(to: d) == 0)
    }

    @Test func rejectsWhatIsNotADigest() {
        for bad in ["TNULL", "", "T1", String(Self.a.dropLast()), Self.a.replacingOccurrences(of: "B", with: "G")] {
            #expect(TLSHDigest(bad) == nil, "\(bad)")
        }
    }

    /// Digests computed here equal the corpus's reference digests (py-tlsh 5.0.0, cross-checked by an
    /// independent implementation) for every input whose recipe the test support rebuilds, TNULL included.
    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func digestsAgreeWithTheReference() throws {
        let v = try JSONParser.parse(Array(try Data(contentsOf: try #require(Corpus.file("tlsh/vectors.json")))))
        var checked = 0
        var null = 0
        for (id, bytes, expected) in FuzzyInputs.inputs(of: v, digest: "tlsh") {
            let digest = bytes.withUnsafeBytes { TLSHDigest(of: $0) }
            #expect((digest?.text ?? "TNULL") == expected, "\(id)")
            if let digest { #expect(TLSHDigest(digest.text) == digest) }
            checked += 1
            if expected == "TNULL" { null += 1 }
        }
        #expect(checked == 102)
        #expect(null == 20)
    }

    /// Every pair in the corpus's vectors (py-tlsh 5.0.0, cross-checked by an independent implementation).
    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func distancesAgreeWithTheReference() throws {
        let url = try #require(Corpus.file("tlsh/vectors.json"))
        let v = try JSONParser.parse(Array(try Data(contentsOf: url)))
        var digests: [String: TLSHDigest] = [:]
        for input in v["inputs"]?.arrayValue ?? [] {
            if let id = input["id"]?.stringValue, let t = input["tlsh"]?.stringValue, let d = TLSHDigest(t) { digests[id] = d }
        }
        var checked = 0
        for pair in v["pairs"]?.arrayValue ?? [] {
            guard let a = pair["a"]?.stringValue, let b = pair["b"]?.stringValue,
                let x = digests[a], let y = digests[b], let diff = pair["diff"]?.intValue, let noLength = pair["diffxlen"]?.intValue
            else { continue }
            #expect(x.distance(to: y) == Int(diff), "\(a) ~ \(b)")
            #expect(x.distance(to: y, includingLength: false) == Int(noLength), "\(a) ~ \(b)")
            #expect(y.distance(to: x) == Int(diff))
            checked += 1
        }
        #expect(checked >= 300)
    }
}
