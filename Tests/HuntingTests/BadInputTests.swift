import Hunting
import Sigma
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Damaged and unreadable inputs are counted and reported; the hunt goes on (corpus-gated).
@Suite struct BadInputTests {
    static func copy(_ from: String, to: String, bytes limit: Int, corruptAt: Int? = nil) {
        let src = open(from, O_RDONLY)
        defer { close(src) }
        var buf = [UInt8](repeating: 0, count: limit)
        let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, limit) }
        if n > 0 {
            var data = Array(buf[0..<n])
            if let at = corruptAt, at + 64 < data.count { for i in at..<(at + 64) { data[i] = 0xA5 } }
            let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            data.withUnsafeBytes { _ = write(dst, $0.baseAddress, $0.count) }
            close(dst)
        }
    }

    @Test func damagedFilesAreCountedAndTheHuntGoesOn() async throws {
        guard let root = Support.corpus("evtx/EVTX-ATTACK-SAMPLES") else { return }
        let files = Support.find("UACME_59_Sysmon.evtx", under: root)
        guard let good = files.first else {
            print("skipping: UACME_59_Sysmon.evtx not in the corpus")
            return
        }
        let dir = Support.temporaryDirectory()
        Self.copy(good, to: dir + "/a-intact.evtx", bytes: 1 << 30)
        Self.copy(good, to: dir + "/b-truncated.evtx", bytes: 4096 + 30000)
        Self.copy(good, to: dir + "/c-corrupt.evtx", bytes: 1 << 30, corruptAt: 4096 + 512 + 100)
        Support.write(dir + "/d-empty.evtx", "")
        let c = RuleLoader.load(text: """
            title: any sysmon process
            id: any-1
            logsource: {product: windows, category: process_creation}
            detection:
                sel: {Image|contains: '\\\\'}
                condition: sel
            ---
            title: broken
            detection: {condition: nothing}
            """)
        #expect(c.failures.count == 1)
        let intact = await Hunter(ruleSet: RuleSet(rules: c.rules)).hunt(paths: [dir + "/a-intact.evtx"], threads: 1)
        let all = await Hunter(ruleSet: RuleSet(rules: c.rules)).hunt(paths: [dir], threads: 2)
        #expect(intact.events > 0)
        #expect(intact.skippedRecords == 0)
        // The truncated and corrupted copies lose records, which are counted and located.
        #expect(all.skippedRecords > 0)
        #expect(all.problems.contains { $0.contains("b-truncated.evtx") })
        #expect(all.problems.contains { $0.contains("c-corrupt.evtx") })
        #expect(all.skippedFiles.map(\.path) == [dir + "/d-empty.evtx"])
        #expect(all.files.count == 3)
        #expect(all.events > intact.events)
        #expect(all.events < 3 * intact.events)
    }
}
