#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything loaded from rule files: rules, filters, correlations, and the documents that failed.
public struct RuleCollection: Sendable {
    public var rules: [SigmaRule] = []
    public var filters: [SigmaFilter] = []
    public var correlations: [SigmaCorrelation] = []
    /// One entry per document (or file) that could not be loaded, with its file and reason.
    public var failures: [SigmaError] = []
    /// Files read.
    public var files = 0

    public init() {}

    public mutating func merge(_ other: RuleCollection) {
        rules += other.rules
        filters += other.filters
        correlations += other.correlations
        failures += other.failures
        files += other.files
    }
}

/// Loads Sigma rules from files and folders (`.yml`, `.yaml`), multi-document files included.
///
/// A document that fails is recorded in ``RuleCollection/failures`` with its file and reason; the other
/// documents and files load. Folders are walked recursively in sorted order, so the result is the same
/// on every run.
public enum RuleLoader {
    /// Loads every rule under `paths` (files or folders).
    public static func load(paths: [String], options: CompileOptions = CompileOptions()) -> RuleCollection {
        var out = RuleCollection()
        for path in paths {
            var files: [String] = []
            var failures: [SigmaError] = []
            collect(path, into: &files, failures: &failures)
            out.failures += failures
            for f in files { out.merge(load(file: f, options: options)) }
        }
        return out
    }

    /// Loads one file.
    public static func load(file: String, options: CompileOptions = CompileOptions()) -> RuleCollection {
        var out = RuleCollection()
        out.files = 1
        guard let text = readText(file) else {
            out.failures.append(SigmaError(.io(String(cString: strerror(errno))), file: file))
            return out
        }
        if !text.contains(where: { !$0.isWhitespace }) {
            out.failures.append(SigmaError(.attribute("empty file: no YAML document"), file: file))
            return out
        }
        let loaded = load(text: text, file: file, options: options)
        out.merge(loaded)
        out.files = 1
        return out
    }

    /// Loads rules from YAML text; `file` names them in errors and results.
    public static func load(text: String, file: String = "<text>", options: CompileOptions = CompileOptions())
        -> RuleCollection
    {
        let documents: [YAMLNode]
        do {
            documents = try YAMLNode.documents(text)
        } catch {
            var e = error
            e.file = file
            var out = RuleCollection()
            out.failures.append(e)
            return out
        }
        return load(documents: documents, file: file, options: options)
    }

    /// Loads rules from documents already parsed (or made without YAML text, as `investigate` makes
    /// rules from STIX indicators); `file` names them in errors and results.
    public static func load(documents: [YAMLNode], file: String, options: CompileOptions = CompileOptions())
        -> RuleCollection
    {
        var out = RuleCollection()
        // Sigma v1 collections: `action: global` is merged into the documents that follow,
        // `action: reset` clears it, `action: repeat` repeats the previous document with changes.
        var global: YAMLNode?
        var previous: YAMLNode?
        for (index, raw) in documents.enumerated() {
            var doc = raw
            switch raw["action"]?.string {
            case "global":
                global = raw.removing("action")
                continue
            case "reset":
                global = nil
                continue
            case "repeat":
                if let previous { doc = previous.merging(raw.removing("action")) }
            default:
                if let global { doc = global.merging(raw) }
            }
            previous = doc
            if case .mapping(let m) = doc, m.isEmpty { continue }
            do {
                try add(doc, file: file, to: &out, options: options)
            } catch {
                var e = error
                e.file = file
                e.document = documents.count > 1 ? index : nil
                out.failures.append(e)
            }
        }
        return out
    }

    static func add(_ doc: YAMLNode, file: String, to out: inout RuleCollection, options: CompileOptions)
        throws(SigmaError)
    {
        guard case .mapping = doc else { throw SigmaError(.attribute("a rule must be a YAML mapping")) }
        let title = doc["title"]?.string ?? ""
        let id = doc["id"]?.string
        let logsource = try parseLogSource(doc["logsource"])
        if let corr = doc["correlation"] {
            out.correlations.append(try parseCorrelation(corr, doc: doc, file: file))
            return
        }
        if let filter = doc["filter"] {
            guard case .mapping = filter else { throw SigmaError(.attribute("'filter' must be a mapping")) }
            guard let rules = filter["rules"]?.stringList, !rules.isEmpty else {
                throw SigmaError(.attribute("a filter needs 'filter.rules'"))
            }
            guard let logsource else { throw SigmaError(.attribute("a filter needs 'logsource'")) }
            let detection = try Detection(filter.removing("rules"), options: options)
            out.filters.append(
                SigmaFilter(id: id, title: title, logsource: logsource, rules: rules, detection: detection, file: file))
            return
        }
        guard !title.isEmpty else { throw SigmaError(.attribute("missing 'title'")) }
        guard let logsource else { throw SigmaError(.attribute("missing 'logsource'")) }
        guard let detectionNode = doc["detection"] else { throw SigmaError(.attribute("missing 'detection'")) }
        let detection = try Detection(detectionNode, options: options)
        var level: SigmaLevel?
        if let l = doc["level"]?.string {
            guard let parsed = SigmaLevel(name: l) else { throw SigmaError(.attribute("unknown level '\(l)'")) }
            level = parsed
        }
        out.rules.append(
            SigmaRule(
                id: id, name: doc["name"]?.string, title: title, status: doc["status"]?.string,
                description: doc["description"]?.string, level: level, tags: doc["tags"]?.stringList ?? [],
                logsource: logsource, detection: detection, fields: doc["fields"]?.stringList ?? [],
                falsePositives: doc["falsepositives"]?.stringList ?? [], author: doc["author"]?.string, file: file))
    }

    static func parseLogSource(_ node: YAMLNode?) throws(SigmaError) -> LogSource? {
        guard let node else { return nil }
        guard case .mapping = node else { throw SigmaError(.attribute("'logsource' must be a mapping")) }
        return LogSource(product: node["product"]?.string, category: node["category"]?.string,
            service: node["service"]?.string)
    }

    static func parseCorrelation(_ node: YAMLNode, doc: YAMLNode, file: String) throws(SigmaError)
        -> SigmaCorrelation
    {
        guard let typeName = node["type"]?.string else { throw SigmaError(.correlation("missing 'type'")) }
        guard let type = CorrelationType(rawValue: typeName) else {
            throw SigmaError(.correlation("unknown type '\(typeName)'"))
        }
        guard let rules = node["rules"]?.stringList, !rules.isEmpty else {
            throw SigmaError(.correlation("missing 'rules'"))
        }
        let span = node["timespan"]?.string ?? node["timeframe"]?.string
        guard let span, let seconds = SigmaCorrelation.seconds(span) else {
            throw SigmaError(.correlation("missing or malformed 'timespan'"))
        }
        var condition = CorrelationCondition(tests: [], field: nil, percentile: nil)
        if let c = node["condition"] {
            guard case .mapping(let members) = c else { throw SigmaError(.correlation("'condition' must be a mapping")) }
            for (k, v) in members {
                switch k {
                case "field":
                    condition.field = v.stringList?.joined(separator: ",")
                case "percentile":
                    condition.percentile = v.number
                case "gt", "gte", "lt", "lte", "eq", "neq":
                    guard let n = v.number ?? v.string.flatMap(Double.init) else {
                        throw SigmaError(.correlation("'\(k)' needs a number"))
                    }
                    condition.tests.append((k, n))
                default:
                    throw SigmaError(.correlation("unknown condition key '\(k)'"))
                }
            }
        }
        switch type {
        case .eventCount, .valueCount, .valueSum, .valueAvg, .valuePercentile:
            if condition.tests.isEmpty { throw SigmaError(.correlation("'\(typeName)' needs a 'condition'")) }
            if type != .eventCount && condition.field == nil {
                throw SigmaError(.correlation("'\(typeName)' needs 'condition.field'"))
            }
        case .temporal, .temporalOrdered:
            if condition.tests.isEmpty { condition.tests = [("gte", Double(rules.count))] }
        }
        var aliases: [String: [String: String]] = [:]
        if case .mapping(let members)? = node["aliases"] {
            for (alias, map) in members {
                guard case .mapping(let pairs) = map else { throw SigmaError(.correlation("alias '\(alias)'")) }
                var m: [String: String] = [:]
                for (rule, field) in pairs { m[rule] = field.string }
                aliases[alias] = m
            }
        }
        var level: SigmaLevel?
        if let l = doc["level"]?.string { level = SigmaLevel(name: l) }
        return SigmaCorrelation(
            id: doc["id"]?.string, name: doc["name"]?.string, title: doc["title"]?.string ?? "",
            level: level, tags: doc["tags"]?.stringList ?? [], type: type, rules: rules,
            groupBy: node["group-by"]?.stringList ?? [], timespan: seconds, condition: condition,
            aliases: aliases, generate: node["generate"]?.bool ?? false, file: file)
    }

    // MARK: - Files

    static func collect(_ path: String, into files: inout [String], failures: inout [SigmaError]) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            failures.append(SigmaError(.io(String(cString: strerror(errno))), file: path))
            return
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard let dir = opendir(path) else {
                failures.append(SigmaError(.io(String(cString: strerror(errno))), file: path))
                return
            }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name.hasPrefix(".") { continue }
                names.append(name)
            }
            closedir(dir)
            for name in names.sorted() {
                let child = path.hasSuffix("/") ? path + name : path + "/" + name
                var cst = stat()
                guard stat(child, &cst) == 0 else { continue }
                if (cst.st_mode & S_IFMT) == S_IFDIR {
                    collect(child, into: &files, failures: &failures)
                } else if name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                    files.append(child)
                }
            }
        } else {
            files.append(path)
        }
    }

    /// Reads a whole (small) text file.
    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > 16 << 20 { errno = EFBIG; return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension YAMLNode {
    /// A mapping without `key`.
    func removing(_ key: String) -> YAMLNode {
        guard case .mapping(let m) = self else { return self }
        return .mapping(m.filter { $0.key != key })
    }

    /// Deep merge: mappings merge member by member, anything else in `other` wins.
    func merging(_ other: YAMLNode) -> YAMLNode {
        guard case .mapping(var base) = self, case .mapping(let over) = other else { return other }
        for (k, v) in over {
            if let i = base.firstIndex(where: { $0.key == k }) {
                base[i].value = base[i].value.merging(v)
            } else {
                base.append((k, v))
            }
        }
        return .mapping(base)
    }
}
