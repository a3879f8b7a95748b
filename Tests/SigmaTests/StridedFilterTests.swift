import Events
import TestSupport
import Testing

@testable import Sigma

/// The strided keyword filter never rules out a text holding a key, in any ASCII case and at any position,
/// and the rule set gives each channel the filter of the keyword rules that apply to it.
@Suite struct StridedFilterTests {
    static let keys = [
        "dpapi::masterkey", "eo.oe.kiwi", "event::clear", "kerberos::golden", "Kiwi Legit Printer", "lsadump::",
        "\\mimilib.dll", "privilege::debug", "sekurlsa::",
    ]

    static func utf16(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    @Test func keepsEveryTextThatHoldsAKey() throws {
        let memory = PrefilterMemory()
        let folded = Self.keys.map { Array($0.lowercased().utf8) }
        let filter = try #require(StridedUTF16Filter(keys: folded, memory: memory))
        #expect(filter.stride == 6)  // the shortest key, "lsadump::", is 9 characters
        var rng = SeededGenerator(seed: 42)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :.\\-_/\"'=,")
        var kept = 0
        var ruledOut = 0
        for round in 0..<20_000 {
            var text = String((0..<Int.random(in: 0...60, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            var holds = false
            if round % 2 == 0 {
                // A key in random case at a random position.
                let key = Self.keys.randomElement(using: &rng)!
                let cased = String(key.map { Bool.random(using: &rng) ? Character($0.uppercased()) : Character($0.lowercased()) })
                let at = text.index(text.startIndex, offsetBy: Int.random(in: 0...text.count, using: &rng))
                text.insert(contentsOf: cased, at: at)
                holds = true
            } else {
                let lower = text.lowercased()
                holds = Self.keys.contains { lower.contains($0.lowercased()) }
            }
            let may = Self.utf16(text).withUnsafeBytes { filter.mayContain($0) }
            if holds { #expect(may, "\(text)") }
            if holds || may { kept += 1 } else { ruledOut += 1 }
        }
        // Random text without a key is mostly ruled out.
        #expect(ruledOut > 9_000)
        #expect(kept >= 10_000)
    }

    @Test func nonASCIITextAlwaysPasses() throws {
        let memory = PrefilterMemory()
        let filter = try #require(StridedUTF16Filter(keys: [Array("sekurlsa::".utf8), Array("mimikatz".utf8)], memory: memory))
        // The Kelvin sign folds to k; short or long, text with a character above 0x7F may hold a key.
        for text in ["mimi\u{212A}atz", "\u{212A}", "é" + String(repeating: "x", count: 40), String(repeating: "y", count: 33) + "ü"] {
            #expect(Self.utf16(text).withUnsafeBytes { filter.mayContain($0) }, "\(text)")
        }
        for text in ["", "sekurls", "C:\\Windows\\System32\\svchost.exe -k netsvcs", String(repeating: "a", count: 100)] {
            #expect(!Self.utf16(text).withUnsafeBytes { filter.mayContain($0) }, "\(text)")
        }
    }

    @Test func shortOrNonASCIIKeysGetNoFilter() {
        let memory = PrefilterMemory()
        #expect(StridedUTF16Filter(keys: [Array("sekurlsa::".utf8), Array("kali".utf8)], memory: memory) == nil)
        #expect(StridedUTF16Filter(keys: [Array("sekurlsa::é".utf8)], memory: memory) == nil)
        #expect(StridedUTF16Filter(keys: [], memory: memory) == nil)
    }

    @Test func eachChannelGetsTheFilterOfItsKeywordRules() throws {
        let rules = """
            title: Everywhere
            id: 11111111-0000-0000-0000-0000000000a1
            logsource: {product: windows}
            detection:
                keywords: ['sekurlsa::', 'privilege::debug']
                condition: keywords
            ---
            title: System only
            id: 11111111-0000-0000-0000-0000000000a2
            logsource: {product: windows, service: system}
            detection:
                keywords: ['kali']
                condition: keywords
            """
        let c = RuleLoader.load(text: rules)
        #expect(c.rules.count == 2)
        let set = RuleSet(rules: c.rules)
        // Channels without a keyword rule of their own get the filter of the rule for every channel.
        let any = try #require(set.anyChannelKeywordFilter)
        #expect(any.stride == 7)
        // The System channel's keys include "kali": too short for a stride, so no strided filter there —
        // and an explicit entry, so that System events do not get the other channels' filter.
        let system = try #require(set.keywordFilters["system"])
        #expect(system == nil)
        // Matching is unchanged (events read as trees here; the corpus tests read records through layouts,
        // where the filter is used).
        func event(_ channel: String, _ text: String) -> Event {
            Support.windowsEvent(channel: channel, eventID: 1, data: [("Message", .string(text))])
        }
        #expect(set.matches(event("System", "user kali logged on")) == [1])
        #expect(set.matches(event("Security", "SEKURLSA::logonpasswords")) == [0])
        #expect(set.matches(event("Security", "kali")) == [])
    }
}
