import GRDB
import JSON
import STIX

/// An ambiguous match between a MISP actor and the reference groups (ATT&CK or other STIX sources).
public struct MergeConflict: Sendable, Equatable {
    /// The MISP intrusion set.
    public var memberID: String
    public var memberName: String
    /// The groups its names or citations point to.
    public var candidateIDs: [String]
    /// What was decided and why.
    public var reason: String
}

/// Groups intrusion sets from different sources into actors.
///
/// Reference groups are the intrusion sets that do not come from a MISP galaxy (ATT&CK's, or any STIX
/// bundle's); each is its own actor. A MISP actor joins one reference group when the evidence points to
/// exactly one:
/// 1. its *name* equals a group's name or alias (case, spaces and punctuation ignored), or the ATT&CK group
///    ids it cites (synonyms such as `G0032`, `attack.mitre.org/groups/…` references; revoked ids resolve
///    through `revoked-by`) — if these name exactly one group, or the name names exactly one, it joins it;
/// 2. otherwise its *synonyms*: if they name exactly one group, it joins it.
/// When they name several, it joins none (or only the one its own name names) and a ``MergeConflict``
/// lists the others: two distinct ATT&CK groups are never merged. Synonyms that name another group are
/// not shown as aliases of the actor it joined.
public enum ActorMerger {
    struct Group {
        var id: String
        var name: String
        var attackID: String?
        var names: [String]
        var isMISP: Bool
        var cited: [String]
    }

    /// Recomputes actor membership and conflicts from the current intrusion sets; returns the conflicts.
    @discardableResult
    static func rebuild(_ db: Database) throws -> [MergeConflict] {
        try db.execute(sql: "DELETE FROM actorMember; DELETE FROM mergeConflict")
        var groups: [Group] = []
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, name, attackId, json, hidden FROM stixObject WHERE type = 'intrusion-set' AND isCurrent = 1")
        var revokedAttackIDs: [String: String] = [:]  // revoked object id -> attack id
        for row in rows {
            let id: String = row[0]
            let hidden: Bool = row[4]
            let json: String = row[3]
            guard let object = try? STIXObject(JSONParser.parse(json)) else { continue }
            let isMISP = object.externalReferences.contains { $0.sourceName == "misp-galaxy" }
            if hidden {
                if let a = object.attackID { revokedAttackIDs[id] = a }
                continue
            }
            let cited = object.externalReferences.filter { $0.sourceName == "misp-cites-attack" }.compactMap(\.externalID)
            groups.append(
                Group(id: id, name: object.name ?? id, attackID: isMISP ? nil : object.attackID,
                    names: [object.name ?? ""] + object.aliases, isMISP: isMISP, cited: cited))
        }
        // Revoked ATT&CK ids resolve to the group that revoked them.
        var attackIndex: [String: String] = [:]
        for g in groups where !g.isMISP { if let a = g.attackID { attackIndex[a] = g.id } }
        let revocations = try Row.fetchAll(
            db,
            sql: """
                SELECT sourceRef, targetRef FROM stixObject
                WHERE isCurrent = 1 AND relationshipType = 'revoked-by' AND sourceRef LIKE 'intrusion-set--%'
                """)
        for r in revocations {
            let from: String = r[0]
            let to: String = r[1]
            if let a = revokedAttackIDs[from], attackIndex[a] == nil, groups.contains(where: { $0.id == to }) {
                attackIndex[a] = to
            }
        }
        var nameIndex: [String: Set<String>] = [:]
        var byID: [String: Group] = [:]
        for g in groups where !g.isMISP {
            byID[g.id] = g
            for n in g.names where !n.isEmpty { nameIndex[AliasNormalizer.normalize(n), default: []].insert(g.id) }
        }

        var conflicts: [MergeConflict] = []
        let insertMember = try db.makeStatement(sql: "INSERT INTO actorMember (memberId, actorId, rule) VALUES (?, ?, ?)")
        let insertConflict = try db.makeStatement(
            sql: "INSERT INTO mergeConflict (memberId, memberName, candidateIds, reason) VALUES (?, ?, ?, ?)")
        func label(_ id: String) -> String {
            guard let g = byID[id] else { return id }
            return g.attackID.map { "\(g.name) (\($0))" } ?? g.name
        }
        /// Why each of `others` was a candidate, in words.
        func explain(_ others: [String], _ byName: Set<String>, _ byCitation: Set<String>, _ bySynonym: [String: [String]]) -> String {
            others.map { g -> String in
                var why: [String] = []
                if byName.contains(g) { why.append("its name") }
                if byCitation.contains(g) { why.append("a cited ATT&CK id") }
                if let s = bySynonym[g] { why.append("synonyms " + s.map { "'\($0)'" }.joined(separator: ", ")) }
                return "\(label(g)) via \(why.joined(separator: "; "))"
            }.joined(separator: "; ")
        }
        // MISP countries (originates-from), to catch two actors that share a name across vendors.
        var countryOf: [String: String] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.sourceRef, l.json FROM stixObject r JOIN stixObject l ON l.id = r.targetRef AND l.isCurrent = 1
                WHERE r.isCurrent = 1 AND r.relationshipType = 'originates-from' AND r.sourceRef LIKE 'intrusion-set--%'
                """)
        {
            if let c = (try? STIXObject(JSONParser.parse(row[1] as String)))?["country"]?.stringValue { countryOf[row[0]] = c }
        }
        var choices: [(Group, String, String, [String], Set<String>, Set<String>, [String: [String]])] = []
        for m in groups where m.isMISP {
            let byName = nameIndex[AliasNormalizer.normalize(m.name)] ?? []
            let byCitation = Set(m.cited.compactMap { attackIndex[$0] })
            var bySynonym: [String: [String]] = [:]  // group -> synonyms naming it
            for s in m.names.dropFirst() {
                for g in nameIndex[AliasNormalizer.normalize(s)] ?? [] { bySynonym[g, default: []].append(s) }
            }
            let strong = byName.union(byCitation)
            var chosen: String?
            var rule = ""
            if strong.count == 1 {
                chosen = strong.first
                rule = byName.isEmpty ? "cited ATT&CK id" : "name"
            } else if byName.count == 1 {
                chosen = byName.first
                rule = "name"
            } else if strong.isEmpty && bySynonym.count == 1 {
                chosen = bySynonym.keys.first
                rule = "synonym"
            }
            let others = strong.union(bySynonym.keys).subtracting(chosen.map { [$0] } ?? []).sorted()
            if let chosen {
                choices.append((m, chosen, rule, others, byName, byCitation, bySynonym))
                continue
            }
            if !others.isEmpty {
                let how = explain(others, byName, byCitation, bySynonym)
                let reason = "ambiguous, not merged: \(how)"
                let c = MergeConflict(memberID: m.id, memberName: m.name, candidateIDs: others, reason: reason)
                conflicts.append(c)
                try insertConflict.execute(arguments: [m.id, m.name, others.joined(separator: ","), reason])
            }
        }
        // Entries merged into one group must agree on the country; the strongest match (a cited ATT&CK id,
        // else the group's own name) sets it, and an entry that disagrees is not merged (MISP's Iranian
        // "IRIDIUM" is not Microsoft's IRIDIUM, which ATT&CK lists as Sandworm Team).
        let strength: [String: Int] = ["cited ATT&CK id": 3, "name": 2, "synonym": 1]
        var reference: [String: (strength: Int, country: String, name: String)] = [:]
        for (m, chosen, rule, _, byName, byCitation, _) in choices {
            guard let c = countryOf[m.id] else { continue }
            var st = strength[rule] ?? 0
            if byCitation.contains(chosen) { st = 3 }
            if AliasNormalizer.normalize(m.name) == AliasNormalizer.normalize(byID[chosen]?.name ?? "") && byName.contains(chosen) { st = max(st, 2) + 1 }
            if (reference[chosen]?.strength ?? -1) < st { reference[chosen] = (st, c, m.name) }
        }
        for (m, chosen, rule, others, byName, byCitation, bySynonym) in choices {
            if let c = countryOf[m.id], let ref = reference[chosen], ref.country != c {
                let reason = "not merged into \(label(chosen)) (\(rule) match): its country \(c) disagrees with \(ref.country) of MISP '\(ref.name)'"
                let conflict = MergeConflict(memberID: m.id, memberName: m.name, candidateIDs: [chosen] + others, reason: reason)
                conflicts.append(conflict)
                try insertConflict.execute(arguments: [m.id, m.name, conflict.candidateIDs.joined(separator: ","), reason])
                continue
            }
            try insertMember.execute(arguments: [m.id, chosen, rule])
            if !others.isEmpty {
                let how = explain(others, byName, byCitation, bySynonym)
                let reason = "merged into \(label(chosen)) by \(rule); not merged with \(how)"
                conflicts.append(MergeConflict(memberID: m.id, memberName: m.name, candidateIDs: others, reason: reason))
                try insertConflict.execute(arguments: [m.id, m.name, others.joined(separator: ","), reason])
            }
        }
        conflicts.sort { $0.memberName < $1.memberName }
        return conflicts
    }
}
