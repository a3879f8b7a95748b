import Foundation
import JSON
import Knowledge
import STIX
import TestSupport
import Testing

@Suite struct KnowledgeImportTests {
    func store() throws -> KnowledgeStore { try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false)) }

    @Test func importCountsPerTypeAndIsIdempotent() throws {
        let kb = try store()
        let path = try Fixtures.write(Fixtures.attackBundle, name: "attack.json")
        let first = try kb.importFile(path)
        #expect(first.format == .stix)
        #expect(first.counts["intrusion-set"]?.added == 4)
        #expect(first.counts["relationship"]?.added == 6)
        #expect(first.total.added == 15)
        #expect(first.total.rejected == 0)
        let second = try kb.importFile(path)
        #expect(second.total.added == 0)
        #expect(second.total.unchanged == 15)
        #expect(try kb.objectCount() == 15)
    }

    @Test func newerVersionBecomesCurrentAndOlderStaysQueryable() throws {
        let kb = try store()
        _ = try kb.importFile(try Fixtures.write(Fixtures.attackBundle, name: "a.json"))
        let report = try kb.importFile(try Fixtures.write(Fixtures.attackBundleV2, name: "b.json"))
        #expect(report.counts["intrusion-set"]?.updated == 1)
        #expect(report.counts["tool"]?.rejected == 1)
        #expect(report.counts["gadget"]?.rejected == 1)
        #expect(report.rejections.contains { $0.objectID == "tool--11111111-2222-4333-8444-555555555555" && $0.path == "created" })
        #expect(report.rejections.contains { $0.kind == .unknownType("gadget") })
        let current = try #require(try kb.object(id: Fixtures.lazarus))
        #expect(current.aliases.contains("ZINC"))
        let versions = try kb.versions(id: Fixtures.lazarus)
        #expect(versions.map(\.modified) == ["2024-01-01T00:00:00.000Z", "2025-10-24T01:29:21.748Z"])
        // Importing the old bundle again changes nothing: the old version is already stored as history.
        let again = try kb.importFile(try Fixtures.write(Fixtures.attackBundle, name: "a.json"))
        #expect(again.counts["intrusion-set"]?.unchanged == 4)
        #expect(try kb.object(id: Fixtures.lazarus)?.modified == "2025-10-24T01:29:21.748Z")
    }

    @Test func revokedObjectsAreHiddenButKeptAndResolveToReplacement() throws {
        let kb = try store()
        _ = try kb.importFile(try Fixtures.write(Fixtures.attackBundle, name: "a.json"))
        #expect(try kb.actors().map(\.name).sorted() == ["APT38", "Andariel", "Lazarus Group"])
        #expect(try kb.object(id: Fixtures.stolenPencil)?.revoked == true)
        #expect(try kb.resolve("G0086") == Fixtures.andariel)
        #expect(try kb.currentObjects(types: ["intrusion-set"], includeHidden: true).count == 4)
    }

    @Test func malformedJSONKeepsWhatWasReadInOneTransaction() throws {
        let kb = try store()
        let text = String(Fixtures.attackBundle.prefix(Fixtures.attackBundle.count - 200))
        let report = try kb.importFile(try Fixtures.write(text, name: "cut.json"))
        #expect(report.fatal?.contains("at byte") == true)
        #expect(report.total.added > 0)
        #expect(try kb.objectCount() == report.total.added)
    }

    @Test func objectsWithoutModifiedChangeOnlyWithTheirContent() throws {
        let kb = try store()
        let a = #"{"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2017-06-01T00:00:00.000Z", "definition_type": "statement", "definition": {"statement": "x"}}"#
        let reordered = #"{"id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "type": "marking-definition", "created": "2017-06-01T00:00:00.000Z", "spec_version": "2.1", "definition": {"statement": "x"}, "definition_type": "statement"}"#
        let changed = a.replacingOccurrences(of: #""statement": "x""#, with: #""statement": "y""#)
        #expect(try kb.importFile(try Fixtures.write(a, name: "m.json")).total.added == 1)
        #expect(try kb.importFile(try Fixtures.write(reordered, name: "m.json")).total.unchanged == 1)
        #expect(try kb.importFile(try Fixtures.write(changed, name: "m.json")).total.updated == 1)
    }

    @Test func unreadableFileIsAnError() throws {
        #expect(throws: KnowledgeError.self) { try self.store().importFile("/nonexistent/file.json") }
    }
}

@Suite struct MISPMergeTests {
    func loaded() throws -> (KnowledgeStore, ImportReport) {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        _ = try kb.importFile(try Fixtures.write(Fixtures.attackBundle, name: "a.json"))
        let r = try kb.importFile(try Fixtures.write(Fixtures.misp, name: "threat-actor.json"))
        return (kb, r)
    }

    @Test func galaxyConvertsToValidSTIX() throws {
        let (kb, report) = try loaded()
        #expect(report.format == .mispGalaxy)
        #expect(report.counts["intrusion-set"]?.added == 4)
        #expect(report.total.rejected == 1)  // the entry with an empty value
        #expect(report.counts["location"]?.added == 2)  // KP, and KR as a victim; "Sony Pictures" is no country
        let all = try kb.currentObjects()
        let validator = STIXValidator()
        #expect(all.flatMap { validator.errors(in: $0) }.isEmpty)
        // A UUIDv7 MISP id becomes a UUIDv5 STIX id; a URL with '|' and spaces is escaped; `_hex` keys renamed.
        let kimsuky = try #require(all.first { $0.name == "Kimsuky" })
        #expect(STIXIdentifier.isValidUUID(Substring(kimsuky.id.dropFirst("intrusion-set--".count))))
        let lazarusMISP = try #require(try kb.object(id: "intrusion-set--68391641-859f-4a9a-9a1e-3e5cf71ec376"))
        #expect(lazarusMISP.externalReferences.contains { $0.url == "https://example.org/report%7C1%202" })
        #expect(lazarusMISP["x_misp_origin_temp_hex_value"] == ["FireEye"])
        #expect(lazarusMISP.aliases == ["Lazarus Group", "Hidden Cobra", "APT38", "Andariel"])
    }

    @Test func mergesUnambiguousMatchesAndReportsConflicts() throws {
        let (kb, report) = try loaded()
        let actors = try kb.actors()
        let lazarus = try #require(actors.first { $0.attackID == "G0032" })
        #expect(lazarus.sources == ["ATT&CK", "MISP"])
        #expect(lazarus.countries == ["KP"])
        #expect(lazarus.sectors == ["entertainment", "financial-services"])
        #expect(lazarus.targetCountries == ["KR"])
        // MISP's APT38 and Andariel synonyms belong to those ATT&CK groups, not to Lazarus.
        #expect(!lazarus.aliases.contains("APT38"))
        #expect(!lazarus.aliases.contains("Andariel"))
        #expect(lazarus.aliases.contains("Hidden Cobra") == false)  // same as HIDDEN COBRA once normalized
        let andariel = try #require(actors.first { $0.attackID == "G0138" })
        // Silent Chollima by name (an ATT&CK alias); Kimsuky by a cited revoked id that resolves to Andariel.
        #expect(andariel.memberIDs.count == 3)
        #expect(try kb.resolve("Silent Chollima") == Fixtures.andariel)
        // Two distinct ATT&CK groups are never merged: "Twins" names APT38 and Andariel and stays apart.
        let twins = try #require(actors.first { $0.name == "Twins" })
        #expect(twins.memberIDs.count == 1)
        let conflicts = report.conflicts
        #expect(Set(conflicts.map(\.memberName)) == ["Lazarus Group", "Twins"])
        let lazarusConflict = try #require(conflicts.first { $0.memberName == "Lazarus Group" })
        #expect(Set(lazarusConflict.candidateIDs) == [Fixtures.apt38, Fixtures.andariel])
        #expect(lazarusConflict.reason.hasPrefix("merged into Lazarus Group (G0032) by name"))
        #expect(conflicts.first { $0.memberName == "Twins" }!.reason.hasPrefix("ambiguous, not merged"))
        // APT38 has no country of its own; MISP's KP Lazarus entry names it.
        #expect(actors.first { $0.attackID == "G0082" }?.countries == ["KP"])
    }

    @Test func queriesFilterByCountryAndSector() throws {
        let (kb, _) = try loaded()
        #expect(try kb.actors(country: "KP").map(\.name) == ["Lazarus Group", "APT38", "Andariel"])
        #expect(try kb.actors(country: "North Korea").count == 3)
        #expect(try kb.actors(sector: "financial services").map(\.name) == ["Lazarus Group"])
        #expect(try kb.actors(sector: "Finance").map(\.name) == ["Lazarus Group"])
    }

    @Test func profileListsTechniquesSoftwareCampaignsAndSources() throws {
        let (kb, _) = try loaded()
        let p = try kb.actorProfile("hidden cobra")
        #expect(p.summary.attackID == "G0032")
        #expect(p.techniques.map(\.attackID) == ["T1561.001", "T1561.002"])
        #expect(p.techniques.first?.tactics == ["impact"])
        #expect(p.software.map(\.name) == ["Destover"])
        #expect(p.campaigns.map(\.name) == ["DarkSeoul"])
        #expect(p.members.map(\.source).contains("MISP threat-actor galaxy"))
        #expect(p.aliasSources.contains { $0.alias == "HIDDEN COBRA" && $0.source == "ATT&CK" })
        #expect(throws: KnowledgeError.notFound("Nobody")) { try kb.actorProfile("Nobody") }
        #expect(try kb.users(of: Fixtures.mbr).map(\.name).sorted() == ["APT38", "Lazarus Group"])
        #expect(try kb.resolve("Lazarus") == Fixtures.lazarus)
        #expect(try kb.resolve("Dark") == Fixtures.darkseoul)
        #expect(try kb.resolve("xy") == nil)
    }

    @Test func exportRelatedToAnActor() throws {
        let (kb, _) = try loaded()
        let bundle = try kb.export(relatedTo: "G0032")
        let ids = Set(bundle.objects.map(\.id))
        #expect(ids.isSuperset(of: [Fixtures.lazarus, Fixtures.wiper, Fixtures.mbr, Fixtures.destover, Fixtures.darkseoul]))
        #expect(ids.contains("intrusion-set--68391641-859f-4a9a-9a1e-3e5cf71ec376"))  // the merged MISP entry
        #expect(!ids.contains(Fixtures.apt38))
        let onlyPatterns = try kb.export(types: ["attack-pattern"], relatedTo: "Lazarus Group")
        #expect(onlyPatterns.objects.map(\.id).sorted() == [Fixtures.mbr, Fixtures.wiper].sorted())
        let hidden = try kb.export(types: ["intrusion-set"], includeHidden: true)
        #expect(hidden.objects.contains { $0.id == Fixtures.stolenPencil })
        #expect(try !kb.export(types: ["intrusion-set"]).objects.contains { $0.id == Fixtures.stolenPencil })
    }
}

@Suite struct BuiltinPackTests {
    @Test func emptyStoreLoadsTheBuiltinPackAndNoBuiltinSkipsIt() throws {
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)
        let lazarus = try kb.actorProfile("Lazarus Group")
        #expect(lazarus.summary.attackID == "G0032")
        #expect(lazarus.summary.countries == ["KP"])
        #expect(lazarus.techniques.count > 50)
        #expect(lazarus.description == nil)  // facts only
        #expect(try kb.metaValue("builtin") != nil)
        let empty = try KnowledgeStore(path: dir.appendingPathComponent("empty.sqlite").path, options: .init(loadsBuiltinPack: false))
        #expect(try empty.objectCount() == 0)
    }

    @Test func stripDropsProseAndKeepsFacts() throws {
        let o = try STIXObject(try JSONParser.parse(Fixtures.group(Fixtures.lazarus, "Lazarus Group", "G0032", aliases: ["ZINC"])))
        let s = try #require(BuiltinPack.strip(o))
        #expect(s.description == nil)
        #expect(s.attackID == "G0032")
        #expect(s.externalReferences.allSatisfy { $0.url == nil && $0.description == nil })
        #expect(s.aliases == ["ZINC"])
        let mitigates = try STIXObject(try JSONParser.parse(Fixtures.rel(9, "mitigates", Fixtures.lazarus, Fixtures.mbr)))
        #expect(BuiltinPack.strip(mitigates) == nil)
    }

    @Test func realImportReplacesTheStrippedBuiltinCopy() throws {
        let dir = try Corpus.temporaryDirectory()
        let kb = try KnowledgeStore(path: dir.appendingPathComponent("kb.sqlite").path)
        guard let url = Corpus.file("attack/enterprise-attack-18.1.json") else { return }
        let report = try kb.importFile(url.path)
        #expect(report.counts["intrusion-set"]!.updated > 150)
        #expect(try kb.actorProfile("G0032").description?.isEmpty == false)
    }
}
