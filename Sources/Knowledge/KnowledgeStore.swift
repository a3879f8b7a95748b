import Foundation
import GRDB
import JSON
import STIX

/// The knowledge base: STIX 2.1 objects stored whole in SQLite, with indexed columns for the graph.
///
/// Each object version is one row of `stixObject` (its compact JSON plus type, name, ATT&CK id,
/// timestamps and, for relationships, source/target/type). The newest version of each id is *current*;
/// older versions stay queryable. Revoked and `x_mitre_deprecated` objects are kept but *hidden* from
/// default queries. Side tables index aliases and external ids of current versions, and group intrusion
/// sets from different sources into *actors* (see ``ActorMerger``).
///
/// One import of one file is one transaction: either all its accepted objects are stored, or none.
public final class KnowledgeStore: Sendable {
    let dbQueue: DatabaseQueue
    /// Where the store lives (`:memory:` for an in-memory store).
    public let path: String

    /// Options for opening a store.
    public struct Options: Sendable {
        /// Load the built-in knowledge pack into an empty store.
        public var loadsBuiltinPack: Bool
        public init(loadsBuiltinPack: Bool = true) { self.loadsBuiltinPack = loadsBuiltinPack }
    }

    /// The default store path: `SIGHTLINE_DB`, else `~/.sightline/knowledge.sqlite`.
    public static var defaultPath: String {
        if let p = ProcessInfo.processInfo.environment["SIGHTLINE_DB"], !p.isEmpty { return p }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".sightline/knowledge.sqlite").path
    }

    /// Opens (creating if needed) the store at `path`, or an in-memory store when `path` is `nil`.
    ///
    /// - Throws: ``KnowledgeError`` when the file cannot be opened or migrated, or the built-in pack
    ///   cannot be loaded.
    public init(path: String? = nil, options: Options = Options()) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY")
        }
        do {
            if let path {
                let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                dbQueue = try DatabaseQueue(path: path, configuration: config)
                self.path = path
            } else {
                var memConfig = Configuration()
                memConfig.foreignKeysEnabled = true
                dbQueue = try DatabaseQueue(configuration: memConfig)
                self.path = ":memory:"
            }
            try Self.migrator.migrate(dbQueue)
        } catch {
            throw KnowledgeError.cannotOpen(path: path ?? ":memory:", reason: "\(error)")
        }
        if options.loadsBuiltinPack, try objectCount() == 0 {
            try loadBuiltinPack()
        }
    }

    /// Append-only schema migrations.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-objects") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stixObject (
                        rowid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        name TEXT,
                        attackId TEXT,
                        created TEXT,
                        modified TEXT,
                        versionKey TEXT NOT NULL,
                        isCurrent INTEGER NOT NULL,
                        hidden INTEGER NOT NULL,
                        relationshipType TEXT,
                        sourceRef TEXT,
                        targetRef TEXT,
                        source TEXT NOT NULL,
                        json TEXT NOT NULL,
                        UNIQUE (id, versionKey)
                    );
                    CREATE UNIQUE INDEX stixObject_current ON stixObject(id) WHERE isCurrent = 1;
                    CREATE INDEX stixObject_type ON stixObject(type, isCurrent, hidden);
                    CREATE INDEX stixObject_attackId ON stixObject(attackId) WHERE attackId IS NOT NULL;
                    CREATE INDEX stixObject_source ON stixObject(sourceRef) WHERE isCurrent = 1 AND sourceRef IS NOT NULL;
                    CREATE INDEX stixObject_target ON stixObject(targetRef) WHERE isCurrent = 1 AND targetRef IS NOT NULL;
                    CREATE TABLE alias (
                        objectId TEXT NOT NULL,
                        alias TEXT NOT NULL,
                        normalized TEXT NOT NULL,
                        PRIMARY KEY (objectId, alias)
                    ) WITHOUT ROWID;
                    CREATE INDEX alias_normalized ON alias(normalized);
                    CREATE TABLE externalId (
                        objectId TEXT NOT NULL,
                        sourceName TEXT NOT NULL,
                        externalId TEXT NOT NULL,
                        PRIMARY KEY (objectId, sourceName, externalId)
                    ) WITHOUT ROWID;
                    CREATE INDEX externalId_value ON externalId(externalId);
                    CREATE TABLE actorMember (
                        memberId TEXT PRIMARY KEY,
                        actorId TEXT NOT NULL,
                        rule TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX actorMember_actor ON actorMember(actorId);
                    CREATE TABLE mergeConflict (
                        rowid INTEGER PRIMARY KEY,
                        memberId TEXT NOT NULL,
                        memberName TEXT NOT NULL,
                        candidateIds TEXT NOT NULL,
                        reason TEXT NOT NULL
                    );
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        return m
    }

    /// Number of stored object versions.
    public func objectCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM stixObject") ?? 0 }
    }

    /// Number of current objects per type (hidden ones included), sorted by type.
    public func typeCounts() throws -> [(type: String, current: Int, hidden: Int)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT type, COUNT(*), SUM(hidden) FROM stixObject WHERE isCurrent = 1 GROUP BY type ORDER BY type
                    """
            ).map { ($0[0], $0[1], $0[2]) }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.read(body)
        } catch let e as KnowledgeError {
            throw e
        } catch {
            throw KnowledgeError.database("\(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.write(body)
        } catch let e as KnowledgeError {
            throw e
        } catch {
            throw KnowledgeError.database("\(error)")
        }
    }

    /// A value of the `meta` table.
    public func metaValue(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }
}

/// Failures of the knowledge base.
public enum KnowledgeError: Error, CustomStringConvertible, Equatable {
    /// The store file could not be opened or migrated.
    case cannotOpen(path: String, reason: String)
    /// SQLite reported an error.
    case database(String)
    /// An input file could not be read.
    case unreadable(path: String, reason: String)
    /// The input is not in the expected format.
    case badFormat(path: String, reason: String)
    /// Nothing matches the name or id asked for.
    case notFound(String)
    /// The built-in pack is missing or damaged.
    case builtinPack(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "cannot open knowledge store \(p): \(r)"
        case .database(let m): return "database error: \(m)"
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        case .badFormat(let p, let r): return "\(p): \(r)"
        case .notFound(let q): return "no actor, software, technique or object matches '\(q)'"
        case .builtinPack(let m): return "built-in knowledge pack: \(m)"
        }
    }
}
