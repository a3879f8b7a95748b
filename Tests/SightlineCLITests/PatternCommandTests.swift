import ArgumentParser
import Testing

@testable import sightline

@Suite struct PatternCommandTests {
    @Test func validateAcceptsAValidPattern() async throws {
        let command = try Sightline.parseAsRoot(["pattern", "validate", "[ipv4-addr:value ISSUBSET '175.45.176.0/22']"])
        let validate = try #require(command as? Pattern.Validate)
        try await validate.run()
    }

    @Test(arguments: ["[file:name = 'a'", "[file:size = 'big']", "[fiel:name = 'a']"])
    func validateRejectsWithExitCode1(_ pattern: String) async throws {
        let command = try Sightline.parseAsRoot(["pattern", "validate", pattern])
        let validate = try #require(command as? Pattern.Validate)
        do {
            try await validate.run()
            Issue.record("accepted \(pattern)")
        } catch let e as ExitCode {
            #expect(e == ExitCode(1))
        }
    }

    @Test func evalAndHiddenCommandsParse() throws {
        #expect(try Sightline.parseAsRoot(["pattern", "eval"]) is Pattern.Eval)
        let generate = try #require(
            try Sightline.parseAsRoot(["pattern", "generate", "--count", "3", "--seed", "9"]) as? Pattern.Generate)
        #expect(generate.count == 3 && generate.seed == 9)
        #expect(try Sightline.parseAsRoot(["pattern", "index-bench", "--indicators", "10"]) is Pattern.IndexBench)
    }
}
