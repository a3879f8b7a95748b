import JSON
import Patterning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One test of an alternative that the index decides itself instead of running the indicator's full
/// matcher: a comparison of the value at a plain path (named keys only) with a string or number, or a
/// `LIKE`. The semantics are the matcher's (`PatternMatcher+Evaluation.swift`, `predicate`): no value at
/// the path makes the test false, with or without `NOT`; strings compare byte for byte; numbers of
/// different kinds compare as doubles; an ordering between kinds that have none is false even under `NOT`.
struct SimpleTest: Sendable {
    enum Constant: Sendable {
        /// Bytes `start..<start+count` of ``IndicatorIndex/testBytes``.
        case string(start: UInt32, count: UInt32)
        case integer(Int64)
        case float(Double)
        /// For `LIKE`: an index into ``IndicatorIndex/likeFilters``.
        case like(Int32)
    }

    /// An index into ``IndicatorIndex/testPaths``.
    var path: Int32
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` or `LIKE` (the others are left to the matcher).
    var op: ComparisonOperator
    var negated: Bool
    var constant: Constant
}

extension IndicatorIndex {
    /// Compiles `alternative` (a test or an AND of tests, on objects of type `type`) into a check; returns
    /// its index in ``checks``, or -1 when some test is not simple and the full matcher must decide.
    mutating func compileCheck(_ alternative: ComparisonExpression, _ type: String) -> Int32 {
        var conjuncts: [PropertyTest] = []
        switch alternative {
        case .test(let t): conjuncts = [t]
        case .and(let xs):
            for x in xs {
                guard case .test(let t) = x else { return -1 }
                conjuncts.append(t)
            }
        case .or: return -1
        }
        // A test on another type, or on an SDO type, is false: left to the matcher (the alternative never holds).
        guard !PatternValidator.sdoTypes.contains(type) else { return -1 }
        var compiled: [SimpleTest] = []
        for t in conjuncts {
            guard t.path.objectType == type, let keys = IndicatorIndex.plainKeys(t), !keys.isEmpty,
                let value = t.value
            else { return -1 }
            let op = t.op
            switch op {
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .like: break
            default: return -1
            }
            let constant: SimpleTest.Constant
            switch value {
            case .string(let s):
                if op == .like {
                    constant = .like(likeIndex(s))
                } else {
                    constant = .string(start: UInt32(testBytes.count), count: UInt32(s.utf8.count))
                    testBytes += s.utf8
                }
            case .integer(let i) where op != .like: constant = .integer(i)
            case .float(let d) where op != .like: constant = .float(d)
            default: return -1
            }
            let path: Int32
            if let known = testPaths.firstIndex(of: keys) {
                path = Int32(known)
            } else {
                path = Int32(testPaths.count)
                testPaths.append(keys)
            }
            compiled.append(SimpleTest(path: path, op: op, negated: t.negated, constant: constant))
        }
        checks.append((Int32(tests.count), Int32(compiled.count)))
        tests += compiled
        return Int32(checks.count - 1)
    }

    /// True when the candidate `entry` holds for the observation: its check, or the full matcher.
    @inline(__always)
    func holds(
        _ entry: FilteredEntry, _ object: JSONObject, _ type: String, _ scratch: MatchScratch,
        _ set: inout ObservationSet?
    ) -> Bool {
        if entry.check >= 0 { return check(entry.check, object, scratch) }
        return verify(entry.ordinal, object, type, scratch, &set)
    }

    /// True when every test of check `c` holds for `object`.
    func check(_ c: Int32, _ object: JSONObject, _ scratch: MatchScratch) -> Bool {
        let (start, count) = checks[Int(c)]
        for i in Int(start)..<Int(start + count) {
            guard let v = IndicatorIndex.select(object, testPaths[Int(tests[i].path)]),
                evaluate(tests[i], v, scratch)
            else { return false }
        }
        return true
    }

    /// One simple test on the value at its path, as the matcher's `predicate` decides it.
    func evaluate(_ t: SimpleTest, _ v: JSONValue, _ scratch: MatchScratch) -> Bool {
        switch t.op {
        case .equal, .notEqual:
            var r = equal(t.constant, v, scratch)
            if t.op == .notEqual { r.toggle() }
            return t.negated ? !r : r
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let c = order(v, t.constant, scratch) else { return false }
            let r = t.op.holds(order: c)
            return t.negated ? !r : r
        case .like:
            guard case .like(let like) = t.constant else { return false }
            var r = false
            if case .string(let s) = v {
                if let b = IndicatorIndex.copy(s, into: scratch.checked) {
                    r = passesLike(like, b, s)
                } else {
                    r = likePatterns[Int(like)].matches(s)
                }
            }
            return t.negated ? !r : r
        default:
            return false  // not made by `simpleTests` (see `SimpleTest.op`)
        }
    }

    func equal(_ c: SimpleTest.Constant, _ v: JSONValue, _ scratch: MatchScratch) -> Bool {
        switch (c, v) {
        case (.integer(let i), .int(let j)): return i == j
        case (.integer(let i), .double(let d)): return Double(i) == d
        case (.float(let f), .int(let j)): return Double(j) == f
        case (.float(let f), .double(let d)): return d == f
        case (.string(let start, let count), .string(let s)):
            guard s.utf8.count == Int(count) else { return false }
            guard count > 0 else { return true }
            guard let b = IndicatorIndex.copy(s, into: scratch.checked) else {
                return s.utf8.elementsEqual(testBytes[Int(start)..<Int(start + count)])
            }
            return testBytes.withUnsafeBufferPointer {
                memcmp(b.baseAddress!, $0.baseAddress! + Int(start), b.count) == 0
            }
        default: return false
        }
    }

    /// The order of the value against the constant (value first): -1, 0 or 1; `nil` when they have none.
    func order(_ v: JSONValue, _ c: SimpleTest.Constant, _ scratch: MatchScratch) -> Int? {
        func order<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : a == b ? 0 : 1 }
        switch (c, v) {
        case (.integer(let i), .int(let j)): return order(j, i)
        case (.integer(let i), .double(let d)): return order(d, Double(i))
        case (.float(let f), .int(let j)): return order(Double(j), f)
        case (.float(let f), .double(let d)): return order(d, f)
        case (.string(let start, let count), .string(let s)):
            let constant = testBytes[Int(start)..<Int(start + count)]
            guard let b = IndicatorIndex.copy(s, into: scratch.checked) else {
                return s.utf8.lexicographicallyPrecedes(constant) ? -1 : s.utf8.elementsEqual(constant) ? 0 : 1
            }
            return testBytes.withUnsafeBufferPointer { l in
                let n = min(b.count, Int(count))
                let c = n == 0 ? 0 : memcmp(b.baseAddress!, l.baseAddress! + Int(start), n)
                if c != 0 { return c < 0 ? -1 : 1 }
                return order(b.count, Int(count))
            }
        default: return nil
        }
    }
}
