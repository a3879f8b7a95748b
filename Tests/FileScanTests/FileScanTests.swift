import FileScan
import Foundation
import FuzzyHash
import JSON
import TestSupport
import Testing

@Suite struct YARARulesTests {
    static let good = """
        rule Loader_Typeframe_Test : nk loader
        {
            meta:
                author = "Sightline tests"
                family = "TYPEFRAME"
                version = 3
                active = true
            strings:
                $a = "TYPEFRAME-TEST-MARKER"
            condition:
                $a
        }

        rule By_Name_Only
        {
            strings:
                $b = { DE AD BE EF }
            condition:
                $b and filename matches /\\.bin$/
        }
        """

    func folder(_ files: [String: String]) throws -> URL {
        let dir = try Corpus.temporaryDirectory()
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    func scan(_ rules: YARARules, _ bytes: [UInt8], path: String) throws -> [YARAMatch] {
        try bytes.withUnsafeBytes { try rules.scan($0, path: path) }
    }

    @Test func rulesCompileIntoNamespacesAndMatchWithTheirMeta() throws {
        let dir = try folder([
            "good.yar": Self.good, "broken.yara": "rule Broken {\n  strings: $a = \"x\"\n  condition: $b\n}\n",
            "README.txt": "not rules",
        ])
        let rules = try YARARules(paths: [dir.path])
        #expect(rules.fileCount == 1 && rules.ruleCount == 2)
        // The broken file is reported where libyara found the error, and left out.
        #expect(rules.failures.count == 1)
        let failure = try #require(rules.failures.first)
        #expect(failure.file.hasSuffix("broken.yara") && failure.line == 4, "\(failure)")  // where the condition ends
        #expect(failure.description.contains("$b"))
        let matches = try scan(rules, Array("xx TYPEFRAME-TEST-MARKER yy".utf8), path: "/evidence/a.dat")
        #expect(matches.map(\.rule) == ["Loader_Typeframe_Test"])
        let m = try #require(matches.first)
        #expect(m.namespace == "good")
        #expect(m.tags == ["nk", "loader"])
        #expect(m.meta.map(\.key) == ["author", "family", "version", "active"])
        #expect(m.meta.map(\.value) == ["Sightline tests", "TYPEFRAME", "3", "true"])
        #expect(m.family == "TYPEFRAME" && m.author == "Sightline tests")
        // External variables are set per file: the second rule wants a .bin file.
        #expect(try scan(rules, [0xDE, 0xAD, 0xBE, 0xEF], path: "/evidence/a.dat").isEmpty)
        let byName = try scan(rules, [0xDE, 0xAD, 0xBE, 0xEF], path: "/evidence/a.bin")
        #expect(byName.map(\.rule) == ["By_Name_Only"])
        #expect(byName.first?.family == "By_Name_Only")  // no family meta: the rule's name
        #expect(try scan(rules, [], path: "/evidence/empty").isEmpty)
    }

    /// A file that another includes is compiled as part of it, not also on its own (its rules would be
    /// reported twice); the external variables are set as signature-base expects (`.ext` with its dot).
    @Test func includedFilesOnceAndExtensionsWithTheirDot() throws {
        let dir = try folder([
            "index.yar": "include \"sub/common.yar\"\nrule Index_Rule { condition: extension == \".regtrans-ms\" }\n",
        ])
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("rule Common_Marker { strings: $a = \"KILLDISK-MARKER\" condition: $a }\n".utf8)
            .write(to: dir.appendingPathComponent("sub/common.yar"))
        #expect(YARARules.ruleFiles([dir.path]).map { ($0 as NSString).lastPathComponent } == ["index.yar", "common.yar"])
        let rules = try YARARules(paths: [dir.path])
        #expect(rules.fileCount == 1 && rules.ruleCount == 2)
        let marker = try scan(rules, Array("x KILLDISK-MARKER y".utf8), path: "/evidence/a.bin")
        #expect(marker.map(\.rule) == ["Common_Marker"])
        #expect(try scan(rules, Array("x".utf8), path: "/evidence/x.regtrans-ms").map(\.rule) == ["Index_Rule"])
        #expect(try scan(rules, Array("x".utf8), path: "/evidence/regtrans-ms").isEmpty)
        // Named directly as well, the included file is still compiled once.
        let direct = try YARARules(paths: [dir.appendingPathComponent("index.yar").path, dir.appendingPathComponent("sub/common.yar").path])
        #expect(direct.fileCount == 1 && direct.ruleCount == 2)
    }

    /// An include that climbs a folder (`../common/x.yar`) is recognized; when the including file fails,
    /// the files it includes are compiled on their own rather than lost with it.
    @Test func includesAcrossFoldersAndFailingIndexes() throws {
        let dir = try folder([:])
        let fm = FileManager.default
        for sub in ["index", "common", "broken"] { try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true) }
        try Data("rule Shared { strings: $a = \"SHARED-MARKER\" condition: $a }\n".utf8).write(to: dir.appendingPathComponent("common/x.yar"))
        try Data("include \"../common/x.yar\"\n".utf8).write(to: dir.appendingPathComponent("index/all.yar"))
        let rules = try YARARules(paths: [dir.path])
        #expect(rules.fileCount == 1 && rules.ruleCount == 1)
        #expect(try scan(rules, Array("SHARED-MARKER".utf8), path: "/e/a").count == 1)
        try Data("include \"../common/x.yar\"\nrule Bad { condition: $nope }\n".utf8).write(to: dir.appendingPathComponent("broken/all2.yar"))
        try fm.removeItem(at: dir.appendingPathComponent("index"))
        let kept = try YARARules(paths: [dir.path])
        #expect(kept.failures.count == 1 && kept.fileCount == 1 && kept.ruleCount == 1)
        #expect(try scan(kept, Array("SHARED-MARKER".utf8), path: "/e/a").map(\.rule) == ["Shared"])
        // An include in a comment includes nothing; a file that compiles only inside its includer (it
        // needs the includer's import) is not reported as broken.
        let more = try folder([
            "main.yar": "import \"math\"\ninclude \"inc.yar\"\n/* include \"other.yar\" */\n// include \"other.yar\"\nrule Main { condition: true }\n",
            "inc.yar": "rule Inc { condition: math.entropy(0, filesize) >= 0 }\n",
            "other.yar": "rule Other { strings: $a = \"OTHER-MARKER\" condition: $a }\n",
        ])
        let mixed = try YARARules(paths: [more.path])
        #expect(mixed.failures.isEmpty, "\(mixed.failures)")
        #expect(mixed.fileCount == 2 && mixed.ruleCount == 3)  // main.yar (with inc.yar) and other.yar
        #expect(YARARules.includes(more.appendingPathComponent("main.yar").path).map { ($0 as NSString).lastPathComponent } == ["inc.yar"])
        // A linked folder of rules is walked, and `link/../x` is where the link's parent is.
        let link = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + "-link")
        try fm.createSymbolicLink(at: link, withDestinationURL: dir.appendingPathComponent("common"))
        #expect(YARARules.ruleFiles([link.path]).count == 1)
        let through = link.path + "/../common/x.yar"  // the link's target's parent, not the link's
        #expect(YARARules.ruleFiles([through]) == [dir.appendingPathComponent("common/x.yar").resolvingSymlinksInPath().path])
    }

    @Test func noRuleIsAClearError() throws {
        let dir = try folder(["broken.yar": "rule {"])
        #expect(throws: YARARules.LoadError.self) { try YARARules(paths: [dir.path]) }
        let error = #expect(throws: YARARules.LoadError.self) { try YARARules(paths: [dir.path, dir.path + "/missing.yar"]) }
        #expect(error.map { "\($0)".contains("broken.yar:1") } == true)
        #expect(error.map { "\($0)".contains("missing.yar:0") } == true)
        let empty = try folder(["notes.txt": "x"])
        #expect(throws: YARARules.LoadError.self) { try YARARules(paths: [empty.path]) }
    }

    /// The corpus's DPRK rule sets compile whole: signature-base's external variables, `import "pe"`, and
    /// rule names repeated across sets (a namespace per file).
    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func theCorpusRuleSetsCompile() throws {
        let rules = try YARARules(paths: [try #require(Corpus.file("yara")).path])
        #expect(rules.failures.isEmpty, "\(rules.failures)")
        #expect(rules.fileCount == 141)
        #expect(rules.ruleCount >= 302)
    }
}

@Suite struct FileScannerTests {
    @Test func hashesAndDigestOfAFile() throws {
        let dir = try Corpus.temporaryDirectory()
        let path = dir.appendingPathComponent("abc.txt").path
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        let f = try FileScanner.scan(path, rules: nil)
        #expect(f.size == 3)
        #expect(f.md5 == "900150983cd24fb0d6963f7d28e17f72")
        #expect(f.sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(f.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(f.hashes == [f.md5, f.sha1, f.sha256])
        #expect(f.ssdeep.flatMap(SSDeepDigest.init) != nil)
        #expect(f.matches.isEmpty)
        #expect(throws: FileScanner.Problem.self) { try FileScanner.scan(dir.appendingPathComponent("none").path, rules: nil) }
        // An empty file is no suspicious file; a link is measured by what it points at.
        let empty = dir.appendingPathComponent("empty.bin").path
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: FileScanner.Problem.self) { try FileScanner.scan(empty, rules: nil) }
        let link = dir.appendingPathComponent("link.bin").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(try FileScanner.scan(link, rules: nil).size == 3)
    }

    /// ssdeep digests computed here equal the corpus's reference digests (libfuzzy 2.14.1 through ctypes,
    /// cross-checked by an independent implementation) for every input the test support rebuilds.
    @Test(.enabled(if: Corpus.isPresent, "needs ../shared/corpus")) func ssdeepDigestsAgreeWithTheReference() throws {
        let url = try #require(Corpus.file("ssdeep/vectors.json"))
        let v = try JSONParser.parse(Array(try Data(contentsOf: url)))
        var checked = 0
        for (id, bytes, expected) in FuzzyInputs.inputs(of: v, digest: "ssdeep") {
            #expect(bytes.withUnsafeBytes { SSDeepDigest(of: $0)?.text } == expected, "\(id)")
            checked += 1
        }
        #expect(checked == 102)
    }
}
