import ArgumentParser
import Foundation
import JSON
import STIX

/// `sightline intel validate FILE...`
struct IntelValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Parse STIX 2.1 files and check every object against the specification's MUST rules.",
        discussion: "Exit 0 when every object is valid, 1 otherwise. Prints parse and validation times.")

    @Option(help: "How many errors to print per file.") var maxErrors = 50
    @Argument(help: "STIX bundle files.") var files: [String]

    func run() async throws {
        var allValid = true
        for file in files {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                printError("\(file): cannot read: \(error.localizedDescription)")
                allValid = false
                continue
            }
            let bytes = [UInt8](data)
            let clock = ContinuousClock()
            let start = clock.now
            let bundle: STIXBundle
            do {
                bundle = try STIXBundle.parse(bytes)
            } catch {
                print("\(file): \(error)")
                allValid = false
                continue
            }
            let parsed = clock.now
            let validator = STIXValidator()
            var errors: [STIXError] = []
            var invalidObjects = 0
            for o in bundle.objects {
                let e = validator.errors(in: o)
                if !e.isEmpty { invalidObjects += 1 }
                errors += e
            }
            let validated = clock.now
            let parseSeconds = Double((parsed - start).components.attoseconds) / 1e18 + Double((parsed - start).components.seconds)
            let validateSeconds = Double((validated - parsed).components.attoseconds) / 1e18 + Double((validated - parsed).components.seconds)
            let mb = Double(bytes.count) / 1_000_000
            print(
                "\(file): \(bundle.objects.count) objects, \(invalidObjects) invalid, \(errors.count) errors; "
                    + "parsed \(String(format: "%.1f", mb)) MB in \(String(format: "%.3f", parseSeconds)) s "
                    + "(\(String(format: "%.0f", mb / max(parseSeconds, 1e-9))) MB/s), validated in \(String(format: "%.3f", validateSeconds)) s")
            for e in errors.prefix(maxErrors) { print("  \(e)") }
            if errors.count > maxErrors { print("  … and \(errors.count - maxErrors) more") }
            if !errors.isEmpty { allValid = false }
        }
        if !allValid { throw ExitCode.failure }
    }
}
