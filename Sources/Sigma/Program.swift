import Events

/// A detection compiled into a tree of nodes that evaluate without allocating.
class ProgramNode {
    func evaluate(_ view: EventView) -> Bool { false }
    /// Calls `body` with every field test below this node.
    func visitFields(_ body: (FieldNode) -> Void) {}
}

/// A node's children, read without reference counting: iterating an array of class references retained
/// and released each child at every evaluation (seven pairs per event in the corpus hunt). `children`
/// owns them; `refs` points at unretained copies that live as long as this value (not copyable: it frees
/// `refs` once, when its owner goes).
struct ChildNodes: ~Copyable {
    let children: [ProgramNode]
    let refs: UnsafeMutablePointer<Unmanaged<ProgramNode>>
    let count: Int

    init(_ children: [ProgramNode]) {
        self.children = children
        count = children.count
        refs = .allocate(capacity: max(1, children.count))
        for (i, c) in children.enumerated() { (refs + i).initialize(to: .passUnretained(c)) }
    }

    deinit { refs.deallocate() }

    /// Whether child `i` evaluates to true for the view.
    @inline(__always)
    func evaluate(_ i: Int, _ view: EventView) -> Bool {
        refs[i]._withUnsafeGuaranteedRef { $0.evaluate(view) }
    }
}

final class AndNode: ProgramNode {
    override func visitFields(_ body: (FieldNode) -> Void) { for c in children { c.visitFields(body) } }
    var children: [ProgramNode] { nodes.children }
    let nodes: ChildNodes
    init(_ children: [ProgramNode]) { nodes = ChildNodes(children) }
    override func evaluate(_ view: EventView) -> Bool {
        for i in 0..<nodes.count where !nodes.evaluate(i, view) { return false }
        return true
    }
}

final class OrNode: ProgramNode {
    override func visitFields(_ body: (FieldNode) -> Void) { for c in children { c.visitFields(body) } }
    var children: [ProgramNode] { nodes.children }
    let nodes: ChildNodes
    init(_ children: [ProgramNode]) { nodes = ChildNodes(children) }
    override func evaluate(_ view: EventView) -> Bool {
        for i in 0..<nodes.count where nodes.evaluate(i, view) { return true }
        return false
    }
}

final class NotNode: ProgramNode {
    override func visitFields(_ body: (FieldNode) -> Void) { child.visitFields(body) }
    let child: ProgramNode
    init(_ child: ProgramNode) { self.child = child }
    override func evaluate(_ view: EventView) -> Bool { !child.evaluate(view) }
}

final class AtLeastNode: ProgramNode {
    override func visitFields(_ body: (FieldNode) -> Void) { for c in children { c.visitFields(body) } }
    let count: Int
    var children: [ProgramNode] { nodes.children }
    let nodes: ChildNodes
    init(_ count: Int, _ children: [ProgramNode]) {
        self.count = count
        nodes = ChildNodes(children)
    }
    override func evaluate(_ view: EventView) -> Bool {
        if count <= 0 { return true }
        var n = 0
        for i in 0..<nodes.count where nodes.evaluate(i, view) {
            n += 1
            if n >= count { return true }
        }
        return false
    }
}

final class ConstantNode: ProgramNode {
    let value: Bool
    init(_ value: Bool) { self.value = value }
    override func evaluate(_ view: EventView) -> Bool { value }
}

final class FieldNode: ProgramNode {
    let test: FieldTest
    let keywords: Bool
    /// The common case: every matcher a case-insensitive string pattern and no `neq`. One group per
    /// value under `all` (every group must match), else a single group.
    let groups: [[StringPattern]]?
    let slot: Int
    /// Per group and pattern: the pattern's index in the slot's flat literal table when the slot's
    /// automaton decides the pattern exactly (a `contains` literal), else -1. Set by ``RuleSet``.
    var literalIndices: [[Int32]]? {
        didSet { flatten() }
    }
    /// ``groups`` and ``literalIndices`` laid out flat in memory this node owns, read on the hot path
    /// without reference counting (the nested arrays were retained and released at every test): per
    /// pattern its literal index, per group where its patterns end.
    var flatPatterns: UnsafeMutablePointer<StringPattern>? = nil
    var flatIDs: UnsafeMutablePointer<Int32>? = nil
    var flatGroupEnds: UnsafeMutablePointer<Int32>? = nil
    var flatGroupCount = 0
    var flatPatternCount = 0

    func flatten() {
        release()
        guard let groups, let literalIndices, groups.count == literalIndices.count else { return }
        let count = groups.reduce(0) { $0 + $1.count }
        let patterns = UnsafeMutablePointer<StringPattern>.allocate(capacity: max(count, 1))
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        let ends = UnsafeMutablePointer<Int32>.allocate(capacity: max(groups.count, 1))
        var k = 0
        for (gi, g) in groups.enumerated() {
            for (j, p) in g.enumerated() {
                (patterns + k).initialize(to: p)
                ids[k] = j < literalIndices[gi].count ? literalIndices[gi][j] : -1
                k += 1
            }
            ends[gi] = Int32(k)
        }
        flatPatterns = patterns
        flatIDs = ids
        flatGroupEnds = ends
        flatPatternCount = count
        flatGroupCount = groups.count
    }

    func release() {
        if let p = flatPatterns {
            p.deinitialize(count: flatPatternCount)
            p.deallocate()
        }
        flatIDs?.deallocate()
        flatGroupEnds?.deallocate()
        flatPatterns = nil
        flatIDs = nil
        flatGroupEnds = nil
        flatGroupCount = 0
        flatPatternCount = 0
    }

    deinit { release() }

    override func visitFields(_ body: (FieldNode) -> Void) { body(self) }

    init(_ test: FieldTest, keywords: Bool) {
        self.test = test
        self.keywords = keywords
        slot = test.slot
        var patterns: [StringPattern] = []
        for m in test.matchers {
            guard case .string(let p) = m, !p.caseSensitive else {
                patterns = []
                break
            }
            patterns.append(p)
        }
        if keywords || slot < 0 || test.negated || patterns.count != test.matchers.count || patterns.isEmpty {
            groups = nil
        } else if test.requireAll {
            groups = test.groups.map { Array(patterns[$0]) }
        } else {
            groups = [patterns]
        }
    }

    override func evaluate(_ view: EventView) -> Bool {
        if flatGroupCount > 0, let patterns = flatPatterns, let ids = flatIDs, let ends = flatGroupEnds {
            // Literals found by the slot's automaton answer `contains` without searching again.
            let g = view.generation
            if view.scannedGeneration[slot] != g { view.scanner?.scan(slot, view) }
            guard let vb = view.values(slot) else { return false }
            let found = view.literalGeneration
            var start = 0
            for gi in 0..<flatGroupCount {
                let end = Int(ends[gi])
                var hit = false
                var j = start
                while j < end && !hit {
                    let id = ids[j]
                    if id >= 0 {
                        hit = found[Int(id)] == g
                    } else {
                        for i in 0..<vb.count where patterns[j].matches(vb[i].folded) {
                            hit = true
                            break
                        }
                    }
                    j += 1
                }
                if !hit { return false }
                start = end
            }
            return true
        }
        if let groups, let literalIndices {
            // Literals found by the slot's automaton answer `contains` without searching again.
            let g = view.generation
            if view.scannedGeneration[slot] != g { view.scanner?.scan(slot, view) }
            guard let vb = view.values(slot) else { return false }
            let found = view.literalGeneration
            // Borrowed through buffers: no pattern or array is copied (retained) per test.
            return groups.withUnsafeBufferPointer { gs in
                literalIndices.withUnsafeBufferPointer { li in
                    for gi in 0..<gs.count {
                        let groupHit = gs[gi].withUnsafeBufferPointer { ps in
                            li[gi].withUnsafeBufferPointer { ids -> Bool in
                                for j in 0..<ps.count {
                                    let id = ids[j]
                                    if id >= 0 {
                                        if found[Int(id)] == g { return true }
                                        continue
                                    }
                                    for i in 0..<vb.count where ps[j].matches(vb[i].folded) { return true }
                                }
                                return false
                            }
                        }
                        if !groupHit { return false }
                    }
                    return true
                }
            }
        }
        if let groups {
            guard let vb = view.values(slot) else { return false }
            do {
                for g in groups {
                    let groupHit = g.withUnsafeBufferPointer { pb -> Bool in
                        for i in 0..<vb.count {
                            let text = vb[i].folded
                            var hit = false
                            for j in 0..<pb.count where pb[j].matches(text) {
                                hit = true
                                break
                            }
                            if hit { return true }
                        }
                        return false
                    }
                    if !groupHit { return false }
                }
                return true
            }
        }
        if keywords { return Evaluator.test(test, values: view.keywords(), view) }
        return Evaluator.test(test, values: test.slot >= 0 ? view.values(test.slot) : view.lookup(test.field), view)
    }
}

enum Program {
    /// Compiles a bound detection (fields already mapped to slots).
    static func compile(_ d: Detection) -> ProgramNode {
        let searches = d.searches.map(compile)
        func cond(_ c: Condition) -> ProgramNode {
            switch c {
            case .search(let i): return searches[i]
            case .and(let items): return AndNode(items.map(cond))
            case .or(let items): return OrNode(items.map(cond))
            case .not(let x): return NotNode(cond(x))
            case .atLeast(let n, let ids): return AtLeastNode(n, ids.map { searches[$0] })
            case .all(let ids): return AndNode(ids.map { searches[$0] })
            case .constant(let b): return ConstantNode(b)
            }
        }
        return cond(d.condition)
    }

    static func compile(_ s: SearchExpression) -> ProgramNode {
        switch s {
        case .field(let t): return FieldNode(t, keywords: false)
        case .keywords(let t): return FieldNode(t, keywords: true)
        case .and(let items): return AndNode(items.map(compile))
        case .or(let items): return OrNode(items.map(compile))
        }
    }

    // MARK: - Prefilter requirements

    /// A necessary condition for a detection: at least one of these (slot, folded literal) pairs must
    /// occur in the event, or the detection cannot match. `nil` when no such condition can be derived.
    ///
    /// - Parameter keywordSlot: the pseudo-slot standing for every value of the event (keyword searches),
    ///   or -1 to derive nothing from keywords.
    static func requirement(_ d: Detection, keywordSlot: Int = -1) -> [(slot: Int, literal: [UInt8])]? {
        func search(_ s: SearchExpression) -> [(slot: Int, literal: [UInt8])]? {
            switch s {
            case .field(let t): return field(t)
            case .keywords(var t):
                guard keywordSlot >= 0 else { return nil }
                t.slot = keywordSlot
                return field(t)
            case .and(let items): return best(items.map(search))
            case .or(let items): return union(items.map(search))
            }
        }
        func cond(_ c: Condition) -> [(slot: Int, literal: [UInt8])]? {
            switch c {
            case .search(let i): return search(d.searches[i])
            case .and(let items): return best(items.map(cond))
            case .or(let items): return union(items.map(cond))
            case .not, .constant: return nil
            case .atLeast(let n, let ids): return n >= 1 ? union(ids.map { search(d.searches[$0]) }) : nil
            case .all(let ids): return best(ids.map { search(d.searches[$0]) })
            }
        }
        return cond(d.condition)
    }

    /// Up to two requirements from different operands of the detection's top-level `and` (the best two
    /// by ``score(_:)``): the detection can only match when a literal of each occurs. `[]` when no
    /// requirement can be derived.
    static func requirements(_ d: Detection, keywordSlot: Int = -1) -> [[(slot: Int, literal: [UInt8])]] {
        var operands: [[(slot: Int, literal: [UInt8])]] = []
        func search(_ s: SearchExpression) {
            if case .and(let items) = s {
                for i in items { search(i) }
            } else if let r = requirement(Detection(names: [""], searches: [s], condition: .search(0)), keywordSlot: keywordSlot) {
                operands.append(r)
            }
        }
        func cond(_ c: Condition) {
            switch c {
            case .and(let items): for i in items { cond(i) }
            case .all(let ids): for i in ids { search(d.searches[i]) }
            case .search(let i): search(d.searches[i])
            default:
                if let r = requirement(Detection(names: d.names, searches: d.searches, condition: c), keywordSlot: keywordSlot) {
                    operands.append(r)
                }
            }
        }
        cond(d.condition)
        var chosen: [[(slot: Int, literal: [UInt8])]] = []
        for _ in 0..<2 {
            guard let i = operands.indices.max(by: { score(operands[$0]) < score(operands[$1]) }) else { break }
            chosen.append(operands.remove(at: i))
        }
        return chosen
    }

    /// How selective a requirement is: its shortest literal (capped), then fewer fields, then fewer literals.
    static func score(_ r: [(slot: Int, literal: [UInt8])]) -> (Int, Int, Int) {
        (min(r.map(\.literal.count).min() ?? 0, 12), -Set(r.map(\.slot)).count, -r.count)
    }

    static func field(_ t: FieldTest) -> [(slot: Int, literal: [UInt8])]? {
        // Event ids select units through the index (``eventIDs(_:)``), not through literals.
        guard !t.negated, t.slot >= 0, eventIDs(t) == nil else { return nil }
        func literals(_ m: ValueMatcher) -> [[UInt8]]? {
            switch m {
            case .string(let p):
                // A case-insensitive pattern's literal is folded like the text it is matched against, so it
                // occurs in the folded text whenever the pattern matches. A case-sensitive literal folds
                // byte by byte only when it is ASCII.
                let l = p.requiredLiteral
                guard !l.isEmpty, !p.caseSensitive || l.allSatisfy({ $0 < 0x80 }) else { return nil }
                return [p.caseSensitive ? CaseFolding.fold(l) : l]
            case .regex(let r):
                // One literal per alternative of the expression, ASCII and folded.
                return r.requiredLiterals
            default:
                return nil
            }
        }
        if t.requireAll {
            var bestGroup: [[UInt8]]?
            for g in t.groups {
                var lits: [[UInt8]] = []
                for m in t.matchers[g] {
                    guard let l = literals(m) else { lits = []; break }
                    lits += l
                }
                if lits.isEmpty { continue }
                if bestGroup == nil || (lits.map(\.count).min() ?? 0) > (bestGroup!.map(\.count).min() ?? 0) {
                    bestGroup = lits
                }
            }
            return bestGroup.map { $0.map { (t.slot, $0) } }
        }
        var out: [(slot: Int, literal: [UInt8])] = []
        for m in t.matchers {
            guard let l = literals(m) else { return nil }
            out += l.map { (t.slot, $0) }
        }
        return out.isEmpty ? nil : out
    }

    // MARK: - Event ids

    /// The event ids a detection requires (its `EventID` tests), or `nil` when it accepts any event id.
    ///
    /// A necessary condition like ``requirement(_:keywordSlot:)``: `and` intersects, `or` unites (every
    /// branch must constrain the id), `not` constrains nothing.
    static func eventIDs(_ d: Detection) -> Set<Int>? {
        func all(_ sets: [Set<Int>?]) -> Set<Int>? {
            var out: Set<Int>?
            for case let s? in sets { out = out.map { $0.intersection(s) } ?? s }
            return out
        }
        func any(_ sets: [Set<Int>?]) -> Set<Int>? {
            var out = Set<Int>()
            for s in sets {
                guard let s else { return nil }
                out.formUnion(s)
            }
            return sets.isEmpty ? nil : out
        }
        func search(_ s: SearchExpression) -> Set<Int>? {
            switch s {
            case .field(let t): return eventIDs(t)
            case .keywords: return nil
            case .and(let items): return all(items.map(search))
            case .or(let items): return any(items.map(search))
            }
        }
        func cond(_ c: Condition) -> Set<Int>? {
            switch c {
            case .search(let i): return search(d.searches[i])
            case .and(let items): return all(items.map(cond))
            case .or(let items): return any(items.map(cond))
            case .not, .constant: return nil
            case .atLeast(let n, let ids): return n >= 1 ? any(ids.map { search(d.searches[$0]) }) : nil
            case .all(let ids): return all(ids.map { search(d.searches[$0]) })
            }
        }
        return cond(d.condition)
    }

    /// The ids an `EventID` test accepts when every value is a plain decimal number (exact match).
    static func eventIDs(_ t: FieldTest) -> Set<Int>? {
        guard t.field == "EventID", !t.negated, !t.matchers.isEmpty else { return nil }
        var out = Set<Int>()
        for m in t.matchers {
            guard case .string(let p) = m, p.kind == 0, (1...9).contains(p.literal.count),
                p.literal.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            out.insert(p.literal.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        return out
    }

    static func best(_ options: [[(slot: Int, literal: [UInt8])]?]) -> [(slot: Int, literal: [UInt8])]? {
        var chosen: [(slot: Int, literal: [UInt8])]?
        // The rarest requirement wins: longer literals occur in fewer events (`\cmd.exe` in many,
        // `\edr-freeze` in few), whatever the number of alternatives; then fewer fields to scan.
        for case let o? in options {
            if chosen == nil || score(o) > score(chosen!) { chosen = o }
        }
        return chosen
    }

    static func union(_ options: [[(slot: Int, literal: [UInt8])]?]) -> [(slot: Int, literal: [UInt8])]? {
        var out: [(slot: Int, literal: [UInt8])] = []
        for o in options {
            guard let o else { return nil }
            out += o
        }
        return out.isEmpty ? nil : out
    }
}
