import Foundation
import GRDB
import JSON
import STIX

/// What one import did, per object type.
public struct ImportCounts: Sendable, Equatable {
    /// New objects (ids not in the store before).
    public var added = 0
    /// Objects whose newer version became current (the older one stays as history).
    public var updated = 0
    /// Objects already stored in the same version.
    public var unchanged = 0
    /// Versions older than the current one, stored as history.
    public var older = 0
    /// Objects that failed validation and were not stored.
    public var rejected = 0

    public init() {}

    public static func += (a: inout ImportCounts, b: ImportCounts) {
        a.added += b.added
        a.updated += b.updated
        a.unchanged += b.unchanged
        a.older += b.older
        a.rejected += b.rejected
    }
}

/// The result of importing one file.
public struct ImportReport: Sendable {
    /// The file imported.
    public var path: String
    /// What the file was read as.
    public var format: InputFormat
    /// Counts per STIX type, sorted by type when read.
    public var counts: [String: ImportCounts] = [:]
    /// Every rejected object's reason (objects that have no type are counted under "(none)").
    public var rejections: [STIXError] = []
    /// A problem that stopped reading the file (malformed JSON); objects before it were imported.
    public var fatal: String?
    /// Merge conflicts found after the import (ambiguous actor matches across sources).
    public var conflicts: [MergeConflict] = []

    /// The sum over types.
    public var total: ImportCounts { counts.values.reduce(into: ImportCounts()) { $0 += $1 } }

    /// True when at least one object was accepted (added, updated, unchanged or older).
    public var importedAnything: Bool {
        let t = total
        return t.added + t.updated + t.unchanged + t.older > 0
    }

    /// The input formats an import recognizes.
    public enum InputFormat: String, Sendable {
        case stix = "STIX 2.1"
        case mispGalaxy = "MISP galaxy cluster"
    }
}

extension KnowledgeStore {
    /// Imports a file: a STIX 2.1 bundle (ATT&CK Enterprise or ICS, or any), a JSON array of STIX objects,
    /// one STIX object, or a MISP galaxy cluster (threat actors).
    ///
    /// Invalid objects are rejected with their reasons and the rest imported; the file's accepted objects
    /// are written in one transaction, together with the actor merge that follows.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - progress: called now and then with (bytes read, total bytes).
    /// - Throws: ``KnowledgeError`` when the file cannot be read or the database fails.
    public func importFile(_ path: String, progress: ((Int, Int) -> Void)? = nil) throws -> ImportReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KnowledgeError.unreadable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw KnowledgeError.unreadable(path: path, reason: "is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw KnowledgeError.unreadable(path: path, reason: "permission denied or I/O error")
        }
        let bytes = [UInt8](data)
        return try importBytes(bytes, path: path, source: URL(fileURLWithPath: path).lastPathComponent, progress: progress)
    }

    /// Imports bytes holding STIX JSON or a MISP galaxy cluster; see ``importFile(_:progress:)``.
    public func importBytes(
        _ bytes: [UInt8], path: String, source: String, progress: ((Int, Int) -> Void)? = nil
    ) throws -> ImportReport {
        if MISPGalaxy.looksLikeGalaxy(bytes) {
            var report = ImportReport(path: path, format: .mispGalaxy)
            let converted: MISPGalaxy.Conversion
            do {
                converted = try MISPGalaxy.convert(bytes)
            } catch {
                report.fatal = "\(error)"
                return report
            }
            report.rejections = converted.rejections
            for r in converted.rejections { report.counts[r.objectID.map(typeOf) ?? "(none)", default: ImportCounts()].rejected += 1 }
            try write { db in
                var ingest = try Ingest(db: db, source: "misp:" + source)
                for o in converted.objects { try ingest.add(o, into: &report) }
                report.conflicts = try ActorMerger.rebuild(db)
            }
            return report
        }
        var report = ImportReport(path: path, format: .stix)
        let total = bytes.count
        try write { db in
            var ingest = try Ingest(db: db, source: source)
            var dbError: (any Error)?
            let result: Result<STIXStreamHeader, STIXError> = bytes.withUnsafeBytes { raw in
                do throws(STIXError) {
                    return .success(
                        try STIXReader.read(raw) { item in
                            guard dbError == nil else { return }
                            if item.index % 2000 == 0 { progress?(item.offset, total) }
                            switch item.result {
                            case .success(let object):
                                do {
                                    try ingest.add(object, into: &report)
                                } catch {
                                    dbError = error
                                }
                            case .failure(let e):
                                report.rejections.append(e)
                                report.counts["(none)", default: ImportCounts()].rejected += 1
                            }
                        })
                } catch {
                    return .failure(error)
                }
            }
            if let dbError { throw dbError }
            switch result {
            case .success(let header):
                if let bundleID = header.bundleID, STIXIdentifier.split(bundleID)?.type != "bundle" {
                    report.rejections.append(
                        STIXError(.invalidValue(property: "id", reason: "bundle id '\(bundleID)' is not bundle--UUID"),
                            objectID: bundleID))
                }
            case .failure(let e):
                report.fatal = e.description
            }
            progress?(total, total)
            report.conflicts = try ActorMerger.rebuild(db)
        }
        return report
    }

    func typeOf(_ id: String) -> String { STIXIdentifier.split(id).map { String($0.type) } ?? "(none)" }
}

/// Writes object versions inside one transaction, with reused prepared statements.
struct Ingest {
    let db: Database
    let source: String
    let validator = STIXValidator()
    let writer = JSONWriter()
    let selectVersion: Statement
    let selectCurrent: Statement
    let insert: Statement
    let demote: Statement
    let replace: Statement
    let deleteAliases: Statement
    let insertAlias: Statement
    let deleteExternal: Statement
    let insertExternal: Statement

    init(db: Database, source: String) throws {
        self.db = db
        self.source = source
        selectVersion = try db.makeStatement(
            sql: "SELECT rowid, source, json, isCurrent FROM stixObject WHERE id = ? AND versionKey = ?")
        selectCurrent = try db.makeStatement(sql: "SELECT rowid, versionKey FROM stixObject WHERE id = ? AND isCurrent = 1")
        insert = try db.makeStatement(
            sql: """
                INSERT INTO stixObject (id, type, name, attackId, created, modified, versionKey, isCurrent, hidden,
                    relationshipType, sourceRef, targetRef, source, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        demote = try db.makeStatement(sql: "UPDATE stixObject SET isCurrent = 0 WHERE rowid = ?")
        replace = try db.makeStatement(
            sql: """
                UPDATE stixObject SET name = ?, attackId = ?, hidden = ?, relationshipType = ?, sourceRef = ?,
                    targetRef = ?, source = ?, json = ? WHERE rowid = ?
                """)
        deleteAliases = try db.makeStatement(sql: "DELETE FROM alias WHERE objectId = ?")
        insertAlias = try db.makeStatement(sql: "INSERT OR IGNORE INTO alias (objectId, alias, normalized) VALUES (?, ?, ?)")
        deleteExternal = try db.makeStatement(sql: "DELETE FROM externalId WHERE objectId = ?")
        insertExternal = try db.makeStatement(
            sql: "INSERT OR IGNORE INTO externalId (objectId, sourceName, externalId) VALUES (?, ?, ?)")
    }

    /// The key that orders versions: the `modified` instant, or "static" for objects without one.
    static func versionKey(_ o: STIXObject) -> String {
        guard let m = o.modified, let t = STIXTimestamp(m) else { return "static" }
        let s = t.seconds + 100_000_000_000  // keep positive for text ordering
        let secs = String(s)
        let nanos = String(t.nanoseconds)
        return String(repeating: "0", count: max(0, 13 - secs.count)) + secs + "."
            + String(repeating: "0", count: 9 - nanos.count) + nanos
    }

    mutating func add(_ object: STIXObject, into report: inout ImportReport) throws {
        let type = object.type
        let errors = validator.errors(in: object)
        if !errors.isEmpty {
            report.counts[type, default: ImportCounts()].rejected += 1
            report.rejections.append(contentsOf: errors.prefix(3))
            return
        }
        let id = object.id
        let key = Self.versionKey(object)
        let json = String(decoding: writer.bytes(object.json), as: UTF8.self)
        let hidden = object.revoked || object.isDeprecated
        let attackID = object.attackID
        let relType: String? = type == "relationship" ? object.relationshipType : (type == "sighting" ? "sighting-of" : nil)
        let sourceRef: String? = type == "relationship" ? object.sourceRef : (type == "sighting" ? object.id : nil)
        let targetRef: String? =
            type == "relationship" ? object.targetRef : (type == "sighting" ? object["sighting_of_ref"]?.stringValue : nil)

        if let row = try Row.fetchOne(selectVersion, arguments: [id, key]) {
            let rowid: Int64 = row[0]
            let oldSource: String = row[1]
            let oldJSON: String = row[2]
            let isCurrent: Bool = row[3]
            // The same version again: unchanged, unless it replaces a built-in (stripped) copy or, for objects
            // without `modified`, its content changed.
            let replacesBuiltin = oldSource == "builtin" && source != "builtin" && oldJSON != json
            // Objects without `modified` change when their content does; member order is not content.
            let staticChange =
                key == "static" && oldJSON != json
                && (try? JSONParser.parse(oldJSON))?.canonicalized != object.json.canonicalized
            if replacesBuiltin || staticChange {
                try replace.execute(arguments: [
                    object.name, attackID, hidden, relType, sourceRef, targetRef, source, json, rowid,
                ])
                if isCurrent { try index(object) }
                report.counts[type, default: ImportCounts()].updated += 1
            } else {
                report.counts[type, default: ImportCounts()].unchanged += 1
            }
            return
        }
        var isCurrent = true
        var outcome = \ImportCounts.added
        if let current = try Row.fetchOne(selectCurrent, arguments: [id]) {
            let currentKey: String = current[1]
            if currentKey < key {
                try demote.execute(arguments: [current[0] as Int64])
                outcome = \ImportCounts.updated
            } else {
                isCurrent = false
                outcome = \ImportCounts.older
            }
        }
        try insert.execute(arguments: [
            id, type, object.name, attackID, object.created, object.modified, key, isCurrent, hidden, relType,
            sourceRef, targetRef, source, json,
        ])
        if isCurrent { try index(object) }
        report.counts[type, default: ImportCounts()][keyPath: outcome] += 1
    }

    /// Refreshes the alias and external-id rows of a current object.
    func index(_ object: STIXObject) throws {
        let id = object.id
        try deleteAliases.execute(arguments: [id])
        try deleteExternal.execute(arguments: [id])
        var names: [String] = []
        if let n = object.name { names.append(n) }
        switch object.type {
        case "intrusion-set", "threat-actor", "campaign", "malware", "tool", "infrastructure":
            names += object.aliases
        case "location":
            if let c = object["country"]?.stringValue { names.append(c) }
        default: break
        }
        for n in names {
            try insertAlias.execute(arguments: [id, n, AliasNormalizer.normalize(n)])
        }
        for r in object.externalReferences {
            if let x = r.externalID { try insertExternal.execute(arguments: [id, r.sourceName, x]) }
        }
    }
}

/// How names are compared across sources: case, white space and punctuation do not count.
public enum AliasNormalizer {
    /// `"APT 38"`, `"apt-38"` and `"APT38"` all normalize to `"apt38"`.
    public static func normalize(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        for ch in name.lowercased().unicodeScalars {
            if ch.properties.isAlphabetic || ch.properties.numericType != nil {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
