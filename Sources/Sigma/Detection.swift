/// One search identifier's body: field tests joined by AND, alternatives joined by OR, or keywords.
public indirect enum SearchExpression: Sendable {
    case field(FieldTest)
    /// Keywords: values searched in every value of the event (the test's `field` is empty).
    case keywords(FieldTest)
    case and([SearchExpression])
    case or([SearchExpression])
}

/// A rule's `detection` section: named searches and the condition over them.
public struct Detection: Sendable {
    /// Search identifiers in document order.
    public var names: [String]
    public var searches: [SearchExpression]
    public var condition: Condition

    public init(names: [String], searches: [SearchExpression], condition: Condition) {
        self.names = names
        self.searches = searches
        self.condition = condition
    }

    /// Parses a `detection` mapping.
    ///
    /// - Parameter conditionKey: `condition` for rules and filters.
    /// - Throws: ``SigmaError`` for malformed searches, unknown modifiers, bad values or conditions.
    public init(_ node: YAMLNode, options: CompileOptions) throws(SigmaError) {
        guard case .mapping(let members) = node else {
            throw SigmaError(.attribute("'detection' must be a mapping"))
        }
        var names: [String] = []
        var searches: [SearchExpression] = []
        var conditionNode: YAMLNode?
        for (key, value) in members {
            switch key {
            case "condition": conditionNode = value
            case "timeframe": continue
            default:
                names.append(key)
                searches.append(try Detection.search(value, options: options, name: key))
            }
        }
        guard let conditionNode else { throw SigmaError(.attribute("'detection' has no 'condition'")) }
        var parser = ConditionParser(names: names)
        let condition: Condition
        switch conditionNode {
        case .scalar(let text, _):
            condition = try parser.parse(text)
        case .sequence(let items):
            // Sigma v1: a list of conditions is their disjunction.
            var parts: [Condition] = []
            for item in items {
                guard let text = item.string else { throw SigmaError(.condition("a condition must be a string")) }
                parts.append(try parser.parse(text))
            }
            condition = parts.count == 1 ? parts[0] : .or(parts)
        case .mapping:
            throw SigmaError(.condition("a condition must be a string"))
        }
        self.init(names: names, searches: searches, condition: condition)
    }

    static func search(_ node: YAMLNode, options: CompileOptions, name: String) throws(SigmaError) -> SearchExpression {
        do throws(SigmaError) {
            switch node {
            case .mapping(let members):
                var parts: [SearchExpression] = []
                for (key, value) in members {
                    parts.append(try fieldOrKeywords(key: key, value: value, options: options))
                }
                if parts.isEmpty { throw SigmaError(.invalidValue("empty mapping")) }
                return parts.count == 1 ? parts[0] : .and(parts)
            case .sequence(let items):
                if items.isEmpty { throw SigmaError(.invalidValue("empty list")) }
                // A list of scalars is a keyword list; a list of maps is an OR of maps.
                if items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }) {
                    return try fieldOrKeywords(key: "", value: node, options: options)
                }
                var parts: [SearchExpression] = []
                for item in items {
                    if case .scalar = item {
                        parts.append(try fieldOrKeywords(key: "", value: item, options: options))
                    } else {
                        parts.append(try search(item, options: options, name: name))
                    }
                }
                return parts.count == 1 ? parts[0] : .or(parts)
            case .scalar:
                return try fieldOrKeywords(key: "", value: node, options: options)
            }
        } catch {
            var e = error
            switch e.kind {
            case .invalidValue(let m): e.kind = .invalidValue("search '\(name)': \(m)")
            case .unknownModifier(let m): e.kind = .unknownModifier(m)
            default: break
            }
            throw e
        }
    }

    static func fieldOrKeywords(key: String, value: YAMLNode, options: CompileOptions) throws(SigmaError)
        -> SearchExpression
    {
        var values: [SigmaValue] = []
        switch value {
        case .scalar: values = [try SigmaValue(value)]
        case .sequence(let items):
            for i in items { values.append(try SigmaValue(i)) }
        case .mapping:
            throw SigmaError(.invalidValue("the value of '\(key)' is a mapping"))
        }
        let isKeyword = key.isEmpty || key.hasPrefix("|")
        var test = try FieldTest(key: key, values: values, options: options)
        if isKeyword {
            // Keywords match anywhere in a value unless the rule anchors them itself.
            let anchored = test.modifiers.contains { [.startswith, .endswith, .contains, .re, .cidr].contains($0) }
            if !anchored {
                test = try FieldTest(key: "|contains" + key, values: values, options: options)
            }
            return .keywords(test)
        }
        return .field(test)
    }
}
