import Foundation
import FuzzyHash
import JSON
import TestSupport
import Testing

@Suite struct SSDeepTests {
    static let a = "96:Ws7f1kH2pG6xXkCY8Lp7DwQO9e:WsZ1kW7xXkCYkVDwQo"

    @Test func parsesDigestsAndRejectsOtherText() throws {
        let d = try #require(SSDeepDigest(Self.a))
        #expect(d.blockSize == 96)
        #expect(d.similarity(to: d) == 100)
        #expect(SSDeepDigest("3::")?.blockSize == 3)  // the digest of empty input
        for bad in ["", "96", "96:abc", "x:abc:def", "0:abc:def", "96:ab c:def", "96:abc:de-f", "96:abc:def:ghi",
                    "96:" + String(repeating: "A", count: 65) + ":x", "-3:abc:def"] {
            #expect(SSDeepDigest(bad) == nil, "\(bad)")
        }
    }

    @Test func scoresAreSymmetricAndZeroAcrossDistantBlockSizes() throws {
        let x = try #require(SSDeepDigest(Self.a))
        // The same signature at a block size four times larger shares no comparable block size.
        let far = try #require(SSDeepDigest("384:Ws7f1kH2pG6xXkCY8Lp7DwQO9e:WsZ1kW7xXkCYkVDwQo"))
        #expect(x.similarity(to: far) == 0)
        // At double the block size the first signature of one meets the second of the other.
        let double = try #require(SSDeepDigest("192:WsZ1kW7xXkCYkVDwQo:Abc"))
        #expect(x.similarity(to: double) == double.similarity(to: x))
        #expect(x.similarity(to: double) > 0)
    }

    /// Every pair in the corpus's vectors (libfuzzy 2.14.1 through ctypes, cross-checked by an independent
    /// implementation).
    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func scoresAgreeWithTheReference() throws {
        let url = try #require(Corpus.file("ssdeep/vectors.json"))
        let v = try JSONParser.parse(Array(try Data(contentsOf: url)))
        var digests: [String: SSDeepDigest] = [:]
        for input in v["inputs"]?.arrayValue ?? [] {
            guard let id = input["id"]?.stringValue, let text = input["ssdeep"]?.stringValue else { continue }
            let digest = try #require(SSDeepDigest(text), "\(id): \(text)")
            digests[id] = digest
        }
        #expect(digests.count >= 190)
        var checked = 0
        var similar = 0
        for pair in v["pairs"]?.arrayValue ?? [] {
            guard let a = pair["a"]?.stringValue, let b = pair["b"]?.stringValue, let x = digests[a], let y = digests[b],
                let score = pair["score"]?.intValue
            else { continue }
            #expect(x.similarity(to: y) == Int(score), "\(a) ~ \(b)")
            checked += 1
            if score > 0 { similar += 1 }
        }
        #expect(checked == 320)
        #expect(similar >= 60)
    }
}
