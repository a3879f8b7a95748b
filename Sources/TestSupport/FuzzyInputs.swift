import JSON

/// The corpus's deterministic inputs for fuzzy-hash vectors (`../shared/corpus/fuzzy_inputs.py`): each
/// input is a small recipe that regenerates its bytes. The kinds built here are `random`, `constant`,
/// `periodic`, `alphabet` and `mutate`; the others (`text`, `splice`, `concat`, `pelike`) are skipped.
public enum FuzzyInputs {
    struct Recipe {
        var kind: String
        var seed: UInt64 = 0
        var length = 0
        var byte = 0
        var period = 0
        var size = 0
        var count = 0
        var base = ""
        init(kind: String) { self.kind = kind }
    }

    /// Draws as the generator defines them, from SplitMix64 (``SeededGenerator``): `below(n)` is
    /// `next() % n` (bias intended), bytes are each draw's 8 bytes little-endian.
    struct Draws {
        var r: SeededGenerator
        init(_ seed: UInt64) { r = SeededGenerator(seed: seed) }
        mutating func next() -> UInt64 { r.next() }
        mutating func below(_ n: Int) -> Int { Int(r.next() % UInt64(n)) }
        mutating func bytes(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(n + 8)
            while out.count < n {
                let z = r.next()
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: z >> (8 * UInt64(k)))) }
            }
            return Array(out.prefix(n))
        }
    }

    /// The inputs of a vectors file (`tlsh/vectors.json`, `ssdeep/vectors.json`) whose recipes are built
    /// here, in file order: id, bytes, and the reference digest under `key`.
    public static func inputs(of vectors: JSONValue, digest key: String) -> [(id: String, bytes: [UInt8], expected: String)] {
        var built: [String: [UInt8]] = [:]
        var out: [(id: String, bytes: [UInt8], expected: String)] = []
        for input in vectors["inputs"]?.arrayValue ?? [] {
            guard let id = input["id"]?.stringValue, let r = input["recipe"], let expected = input[key]?.stringValue,
                let kind = r["kind"]?.stringValue
            else { continue }
            var recipe = Recipe(kind: kind)
            recipe.seed = UInt64(r["seed"]?.intValue ?? 0)
            recipe.length = Int(r["length"]?.intValue ?? 0)
            recipe.byte = Int(r["byte"]?.intValue ?? 0)
            recipe.period = Int(r["period"]?.intValue ?? 0)
            recipe.size = Int(r["size"]?.intValue ?? 0)
            recipe.count = Int(r["count"]?.intValue ?? 0)
            recipe.base = r["base"]?.stringValue ?? ""
            guard let bytes = build(recipe, built: built) else { continue }
            built[id] = bytes
            out.append((id, bytes, expected))
        }
        return out
    }

    /// The bytes of `recipe`, given the inputs built before it (by id), or `nil` for a kind not built here.
    static func build(_ recipe: Recipe, built: [String: [UInt8]]) -> [UInt8]? {
        switch recipe.kind {
        case "random":
            var r = Draws(recipe.seed)
            return r.bytes(recipe.length)
        case "constant":
            return Array(repeating: UInt8(truncatingIfNeeded: recipe.byte), count: recipe.length)
        case "periodic":
            var r = Draws(recipe.seed)
            let p = r.bytes(recipe.period)
            guard !p.isEmpty else { return [] }
            return (0..<recipe.length).map { p[$0 % p.count] }
        case "alphabet":
            var r = Draws(recipe.seed)
            return (0..<recipe.length).map { _ in UInt8(0x41 + r.below(recipe.size)) }
        case "mutate":
            guard var d = built[recipe.base] else { return nil }
            var r = Draws(recipe.seed)
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
