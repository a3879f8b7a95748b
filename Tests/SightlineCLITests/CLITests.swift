import Foundation
import JSON
import TestSupport
import Testing

/// Runs the built `sightline` executable as a user would.
struct CLI {
    static let binary: URL = {
        // The test bundle sits next to the executable in the build folder.
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sightline")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return Corpus.packageRoot.appendingPathComponent(".build/debug/sightline")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` (the `sightline` binary unless given) with `args`.
    static func run(
        _ args: [String], stdin: String? = nil, env: [String: String] = [:], executable: URL = binary
    ) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let input = Pipe()
            p.standardInput = input
            try p.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct IntelCLITests {
    static let bundle = #"""
        {"type": "bundle", "id": "bundle--6b1e0d3e-cbb5-4d6b-8a0e-2f2a6c6d8f01", "objects": [
        {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a",
         "created": "2017-05-31T21:32:03.807Z", "modified": "2024-01-01T00:00:00.000Z", "name": "Lazarus Group",
         "aliases": ["Lazarus Group", "HIDDEN COBRA"], "x_custom_note": {"kept": [1, 2]},
         "external_references": [{"source_name": "mitre-attack", "external_id": "G0032"}]},
        {"type": "tool", "spec_version": "2.1", "id": "tool--11111111-2222-4333-8444-555555555555", "created": "yesterday",
         "modified": "2024-01-01T00:00:00Z", "name": "broken"}
        ]}
        """#

    func tempFile(_ text: String, _ name: String) throws -> (dir: URL, path: String) {
        let dir = try Corpus.temporaryDirectory()
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return (dir, url.path)
    }

    @Test func importShowsCountsAndRejectionsAndExitsZeroWhenSomethingImported() throws {
        let (dir, path) = try tempFile(Self.bundle, "b.json")
        let db = dir.appendingPathComponent("kb.sqlite").path
        let r = try CLI.run(["intel", "import", "--db", db, "--no-builtin", path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("intrusion-set  1"))
        #expect(r.stdout.contains("tool--11111111-2222-4333-8444-555555555555: created: 'yesterday' is not a STIX timestamp"))
        let json = try CLI.run(["intel", "import", "--db", db, "--no-builtin", "--format", "json", path])
        let parsed = try JSONParser.parse(json.stdout)
        #expect(parsed.arrayValue?.first?["counts"]?["intrusion-set"]?["unchanged"] == 1)
        #expect(parsed.arrayValue?.first?["counts"]?["tool"]?["rejected"] == 1)
    }

    @Test func importOfNothingValidExitsOne() throws {
        let (dir, path) = try tempFile("{\"type\": \"bundle\", \"objects\": [{\"type\": \"tool\"}]", "bad.json")
        let r = try CLI.run(["intel", "import", "--db", dir.appendingPathComponent("kb.sqlite").path, "--no-builtin", path, "/no/such/file"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot read /no/such/file: no such file"))
        let folder = try CLI.run(["intel", "import", "--db", dir.appendingPathComponent("kb2.sqlite").path, "--no-builtin", dir.path])
        #expect(folder.stdout.contains("bad.json (STIX 2.1)"))  // a folder imports the .json files in it
        #expect(r.stdout.contains("stopped reading: malformed JSON: unexpected end of input at byte 48 (after 1 objects)"))
    }

    @Test func usageErrorsExitTwo() throws {
        let r = try CLI.run(["intel", "groups", "--format", "xml"])
        #expect(r.status == 2)
        let r2 = try CLI.run(["intel", "frobnicate"])
        #expect(r2.status == 2)
    }

    @Test func builtinKnowledgeAnswersOnAFreshStore() throws {
        let dir = try Corpus.temporaryDirectory()
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let groups = try CLI.run(["intel", "groups", "--country", "KP", "--format", "json"], env: env)
        #expect(groups.status == 0)
        let names = try JSONParser.parse(groups.stdout).arrayValue?.compactMap { $0["attack_id"]?.stringValue } ?? []
        #expect(Set(["G0032", "G0082", "G0094", "G0138", "G0067"]).isSubset(of: Set(names)))
        let show = try CLI.run(["intel", "show", "Hidden Cobra"], env: env)
        #expect(show.stdout.hasPrefix("Lazarus Group (G0032)"))
        #expect(show.stdout.contains("T1561.002"))
        #expect(show.stdout.contains("Country:     KP"))
        let tool = try CLI.run(["intel", "show", "S0041", "--format", "json"], env: env)
        #expect(try JSONParser.parse(tool.stdout)["object"]?["type"] == "malware")
        let missing = try CLI.run(["intel", "show", "No Such Actor"], env: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no actor, software, technique or object matches 'No Such Actor'"))
        let none = try CLI.run(["intel", "groups", "--no-builtin", "--db", dir.appendingPathComponent("empty.sqlite").path])
        #expect(none.stdout.contains("0 actors"))
        let envNone = try CLI.run(
            ["intel", "stats", "--db", dir.appendingPathComponent("empty2.sqlite").path], env: ["SIGHTLINE_NO_BUILTIN": "1"])
        #expect(!envNone.stdout.contains("intrusion-set"))
    }

    @Test func exportWritesABundleThatReadsBackWithCustomProperties() throws {
        let (dir, path) = try tempFile(Self.bundle, "b.json")
        let db = dir.appendingPathComponent("kb.sqlite").path
        _ = try CLI.run(["intel", "import", "--db", db, "--no-builtin", path])
        let out = dir.appendingPathComponent("out.json").path
        let r = try CLI.run(["intel", "export", "--db", db, "--no-builtin", "--type", "intrusion-set", "--out", out])
        #expect(r.status == 0)
        let bundle = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(bundle["type"] == "bundle")
        let objects = try #require(bundle["objects"]?.arrayValue)
        #expect(objects.count == 1)
        #expect(objects[0]["x_custom_note"] == ["kept": [1, 2]])
        let validate = try CLI.run(["intel", "validate", out])
        #expect(validate.status == 0)
        #expect(validate.stdout.contains("1 objects, 0 invalid, 0 errors"))
        let invalid = try CLI.run(["intel", "validate", path])
        #expect(invalid.status == 1)
    }

    /// The OASIS STIX validator (`stix2-validator`, installed by `make test`) accepts a whole-store export
    /// after importing ATT&CK Enterprise, ICS and the MISP galaxy, with zero errors.
    @Test(.enabled(if: Corpus.isPresent && Corpus.python != nil, "needs ../shared/corpus and SIGHTLINE_PYTHON with stix2-validator"))
    func oasisValidatorAcceptsWholeStoreExport() throws {
        let corpus = try #require(Corpus.folder())
        let dir = try Corpus.temporaryDirectory()
        let db = dir.appendingPathComponent("kb.sqlite").path
        let files = ["attack/enterprise-attack-18.1.json", "attack/ics-attack-18.1.json", "misp-galaxy/threat-actor.json"]
        let imported = try CLI.run(["intel", "import", "--db", db, "--no-builtin"] + files.map { corpus.appendingPathComponent($0).path })
        #expect(imported.status == 0)
        let out = dir.appendingPathComponent("export.json").path
        #expect(try CLI.run(["intel", "export", "--db", db, "--no-builtin", "--out", out]).status == 0)
        let script = """
            import sys
            from stix2validator import validate_file, ValidationOptions
            r = validate_file(sys.argv[1], ValidationOptions(version="2.1"))
            import json
            count = len(json.load(open(sys.argv[1]))["objects"])
            errors = [(o.object_id, str(e)) for o in r.object_results for e in o.errors]
            print(count, len(errors), r.fatal is not None)
            for e in errors[:10]: print(e)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Corpus.python))
        p.arguments = ["-c", script, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let first = output.split(separator: "\n").first.map { $0.split(separator: " ") } ?? []
        #expect(first.count == 3, "\(output)")
        #expect(Int(first[0]) ?? 0 > 29_000, "\(output)")
        #expect(first[1] == "0", "validator errors: \(output)")
        #expect(first[2] == "False", "\(output)")
    }
}

@Suite struct AttributeCLITests {
    static var geoip: String { Corpus.packageRoot.appendingPathComponent("Tests/GeoIPTests/Fixtures/GeoLite2-Country-Test.mmdb").path }

    @Test func evidenceFromAFileOrStandardInput() throws {
        let dir = try Corpus.temporaryDirectory()
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let example = Corpus.packageRoot.appendingPathComponent("examples/darkseoul-evidence.json").path
        let table = try CLI.run(["attribute", example, "--top", "2"], env: env)
        #expect(table.status == 0)
        #expect(table.stdout.contains("1. Lazarus Group (G0032)"))
        let json = try CLI.run(["attribute", "-", "--format", "json"], stdin: #"{"software": ["S0364"]}"#, env: env)
        #expect(json.status == 0)
        #expect(try JSONParser.parse(json.stdout)["candidates"]?.arrayValue?.first?["attack_id"] == "G0032")
        let bad = try CLI.run(["attribute", "-"], stdin: #"{"techniques": "T1059"}"#, env: env)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("-: techniques: expected a list of strings"))
    }

    /// `--geoip` locates the evidence's addresses in a MaxMind DB (here MaxMind's test database).
    @Test func geoipLocatesAddresses() throws {
        let dir = try Corpus.temporaryDirectory()
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let evidence = #"{"techniques": ["T1561.002"], "indicators": [{"type": "ipv4-addr", "value": "111.235.160.7"}, {"type": "ipv6-addr", "value": "2001:220::9"}, {"type": "ipv4-addr", "value": "203.0.113.5", "country": "KP"}]}"#
        let r = try CLI.run(["attribute", "-", "--geoip", Self.geoip, "--format", "json"], stdin: evidence, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let notes = try JSONParser.parse(r.stdout)["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(notes.contains { $0.hasPrefix("3 observed addresses located: CN 1, KP 1, KR 1") }, "\(notes)")
        let without = try CLI.run(["attribute", "-", "--format", "json"], stdin: evidence, env: env)
        let plainNotes = try JSONParser.parse(without.stdout)["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(plainNotes.contains { $0.hasPrefix("1 observed addresses located: KP 1") })
        let notADatabase = dir.appendingPathComponent("x.mmdb").path
        try Data("no".utf8).write(to: URL(fileURLWithPath: notADatabase))
        for command in [["attribute", "-"], ["investigate", InvestigateCLITests.logs]] {
            let bad = try CLI.run(command + ["--geoip", notADatabase], stdin: "{}", env: env)
            #expect(bad.status == 64 || bad.status == 2)
            #expect(bad.stderr.contains("--geoip \(notADatabase): cannot open as a MaxMind DB"), "\(bad.stderr)")
        }
    }
}

@Suite struct InvestigateCLITests {
    static var logs: String { Corpus.packageRoot.appendingPathComponent("examples/darkseoul/logs").path }

    @Test func tableJSONAndUsage() throws {
        let dir = try Corpus.temporaryDirectory()
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let table = try CLI.run(["investigate", Self.logs], env: env)
        #expect(table.status == 0)
        #expect(table.stdout.contains("41 detections in 1 campaign(s)"))
        #expect(table.stdout.contains("Kill chain: initial-access → execution"))
        #expect(table.stdout.contains("Umbrella actors: Lazarus Group"))
        let json = try CLI.run(["investigate", Self.logs, "--format", "json"], env: env)
        let parsed = try JSONParser.parse(json.stdout)
        #expect(parsed["campaigns"]?.arrayValue?.count == 1)
        #expect(parsed["summary"]?["detections"] == 41)
        #expect(try CLI.run(["investigate"], env: env).status == 2)
        #expect(try CLI.run(["investigate", Self.logs, "--format", "pdf"], env: env).status == 2)
        let none = try CLI.run(["investigate", "/no/such/folder"], env: env)
        #expect(none.status == 1)
        // Rule and YARA paths that do not exist, and an output that cannot be written, are errors.
        let noRules = try CLI.run(["investigate", Self.logs, "--rules", "/no/such/rules"], env: env)
        #expect(noRules.status == 2 && noRules.stderr.contains("--rules /no/such/rules: no such file or folder"))
        #expect(try CLI.run(["investigate", Self.logs, "--yara", "/no/such/yara"], env: env).status == 2)
        let unwritable = try CLI.run(["investigate", Self.logs, "--out", "/no/such/folder/out.txt"], env: env)
        #expect(unwritable.status == 1 && unwritable.stderr.contains("cannot write /no/such/folder/out.txt"))
    }

    @Test func victimContextWeighsIn() throws {
        let dir = try Corpus.temporaryDirectory()
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let r = try CLI.run(
            ["investigate", Self.logs, "--format", "json", "--victim-country", "kr", "--victim-sector", "financial services"], env: env)
        #expect(r.status == 0)
        let campaign = try #require(JSONParser.parse(r.stdout)["campaigns"]?.arrayValue?.first)
        let top = try #require(campaign["attribution"]?["candidates"]?.arrayValue?.first)
        #expect(top["name"] == "Lazarus Group")
        let items = top["evidence"]?.arrayValue ?? []
        #expect(items.contains { $0["kind"] == "victim-country" && $0["value"] == "KR" && ($0["weight"]?.doubleValue ?? 0) > 0 })
        #expect(items.contains { $0["kind"] == "victim-sector" })
        #expect(try CLI.run(["investigate", Self.logs, "--victim-country", "Korea"], env: env).status == 2)
        // A code the standard reserves for another spelling is read as its country's: UK is GB.
        let uk = try CLI.run(["investigate", Self.logs, "--format", "json", "--victim-country", "UK"], env: env)
        #expect(uk.stdout.contains(#""value": "GB""#) && !uk.stdout.contains(#""value": "UK""#))
    }

    /// A suspicious file handed over with the logs, scanned with the user's YARA rule: its family is
    /// software for attribution, and the summary counts it.
    @Test func suspiciousFilesAreScannedWithYARA() throws {
        let dir = try Corpus.temporaryDirectory()
        let evidence = dir.appendingPathComponent("evidence")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        try Data("header WIPER-TEST-MARKER trailer".utf8).write(to: evidence.appendingPathComponent("agentbase.bin"))
        try Data("nothing".utf8).write(to: evidence.appendingPathComponent("readme.txt"))
        let rule = dir.appendingPathComponent("wiper.yar")
        try Data(
            """
            rule DarkSeoul_Wiper_Test { meta: author = "Sightline tests" malware_family = "Win32/KillDisk"             strings: $a = "WIPER-TEST-MARKER" condition: $a }
            """.utf8
        ).write(to: rule)
        let env = ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path]
        let r = try CLI.run(["investigate", evidence.path, "--yara", rule.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Suspicious files: 2 read and scanned with 2 YARA rule(s) (1 match(es)); 1 joined the investigation"))  // ours and theirs
        #expect(r.stdout.contains("File:       YARA wiper:DarkSeoul_Wiper_Test by Sightline tests on agentbase.bin"))
        #expect(r.stdout.contains("S0607 KillDisk"))
        #expect(r.stdout.contains("software 'Win32/KillDisk' read as KillDisk (S0607)"))
        let json = try CLI.run(["investigate", evidence.path, "--yara", rule.path, "--format", "json"], env: env)
        let files = try JSONParser.parse(json.stdout)["summary"]?["suspicious_files"]
        #expect(files?["read"] == 2 && files?["joined"] == 1 && files?["yara_rules"] == 2 && files?["yara_matches"] == 1)
        let off = try CLI.run(["investigate", evidence.path, "--no-file-scan"], env: env)
        #expect(off.status == 1)  // nothing left to read
        #expect(try CLI.run(["investigate", evidence.path, "--no-file-scan", "--yara", rule.path], env: env).status == 2)
        // The user's rules must compile: ours always do, so theirs failing is an error, not a warning.
        let broken = dir.appendingPathComponent("broken.yar")
        try Data("rule {".utf8).write(to: broken)
        let failed = try CLI.run(["investigate", evidence.path, "--yara", broken.path], env: env)
        #expect(failed.status == 2 && failed.stderr.contains("no rule file compiled"))
    }

    @Test func stixBundleIsValid() throws {
        let dir = try Corpus.temporaryDirectory()
        let out = dir.appendingPathComponent("report.json").path
        // A name with a quote and a backslash, which the indicator's pattern must escape.
        let odd = dir.appendingPathComponent("dns.jsonl")
        try Data(
            ##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":22,"EventRecordID":5,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"PC-9","TimeCreated":{"#attributes":{"SystemTime":"2013-04-02T05:00:00Z"}}},"EventData":{"Image":"C:\\Users\\a\\x.exe","QueryName":"it's\\odd.example.com"}}}"##
                .utf8
        ).write(to: odd)
        let rule = dir.appendingPathComponent("odd.yml")
        try Data(
            """
            title: Odd DNS query
            id: 7d0f6a52-1111-4c0e-9d7e-5a1f00000001
            logsource: {product: windows, category: dns_query}
            detection:
                sel: {QueryName|contains: 'odd.example'}
                condition: sel
            level: high
            tags: [attack.command-and-control, attack.t1071.004]
            """.utf8
        ).write(to: rule)
        let r = try CLI.run(
            ["investigate", Self.logs, odd.path, "--rules", rule.path, "--format", "stix", "--out", out],
            env: ["SIGHTLINE_DB": dir.appendingPathComponent("kb.sqlite").path])
        #expect(r.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains(#"[domain-name:value = 'it\\'s\\\\odd.example.com']"#))
        let validate = try CLI.run(["intel", "validate", out])
        #expect(validate.status == 0, "\(validate.stdout)")
        let bundle = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        let types = Set((bundle["objects"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue })
        #expect(types.isSuperset(of: ["report", "campaign", "sighting", "indicator", "relationship", "attack-pattern", "intrusion-set", "identity"]))
        let attributed = (bundle["objects"]?.arrayValue ?? []).filter { $0["relationship_type"] == "attributed-to" }
        #expect(!attributed.isEmpty)
        guard let python = Corpus.python else {
            print("skipped: OASIS validator check (SIGHTLINE_PYTHON not set)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", """
            import sys
            from stix2validator import validate_file, ValidationOptions
            r = validate_file(sys.argv[1], ValidationOptions(version="2.1"))
            print(sum(len(o.errors) for o in r.object_results), r.fatal is not None)
            for o in r.object_results:
                for e in o.errors[:5]: print(e)
            """, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(output.hasPrefix("0 False"), "\(output)")
    }
}

@Suite(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) struct HuntDescriptorTests {
    /// The first EVTX file of the corpus (by path), to link many times.
    func firstCorpusLog() throws -> String {
        let corpus = try #require(Corpus.file("evtx"))
        let names = FileManager.default.enumerator(atPath: corpus.path)?.compactMap { $0 as? String } ?? []
        let evtx = try #require(names.sorted().first { $0.hasSuffix(".evtx") })
        return corpus.appendingPathComponent(evtx).path
    }

    /// `count` links to `source` in `dir`, named `copy-N.evtx`.
    func linkCopies(of source: String, into dir: URL, count: Int) throws {
        for i in 0..<count {
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("copy-\(i).evtx").path, withDestinationPath: source)
        }
    }

    /// `sightline hunt PATH --rules <the project's rules> --threads N` with the open-file limit at 48.
    func huntUnderFileLimit(_ path: String, threads: Int) throws -> CLI.Result {
        let rules = Corpus.packageRoot.appendingPathComponent("Sources/Investigation/Rules").path
        return try CLI.run(
            ["-c", "ulimit -n 48 && exec \"$0\" \"$@\"", CLI.binary.path, "hunt", path, "--rules", rules, "--threads", "\(threads)"],
            executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// A hunt lists every file before reading any: it must not hold a descriptor per file, or a folder of
    /// more files than the open-file limit loses the rest ("Too many open files").
    @Test func moreFilesThanTheOpenFileLimit() throws {
        let source = try firstCorpusLog()
        let dir = try Corpus.temporaryDirectory()
        try linkCopies(of: source, into: dir, count: 300)
        let r = try huntUnderFileLimit(dir.path, threads: 2)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Hunted 300 file(s)"))
        #expect(r.stdout.contains("Skipped: 0 file(s)"))
        #expect(!r.stderr.contains("Too many open files"))
    }

    /// Linked folders found while listing add their files to what the hunt keeps open: each batch may
    /// keep its files open only within what the earlier ones left of the budget.
    @Test func linkedFoldersShareTheOpenFileBudget() throws {
        let source = try firstCorpusLog()
        let top = try Corpus.temporaryDirectory()
        for folder in ["a", "b"] {
            let inner = try Corpus.temporaryDirectory()
            try linkCopies(of: source, into: inner, count: 20)
            // Named like a log: listed without a stat, found to be a folder when opened.
            try FileManager.default.createSymbolicLink(
                atPath: top.appendingPathComponent("\(folder)-linked.evtx").path, withDestinationPath: inner.path)
        }
        try linkCopies(of: source, into: top, count: 20)
        // 60 files, a limit of 48 (a budget of 24): all open at once would not fit.
        let r = try huntUnderFileLimit(top.path, threads: 1)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Hunted 60 file(s)"), "\(r.stdout)")
        #expect(r.stdout.contains("Skipped: 0 file(s)"), "\(r.stdout)")
        #expect(!r.stderr.contains("Too many open files"))
    }
}

@Suite struct EventsJSONLogTests {
    /// `events stats` reads JSON event logs too (any layout `hunt` reads); `events dump`, whose output is
    /// the EVTX record shape, refuses them with a plain reason instead of scanning JSON for chunks.
    @Test func statsReadsJSONLogsAndDumpRefusesThem() throws {
        let dir = try Corpus.temporaryDirectory()
        let log = dir.appendingPathComponent("mixed.jsonl")
        let lines = [
            #"{"winlog": {"channel": "Security", "event_id": 4624, "event_data": {"TargetUserName": "bob"}}, "@timestamp": "2024-01-01T00:00:00Z"}"#,
            "not json",
            #"{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "CommandLine": "whoami"}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        let stats = try CLI.run(["events", "stats", log.path])
        #expect(stats.status == 0)
        #expect(stats.stdout.contains("format: JSON event log"))
        #expect(stats.stdout.contains("records: 2"))
        #expect(stats.stdout.contains("damaged lines: 1"))
        #expect(stats.stdout.contains("1\t4624"))
        #expect(stats.stdout.contains("mixed.jsonl:2:"))
        let dump = try CLI.run(["events", "dump", log.path])
        #expect(dump.status == 1)
        #expect(dump.stdout.isEmpty)
        #expect(dump.stderr.contains("a JSON event log, not EVTX"))
    }
}
