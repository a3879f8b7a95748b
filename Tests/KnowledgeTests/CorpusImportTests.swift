import Foundation
import JSON
import Knowledge
import STIX
import TestSupport
import Testing

/// Imports of the real corpus: ATT&CK Enterprise and ICS v18.1 and the MISP threat-actor galaxy.
@Suite(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) struct CorpusImportTests {
    static func loadedStore() throws -> KnowledgeStore {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        for f in ["attack/enterprise-attack-18.1.json", "attack/ics-attack-18.1.json", "misp-galaxy/threat-actor.json"] {
            let report = try kb.importFile(try #require(Corpus.file(f)).path)
            #expect(report.total.rejected == 0, "\(f): \(report.rejections.prefix(3))")
            #expect(report.fatal == nil)
        }
        return kb
    }

    @Test func enterpriseImportCountsAndIdempotence() throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        let path = try #require(Corpus.file("attack/enterprise-attack-18.1.json")).path
        let first = try kb.importFile(path)
        #expect(first.total.added == 24_772)
        #expect(first.counts["intrusion-set"]?.added == 187)
        let second = try kb.importFile(path)
        #expect(second.total.unchanged == 24_772)
        #expect(second.total.added + second.total.updated == 0)
        #expect(try kb.actors().count == 172 - 0)  // live groups only; revoked and deprecated hidden
    }

    @Test func northKoreanActorsMergeAcrossSources() throws {
        let kb = try Self.loadedStore()
        let kp = try kb.actors(country: "KP")
        let byID = Dictionary(uniqueKeysWithValues: kp.compactMap { a in a.attackID.map { ($0, a) } })
        for id in ["G0032", "G0082", "G0094", "G0138", "G0067"] {
            #expect(byID[id] != nil, "\(id) should be a KP actor")
        }
        #expect(byID["G0032"]?.sources == ["ATT&CK", "MISP"])
        #expect(byID["G0094"]?.aliases.contains("Velvet Chollima") == true)
        #expect(try kb.resolve("Silent Chollima") == byID["G0138"]?.id)
        #expect(try kb.resolve("Hidden Cobra") == byID["G0032"]?.id)
        #expect(try kb.resolve("APT38") == byID["G0082"]?.id)
        let lazarusConflict = try #require(try kb.conflicts().first { $0.memberName == "Lazarus Group" })
        #expect(lazarusConflict.candidateIDs.contains(try #require(byID["G0082"]?.id)))
        #expect(lazarusConflict.candidateIDs.contains(try #require(byID["G0138"]?.id)))
    }
}
