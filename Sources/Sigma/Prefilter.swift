/// A multi-pattern matcher (Aho–Corasick, compiled to a DFA over byte classes) for one field slot.
///
/// Built from the required literals of every rule that tests the field; one pass over the field's folded
/// text finds every literal present, in time linear in the text whatever the number of literals.
final class AhoCorasick: @unchecked Sendable {
    // Sendable: immutable after init.

    /// Byte → class (bytes that occur in no pattern share class 0).
    let classes: [UInt8]
    let classCount: Int
    /// state × class → next state.
    let table: [Int32]
    /// Per state, the range of `outputs` holding the pattern ids that end there (failure chain included).
    let outputStart: [Int32]
    let outputs: [Int32]
    /// The patterns, as given (to check that a copy of a rule set may share this automaton).
    let patterns: [[UInt8]]

    /// Literals longer than this are cut to their last `maxLength` bytes (still a necessary condition).
    static let maxLength = 24

    init(patterns: [[UInt8]]) {
        var cls = [UInt8](repeating: 0, count: 256)
        var nextClass = 1
        for p in patterns {
            for b in p.suffix(AhoCorasick.maxLength) where cls[Int(b)] == 0 {
                cls[Int(b)] = UInt8(nextClass)
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
            let p = full.suffix(AhoCorasick.maxLength)
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
        var starts: [Int32] = []
        starts.reserveCapacity(n + 1)
        var flat: [Int32] = []
        for o in out {
            starts.append(Int32(flat.count))
            flat += o
        }
        starts.append(Int32(flat.count))
        classes = cls
        self.patterns = patterns
        classCount = k
        table = trie
        outputStart = starts
        outputs = flat
    }

    /// Calls `found` with the id of every pattern that occurs in `text` (possibly more than once).
    ///
    /// `text` is case-folded text, or ASCII text in any case.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ found: (Int32) -> Void) {
        table.withUnsafeBufferPointer { table in
            classes.withUnsafeBufferPointer { classes in
                outputStart.withUnsafeBufferPointer { starts in
                    var s = 0
                    let k = classCount
                    for b in text {
                        s = Int(table[s &* k &+ Int(classes[Int(b)])])
                        let lo = Int(starts[s])
                        let hi = Int(starts[s &+ 1])
                        if lo != hi {
                            for i in lo..<hi { found(outputs[i]) }
                        }
                    }
                }
            }
        }
    }

    /// Memory held by the tables, in bytes.
    var byteCount: Int { table.count * 4 + outputs.count * 4 + outputStart.count * 4 + 256 }
}
