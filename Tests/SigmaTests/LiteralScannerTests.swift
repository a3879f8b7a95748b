import TestSupport
import Testing

@testable import Sigma

/// The literal scanner finds exactly the keys (the last 24 bytes of each literal) that occur in a folded
/// text, like a plain search; the UTF-16 filter never rules out a text that holds a key.
@Suite struct LiteralScannerTests {
    static let literals: [String] = [
        "a", "-e", " /c", "\\", ".exe", "powershell", "\\powershell.exe", "cmd.exe /c", "mimikatz",
        "sekurlsa::", "–enc", "\u{2014}e ", "σ", "é", "ab", "abc", "abcd", "abcde", "bcdef",
        String(repeating: "x", count: 30) + "tail-of-a-long-literal",
    ]

    static func keys(_ literals: [[UInt8]]) -> [[UInt8]] { literals.map { Array(AhoCorasick.key($0)) } }

    static func naive(_ keys: [[UInt8]], _ text: [UInt8]) -> Set<Int32> {
        var out = Set<Int32>()
        for (id, k) in keys.enumerated() where !k.isEmpty && k.count <= text.count {
            for i in 0...(text.count - k.count) where Array(text[i..<(i + k.count)]) == k {
                out.insert(Int32(id))
                break
            }
        }
        return out
    }

    @Test(arguments: [
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -enc AAAA",
        "cmd.exe /c whoami", "x", "", "abcdef", "privilege::debug sekurlsa::logonpasswords mimikatz",
        "a–enc b—e c", "ΣΑΣ σ", "Éé", String(repeating: "x", count: 40) + "tail-of-a-long-literal!",
        "\\\\\\\\ab", "zzzz",
    ])
    func findsWhatAPlainSearchFinds(_ text: String) {
        let literals = LiteralScannerTests.literals.map { CaseFolding.fold(Array($0.utf8)) }
        let scanner = LiteralScanner(patterns: literals)
        let folded = CaseFolding.fold(Array(text.utf8))
        var found = Set<Int32>()
        folded.withUnsafeBufferPointer { scanner.scan($0) { found.insert($0) } }
        let expected = LiteralScannerTests.naive(LiteralScannerTests.keys(literals), folded)
        // Keys with a Greek sigma go to the automaton, which may also report texts with other non-ASCII
        // bytes there: a superset, never fewer.
        let sigma = Set(literals.indices.filter { LiteralScanner.foldsInContext(Array(AhoCorasick.key(literals[$0]))) }.map { Int32($0) })
        #expect(found.subtracting(sigma) == expected.subtracting(sigma))
        #expect(expected.isSubset(of: found))
    }

    @Test func utf16FilterKeepsTextsThatHoldAKey() {
        let literals = ["mimikatz", "sekurlsa::", "kerberos::ptt", "gentilkiwi.com", "\\mimilib.dll"].map {
            Array($0.utf8)
        }
        let scanner = LiteralScanner(patterns: literals)
        let filter = try! #require(scanner.utf16)
        func utf16(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        for text in ["run MIMIKATZ now", "SekurLSA::LogonPasswords", "C:\\x\\MimiLib.DLL", "gentilkiwi.com"] {
            #expect(utf16(text).withUnsafeBytes { filter.mayContain($0) }, "\(text)")
        }
        // No four characters of these begin a key (the anchors are the keys' first four characters).
        for text in ["C:\\Windows\\System32\\svchost.exe -k netsvcs", "mim", "", "ATK kiwi"] {
            #expect(!utf16(text).withUnsafeBytes { filter.mayContain($0) }, "\(text)")
        }
        // Any character above 0x7F may fold to ASCII (the Kelvin sign to k): such text always may.
        #expect(utf16("mimi\u{212A}atz").withUnsafeBytes { filter.mayContain($0) })
    }

    /// Random key sets (keys of 1 to 8 bytes over a small alphabet, so that 2- and 3-byte keys share their
    /// first bytes, texts hold many of them and more than 16 distinct short windows) against a plain search,
    /// with every combination of key lengths present: each takes its own path through the scan.
    @Test(arguments: [1...8, 4...8, 5...12, 1...3, 2...3, 1...1, 3...6])
    func randomKeysAgainstAPlainSearch(_ lengths: ClosedRange<Int>) {
        var rng = SeededGenerator(seed: UInt64(lengths.lowerBound * 100 + lengths.upperBound))
        let alphabet = Array("ab-c \\.e".utf8)
        func word(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet.randomElement(using: &rng)! } }
        for _ in 0..<40 {
            var keys: [[UInt8]] = []
            for _ in 0..<Int.random(in: 1...60, using: &rng) { keys.append(word(Int.random(in: lengths, using: &rng))) }
            let scanner = LiteralScanner(patterns: keys)
            for _ in 0..<25 {
                let text = word(Int.random(in: 0...90, using: &rng))
                var found = Set<Int32>()
                text.withUnsafeBufferPointer { scanner.scan($0) { found.insert($0) } }
                let expected = LiteralScannerTests.naive(LiteralScannerTests.keys(keys), text)
                #expect(found == expected, "keys \(keys.map { String(decoding: $0, as: UTF8.self) }) text \(String(decoding: text, as: UTF8.self))")
                if found != expected { return }
            }
        }
    }

    /// The inline comparison of keys and patterns agrees with `memcmp` for every length up to 40 and a
    /// difference at every place (and none).
    @Test func bytesEqualAgreesWithMemcmp() {
        var rng = SeededGenerator(seed: 7)
        for n in 0...40 {
            let a = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for at in -1..<n {
                var b = a
                if at >= 0 { b[at] ^= UInt8.random(in: 1...255, using: &rng) }
                let same = a.withUnsafeBytes { x in b.withUnsafeBytes { y in bytesEqual(x.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, y.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, n) } }
                #expect(same == (at < 0), "length \(n), difference at \(at)")
            }
        }
    }
}
