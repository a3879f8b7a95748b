import Events

/// Field tests against the values of an ``EventView`` (the general path; ``FieldNode`` has a fast path
/// for plain case-insensitive string tests).
enum Evaluator {
    static func test(_ t: FieldTest, values: UnsafeBufferPointer<FieldText>?, _ view: EventView) -> Bool {
        if case .exists(let want)? = t.matchers.first { return (values != nil) == want }
        guard let values else {
            // A missing field matches only `null`; `neq` needs the field.
            if t.negated { return false }
            return t.matchers.contains { if case .null = $0 { return true } else { return false } }
        }
        let result: Bool
        if let networks = t.networks {
            result = values.contains { v in
                CIDRSet.parse(v.raw).map(networks.contains) ?? false
            }
        } else if t.requireAll {
            result = t.groups.allSatisfy { g in t.matchers[g].contains { m in values.contains { match(m, $0, view) } } }
        } else {
            result = t.matchers.contains { m in values.contains { match(m, $0, view) } }
        }
        return t.negated ? !result : result
    }

    static func match(_ m: ValueMatcher, _ v: FieldText, _ view: EventView) -> Bool {
        switch m {
        case .string(let p):
            return p.matches(p.caseSensitive ? v.raw : v.folded)
        case .regex(let r):
            if let runs = r.orderedRuns, !SigmaRegex.holdsInOrder(v.folded, runs) { return false }
            return r.matches(v.raw, scratch: view.scratch)
        case .compare(let op, let n):
            guard let x = number(v) else { return false }
            return op.holds(x, n)
        case .cidr(let c):
            guard let a = CIDRSet.parse(v.raw) else { return false }
            return c.contains(a)
        case .null:
            // `null` is an absent or null field, not an empty string (as pySigma's `IS NULL`).
            if case .null = v.value { return true }
            return false
        case .exists:
            return true
        case .fieldref(let other, let mode, let cased):
            guard let others = view.lookup(other) else { return false }
            let mine = cased ? v.raw : v.folded
            return others.contains { o in
                let theirs = cased ? o.raw : o.folded
                switch mode {
                case .equals: return mine.elementsEqual(theirs)
                case .startsWith: return mine.starts(with: theirs)
                case .endsWith: return mine.count >= theirs.count && mine.suffix(theirs.count).elementsEqual(theirs)
                case .contains:
                    if theirs.isEmpty { return true }
                    return StringPattern.find(theirs, in: mine, from: 0) != nil
                }
            }
        case .timePart(let part, let op, let n):
            let t: Timestamp?
            if case .timestamp(let ts) = v.value { t = ts } else { t = Timestamp(iso8601: String(decoding: v.raw, as: UTF8.self)) }
            guard let t else { return false }
            return op.holds(Double(part.value(of: t)), n)
        }
    }

    static func number(_ v: FieldText) -> Double? {
        switch v.value {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default:
            let s = String(decoding: v.raw, as: UTF8.self)
            if let d = Double(s) { return d }
            if s.hasPrefix("0x") || s.hasPrefix("0X"), let h = UInt64(s.dropFirst(2), radix: 16) { return Double(h) }
            return nil
        }
    }
}
