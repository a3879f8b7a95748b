import Yams

/// A YAML node as Sigma reads it: scalars keep their text and whether they were quoted.
///
/// Yams (libyaml) does the parsing; types are resolved here, not by YAML 1.1's resolver, so that
/// `EventID: 4688` is a number, `'4688'` a string, `null`/`~` a null, and `yes` stays the string `yes`.
public indirect enum YAMLNode: Sendable, Hashable {
    /// A scalar; `plain` is false when it was quoted or a block scalar.
    case scalar(String, plain: Bool)
    case sequence([YAMLNode])
    /// A mapping, members in document order.
    case mapping([(key: String, value: YAMLNode)])

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case (.scalar(let x, let p), .scalar(let y, let q)): return x == y && p == q
        case (.sequence(let x), .sequence(let y)): return x == y
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .scalar(let s, let p):
            hasher.combine(s)
            hasher.combine(p)
        case .sequence(let items): hasher.combine(items)
        case .mapping(let m):
            for (k, v) in m {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }

    /// The member named `key` of a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let m) = self else { return nil }
        for (k, v) in m where k == key { return v }
        return nil
    }

    /// Scalar text (any scalar, including plain `null`).
    public var string: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    /// True for a plain `null`, `~`, `Null`, `NULL` or empty plain scalar.
    public var isNull: Bool {
        if case .scalar(let s, true) = self { return s == "null" || s == "~" || s == "Null" || s == "NULL" || s.isEmpty }
        return false
    }

    /// A plain `true`/`false` scalar (YAML 1.2: `yes` and `no` are strings).
    public var bool: Bool? {
        guard case .scalar(let s, true) = self else { return nil }
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A plain integer scalar.
    public var int: Int64? {
        guard case .scalar(let s, true) = self else { return nil }
        return Int64(s)
    }

    /// A plain number scalar.
    public var number: Double? {
        guard case .scalar(let s, true) = self else { return nil }
        return Double(s)
    }

    /// Scalars, or each scalar of a sequence.
    public var stringList: [String]? {
        switch self {
        case .scalar(let s, let plain): return plain && isNull ? [] : [s]
        case .sequence(let items):
            var out: [String] = []
            for i in items {
                guard let s = i.string else { return nil }
                out.append(s)
            }
            return out
        case .mapping: return nil
        }
    }

    /// The documents of a YAML text (several when separated by `---`).
    ///
    /// - Throws: ``SigmaError`` of kind `.yaml` with the line and column libyaml reports.
    public static func documents(_ text: String) throws(SigmaError) -> [YAMLNode] {
        do {
            var out: [YAMLNode] = []
            // The encoding is given: its default reads the whole environment for each parser (a tenth of loading
            // SigmaHQ) and prints to standard output when YAMS_DEFAULT_ENCODING is set.
            let parser = try Parser(yaml: text, encoding: .utf8)
            while let node = try parser.nextRoot() {
                out.append(try convert(node, depth: 0))
            }
            return out
        } catch let e as SigmaError {
            throw e
        } catch {
            throw SigmaError(.yaml(YAMLNode.describe(error)))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let y = error as? YamlError {
            switch y {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                return "\(problem) at line \(mark.line), column \(mark.column)"
            case .reader(let problem, let offset, _, _):
                return "\(problem) at byte \(offset ?? 0)"
            default:
                return "\(y)"
            }
        }
        return "\(error)"
    }

    static func convert(_ node: Node, depth: Int) throws(SigmaError) -> YAMLNode {
        guard depth < 64 else { throw SigmaError(.yaml("nesting deeper than 64 levels")) }
        switch node {
        case .scalar(let s):
            let plain = s.style == .plain || s.style == .any
            return .scalar(s.string, plain: plain)
        case .sequence(let seq):
            var items: [YAMLNode] = []
            for n in seq { items.append(try convert(n, depth: depth + 1)) }
            return .sequence(items)
        case .mapping(let map):
            var members: [(key: String, value: YAMLNode)] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k else { throw SigmaError(.yaml("a mapping key is not a scalar")) }
                members.append((ks.string, try convert(v, depth: depth + 1)))
            }
            return .mapping(members)
        case .alias:
            throw SigmaError(.yaml("YAML aliases are not supported in rules"))
        }
    }
}
