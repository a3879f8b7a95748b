import ArgumentParser
import Foundation

/// The `sightline` command: hunting, attribution and threat-intelligence tooling for response centers.
@main
struct Sightline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline",
        abstract: "Hunt through evidence, attribute campaigns, and keep a STIX 2.1 knowledge base of threat actors.",
        version: "0.1.0",
        subcommands: [Investigate.self, Intel.self, Events.self, Hunt.self, Pattern.self, Attribute.self, Evaluate.self]
    )

    /// Runs the command; exit status 0 ok, 1 error, 2 usage.
    static func main() async {
        // `pattern eval` serves one process per batch of cases (benchmarks, the differential test): it
        // takes no options, so it skips argument parsing, whose reflection costs a few milliseconds.
        if CommandLine.arguments.dropFirst().elementsEqual(["pattern", "eval"]) {
            let failure = Pattern.Eval.evaluateLines()
            if failure != 0 {
                Pattern.Match.warn("sightline: standard input: read failed: \(String(cString: strerror(failure)))")
                Foundation.exit(1)
            }
            return
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
