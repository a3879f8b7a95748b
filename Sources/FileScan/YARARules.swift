import CYARA
import Foundation

/// A rule that matched a file: its name, namespace (the rule file it came from), tags and meta, and the
/// malware family it names, if any.
public struct YARAMatch: Sendable, Equatable {
    public var rule: String
    public var namespace: String
    public var tags: [String]
    /// Meta entries in the rule's order (integers and booleans as text).
    public var meta: [(key: String, value: String)]

    public init(rule: String, namespace: String, tags: [String] = [], meta: [(key: String, value: String)] = []) {
        self.rule = rule
        self.namespace = namespace
        self.tags = tags
        self.meta = meta
    }

    public static func == (a: YARAMatch, b: YARAMatch) -> Bool {
        a.rule == b.rule && a.namespace == b.namespace && a.tags == b.tags
            && a.meta.map(\.key) == b.meta.map(\.key) && a.meta.map(\.value) == b.meta.map(\.value)
    }

    /// Meta keys that rule sets use to name the malware family (signature-base, Yara-Rules, Malpedia).
    static let familyKeys = ["malware_family", "family", "malware", "malpedia_family", "mal_family"]

    /// The family the rule names in its meta, else its name (which the knowledge base's software names
    /// may still be found in: `win_hoplight_auto`).
    public var family: String {
        for key in Self.familyKeys {
            if let v = meta.first(where: { $0.key.lowercased() == key })?.value, !v.isEmpty { return v }
        }
        return rule
    }

    /// The rule's author, when its meta names one (rule licences such as the Detection Rule License ask
    /// that alerts from a rule keep it).
    public var author: String? { meta.first { $0.key.lowercased() == "author" }?.value }
}

/// Compiled YARA rules (libyara), from files and folders of `.yar` / `.yara` files.
///
/// Each file compiles into a namespace of its own (rule names repeat across rule sets), with the external
/// variables that signature-base's rules use (`filename`, `filepath`, `extension`, `filetype`, `owner`)
/// declared, and set per scanned file. A file that does not compile is reported with its location and
/// left out; the others are kept.
public final class YARARules: @unchecked Sendable {
    /// A rule file that does not compile: where, and why.
    public struct Failure: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    let rules: UnsafeMutablePointer<YR_RULES>
    /// Rule files compiled (each with the files it includes), and rules (public and private) in them.
    public let compiledFiles: [String]
    /// Those and the files they include: every rule file whose rules are in the set.
    public let loadedFiles: Set<String>
    public let fileCount: Int
    public let ruleCount: Int
    public let failures: [Failure]

    /// External variables every rule file may use; `scan` sets them for each file.
    static let externals = ["filename", "filepath", "extension", "filetype", "owner"]
    static let ruleExtensions: Set<String> = ["yar", "yara", "rule", "rules"]

    /// libyara is initialized once per process (and never finalized: its state lives as long as the rules).
    static let initialized: Bool = yr_initialize() == ERROR_SUCCESS

    public enum LoadError: Error, CustomStringConvertible {
        case library
        case noRules(paths: [String], failures: [Failure])
        public var description: String {
            switch self {
            case .library: return "libyara could not be initialized"
            case .noRules(let paths, let failures):
                return "no YARA rule compiled from \(paths.joined(separator: ", "))"
                    + (failures.isEmpty ? " (no .yar or .yara file found)" : ": " + failures.map(\.description).joined(separator: "; "))
            }
        }
    }

    /// The rule files under `paths` (files as given, folders walked), sorted.
    public static func ruleFiles(_ paths: [String]) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        let fm = FileManager.default
        func add(_ path: String) { if seen.insert(path).inserted { out.append(path) } }
        for given in paths {
            let path = absolute(given)
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else {
                add(path)  // reported as unreadable by the compiler
                continue
            }
            if !isFolder.boolValue {
                add(path)
                continue
            }
            // The folder's own path, links resolved, so that a linked folder is walked too.
            let root = (path as NSString).resolvingSymlinksInPath
            let names = (fm.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []).sorted()
            for name in names where ruleExtensions.contains((name as NSString).pathExtension.lowercased()) {
                add(absolute((path as NSString).appendingPathComponent(name)))
            }
        }
        return out
    }

    /// `path` made absolute and canonical: through the file system when it exists (`link/../x` is where
    /// the link's parent is), else as text.
    static func absolute(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The rule text without comments (`//` to the end of the line, `/* … */`), strings kept: an `include`
    /// in a comment includes nothing.
    static func withoutComments(_ text: String) -> String {
        var out: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        var inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\"), i + 1 < b.count {
                    out.append(b[i + 1])
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
            } else if c == UInt8(ascii: "\"") {
                inString = true
                out.append(c)
                i += 1
            } else if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
                while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }
            } else if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i + 1 < b.count && !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) {
                    if b[i] == UInt8(ascii: "\n") { out.append(b[i]) }  // lines keep their numbers
                    i += 1
                }
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The files `file` includes (`include "other.yar"`), as standardized paths resolved from its folder.
    public static func includes(_ file: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        let text = withoutComments(String(decoding: data, as: UTF8.self))
        let folder = (file as NSString).deletingLastPathComponent
        var out: [String] = []
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("include"), let open = t.firstIndex(of: "\""), let close = t[t.index(after: open)...].firstIndex(of: "\"")
            else { continue }
            let target = String(t[t.index(after: open)..<close])
            out.append(absolute(target.hasPrefix("/") ? target : (folder as NSString).appendingPathComponent(target)))
        }
        return out
    }

    /// Compiles the rule files under `paths`. Throws when libyara cannot start or no rule compiles.
    public init(paths: [String]) throws {
        guard Self.initialized else { throw LoadError.library }
        let files = Self.ruleFiles(paths)
        var failures: [Failure] = []
        // A compiler that has seen an error cannot take more rules: each file is first compiled on its own,
        // and only the files that compile are added to the set. Should a file still fail there (changed
        // between the two, or in conflict with another), the set is compiled again without it.
        var errorsOf: [String: [Failure]] = [:]
        for file in files { errorsOf[file] = Self.compile(file, namespace: "check", into: nil) }
        // A file that another compiling file includes is compiled as part of it, not on its own too (each
        // would be a namespace, and every match of its rules reported twice), and its errors alone do not
        // count (it may need its includer's imports); when every file including it fails, it is compiled on
        // its own, so that its rules are not lost with them.
        var includedByGood: Set<String> = []
        for file in files where errorsOf[file]!.isEmpty { includedByGood.formUnion(Self.includes(file)) }
        var good = files.filter { errorsOf[$0]!.isEmpty && !includedByGood.contains($0) }
        // Each error once, however libyara spelled its file's path.
        var reported: Set<String> = []
        for file in files where !includedByGood.contains(file) {
            for f in errorsOf[file]! where reported.insert("\(Self.absolute(f.file))|\(f.line)|\(f.message)").inserted {
                failures.append(f)
            }
        }
        var rules: UnsafeMutablePointer<YR_RULES>?
        while rules == nil {
            guard !good.isEmpty else { throw LoadError.noRules(paths: paths, failures: failures) }
            var compiler: UnsafeMutablePointer<YR_COMPILER>?
            guard yr_compiler_create(&compiler) == ERROR_SUCCESS, let compiler else { throw LoadError.library }
            defer { yr_compiler_destroy(compiler) }
            for v in Self.externals { _ = yr_compiler_define_string_variable(compiler, v, "") }
            var namespaces: Set<String> = []
            var failed: Int?
            for (i, file) in good.enumerated() {
                var namespace = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                while !namespaces.insert(namespace).inserted { namespace += "_" }
                let late = Self.compile(file, namespace: namespace, into: compiler)
                if !late.isEmpty {
                    failures += late
                    failed = i
                    break
                }
            }
            if let failed {
                good.remove(at: failed)
                continue
            }
            guard yr_compiler_get_rules(compiler, &rules) == ERROR_SUCCESS, rules != nil else { throw LoadError.library }
        }
        guard let rules else { throw LoadError.library }
        let compiled = good.count
        self.compiledFiles = good
        self.loadedFiles = Set(good).union(includedByGood)
        var count = 0
        var stats = YR_RULES_STATS()
        if yr_rules_get_stats(rules, &stats) == ERROR_SUCCESS { count = Int(stats.num_rules) }
        self.rules = rules
        self.fileCount = compiled
        self.ruleCount = count
        self.failures = failures
    }

    deinit { yr_rules_destroy(rules) }

    /// Compiles `file` into `compiler` (or a compiler of its own, to check it); returns its errors.
    static func compile(_ file: String, namespace: String, into compiler: UnsafeMutablePointer<YR_COMPILER>?) -> [Failure] {
        final class Box { var failures: [Failure] = [] }
        let box = Box()
        var own: UnsafeMutablePointer<YR_COMPILER>?
        let target: UnsafeMutablePointer<YR_COMPILER>
        if let compiler {
            target = compiler
        } else {
            guard yr_compiler_create(&own) == ERROR_SUCCESS, let own else {
                return [Failure(file: file, line: 0, message: "libyara could not create a compiler")]
            }
            for v in externals { _ = yr_compiler_define_string_variable(own, v, "") }
            target = own
        }
        defer { if let own { yr_compiler_destroy(own) } }
        guard let handle = fopen(file, "r") else {
            return [Failure(file: file, line: 0, message: String(cString: strerror(errno)))]
        }
        defer { fclose(handle) }
        let context = Unmanaged.passUnretained(box).toOpaque()
        yr_compiler_set_callback(
            target,
            { level, fileName, line, _, message, context in
                guard level == YARA_ERROR_LEVEL_ERROR, let context else { return }
                let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                box.failures.append(
                    Failure(
                        file: fileName.map { String(cString: $0) } ?? "", line: Int(line),
                        message: message.map { String(cString: $0) } ?? "error"))
            }, context)
        let errors = yr_compiler_add_file(target, handle, namespace, file)
        if errors > 0 && box.failures.isEmpty {
            box.failures.append(Failure(file: file, line: 0, message: "\(errors) errors"))
        }
        for i in box.failures.indices where box.failures[i].file.isEmpty { box.failures[i].file = file }
        return box.failures
    }

    /// The rules that match `bytes`, the contents of the file at `path` (which sets the external
    /// variables), in the order libyara reports them; throws when the scan fails (a timeout, for instance).
    public func scan(_ bytes: UnsafeRawBufferPointer, path: String, timeoutSeconds: Int32 = 60) throws -> [YARAMatch] {
        final class Box { var matches: [YARAMatch] = [] }
        var scanner: UnsafeMutablePointer<YR_SCANNER>?
        guard yr_scanner_create(rules, &scanner) == ERROR_SUCCESS, let scanner else { throw ScanError(code: -1, path: path) }
        defer { yr_scanner_destroy(scanner) }
        let name = (path as NSString).lastPathComponent
        // As THOR and Loki set them, for which signature-base writes its rules: the folder, the name, and
        // the extension with its dot, in lower case (`extension == ".regtrans-ms"`).
        let ext = (name as NSString).pathExtension.lowercased()
        let values = [
            "filename": name, "filepath": (path as NSString).deletingLastPathComponent,
            "extension": ext.isEmpty ? "" : "." + ext, "filetype": "", "owner": "",
        ]
        for (k, v) in values { _ = yr_scanner_define_string_variable(scanner, k, v) }
        yr_scanner_set_timeout(scanner, timeoutSeconds)
        let box = Box()
        yr_scanner_set_callback(
            scanner,
            { _, message, data, context in
                guard message == CALLBACK_MSG_RULE_MATCHING, let data, let context else { return CALLBACK_CONTINUE }
                let rule = data.assumingMemoryBound(to: YR_RULE.self)
                let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                var tags: [String] = []
                if var t = sightline_yr_rule_tags(rule) {
                    while t.pointee != 0 {
                        let tag = String(cString: t)
                        tags.append(tag)
                        t += tag.utf8.count + 1
                    }
                }
                var meta: [(key: String, value: String)] = []
                var i: Int32 = 0
                while let m = sightline_yr_rule_meta(rule, i) {
                    let key = String(cString: sightline_yr_meta_identifier(m))
                    switch m.pointee.type {
                    case Int32(META_TYPE_STRING): meta.append((key, sightline_yr_meta_string(m).map { String(cString: $0) } ?? ""))
                    case Int32(META_TYPE_BOOLEAN): meta.append((key, m.pointee.integer != 0 ? "true" : "false"))
                    default: meta.append((key, String(m.pointee.integer)))
                    }
                    i += 1
                }
                box.matches.append(
                    YARAMatch(
                        rule: String(cString: sightline_yr_rule_identifier(rule)),
                        namespace: String(cString: sightline_yr_rule_namespace(rule)), tags: tags, meta: meta))
                return CALLBACK_CONTINUE
            }, Unmanaged.passUnretained(box).toOpaque())
        let code = yr_scanner_scan_mem(scanner, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard code == ERROR_SUCCESS else { throw ScanError(code: code, path: path) }
        return box.matches
    }

    public struct ScanError: Error, CustomStringConvertible {
        public var code: Int32
        public var path: String
        public var description: String {
            switch code {
            case ERROR_SCAN_TIMEOUT: return "\(path): the YARA scan timed out"
            case ERROR_INSUFFICIENT_MEMORY: return "\(path): not enough memory for the YARA scan"
            default: return "\(path): the YARA scan failed (libyara error \(code))"
            }
        }
    }
}
