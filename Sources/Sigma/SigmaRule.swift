/// A rule's severity.
public enum SigmaLevel: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case informational, low, medium, high, critical

    public init?(name: String) {
        switch name.lowercased() {
        case "informational", "info": self = .informational
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        case "critical": self = .critical
        default: return nil
        }
    }

    public static func < (a: SigmaLevel, b: SigmaLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .informational: return "informational"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }
}

/// A rule's `logsource`: what kind of log it is written for.
public struct LogSource: Sendable, Hashable, CustomStringConvertible {
    public var product: String?
    public var category: String?
    public var service: String?

    public init(product: String? = nil, category: String? = nil, service: String? = nil) {
        self.product = product?.lowercased()
        self.category = category?.lowercased()
        self.service = service?.lowercased()
    }

    public var description: String {
        [product.map { "product:\($0)" }, category.map { "category:\($0)" }, service.map { "service:\($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// A Sigma detection rule.
public struct SigmaRule: Sendable {
    public var id: String?
    public var name: String?
    public var title: String
    public var status: String?
    public var description: String?
    public var level: SigmaLevel?
    public var tags: [String]
    public var logsource: LogSource
    public var detection: Detection
    public var fields: [String]
    public var falsePositives: [String]
    public var author: String?
    /// The file it was loaded from.
    public var file: String

    /// ATT&CK technique ids from the tags (`attack.t1059.001` → `T1059.001`), in tag order.
    public var attackTechniques: [String] {
        tags.compactMap { tag in
            let t = tag.lowercased()
            guard t.hasPrefix("attack.t"), t.dropFirst(8).first?.isNumber == true else { return nil }
            return String(t.dropFirst(7)).uppercased()
        }
    }
}

/// A Sigma filter (meta rule): adds `and not <filter condition>` to the rules it names.
public struct SigmaFilter: Sendable {
    public var id: String?
    public var title: String
    public var logsource: LogSource
    /// Rule ids or names the filter applies to.
    public var rules: [String]
    public var detection: Detection
    public var file: String
}

/// The kinds of correlation rules.
public enum CorrelationType: String, Sendable, Hashable, CaseIterable {
    case eventCount = "event_count"
    case valueCount = "value_count"
    case temporal
    case temporalOrdered = "temporal_ordered"
    case valueSum = "value_sum"
    case valueAvg = "value_avg"
    case valuePercentile = "value_percentile"
}

/// A threshold: `gt`, `gte`, `lt`, `lte`, `eq`, `neq` (any combination, all must hold).
public struct CorrelationCondition: Sendable, Hashable {
    public var tests: [(op: String, value: Double)]
    /// The field `value_*` correlations aggregate.
    public var field: String?
    /// For `value_percentile`: which percentile (default 95... set by the rule).
    public var percentile: Double?

    public static func == (a: CorrelationCondition, b: CorrelationCondition) -> Bool {
        a.field == b.field && a.percentile == b.percentile && a.tests.count == b.tests.count
            && zip(a.tests, b.tests).allSatisfy { $0.op == $1.op && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        for t in tests {
            hasher.combine(t.op)
            hasher.combine(t.value)
        }
    }

    public func holds(_ x: Double) -> Bool {
        tests.allSatisfy { t in
            switch t.op {
            case "gt": return x > t.value
            case "gte": return x >= t.value
            case "lt": return x < t.value
            case "lte": return x <= t.value
            case "eq": return x == t.value
            case "neq": return x != t.value
            default: return false
            }
        }
    }
}

/// A Sigma correlation rule.
public struct SigmaCorrelation: Sendable {
    public var id: String?
    public var name: String?
    public var title: String
    public var level: SigmaLevel?
    public var tags: [String]
    public var type: CorrelationType
    /// Referenced rules (ids or names) in order.
    public var rules: [String]
    public var groupBy: [String]
    /// Seconds.
    public var timespan: Double
    public var condition: CorrelationCondition
    /// `aliases`: per alias name, the field each referenced rule uses.
    public var aliases: [String: [String: String]]
    /// Whether the referenced rules also report their own matches.
    public var generate: Bool
    public var file: String

    public var attackTechniques: [String] {
        tags.compactMap { tag in
            let t = tag.lowercased()
            guard t.hasPrefix("attack.t"), t.dropFirst(8).first?.isNumber == true else { return nil }
            return String(t.dropFirst(7)).uppercased()
        }
    }

    /// Parses `1h`, `15m`, `30s`, `2d`, `1w`, `1M`, `1y` into seconds.
    public static func seconds(_ text: String) -> Double? {
        guard let unit = text.last, let n = Double(text.dropLast()) else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        case "w": return n * 604_800
        case "M": return n * 2_592_000
        case "y": return n * 31_536_000
        default: return nil
        }
    }
}
