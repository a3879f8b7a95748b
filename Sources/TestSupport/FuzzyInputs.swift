/// The corpus's deterministic inputs for fuzzy-hash vectors (`../shared/corpus/fuzzy_inputs.py`): each
/// input is a small recipe that regenerates its bytes. The kinds built here are `random`, `constant`,
/// `periodic`, `alphabet` and `mutate`; the others (`text`, `splice`, `concat`, `pelike`) are skipped.
public enum FuzzyInputs {
    public struct Recipe {
        public var kind: String
        public var seed: UInt64 = 0
        public var length = 0
        public var byte = 0
        public var period = 0
        public var size = 0
        public var count = 0
        public var base = ""
        public init(kind: String) { self.kind = kind }
    }

    /// SplitMix64, as the generator defines it (`below(n)` is `next() % n`, bias intended).
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func bytes(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(n + 8)
            while out.count < n {
                let z = next()
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: z >> (8 * UInt64(k)))) }
            }
            return Array(out.prefix(n))
        }
    }

    /// The bytes of `recipe`, given the inputs built before it (by id), or `nil` for a kind not built here.
    public static func build(_ recipe: Recipe, built: [String: [UInt8]]) -> [UInt8]? {
        switch recipe.kind {
        case "random":
            var r = SplitMix64(state: recipe.seed)
            return r.bytes(recipe.length)
        case "constant":
            return Array(repeating: UInt8(truncatingIfNeeded: recipe.byte), count: recipe.length)
        case "periodic":
            var r = SplitMix64(state: recipe.seed)
            let p = r.bytes(recipe.period)
            guard !p.isEmpty else { return [] }
            return (0..<recipe.length).map { p[$0 % p.count] }
        case "alphabet":
            var r = SplitMix64(state: recipe.seed)
            return (0..<recipe.length).map { _ in UInt8(0x41 + r.below(recipe.size)) }
        case "mutate":
            guard var d = built[recipe.base] else { return nil }
            var r = SplitMix64(state: recipe.seed)
            for _ in 0..<recipe.count {
                let pos = r.below(d.count)
                d[pos] = UInt8(truncatingIfNeeded: r.next())
            }
            return d
        default:
            return nil
        }
    }
}
