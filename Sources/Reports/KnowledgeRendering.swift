import JSON
import Knowledge
import STIX

/// Renders knowledge-base answers as tables and JSON.
public enum KnowledgeRendering {
    static func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
    static func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    // MARK: Import

    public static func importJSON(_ r: ImportReport) -> JSONValue {
        var counts = JSONObject()
        for type in r.counts.keys.sorted() {
            let c = r.counts[type]!
            counts[type] = [
                "added": .int(Int64(c.added)), "updated": .int(Int64(c.updated)), "unchanged": .int(Int64(c.unchanged)),
                "older": .int(Int64(c.older)), "rejected": .int(Int64(c.rejected)),
            ]
        }
        return [
            "file": .string(r.path), "format": .string(r.format.rawValue), "counts": .object(counts),
            "rejections": .array(r.rejections.map { .string($0.description) }),
            "fatal": opt(r.fatal),
            "conflicts": .array(r.conflicts.map(conflictJSON)),
        ]
    }

    public static func importTable(_ r: ImportReport, maxRejections: Int = 20) -> String {
        var t = TextTable(["TYPE", "ADDED", "UPDATED", "UNCHANGED", "OLDER", "REJECTED"])
        for type in r.counts.keys.sorted() {
            let c = r.counts[type]!
            t.add([type, "\(c.added)", "\(c.updated)", "\(c.unchanged)", "\(c.older)", "\(c.rejected)"])
        }
        let s = r.total
        t.add(["total", "\(s.added)", "\(s.updated)", "\(s.unchanged)", "\(s.older)", "\(s.rejected)"])
        var out = "\(r.path) (\(r.format.rawValue))\n" + t.render()
        if let fatal = r.fatal { out += "\nstopped reading: \(fatal)" }
        if !r.rejections.isEmpty {
            out += "\nrejected:"
            for e in r.rejections.prefix(maxRejections) { out += "\n  \(e)" }
            if r.rejections.count > maxRejections { out += "\n  … and \(r.rejections.count - maxRejections) more (--format json lists all)" }
        }
        if !r.conflicts.isEmpty {
            out += "\nactor merge conflicts: \(r.conflicts.count) (see `sightline intel conflicts`)"
        }
        return out
    }

    public static func conflictJSON(_ c: MergeConflict) -> JSONValue {
        ["id": .string(c.memberID), "name": .string(c.memberName), "candidates": strings(c.candidateIDs), "reason": .string(c.reason)]
    }

    // MARK: Actors

    public static func actorJSON(_ a: ActorSummary) -> JSONValue {
        [
            "id": .string(a.id), "attack_id": opt(a.attackID), "name": .string(a.name), "aliases": strings(a.aliases),
            "countries": strings(a.countries), "sectors": strings(a.sectors), "target_countries": strings(a.targetCountries),
            "sources": strings(a.sources), "members": strings(a.memberIDs),
            "techniques": .int(Int64(a.techniqueCount)), "software": .int(Int64(a.softwareCount)),
        ]
    }

    public static func groupsTable(_ actors: [ActorSummary]) -> String {
        var t = TextTable(["ATT&CK", "NAME", "COUNTRY", "TECHNIQUES", "SOFTWARE", "SOURCES", "ALIASES"], maxColumnWidth: 70)
        for a in actors {
            t.add([
                a.attackID ?? "-", a.name, a.countries.joined(separator: ","), "\(a.techniqueCount)", "\(a.softwareCount)",
                a.sources.joined(separator: "+"), a.aliases.dropFirst().joined(separator: ", "),
            ])
        }
        return t.render() + "\n\(actors.count) actors"
    }

    public static func profileJSON(_ p: ActorProfile) -> JSONValue {
        var o = actorJSON(p.summary).objectValue!
        o["alias_sources"] = .array(p.aliasSources.map { ["alias": .string($0.alias), "source": .string($0.source)] })
        o["description"] = opt(p.description)
        o["techniques"] = .array(p.techniques.map {
            ["id": .string($0.id), "attack_id": opt($0.attackID), "name": .string($0.name), "tactics": strings($0.tactics)]
        })
        o["software"] = .array(p.software.map {
            ["id": .string($0.id), "attack_id": opt($0.attackID), "name": .string($0.name), "type": .string($0.type)]
        })
        o["campaigns"] = .array(p.campaigns.map {
            ["id": .string($0.id), "attack_id": opt($0.attackID), "name": .string($0.name), "first_seen": opt($0.firstSeen),
             "last_seen": opt($0.lastSeen)]
        })
        o["source_objects"] = .array(p.members.map {
            ["id": .string($0.id), "name": .string($0.name), "source": .string($0.source), "references": strings($0.references)]
        })
        o["conflicts"] = .array(p.conflicts.map(conflictJSON))
        return .object(o)
    }

    public static func profileText(_ p: ActorProfile) -> String {
        let s = p.summary
        var out = "\(s.name)" + (s.attackID.map { " (\($0))" } ?? "") + "\n\(s.id)\n"
        out += "\nCountry:     " + (s.countries.isEmpty ? "unknown" : s.countries.map(countryLabel).joined(separator: ", "))
        out += "\nSources:     " + s.sources.joined(separator: ", ")
        out += "\nTargets:     " + (s.sectors.isEmpty ? "-" : s.sectors.joined(separator: ", "))
        if !s.targetCountries.isEmpty { out += "\nVictims in:  " + s.targetCountries.joined(separator: ", ") }
        out += "\n\nAliases (\(p.aliasSources.count)):"
        var bySource: [(String, [String])] = []
        for (alias, source) in p.aliasSources {
            if let i = bySource.firstIndex(where: { $0.0 == source }) { bySource[i].1.append(alias) } else { bySource.append((source, [alias])) }
        }
        for (source, names) in bySource { out += "\n  \(source): " + names.joined(separator: ", ") }
        out += "\n\nTechniques (\(p.techniques.count)):"
        if !p.techniques.isEmpty {
            var t = TextTable(["ID", "NAME", "TACTICS"])
            for x in p.techniques { t.add([x.attackID ?? "-", x.name, x.tactics.joined(separator: ", ")]) }
            out += "\n" + indent(t.render())
        }
        out += "\n\nSoftware (\(p.software.count)):"
        if !p.software.isEmpty {
            var t = TextTable(["ID", "NAME", "TYPE"])
            for x in p.software { t.add([x.attackID ?? "-", x.name, x.type]) }
            out += "\n" + indent(t.render())
        }
        out += "\n\nCampaigns (\(p.campaigns.count)):"
        for c in p.campaigns {
            let when = [c.firstSeen, c.lastSeen].compactMap { $0?.prefix(10) }.joined(separator: " – ")
            out += "\n  \(c.attackID ?? "-")  \(c.name)" + (when.isEmpty ? "" : "  (\(when))")
        }
        out += "\n\nSource objects:"
        for m in p.members { out += "\n  \(m.source): \(m.name)  \(m.id)" + (m.references.isEmpty ? "" : "  [\(m.references.count) references]") }
        if !p.conflicts.isEmpty {
            out += "\n\nMerge conflicts:"
            for c in p.conflicts { out += "\n  MISP '\(c.memberName)': \(c.reason)" }
        }
        return out
    }

    static func countryLabel(_ code: String) -> String { code }

    static func indent(_ s: String) -> String { s.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") }
}
