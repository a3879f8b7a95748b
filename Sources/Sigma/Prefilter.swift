/// A multi-pattern matcher (Aho–Corasick, compiled to a DFA over byte classes) for one field slot.
///
/// Built from the required literals of every rule that tests the field; one pass over the field's folded
/// text finds every literal present, in time linear in the text whatever the number of literals.
final class AhoCorasick: @unchecked Sendable {
    // Sendable: immutable after init.

    /// Byte → class (bytes that occur in no pattern share class 0, bytes above 0x7F one class).
    let classes: [UInt8]
    let classCount: Int
    /// state × class → next state, with ``outputFlag`` set when patterns end in the next state: 16 bits
    /// an entry when the states fit (the table is then half as large, and more of it stays in cache),
    /// else 32 (`table16` is then empty).
    let table16: [UInt16]
    let table32: [UInt32]
    /// Number of states.
    let stateCount: Int
    /// Bytes that leave the start state where it is (they begin no pattern): a scan in the start state
    /// runs over them without following the table.
    let rootSkips: [Bool]
    /// Per state, the range of `outputs` holding the pattern ids that end there (failure chain included).
    let outputStart: [Int32]
    let outputs: [Int32]
    /// The patterns, as given (to check that a copy of a rule set may share this automaton).
    let patterns: [[UInt8]]

    /// Literals longer than this are cut to their last `maxLength` bytes (still a necessary condition).
    static let maxLength = 24

    /// The bytes the automaton looks for in a pattern: its last ``maxLength`` bytes (any part of a
    /// literal is still a necessary condition).
    static func key(_ pattern: [UInt8]) -> ArraySlice<UInt8> {
        pattern.suffix(maxLength)
    }

    /// Whether a scan finding `pattern` means that it occurs (its key is the whole pattern).
    static func isExact(_ pattern: [UInt8]) -> Bool {
        pattern.count <= maxLength && pattern.allSatisfy { $0 < 0x80 }
    }

    init(patterns: [[UInt8]]) {
        // Every byte above 0x7F shares one class: the rows of the table stay short, and a pattern with
        // such bytes still matches every text that contains it (it is then not exact, see `isExact`).
        var cls = [UInt8](repeating: 0, count: 256)
        var nextClass = 1
        for p in patterns {
            for b in AhoCorasick.key(p) where cls[Int(b)] == 0 {
                if b >= 0x80 {
                    for h in 0x80...0xFF { cls[h] = UInt8(nextClass) }
                } else {
                    cls[Int(b)] = UInt8(nextClass)
                }
                nextClass += 1
            }
        }
        // Patterns are case-folded; upper-case ASCII shares its lower-case class, so ASCII text can be
        // scanned as it is, without folding it first.
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { cls[Int(b)] = cls[Int(b | 0x20)] }
        let k = nextClass
        // Trie with dense rows.
        var trie: [Int32] = [Int32](repeating: -1, count: k)
        var out: [[Int32]] = [[]]
        for (id, full) in patterns.enumerated() {
            let p = AhoCorasick.key(full)
            var s = 0
            for b in p {
                let c = Int(cls[Int(b)])
                if trie[s * k + c] < 0 {
                    trie[s * k + c] = Int32(out.count)
                    out.append([])
                    trie.append(contentsOf: repeatElement(-1, count: k))
                }
                s = Int(trie[s * k + c])
            }
            out[s].append(Int32(id))
        }
        // Breadth-first failure links, filling the DFA.
        let n = out.count
        var fail = [Int32](repeating: 0, count: n)
        var queue: [Int] = []
        queue.reserveCapacity(n)
        for c in 0..<k {
            if trie[c] < 0 { trie[c] = 0 } else {
                fail[Int(trie[c])] = 0
                queue.append(Int(trie[c]))
            }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            out[s] += out[Int(fail[s])]
            for c in 0..<k {
                let t = trie[s * k + c]
                if t < 0 {
                    trie[s * k + c] = trie[Int(fail[s]) * k + c]
                } else {
                    fail[Int(t)] = trie[Int(fail[s]) * k + c]
                    queue.append(Int(t))
                }
            }
        }
        // Renumber the states breadth-first: the shallow states, where a scan spends most of its time,
        // then sit together at the start of the table instead of being spread over megabytes.
        var renumbered = [Int32](repeating: 0, count: n)
        for (i, s) in queue.enumerated() { renumbered[s] = Int32(i + 1) }
        let order = [0] + queue
        var starts: [Int32] = []
        starts.reserveCapacity(n + 1)
        var flat: [Int32] = []
        for s in order {
            starts.append(Int32(flat.count))
            flat += out[s]
        }
        starts.append(Int32(flat.count))
        func entries<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> [T] {
            let flag = T(1) << (T.bitWidth - 1)
            var dense = [T](repeating: 0, count: n * k)
            for (i, s) in order.enumerated() {
                for c in 0..<k {
                    let next = Int(trie[s * k + c])
                    dense[i * k + c] = T(renumbered[next]) | (out[next].isEmpty ? 0 : flag)
                }
            }
            return dense
        }
        if n < 1 << 15 {
            table16 = entries(UInt16.self)
            table32 = []
        } else {
            table16 = []
            table32 = entries(UInt32.self)
        }
        var skip = [Bool](repeating: false, count: 256)
        for b in 0..<256 { skip[b] = trie[Int(cls[b])] == 0 }
        rootSkips = skip
        classes = cls
        self.patterns = patterns
        classCount = k
        stateCount = n
        outputStart = starts
        outputs = flat
    }

    /// Calls `found` with the id of every pattern that occurs in `text` (possibly more than once).
    ///
    /// `text` is case-folded text, or ASCII text in any case.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ found: (Int32) -> Void) {
        if table32.isEmpty {
            table16.withUnsafeBufferPointer { run($0, text, found) }
        } else {
            table32.withUnsafeBufferPointer { run($0, text, found) }
        }
    }

    @inline(__always)
    private func run<T: FixedWidthInteger & UnsignedInteger>(
        _ table: UnsafeBufferPointer<T>, _ text: UnsafeBufferPointer<UInt8>, _ found: (Int32) -> Void
    ) {
        let flag = T(1) << (T.bitWidth - 1)
        let k = classCount
        classes.withUnsafeBufferPointer { classes in
            rootSkips.withUnsafeBufferPointer { skips in
                var s = 0
                var i = 0
                let n = text.count
                while i < n {
                    if s == 0 {
                        while i < n && skips[Int(text[i])] { i &+= 1 }
                        if i == n { break }
                    }
                    let e = table[s &* k &+ Int(classes[Int(text[i])])]
                    i &+= 1
                    s = Int(e & ~flag)
                    if e & flag != 0 {
                        for j in Int(outputStart[s])..<Int(outputStart[s &+ 1]) { found(outputs[j]) }
                    }
                }
            }
        }
    }

    /// Memory held by the tables, in bytes.
    var byteCount: Int { table16.count * 2 + table32.count * 4 + outputs.count * 4 + outputStart.count * 4 + 256 }
}
