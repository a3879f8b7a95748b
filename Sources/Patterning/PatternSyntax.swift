/// A parsed STIX 2.1 pattern: one observation expression tree.
///
/// Build one with ``Pattern/parse(_:)``; match it with ``PatternMatcher``.
public struct Pattern: Sendable, Equatable {
    /// The root observation expression.
    public var root: ObservationExpression
    /// The pattern text it was parsed from.
    public var text: String

    public init(root: ObservationExpression, text: String) {
        self.root = root
        self.text = text
    }

    /// Parses pattern text; syntax errors name the byte offset and what was expected.
    ///
    /// - Throws: ``PatternError`` for syntax errors, impossible literals and nesting beyond ``PatternParser/maxDepth``.
    public static func parse(_ text: String) throws(PatternError) -> Pattern {
        var parser = PatternParser(text)
        return try parser.parsePattern()
    }
}

/// An observation expression: brackets, the observation operators and the qualifiers.
///
/// Chains of the same operator are kept as one node with many operands (left to right), so a long
/// `A OR B OR C …` does not nest. Only the cases that hold an expression directly are boxed; arrays
/// already give the others indirection, and each box is one more allocation per node.
public enum ObservationExpression: Sendable, Equatable {
    /// `[ comparison ]`: one observation whose objects satisfy the comparison.
    case observation(ComparisonExpression)
    /// `A AND B AND …`: distinct observations matching each operand.
    case and([ObservationExpression])
    /// `A OR B OR …`: any operand.
    case or([ObservationExpression])
    /// `A FOLLOWEDBY B FOLLOWEDBY …`, left-associative, non-strict (`>=`).
    case followedBy([ObservationExpression])
    /// `A WITHIN n SECONDS`.
    indirect case within(ObservationExpression, PatternDuration)
    /// `A REPEATS n TIMES`.
    indirect case repeats(ObservationExpression, Int)
    /// `A START t'…' STOP t'…'`: half-open `[start, stop)`.
    indirect case startStop(ObservationExpression, start: Timestamp, stop: Timestamp)
}

/// A comparison expression inside brackets; every test applies to one and the same root object.
public enum ComparisonExpression: Sendable, Equatable {
    case and([ComparisonExpression])
    case or([ComparisonExpression])
    case test(PropertyTest)
}

/// The comparison operators.
public enum ComparisonOperator: String, Sendable, Equatable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case `in` = "IN"
    case like = "LIKE"
    case matches = "MATCHES"
    case isSubset = "ISSUBSET"
    case isSuperset = "ISSUPERSET"
    case exists = "EXISTS"
}

extension ComparisonOperator {
    /// For `<`, `<=`, `>`, `>=`: whether an ordering result `c` (negative, zero, positive: the value
    /// against the literal) satisfies the operator.
    public func holds(order c: Int) -> Bool {
        switch self {
        case .less: return c < 0
        case .lessOrEqual: return c <= 0
        case .greater: return c > 0
        default: return c >= 0
        }
    }
}

/// One property test: `path [NOT] op value`, or `[NOT] EXISTS path`.
public struct PropertyTest: Sendable, Equatable {
    public var path: ObjectPath
    public var op: ComparisonOperator
    /// True when the test was written with `NOT`.
    public var negated: Bool
    /// The constant; `nil` for `EXISTS`.
    public var value: PatternLiteral?
    /// The set of constants for `IN`.
    public var set: [PatternLiteral]
    /// Byte offset of the test in the pattern text.
    public var offset: Int

    public init(
        path: ObjectPath, op: ComparisonOperator, negated: Bool, value: PatternLiteral?, set: [PatternLiteral] = [],
        offset: Int
    ) {
        self.path = path
        self.op = op
        self.negated = negated
        self.value = value
        self.set = set
        self.offset = offset
    }
}

/// `type:property.key[0].'quoted key'[*]`.
public struct ObjectPath: Sendable, Equatable, CustomStringConvertible {
    /// The SCO type, e.g. `network-traffic`.
    public var objectType: String
    /// The steps after the colon; the first is always a key.
    public var steps: [PathStep]
    /// Byte offset of the path in the pattern text.
    public var offset: Int

    public init(objectType: String, steps: [PathStep], offset: Int) {
        self.objectType = objectType
        self.steps = steps
        self.offset = offset
    }

    public var description: String {
        var s = objectType + ":"
        for (i, step) in steps.enumerated() {
            switch step {
            case .key(let k):
                if i > 0 { s += "." }
                s += k
            case .index(let n): s += "[\(n)]"
            case .anyIndex: s += "[*]"
            }
        }
        return s
    }
}

/// One step of an object path.
public enum PathStep: Sendable, Equatable {
    /// A dictionary key (a property name, or a quoted key such as `'SHA-256'`).
    case key(String)
    /// A list index; negative indexes select nothing.
    case index(Int)
    /// `[*]`: every element of a list.
    case anyIndex
}

/// A constant in a pattern.
public enum PatternLiteral: Sendable, Equatable {
    /// An integer that fits in 64 bits; larger integers become ``float(_:)``.
    case integer(Int64)
    case float(Double)
    case string(String)
    case bool(Bool)
    /// `b'…'` (base64) or `h'…'` (hex).
    case binary([UInt8])
    case timestamp(Timestamp)

    /// A name for the literal's kind, for messages.
    public var kindName: String {
        switch self {
        case .integer: return "integer"
        case .float: return "float"
        case .string: return "string"
        case .bool: return "boolean"
        case .binary: return "binary"
        case .timestamp: return "timestamp"
        }
    }
}

/// A `WITHIN` duration, exact to the nanosecond.
public struct PatternDuration: Sendable, Equatable, Hashable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}
