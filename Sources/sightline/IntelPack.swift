import ArgumentParser
import Foundation
import Knowledge

/// `sightline intel pack`: regenerates the built-in knowledge pack (maintainers; see scripts/make-builtin-pack.sh).
struct IntelPack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Build the compact built-in knowledge pack from source files (for maintainers).",
        discussion: "Imports the files into a fresh in-memory store and writes its facts, without descriptions, as gzip STIX.")

    @Option(help: "Where to write the pack (.json.gz).") var out: String
    @Argument(help: "Source files: ATT&CK Enterprise and ICS bundles, the MISP threat-actor galaxy.") var files: [String]

    func run() async throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        for file in files {
            let report = try kb.importFile(file)
            printError("\(file): \(report.total.added) added, \(report.total.rejected) rejected")
        }
        let bytes = try BuiltinPack.make(from: kb)
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        printError("wrote \(bytes.count) bytes to \(out)")
    }
}
