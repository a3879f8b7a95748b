import Attribution
import Foundation
import Investigation
import JSON
import Knowledge
import STIX

/// Renders `sightline investigate` results: text for people, JSON for machines, a STIX 2.1 bundle to share.
public enum InvestigationRendering {
    static func time(_ t: STIXTimestamp?) -> String {
        guard let t else { return "?" }
        let s = t.description
        return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func techniqueCounts(_ c: Campaign) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        for f in c.findings { for t in f.techniques { counts[t, default: 0] += 1 } }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    }

    public static func text(_ inv: Investigation) -> String {
        var out = "Investigated \(inv.files) file(s), \(inv.events) events with \(inv.rulesLoaded) rules"
        if inv.indicatorsSwept > 0 { out += " and \(inv.indicatorsSwept) knowledge-base indicator(s)" }
        out += ": \(inv.sightingCount) detections in \(inv.campaigns.count) campaign(s).\n"
        let f = inv.suspiciousFiles
        if f.scanned > 0 {
            out += "Suspicious files: \(f.scanned) read"
                + (inv.yaraRuleCount > 0 ? " and scanned with \(inv.yaraRuleCount) YARA rule(s) (\(f.yaraMatches) match(es))" : "")
                + "; \(f.flagged) joined the investigation (a YARA match, or a hash or digest a detection or the knowledge base names).\n"
        }
        if inv.indicatorsNotExpressible > 0 {
            out += "Note: \(inv.indicatorsNotExpressible) knowledge-base indicator(s) are not plain value searches and "
                + "were not swept for (attribution still matches them).\n"
        }
        if !inv.skippedFiles.isEmpty || inv.skippedRecords > 0 || !inv.ruleFailures.isEmpty {
            out += "Skipped: \(inv.skippedFiles.count) file(s), \(inv.skippedRecords) damaged record(s), "
                + "\(inv.ruleFailures.count) rule(s) that did not load.\n"
            for s in inv.skippedFiles.prefix(10) { out += "  \(s.path): \(s.reason)\n" }
            if inv.skippedFiles.count > 10 { out += "  … \(inv.skippedFiles.count - 10) more (--format json lists all)\n" }
        }
        for ic in inv.campaigns {
            let c = ic.campaign
            let span = c.firstSeen == nil ? "no time recorded" : "\(time(c.firstSeen)) – \(time(c.lastSeen)) UTC"
            out += "\nCampaign \(c.number): \(c.hosts.count) host(s), \(span), \(c.findings.count) detection(s)\n"
            out += "  Hosts:      " + (c.hosts.isEmpty ? "- (suspicious files only)" : c.hosts.joined(separator: ", ")) + "\n"
            let files = c.findings.filter { $0.id.hasPrefix("file:") }
            for f in files.prefix(5) { out += "  File:       " + f.title + "\n" }
            if files.count > 5 { out += "  File:       … \(files.count - 5) more (--format json lists all)\n" }
            if !c.accounts.isEmpty { out += "  Accounts:   " + c.accounts.joined(separator: ", ") + "\n" }
            out += "  Kill chain: " + (c.tactics.isEmpty ? "-" : c.tactics.joined(separator: " → ")) + "\n"
            let techniques = techniqueCounts(c).map { "\($0.0) (\($0.1))" }
            out += "  Techniques: " + (techniques.isEmpty ? "-" : techniques.joined(separator: ", ")) + "\n"
            if !c.links.isEmpty { out += "  Linked by:  " + c.links.prefix(6).joined(separator: "; ") + (c.links.count > 6 ? "; …" : "") + "\n" }
            let a = ic.attribution
            out += "  Who did it:\n"
            for line in AttributionRendering.text(a).split(separator: "\n", omittingEmptySubsequences: false) {
                out += "    " + line + "\n"
            }
        }
        if !inv.problems.isEmpty {
            out += "\nProblems (\(inv.problems.count)):\n" + inv.problems.prefix(10).map { "  \($0)" }.joined(separator: "\n") + "\n"
        }
        return out
    }

    public static func json(_ inv: Investigation) -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
        return [
            "summary": [
                "files": .int(Int64(inv.files)), "events": .int(Int64(inv.events)), "detections": .int(Int64(inv.sightingCount)),
                "rules_loaded": .int(Int64(inv.rulesLoaded)), "rules_failed": strings(inv.ruleFailures),
                "indicators_swept": .int(Int64(inv.indicatorsSwept)),
                "indicators_not_swept": .int(Int64(inv.indicatorsNotExpressible)),
                "skipped_files": .array(inv.skippedFiles.map { ["path": .string($0.path), "reason": .string($0.reason)] }),
                "skipped_records": .int(Int64(inv.skippedRecords)), "problems": strings(inv.problems),
                "suspicious_files": [
                    "read": .int(Int64(inv.suspiciousFiles.scanned)), "joined": .int(Int64(inv.suspiciousFiles.flagged)),
                    "yara_rules": .int(Int64(inv.yaraRuleCount)), "yara_matches": .int(Int64(inv.suspiciousFiles.yaraMatches)),
                ],
            ],
            "campaigns": .array(inv.campaigns.map { ic in
                let c = ic.campaign
                return [
                    "number": .int(Int64(c.number)), "hosts": strings(c.hosts), "accounts": strings(c.accounts),
                    "first_seen": c.firstSeen.map { .string($0.description) } ?? .null,
                    "last_seen": c.lastSeen.map { .string($0.description) } ?? .null,
                    "kill_chain": strings(c.tactics), "links": strings(c.links),
                    "techniques": .array(techniqueCounts(c).map { ["id": .string($0.0), "detections": .int(Int64($0.1))] }),
                    "detections": .array(c.findings.map { f in
                        [
                            "id": .string(f.id), "title": .string(f.title), "time": f.time.map { .string($0.description) } ?? .null,
                            "host": f.host.map(JSONValue.string) ?? .null, "techniques": strings(f.techniques),
                            "source": .string(f.source),
                        ]
                    }),
                    "attribution": AttributionRendering.json(ic.attribution),
                ]
            }),
        ]
    }

    /// A STIX 2.1 bundle: a report holding, per campaign, the campaign, the hosts as `identity` (system)
    /// objects, a sighting of each ATT&CK technique seen (with the hosts where it was seen), indicators for
    /// the addresses, domains and file hashes found, and `attributed-to` relationships to the candidate
    /// intrusion sets (with their confidence); the techniques and intrusion sets come from the knowledge base.
    public static func stix(_ inv: Investigation, store: KnowledgeStore, now: STIXTimestamp) throws -> STIXBundle {
        var objects: [STIXObject] = []
        var have: Set<String> = []
        let stamp = now.description
        let toolIdentity = STIXIdentifier.deterministic(type: "identity", name: "sightline")
        func add(_ o: JSONObject) {
            guard let id = o["id"]?.stringValue, have.insert(id).inserted, let object = try? STIXObject(o) else { return }
            objects.append(object)
        }
        func base(_ type: String, _ id: String) -> JSONObject {
            JSONObject([
                JSONMember(key: "type", value: .string(type)), JSONMember(key: "spec_version", value: "2.1"),
                JSONMember(key: "id", value: .string(id)), JSONMember(key: "created", value: .string(stamp)),
                JSONMember(key: "modified", value: .string(stamp)),
                JSONMember(key: "created_by_ref", value: .string(toolIdentity)),
            ])
        }
        func addFromStore(_ id: String) throws {
            guard !have.contains(id), let o = try store.object(id: id) else { return }
            have.insert(id)
            objects.append(o)
        }
        var tool = base("identity", toolIdentity)
        tool["created_by_ref"] = nil
        tool["name"] = "Sightline"
        tool["identity_class"] = "system"
        add(tool)
        // ATT&CK id → STIX id of the technique in the knowledge base.
        var techniqueIDs: [String: String] = [:]
        for o in try store.currentObjects(types: ["attack-pattern"]) { if let a = o.attackID { techniqueIDs[a] = o.id } }
        var campaignRefs: [String] = []
        for ic in inv.campaigns {
            let c = ic.campaign
            let key = c.findings.first?.id ?? "\(c.number)"
            let campaignID = STIXIdentifier.deterministic(type: "campaign", name: "investigation:\(key)")
            var campaign = base("campaign", campaignID)
            let files = c.findings.filter { $0.id.hasPrefix("file:") }
            let span = c.firstSeen == nil ? "no time recorded" : "\(time(c.firstSeen)) – \(time(c.lastSeen)) UTC"
            campaign["name"] = .string(
                "Campaign \(c.number): " + (c.hosts.isEmpty ? "suspicious files only" : "\(c.hosts.count) hosts") + ", \(span)")
            var description = "Found by Sightline: \(c.findings.count - files.count) detections"
            if !c.hosts.isEmpty { description += " on " + c.hosts.joined(separator: ", ") }
            if !files.isEmpty { description += "; \(files.count) suspicious file(s): " + files.map(\.title).joined(separator: "; ") }
            if !c.tactics.isEmpty { description += "; kill chain " + c.tactics.joined(separator: " → ") }
            campaign["description"] = .string(description + ".")
            if let f = c.firstSeen { campaign["first_seen"] = .string(f.description) }
            if let l = c.lastSeen { campaign["last_seen"] = .string(l.description) }
            add(campaign)
            campaignRefs.append(campaignID)
            var hostIDs: [String: String] = [:]
            for h in c.hosts {
                let id = STIXIdentifier.deterministic(type: "identity", name: "host:\(h.lowercased())")
                var host = base("identity", id)
                host["name"] = .string(h)
                host["identity_class"] = "system"
                add(host)
                hostIDs[h] = id
                campaignRefs.append(id)
            }
            // One sighting per technique, where it was seen.
            var byTechnique: [String: [Finding]] = [:]
            for f in c.findings { for t in f.techniques { byTechnique[t, default: []].append(f) } }
            for (technique, fs) in byTechnique.sorted(by: { $0.key < $1.key }) {
                guard let patternID = techniqueIDs[technique] else { continue }
                try addFromStore(patternID)
                campaignRefs.append(patternID)
                let sid = STIXIdentifier.deterministic(type: "sighting", name: "\(campaignID)|\(technique)")
                var sighting = base("sighting", sid)
                sighting["sighting_of_ref"] = .string(patternID)
                sighting["count"] = .int(Int64(fs.count))
                let times = fs.compactMap(\.time)
                if let a = times.min(), let b = times.max() {
                    sighting["first_seen"] = .string(a.description)
                    sighting["last_seen"] = .string(b.description)
                }
                let wheres = Array(Set(fs.compactMap { $0.host.flatMap { hostIDs[$0] } })).sorted()
                if !wheres.isEmpty { sighting["where_sighted_refs"] = .array(wheres.map(JSONValue.string)) }
                sighting["description"] = .string(Array(Set(fs.map(\.title))).sorted().joined(separator: "; "))
                add(sighting)
                campaignRefs.append(sid)
                var uses = base("relationship", STIXIdentifier.deterministic(type: "relationship", name: "\(campaignID)|uses|\(patternID)"))
                uses["relationship_type"] = "uses"
                uses["source_ref"] = .string(campaignID)
                uses["target_ref"] = .string(patternID)
                add(uses)
                campaignRefs.append(uses["id"]!.stringValue!)
            }
            // Indicators.
            // String literals in patterns escape the backslash and the quote (STIX 2.1 patterning, 9.1).
            func literal(_ v: String) -> String {
                "'" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
            }
            var iocs: [(String, String)] = c.evidence.indicators.map { i in ("[\(i.type):value = \(literal(i.value))]", i.value) }
            for h in c.evidence.fileHashes {
                let algorithm = h.count == 64 ? "SHA-256" : h.count == 40 ? "SHA-1" : h.count == 32 ? "MD5" : nil
                if let algorithm { iocs.append(("[file:hashes.'\(algorithm)' = \(literal(h))]", h)) }
            }
            for (pattern, value) in iocs {
                let iid = STIXIdentifier.deterministic(type: "indicator", name: "\(campaignID)|\(pattern)")
                var indicator = base("indicator", iid)
                indicator["name"] = .string(value)
                indicator["pattern"] = .string(pattern)
                indicator["pattern_type"] = "stix"
                indicator["valid_from"] = .string((c.firstSeen ?? now).description)
                add(indicator)
                var rel = base("relationship", STIXIdentifier.deterministic(type: "relationship", name: "\(iid)|indicates|\(campaignID)"))
                rel["relationship_type"] = "indicates"
                rel["source_ref"] = .string(iid)
                rel["target_ref"] = .string(campaignID)
                add(rel)
                campaignRefs += [iid, rel["id"]!.stringValue!]
            }
            // Attribution: the candidates worth naming.
            for candidate in ic.attribution.candidates.prefix(3) where candidate.confidence >= 0.01 {
                try addFromStore(candidate.id)
                let rid = STIXIdentifier.deterministic(type: "relationship", name: "\(campaignID)|attributed-to|\(candidate.id)")
                var rel = base("relationship", rid)
                rel["relationship_type"] = "attributed-to"
                rel["source_ref"] = .string(campaignID)
                rel["target_ref"] = .string(candidate.id)
                rel["confidence"] = .int(Int64((candidate.confidence * 100).rounded()))
                rel["description"] = .string(
                    "Sightline attribution, confidence \(Int((candidate.confidence * 100).rounded()))%: "
                        + candidate.evidence.prefix(5).map { String(format: "%+.2f ", $0.weight) + $0.explanation }.joined(separator: "; "))
                add(rel)
                campaignRefs += [candidate.id, rid]
            }
        }
        var report = base("report", STIXIdentifier.deterministic(type: "report", name: "investigation:\(campaignRefs.first ?? "empty")"))
        report["name"] = .string(
            "Sightline investigation: \(inv.campaigns.count) campaign(s), \(inv.sightingCount) detections"
                + (inv.suspiciousFiles.flagged > 0 ? ", \(inv.suspiciousFiles.flagged) suspicious file(s)" : ""))
        report["published"] = .string(stamp)
        report["report_types"] = ["campaign", "attack-pattern", "threat-actor"]
        var refs: [String] = []
        var seen: Set<String> = []
        for r in [toolIdentity] + campaignRefs where seen.insert(r).inserted { refs.append(r) }
        report["object_refs"] = .array(refs.map(JSONValue.string))
        add(report)
        return STIXBundle(id: STIXIdentifier.deterministic(type: "bundle", name: "investigation:\(refs.joined())"), objects: objects)
    }
}
