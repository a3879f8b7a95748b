import Foundation
import GRDB
import JSON
import STIX

/// One actor: a reference intrusion set with the MISP entries merged into it, or a MISP entry on its own.
public struct ActorSummary: Sendable, Equatable {
    /// The actor's canonical intrusion set (ATT&CK's when there is one).
    public var id: String
    public var attackID: String?
    public var name: String
    /// Names from every source, deduplicated, canonical name first.
    public var aliases: [String]
    /// ISO 3166-1 alpha-2 codes of the countries it is said to operate from.
    public var countries: [String]
    /// Canonical sector keys it targets.
    public var sectors: [String]
    /// Countries it targets.
    public var targetCountries: [String]
    /// Where it is described: "ATT&CK", "MISP", or an import file name.
    public var sources: [String]
    /// Intrusion sets that form it, canonical first.
    public var memberIDs: [String]
    public var techniqueCount: Int
    public var softwareCount: Int
}

/// A technique an actor uses.
public struct TechniqueUse: Sendable, Equatable {
    public var id: String
    public var attackID: String?
    public var name: String
    public var tactics: [String]
}

/// A malware or tool an actor uses.
public struct SoftwareUse: Sendable, Equatable {
    public var id: String
    public var attackID: String?
    public var name: String
    public var type: String
}

/// A campaign attributed to an actor.
public struct CampaignRecord: Sendable, Equatable {
    public var id: String
    public var attackID: String?
    public var name: String
    public var firstSeen: String?
    public var lastSeen: String?
}

/// Everything the store knows about an actor.
public struct ActorProfile: Sendable {
    public var summary: ActorSummary
    /// Each name with the source that gives it.
    public var aliasSources: [(alias: String, source: String)]
    public var description: String?
    public var techniques: [TechniqueUse]
    public var software: [SoftwareUse]
    public var campaigns: [CampaignRecord]
    /// The member objects: id, name, source label, references (URLs).
    public var members: [(id: String, name: String, source: String, references: [String])]
    /// Ambiguous MISP matches that involve this actor.
    public var conflicts: [MergeConflict]
}

/// Filters for ``KnowledgeStore/actors(country:sector:)``.
extension KnowledgeStore {
    /// Current objects of the given types (all types when empty), sorted by id.
    public func currentObjects(types: [String] = [], includeHidden: Bool = false) throws -> [STIXObject] {
        try read { db in
            var sql = "SELECT json FROM stixObject WHERE isCurrent = 1"
            var args: [any DatabaseValueConvertible] = []
            if !includeHidden { sql += " AND hidden = 0" }
            if !types.isEmpty {
                sql += " AND type IN (\(types.map { _ in "?" }.joined(separator: ",")))"
                args += types
            }
            sql += " ORDER BY id"
            return try String.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap(Self.decode)
        }
    }

    /// The current version of an object.
    public func object(id: String) throws -> STIXObject? {
        try read { db in try Self.object(db, id) }
    }

    /// Every stored version of an object, oldest first.
    public func versions(id: String) throws -> [STIXObject] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT json FROM stixObject WHERE id = ? ORDER BY versionKey", arguments: [id])
                .compactMap(Self.decode)
        }
    }

    static func object(_ db: Database, _ id: String) throws -> STIXObject? {
        try String.fetchOne(db, sql: "SELECT json FROM stixObject WHERE id = ? AND isCurrent = 1", arguments: [id])
            .flatMap(decode)
    }

    static func decode(_ json: String) -> STIXObject? {
        try? STIXObject(JSONParser.parse(json))
    }

    /// All merge conflicts found by the last import.
    public func conflicts() throws -> [MergeConflict] {
        try read { db in try Self.conflicts(db) }
    }

    static func conflicts(_ db: Database) throws -> [MergeConflict] {
        try Row.fetchAll(db, sql: "SELECT memberId, memberName, candidateIds, reason FROM mergeConflict ORDER BY memberName")
            .map {
                MergeConflict(
                    memberID: $0[0], memberName: $0[1], candidateIDs: ($0[2] as String).split(separator: ",").map(String.init),
                    reason: $0[3])
            }
    }

    // MARK: Resolving names

    /// Resolves a STIX id, ATT&CK id, name or alias to the id of a current object.
    ///
    /// Order: exact STIX id; ATT&CK or other external id; exact name; alias (case, spaces and punctuation
    /// ignored); a prefix of a name or alias (at least 3 letters). Visible objects win over revoked or deprecated ones (a revoked one resolves to its
    /// replacement); reference intrusion sets win over MISP entries; a MISP entry resolves to its actor.
    public func resolve(_ query: String) throws -> String? {
        try read { db in try Self.resolve(db, query) }
    }

    static func resolve(_ db: Database, _ query: String) throws -> String? {
        let q = query.trimmingCharacters(in: .whitespaces)
        guard !q.isEmpty else { return nil }
        var candidates: [String] = []
        if STIXIdentifier.split(q) != nil {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM stixObject WHERE id = ? AND isCurrent = 1", arguments: [q]) == true {
                candidates = [q]
            }
        }
        if candidates.isEmpty {
            candidates = try String.fetchAll(
                db,
                sql: """
                    SELECT e.objectId FROM externalId e JOIN stixObject o ON o.id = e.objectId AND o.isCurrent = 1
                    WHERE e.externalId = ? COLLATE NOCASE AND e.sourceName NOT IN ('misp-cites-attack')
                    ORDER BY o.hidden, o.type
                    """, arguments: [q])
        }
        if candidates.isEmpty {
            candidates = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM stixObject WHERE isCurrent = 1 AND name = ? COLLATE NOCASE
                    ORDER BY hidden, (type = 'intrusion-set') DESC, (attackId IS NULL), id
                    """, arguments: [q])
        }
        if candidates.isEmpty {
            candidates = try String.fetchAll(
                db,
                sql: """
                    SELECT a.objectId FROM alias a JOIN stixObject o ON o.id = a.objectId AND o.isCurrent = 1
                    WHERE a.normalized = ? AND o.type != 'relationship'
                    ORDER BY o.hidden, (o.type = 'intrusion-set') DESC, (o.attackId IS NULL), o.id
                    """, arguments: [AliasNormalizer.normalize(q)])
        }
        if candidates.isEmpty, AliasNormalizer.normalize(q).count >= 3 {
            // A prefix of a name or alias ("Lazarus" → "Lazarus Group"), shortest match first.
            candidates = try String.fetchAll(
                db,
                sql: """
                    SELECT a.objectId FROM alias a JOIN stixObject o ON o.id = a.objectId AND o.isCurrent = 1
                    WHERE a.normalized LIKE ? AND o.type != 'relationship'
                    ORDER BY o.hidden, (o.type = 'intrusion-set') DESC, (o.attackId IS NULL), length(a.normalized), o.id
                    """, arguments: [AliasNormalizer.normalize(q) + "%"])
        }
        guard var id = candidates.first else { return nil }
        // A revoked object resolves to what revoked it.
        if let replacement = try String.fetchOne(
            db,
            sql: """
                SELECT r.targetRef FROM stixObject o JOIN stixObject r ON r.sourceRef = o.id AND r.isCurrent = 1
                    AND r.relationshipType = 'revoked-by'
                WHERE o.id = ? AND o.isCurrent = 1 AND o.hidden = 1
                """, arguments: [id])
        {
            id = replacement
        }
        return try actorID(db, id) ?? id
    }

    static func actorID(_ db: Database, _ id: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT actorId FROM actorMember WHERE memberId = ?", arguments: [id])
    }

    // MARK: Actors

    /// All visible actors, optionally those operating from `country` (ISO code or name) or targeting `sector`.
    public func actors(country: String? = nil, sector: String? = nil) throws -> [ActorSummary] {
        try read { db in
            let all = try Self.loadActors(db)
            let code = country.map { c in
                CountryCodes.byName[c.lowercased()] ?? c.uppercased()
            }
            let sectorKey = sector.map(SectorVocabulary.canonical)
            return all.filter { a in
                if let code, !a.countries.contains(code) { return false }
                if let sectorKey, let raw = sector,
                    !a.sectors.contains(where: { $0 == sectorKey || $0.contains(AliasNormalizer.normalize(raw)) })
                {
                    return false
                }
                return true
            }
        }
    }

    static func loadActors(_ db: Database) throws -> [ActorSummary] {
        struct Member {
            var id: String
            var name: String
            var attackID: String?
            var names: [String]
            var isMISP: Bool
            var source: String
        }
        var members: [String: Member] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT id, name, attackId, json, source FROM stixObject
                WHERE type = 'intrusion-set' AND isCurrent = 1 AND hidden = 0
                """)
        {
            guard let o = decode(row[3]) else { continue }
            let isMISP = o.externalReferences.contains { $0.sourceName == "misp-galaxy" }
            let isAttack = o.attackID != nil
            let source = isMISP ? "MISP" : isAttack ? "ATT&CK" : (row[4] as String)
            members[row[0]] = Member(
                id: row[0], name: row[1] ?? row[0], attackID: isMISP ? nil : row[2], names: o.aliases, isMISP: isMISP,
                source: source)
        }
        var actorOf: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT memberId, actorId FROM actorMember") {
            actorOf[row[0]] = row[1]
        }
        // Names of reference groups, to keep a merged MISP entry's conflicting synonyms off its actor.
        var referenceNames: [String: String] = [:]
        for m in members.values where !m.isMISP {
            for n in [m.name] + m.names { referenceNames[AliasNormalizer.normalize(n)] = m.id }
        }
        var groups: [String: [Member]] = [:]
        for m in members.values {
            let actor = actorOf[m.id].flatMap { members[$0] != nil ? $0 : nil } ?? m.id
            groups[actor, default: []].append(m)
        }

        // Relationship facts.
        var countries: [String: Set<String>] = [:]
        var sectors: [String: Set<String>] = [:]
        var targetCountries: [String: Set<String>] = [:]
        var techniques: [String: Set<String>] = [:]
        var software: [String: Set<String>] = [:]
        let facts = try Row.fetchAll(
            db,
            sql: """
                SELECT r.sourceRef, r.relationshipType, t.type, t.id, t.json FROM stixObject r
                JOIN stixObject t ON t.id = r.targetRef AND t.isCurrent = 1 AND t.hidden = 0
                WHERE r.isCurrent = 1 AND r.hidden = 0 AND r.sourceRef LIKE 'intrusion-set--%'
                  AND r.relationshipType IN ('uses', 'originates-from', 'targets')
                """)
        var locationCodes: [String: String] = [:]
        var sectorKeys: [String: [String]] = [:]
        for f in facts {
            let source: String = f[0]
            let rel: String = f[1]
            let type: String = f[2]
            let target: String = f[3]
            switch (rel, type) {
            case ("uses", "attack-pattern"): techniques[source, default: []].insert(target)
            case ("uses", "malware"), ("uses", "tool"): software[source, default: []].insert(target)
            case ("originates-from", "location"), ("targets", "location"):
                if locationCodes[target] == nil {
                    locationCodes[target] = decode(f[4])?["country"]?.stringValue ?? ""
                }
                if let c = locationCodes[target], !c.isEmpty {
                    if rel == "originates-from" {
                        countries[source, default: []].insert(c)
                    } else {
                        targetCountries[source, default: []].insert(c)
                    }
                }
            case ("targets", "identity"):
                if sectorKeys[target] == nil { sectorKeys[target] = decode(f[4])?.stringList("sectors") ?? [] }
                sectors[source, default: []].formUnion(sectorKeys[target] ?? [])
            default: break
            }
        }

        // A reference group with no country of its own takes the country of the MISP entries whose synonyms
        // or citations name it (MISP folds APT38 into its Lazarus entry; ATT&CK keeps APT38 apart).
        // (A conflict over a disagreeing country says nothing of the kind.)
        func actorHasCountry(_ actor: String) -> Bool {
            (groups[actor] ?? []).contains { !(countries[$0.id] ?? []).isEmpty }
        }
        for row in try Row.fetchAll(db, sql: "SELECT memberId, candidateIds, reason FROM mergeConflict") {
            let member: String = row[0]
            let reason: String = row[2]
            guard !reason.hasPrefix("not merged"), let from = countries[member], !from.isEmpty else { continue }
            for candidate in (row[1] as String).split(separator: ",").map(String.init)
            where groups[candidate] != nil && !actorHasCountry(candidate) {
                countries[candidate] = from
            }
        }
        var out: [ActorSummary] = []
        for (actorID, ms) in groups {
            guard let canonical = ms.first(where: { $0.id == actorID }) else { continue }
            let ordered = [canonical] + ms.filter { $0.id != actorID }.sorted { $0.name < $1.name }
            var seen: Set<String> = []
            var aliases: [String] = []
            for m in ordered {
                for n in [m.name] + m.names {
                    let key = AliasNormalizer.normalize(n)
                    if key.isEmpty || seen.contains(key) { continue }
                    // A synonym that names another reference group belongs to that group, not here.
                    if m.isMISP, let other = referenceNames[key], other != actorID { continue }
                    seen.insert(key)
                    aliases.append(n)
                }
            }
            let ids = ordered.map(\.id)
            func union(_ d: [String: Set<String>]) -> [String] { Array(ids.reduce(into: Set<String>()) { $0.formUnion(d[$1] ?? []) }).sorted() }
            var sources: [String] = []
            for m in ordered where !sources.contains(m.source) { sources.append(m.source) }
            out.append(
                ActorSummary(
                    id: actorID, attackID: canonical.attackID, name: canonical.name, aliases: aliases,
                    countries: union(countries), sectors: union(sectors), targetCountries: union(targetCountries),
                    sources: sources, memberIDs: ids, techniqueCount: union(techniques).count,
                    softwareCount: union(software).count))
        }
        out.sort { ($0.attackID ?? "~", $0.name) < ($1.attackID ?? "~", $1.name) }
        return out
    }

    /// The full profile of the actor that `query` names (STIX id, ATT&CK id, name or alias).
    ///
    /// - Throws: ``KnowledgeError/notFound(_:)`` when nothing matches or the match is not an intrusion set.
    public func actorProfile(_ query: String) throws -> ActorProfile {
        try read { db in
            guard let id = try Self.resolve(db, query), id.hasPrefix("intrusion-set--") else {
                throw KnowledgeError.notFound(query)
            }
            guard let summary = try Self.loadActors(db).first(where: { $0.id == id }) else {
                throw KnowledgeError.notFound(query)
            }
            return try Self.profile(db, summary)
        }
    }

    static func profile(_ db: Database, _ summary: ActorSummary) throws -> ActorProfile {
        var aliasSources: [(String, String)] = []
        var members: [(String, String, String, [String])] = []
        var description: String?
        var seen: Set<String> = []
        for id in summary.memberIDs {
            guard let o = try object(db, id) else { continue }
            let isMISP = o.externalReferences.contains { $0.sourceName == "misp-galaxy" }
            let label: String
            if isMISP {
                label = "MISP threat-actor galaxy"
            } else if let a = o.attackID {
                let domains = o.stringList("x_mitre_domains")
                label = "MITRE ATT&CK \(a)" + (domains.isEmpty ? "" : " (\(domains.joined(separator: ", ")))")
            } else {
                label = try String.fetchOne(db, sql: "SELECT source FROM stixObject WHERE id = ? AND isCurrent = 1", arguments: [id]) ?? "import"
            }
            if description == nil { description = o.description }
            for n in [o.name ?? ""] + o.aliases where summary.aliases.contains(n) {
                let key = "\(n)|\(label)"
                if seen.insert(key).inserted { aliasSources.append((n, isMISP ? "MISP" : (o.attackID != nil ? "ATT&CK" : label))) }
            }
            let urls = o.externalReferences.compactMap(\.url)
            members.append((id, o.name ?? id, label, urls))
        }
        let ids = summary.memberIDs
        let placeholders = ids.map { _ in "?" }.joined(separator: ",")
        let uses = try Row.fetchAll(
            db,
            sql: """
                SELECT DISTINCT t.id, t.type, t.name, t.attackId, t.json FROM stixObject r
                JOIN stixObject t ON t.id = r.targetRef AND t.isCurrent = 1 AND t.hidden = 0
                WHERE r.isCurrent = 1 AND r.hidden = 0 AND r.relationshipType = 'uses' AND r.sourceRef IN (\(placeholders))
                """, arguments: StatementArguments(ids))
        var techniques: [TechniqueUse] = []
        var software: [SoftwareUse] = []
        for u in uses {
            let type: String = u[1]
            if type == "attack-pattern" {
                let tactics = decode(u[4])?.killChainPhases.map(\.phase) ?? []
                techniques.append(TechniqueUse(id: u[0], attackID: u[3], name: u[2] ?? "", tactics: tactics))
            } else if type == "malware" || type == "tool" {
                software.append(SoftwareUse(id: u[0], attackID: u[3], name: u[2] ?? "", type: type))
            }
        }
        techniques.sort { ($0.attackID ?? $0.name) < ($1.attackID ?? $1.name) }
        software.sort { ($0.attackID ?? $0.name) < ($1.attackID ?? $1.name) }
        let campaigns = try Row.fetchAll(
            db,
            sql: """
                SELECT DISTINCT c.id, c.attackId, c.name, c.json FROM stixObject r
                JOIN stixObject c ON c.id = r.sourceRef AND c.isCurrent = 1 AND c.hidden = 0 AND c.type = 'campaign'
                WHERE r.isCurrent = 1 AND r.hidden = 0 AND r.relationshipType = 'attributed-to'
                  AND r.targetRef IN (\(placeholders))
                """, arguments: StatementArguments(ids)
        ).map { row -> CampaignRecord in
            let o = decode(row[3])
            return CampaignRecord(
                id: row[0], attackID: row[1], name: row[2] ?? "", firstSeen: o?["first_seen"]?.stringValue,
                lastSeen: o?["last_seen"]?.stringValue)
        }.sorted { ($0.firstSeen ?? "", $0.name) < ($1.firstSeen ?? "", $1.name) }
        let related = try conflicts(db).filter { c in
            ids.contains(c.memberID) || c.candidateIDs.contains(where: ids.contains)
        }
        return ActorProfile(
            summary: summary, aliasSources: aliasSources, description: description, techniques: techniques,
            software: software, campaigns: campaigns, members: members, conflicts: related)
    }

    /// The groups (actors) that use an object (a technique or software), by actor name.
    public func users(of id: String) throws -> [ActorSummary] {
        try read { db in
            let sources = try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT sourceRef FROM stixObject WHERE isCurrent = 1 AND hidden = 0
                      AND relationshipType = 'uses' AND targetRef = ? AND sourceRef LIKE 'intrusion-set--%'
                    """, arguments: [id])
            var actorIDs: Set<String> = []
            for s in sources { actorIDs.insert(try Self.actorID(db, s) ?? s) }
            return try Self.loadActors(db).filter { actorIDs.contains($0.id) }
        }
    }

    // MARK: Export

    /// A bundle of current objects: of the given types (all when empty), optionally only those related to
    /// `relatedTo` (the object, the relationships that touch it or its actor's members, and their other ends).
    ///
    /// Without a type filter, identities and marking definitions the objects refer to are included.
    public func export(types: [String] = [], relatedTo: String? = nil, includeHidden: Bool = false) throws -> STIXBundle {
        let objects: [STIXObject] = try read { db in
            var result: [STIXObject]
            if let relatedTo {
                guard let id = try Self.resolve(db, relatedTo) else { throw KnowledgeError.notFound(relatedTo) }
                var ids: Set<String> = [id]
                ids.formUnion(try String.fetchAll(db, sql: "SELECT memberId FROM actorMember WHERE actorId = ?", arguments: [id]))
                var wanted = ids
                let hiddenClause = includeHidden ? "" : " AND hidden = 0"
                for member in ids {
                    for row in try Row.fetchAll(
                        db,
                        sql: """
                            SELECT id, sourceRef, targetRef FROM stixObject WHERE isCurrent = 1\(hiddenClause)
                              AND (sourceRef = ? OR targetRef = ?)
                            """, arguments: [member, member])
                    {
                        wanted.insert(row[0])
                        if let s: String = row[1] { wanted.insert(s) }
                        if let t: String = row[2] { wanted.insert(t) }
                    }
                }
                result = try wanted.sorted().compactMap { try Self.object(db, $0) }
                if !includeHidden { result.removeAll { $0.revoked || $0.isDeprecated } }
            } else {
                var sql = "SELECT json FROM stixObject WHERE isCurrent = 1"
                if !includeHidden { sql += " AND hidden = 0" }
                if !types.isEmpty { sql += " AND type IN (\(types.map { _ in "?" }.joined(separator: ",")))" }
                sql += " ORDER BY type, id"
                result = try String.fetchAll(db, sql: sql, arguments: StatementArguments(types)).compactMap(Self.decode)
            }
            if !types.isEmpty {
                let t = Set(types)
                result.removeAll { !t.contains($0.type) }
            } else {
                // Bring along the identities and markings the objects cite.
                var have = Set(result.map(\.id))
                var extra: [STIXObject] = []
                for o in result {
                    for ref in [o.createdByRef].compactMap({ $0 }) + o.stringList("object_marking_refs")
                    where !have.contains(ref) {
                        have.insert(ref)
                        if let x = try Self.object(db, ref) { extra.append(x) }
                    }
                }
                result = extra.sorted { $0.id < $1.id } + result
            }
            return result
        }
        return STIXBundle(objects: objects)
    }
}
