import CEVTXSupport
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

/// Finds which of many literals occur in a text, for one field slot's prefilter: the literals' keys (as
/// ``AhoCorasick/key(_:)`` cuts them) are found exactly, as the automaton finds them, but with tables that
/// stay in the first-level cache whatever the number of literals.
///
/// Each key of four bytes or more is anchored on one of its 4-byte substrings, the one fewest keys share
/// (`.exe` and `powe` are in hundreds of keys, so they are rarely anchors); shorter keys are their own
/// anchors. A scan looks up every 1-, 2-, 3- and 4-byte window of the text in a bit set per window length
/// (the 2- and 3-byte ones only where the first two bytes begin such an anchor, ``shortPrefixes``), and
/// only where a bit is set looks the window up in the anchor table and compares the keys anchored there.
/// Keys that folded text may hold in another form (``foldsInContext(_:)``) go to an ``AhoCorasick``
/// automaton (which treats every byte above 0x7F alike).
///
/// The text must be case-folded (``CaseFolding/fold(_:)``): keys are lower-cased ASCII.
final class LiteralScanner: @unchecked Sendable {
    // Sendable: immutable after init.

    /// The patterns, as given (to check that a copy of a rule set may share this scanner).
    let patterns: [[UInt8]]
    /// Keys with bytes above 0x7F: their automaton, and their pattern ids.
    let fallback: AhoCorasick?
    let fallbackIDs: [Int32]
    /// Per anchor length 1...4 (index 0...3): a bit set of the anchors' hashes (at ``bitStarts`` in
    /// ``bits``), and its hash shift.
    let bits: UnsafeMutablePointer<UInt64>
    let bitStarts: (Int, Int, Int, Int)
    let shifts: [UInt32]
    /// Anchor lengths present (bit `n - 1` for length `n`).
    let lengths: UInt8
    /// Per 2-byte window (a direct index, 8 KB): whether it is a 2-byte anchor or begins a 3-byte one. One
    /// test here stands for both lengths' tests at each place of the text (the 3-byte one hashes).
    let shortPrefixes: UnsafeMutablePointer<UInt64>
    /// Open-addressing table of anchors (`length << 32 | bytes`, 0 for an empty slot), with each anchor's
    /// range in ``entries``.
    let tableKeys: UnsafeMutablePointer<UInt64>
    let tableStarts: UnsafeMutablePointer<Int32>
    let tableMask: Int
    /// Per anchored key: its pattern id and the anchor's offset in the key (`id << 32 | offset`), each
    /// anchor's run ended by -1.
    let entries: UnsafeMutablePointer<Int64>
    /// Keys by pattern id, flat.
    let keyBytes: UnsafeMutablePointer<UInt8>
    let keyStarts: UnsafeMutablePointer<Int32>
    /// The tables are read through pointers: a scan touches no reference counts.
    private let storage: [UnsafeMutableRawPointer]
    /// For text still in UTF-16LE: a filter on the keys' anchors (when every key is ASCII, at least four
    /// bytes long).
    let utf16: UTF16Filter?

    deinit {
        for p in storage { p.deallocate() }
    }

    /// A copy of `array` that this scanner owns.
    static func own<T>(_ array: [T], _ storage: inout [UnsafeMutableRawPointer]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, array.count))
        _ = UnsafeMutableBufferPointer(start: p, count: array.count).initialize(from: array)
        storage.append(UnsafeMutableRawPointer(p))
        return p
    }

    static let multiplier: UInt32 = 0x9E37_79B1

    /// Whether folded text may hold `key` in another form than the key folded alone: a Greek sigma, the
    /// one letter whose lower case depends on its neighbours (or a key cut inside a character). Such keys
    /// go to the automaton, which matches any byte above 0x7F with any other.
    static func foldsInContext(_ key: [UInt8]) -> Bool {
        guard key.contains(where: { $0 >= 0x80 }) else { return false }
        if key[0] & 0xC0 == 0x80 { return true }
        for i in 0..<(key.count - 1) where key[i] == 0xCF && (key[i + 1] == 0x82 || key[i + 1] == 0x83) { return true }
        return false
    }

    @inline(__always)
    static func hash(_ gram: UInt32, shift: UInt32) -> Int {
        // Shifts are 13...24 (see `init`): a masking shift, without the checks of `>>` for 32 and more.
        Int((gram &* multiplier) &>> shift)
    }

    @inline(__always)
    static func slot(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    init(patterns: [[UInt8]]) {
        self.patterns = patterns
        var keys: [[UInt8]] = []
        var fallbackPatterns: [[UInt8]] = []
        var fallbackIDs: [Int32] = []
        var keyBytes: [UInt8] = []
        var keyStarts: [Int32] = [0]
        for (id, p) in patterns.enumerated() {
            var key = AhoCorasick.key(p).map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }
            // A long pattern's key (its last bytes) cut inside a character starts at the next character
            // instead: still a part of the pattern, and then found exactly, not by the automaton (whose
            // scan of every value of the field cost as much as the tables' for `CommandLine`).
            var cut = 0
            while cut < key.count && cut < 3 && key[cut] & 0xC0 == 0x80 { cut += 1 }
            if cut > 0 && cut < key.count { key.removeFirst(cut) }
            if key.isEmpty || LiteralScanner.foldsInContext(key) {
                fallbackPatterns.append(p)
                fallbackIDs.append(Int32(id))
                keys.append([])
            } else {
                keys.append(key)
            }
            keyBytes += keys[id]
            keyStarts.append(Int32(keyBytes.count))
        }
        var storage: [UnsafeMutableRawPointer] = []
        self.keyBytes = LiteralScanner.own(keyBytes, &storage)
        self.keyStarts = LiteralScanner.own(keyStarts, &storage)
        self.fallbackIDs = fallbackIDs
        fallback = fallbackPatterns.isEmpty ? nil : AhoCorasick(patterns: fallbackPatterns)
        @inline(__always) func gram(_ k: [UInt8], _ at: Int, _ n: Int) -> UInt32 {
            var g: UInt32 = 0
            for j in 0..<n { g |= UInt32(k[at + j]) << (8 * UInt32(j)) }
            return g
        }
        // How many keys hold each 4-byte string: the rarest one of a key is its anchor.
        var shared: [UInt32: Int] = [:]
        for k in keys where k.count >= 4 {
            var seen = Set<UInt32>()
            for at in 0...(k.count - 4) where seen.insert(gram(k, at, 4)).inserted { shared[gram(k, at, 4), default: 0] += 1 }
        }
        var anchors: [UInt64: [Int64]] = [:]
        var order: [UInt64] = []
        for (id, k) in keys.enumerated() where !k.isEmpty {
            let length = min(4, k.count)
            var best = 0
            if k.count > 4 {
                for at in 1...(k.count - 4) where shared[gram(k, at, 4)]! < shared[gram(k, best, 4)]! { best = at }
            }
            let anchor = UInt64(length) << 32 | UInt64(gram(k, best, length))
            if anchors[anchor] == nil { order.append(anchor) }
            anchors[anchor, default: []].append(Int64(id) << 32 | Int64(best))
        }
        var perLength = [Int](repeating: 0, count: 4)
        for a in order { perLength[Int(a >> 32) - 1] += 1 }
        var bits: [[UInt64]] = []
        var shifts: [UInt32] = []
        var lengths: UInt8 = 0
        for n in 0..<4 {
            // About 16 bits per anchor, so few windows pass the bit test by chance.
            var log2 = 10
            while log2 < 19 && (1 << log2) < perLength[n] * 16 { log2 += 1 }
            if n == 1 { log2 = 16 }  // two bytes index the set directly
            if n == 0 { log2 = 8 }
            bits.append([UInt64](repeating: 0, count: (1 << log2) / 64))
            shifts.append(UInt32(32 - log2))
            if perLength[n] > 0 { lengths |= 1 << UInt8(n) }
        }
        var size = 16
        while size < order.count * 2 { size <<= 1 }
        var tableKeys = [UInt64](repeating: 0, count: size)
        var tableStarts = [Int32](repeating: 0, count: size)
        var entries: [Int64] = []
        for a in order {
            let n = Int(a >> 32) - 1
            let g = UInt32(truncatingIfNeeded: a)
            let h = LiteralScanner.index(g, length: n + 1, shift: shifts[n])
            bits[n][h >> 6] |= 1 << UInt64(h & 63)
            var s = LiteralScanner.slot(a, mask: size - 1)
            while tableKeys[s] != 0 { s = (s + 1) & (size - 1) }
            tableKeys[s] = a
            tableStarts[s] = Int32(entries.count)
            entries += anchors[a]!
            // Each anchor's entries end where the next one's start: a terminator keeps them apart.
            entries.append(-1)
        }
        var prefixes = [UInt64](repeating: 0, count: (1 << 16) / 64)
        for a in order where a >> 32 == 2 || a >> 32 == 3 {
            let w = Int(a & 0xFFFF)
            prefixes[w >> 6] |= 1 << UInt64(w & 63)
        }
        shortPrefixes = LiteralScanner.own(prefixes, &storage)
        let flat = bits[0] + bits[1] + bits[2] + bits[3]
        self.bits = LiteralScanner.own(flat, &storage)
        bitStarts = (0, bits[0].count, bits[0].count + bits[1].count, bits[0].count + bits[1].count + bits[2].count)
        self.shifts = shifts
        self.lengths = lengths
        self.tableKeys = LiteralScanner.own(tableKeys, &storage)
        self.tableStarts = LiteralScanner.own(tableStarts, &storage)
        self.tableMask = size - 1
        self.entries = LiteralScanner.own(entries, &storage)
        if fallbackPatterns.isEmpty && !keys.isEmpty && keys.allSatisfy({ $0.count >= 4 && $0.allSatisfy { $0 < 0x80 } }) {
            utf16 = UTF16Filter(keys.map { Array($0.prefix(4)) }, &storage)
        } else {
            utf16 = nil
        }
        self.storage = storage
    }

    /// The bit of a window of `length` bytes (`gram`, little-endian) in its set.
    @inline(__always)
    static func index(_ gram: UInt32, length: Int, shift: UInt32) -> Int {
        switch length {
        case 1, 2: return Int(gram)
        default: return hash(gram, shift: shift)
        }
    }

    /// Calls `found` with the id of every pattern whose key occurs in `text` (possibly more than once).
    ///
    /// `text` is case-folded.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ found: (Int32) -> Void) {
        if let fallback {
            fallbackIDs.withUnsafeBufferPointer { ids in fallback.scan(text) { found(ids[Int($0)]) } }
        }
        guard lengths != 0, let base = text.baseAddress, text.count > 0 else { return }
        run(base, text.count, bits + bitStarts.0, bits + bitStarts.1, bits + bitStarts.2, bits + bitStarts.3, found)
    }

    @inline(__always)
    private func run(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ b1: UnsafeMutablePointer<UInt64>, _ b2: UnsafeMutablePointer<UInt64>,
        _ b3: UnsafeMutablePointer<UInt64>, _ b4: UnsafeMutablePointer<UInt64>, _ found: (Int32) -> Void
    ) {
        @inline(__always) func test(_ b: UnsafeMutablePointer<UInt64>, _ h: Int) -> Bool {
            b[h &>> 6] & (1 &<< UInt64(h & 63)) != 0
        }
        let raw = UnsafeRawPointer(p)
        let s4 = shifts[3]
        if lengths == 8 {
            // Only 4-byte anchors (most fields): one test per place.
            var i = 0
            while i &+ 4 <= n {
                let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                if test(b4, LiteralScanner.hash(w, shift: s4)) { verify(4, w, at: i, p, n, found) }
                i &+= 1
            }
            return
        }
        let s3 = shifts[2]
        let has1 = lengths & 1 != 0
        let has2 = lengths & 2 != 0
        let has3 = lengths & 4 != 0
        let has4 = lengths & 8 != 0
        let has23 = lengths & 6 != 0
        let prefixes = shortPrefixes
        // A key shorter than four bytes is its own anchor: once its window has been looked up, the same
        // window later in the text finds nothing new. Such windows are remembered (one-byte ones in a copy
        // of their bit set, the others in a short list).
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4) { local1 in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { seen in
                let one = local1.baseAddress!
                for k in 0..<4 { one[k] = b1[k] }
                var seenCount = 0
                @inline(__always) func firstTime(_ window: UInt32) -> Bool {
                    for k in 0..<seenCount where seen[k] == window { return false }
                    if seenCount < 16 {
                        seen[seenCount] = window
                        seenCount &+= 1
                    }
                    return true
                }
                // The 2- and 3-byte windows at `i`, once ``shortPrefixes`` has passed the first two bytes.
                @inline(never) func short23(_ w: UInt32, _ left: Int, _ i: Int) {
                    if has2 && test(b2, Int(w & 0xFFFF)) && firstTime(2 << 24 | w & 0xFFFF) {
                        verify(2, w & 0xFFFF, at: i, p, n, found)
                    }
                    if has3 && left > 2 && test(b3, LiteralScanner.hash(w & 0xFF_FFFF, shift: s3))
                        && firstTime(3 << 24 | w & 0xFF_FFFF)
                    {
                        verify(3, w & 0xFF_FFFF, at: i, p, n, found)
                    }
                }
                @inline(__always) func short(_ w: UInt32, _ left: Int, _ i: Int) {
                    if has1 && test(one, Int(w & 0xFF)) {
                        one[Int(w & 0xFF) &>> 6] &= ~(1 &<< UInt64(w & 63))
                        verify(1, w & 0xFF, at: i, p, n, found)
                    }
                    if has23 && left > 1 && test(prefixes, Int(w & 0xFFFF)) { short23(w, left, i) }
                }
                var i = 0
                // Windows of four bytes (and the shorter ones starting at the same place).
                while i &+ 4 <= n {
                    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                    if has4 && test(b4, LiteralScanner.hash(w, shift: s4)) { verify(4, w, at: i, p, n, found) }
                    short(w, 4, i)
                    i &+= 1
                }
                // The last windows, shorter than four bytes.
                while i < n {
                    let left = n &- i
                    var w = UInt32(p[i])
                    if left > 1 { w |= UInt32(p[i &+ 1]) << 8 }
                    if left > 2 { w |= UInt32(p[i &+ 2]) << 16 }
                    short(w, left, i)
                    i &+= 1
                }
            }
        }
    }

    /// The keys anchored on window `gram` (`length` bytes at `i`) that occur where the anchor puts them.
    @inline(never)
    private func verify(
        _ length: UInt64, _ gram: UInt32, at i: Int, _ p: UnsafePointer<UInt8>, _ n: Int, _ found: (Int32) -> Void
    ) {
        let key = length << 32 | UInt64(gram)
        var s = LiteralScanner.slot(key, mask: tableMask)
        while tableKeys[s] != key {
            if tableKeys[s] == 0 { return }
            s = (s &+ 1) & tableMask
        }
        var e = Int(tableStarts[s])
        while entries[e] >= 0 {
            let id = Int(entries[e] >> 32)
            let start = i &- Int(entries[e] & 0xFFFF_FFFF)
            e &+= 1
            let k0 = Int(keyStarts[id])
            let count = Int(keyStarts[id &+ 1]) &- k0
            if start < 0 || start &+ count > n { continue }
            if count > Int(length) && !bytesEqual(p + start, keyBytes + k0, count) { continue }
            found(Int32(id))
        }
    }
}

/// Tells whether UTF-16LE text may hold one of a set of ASCII keys (each at least four characters long),
/// without decoding it: each key's first four characters are an anchor, and every four-character window
/// of the text is looked up among the anchors, its letters folded by setting bit 0x20 (a folding that
/// maps both cases of a letter alike, and some other characters together: a necessary condition). Text
/// with a character above 0x7F (whose case folding may produce ASCII) always may.
struct UTF16Filter {
    let bits: UnsafeMutablePointer<UInt64>
    let shift: UInt64
    /// The anchors (folded windows), open addressing; 0 for an empty slot.
    let anchors: UnsafeMutablePointer<UInt64>
    let mask: Int

    static let fold: UInt64 = 0x0020_0020_0020_0020

    init(_ windows: [[UInt8]], _ storage: inout [UnsafeMutableRawPointer]) {
        var values = Set<UInt64>()
        for w in windows {
            var v: UInt64 = 0
            for (k, b) in w.enumerated() { v |= UInt64(b | 0x20) << (16 * UInt64(k)) }
            values.insert(v)
        }
        var log2 = 10
        while log2 < 16 && (1 << log2) < values.count * 64 { log2 += 1 }
        shift = UInt64(64 - log2)
        var bits = [UInt64](repeating: 0, count: (1 << log2) / 64)
        var size = 16
        while size < values.count * 2 { size <<= 1 }
        var table = [UInt64](repeating: 0, count: size)
        for v in values.sorted() {
            let h = UTF16Filter.hash(v, shift: shift)
            bits[h >> 6] |= 1 << UInt64(h & 63)
            var s = UTF16Filter.hash(v, shift: 40) & (size - 1)
            while table[s] != 0 { s = (s + 1) & (size - 1) }
            table[s] = v
        }
        self.bits = LiteralScanner.own(bits, &storage)
        anchors = LiteralScanner.own(table, &storage)
        mask = size - 1
    }

    @inline(__always)
    static func hash(_ v: UInt64, shift: UInt64) -> Int {
        // `shift` is below 64 (see `init`): a masking shift.
        Int(truncatingIfNeeded: (v &* 0x9E37_79B9_7F4A_7C15) &>> shift)
    }

    /// Whether `text` (UTF-16LE) may hold a key: false only when it certainly holds none.
    @inline(__always)
    func mayContain(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let base = text.baseAddress else { return false }
        let units = text.count / 2
        var j = 0
        while j &+ 4 <= units {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 2 &* j, as: UInt64.self))
            if w & 0xFF80_FF80_FF80_FF80 != 0 { return true }
            if holds(w | UTF16Filter.fold) { return true }
            j &+= 1
        }
        while j < units {
            if base.loadUnaligned(fromByteOffset: 2 &* j, as: UInt16.self) >= 0x80 { return true }
            j &+= 1
        }
        return false
    }

    /// Whether the folded window `v` is one of the set's.
    @inline(__always)
    func holds(_ v: UInt64) -> Bool {
        let h = UTF16Filter.hash(v, shift: shift)
        return bits[h &>> 6] & (1 &<< UInt64(h & 63)) != 0 && isAnchor(v)
    }

    func isAnchor(_ v: UInt64) -> Bool {
        var s = UTF16Filter.hash(v, shift: 40) & mask
        while anchors[s] != 0 {
            if anchors[s] == v { return true }
            s = (s &+ 1) & mask
        }
        return false
    }
}

/// A cheaper keyword filter for the keys of the keyword rules that apply to one channel, when they are all
/// ASCII and at least 7 bytes long: UTF-16 text (ASCII-folded like ``UTF16Filter``) is tested only at every
/// `stride`-th 4-unit window, where `stride` is the shortest key's length less 3. A key of L ≥ stride + 3
/// units covers L − 3 consecutive window starts, one of which is a multiple of the stride, and every 4-unit
/// window of every key is in the set: an ASCII text holding a key (in any ASCII case) always passes. Text
/// with a unit above 0x7F always passes (case folding can turn such a character into ASCII ones), found
/// four units at a time (`sightline_utf16_is_ascii`). For `win_alert_mimikatz_keywords`, the keyword rule every Windows event gets,
/// the stride is 6.
///
/// A value of plain pointers (no reference counting where it is used, once per text value); the memory is
/// owned by a ``PrefilterMemory`` that its creator keeps.
struct StridedUTF16Filter: @unchecked Sendable {
    // Sendable: immutable after init.
    let stride: Int
    /// The shortest key, in units: shorter ASCII text holds no key.
    let shortest: Int
    /// Every 4-character window of every key.
    let windows: UTF16Filter

    /// `nil` when a key is not ASCII or shorter than 7 bytes (the stride would not pay), or there is none.
    init?(keys: [[UInt8]], memory: PrefilterMemory) {
        guard let shortest = keys.map(\.count).min(), shortest >= 7,
            keys.allSatisfy({ $0.allSatisfy { $0 > 0 && $0 < 0x80 } })
        else { return nil }
        self.shortest = shortest
        stride = shortest - 3
        windows = UTF16Filter(keys.flatMap { k in (0...(k.count - 4)).map { Array(k[$0..<($0 + 4)]) } }, &memory.storage)
    }

    /// Whether `text` (UTF-16LE) may hold a key: false only when it certainly holds none.
    @inline(__always)
    func mayContain(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let base = text.baseAddress else { return false }
        let units = text.count / 2
        let ascii = sightline_utf16_is_ascii(base.assumingMemoryBound(to: UInt8.self), units) != 0
        if !ascii { return true }
        if units < shortest { return false }
        var j = 0
        let last = units &- 4
        while j <= last {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 2 &* j, as: UInt64.self))
            if windows.holds(w | UTF16Filter.fold) { return true }
            j &+= stride
        }
        return false
    }
}

/// Memory that prefilter values (``StridedUTF16Filter``) point into, freed with this object.
final class PrefilterMemory: @unchecked Sendable {
    // Sendable: written only while its owner is being built.
    var storage: [UnsafeMutableRawPointer] = []
    deinit { for p in storage { p.deallocate() } }
}
