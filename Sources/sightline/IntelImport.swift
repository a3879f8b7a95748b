import ArgumentParser
import Foundation
import JSON
import Knowledge
import Reports

/// `sightline intel import FILE...`
struct IntelImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import STIX 2.1 bundles (ATT&CK Enterprise/ICS or any) and MISP threat-actor galaxies.",
        discussion: """
            Prints counts per type: added, updated (a newer `modified` became current), unchanged, older \
            (stored as history) and rejected (with reasons). Each file is one transaction. Exits 1 only when \
            nothing at all could be imported.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table
    @Argument(help: "Files to import; a folder stands for the .json files in it (sorted).") var files: [String]

    /// Replaces each folder by the `.json` files below it, sorted; files stay as given.
    static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                let walker = FileManager.default.enumerator(atPath: path)
            else { return [path] }
            let found = walker.compactMap { $0 as? String }.filter { $0.lowercased().hasSuffix(".json") }.sorted()
            return found.map { (path as NSString).appendingPathComponent($0) }
        }
    }

    func run() async throws {
        let kb = try store.open()
        var anything = false
        var reports: [JSONValue] = []
        for file in Self.expand(files) {
            var bar = ProgressBar("importing \(file)")
            do {
                let report = try kb.importFile(file) { bar.update($0, $1) }
                bar.finish()
                anything = anything || report.importedAnything
                if format == .json {
                    reports.append(KnowledgeRendering.importJSON(report))
                } else {
                    print(KnowledgeRendering.importTable(report))
                }
            } catch {
                bar.finish()
                printError("error: \(error)")
                if format == .json { reports.append(["file": .string(file), "error": .string("\(error)")]) }
            }
        }
        if format == .json { print(JSONWriter(indent: 2).string(.array(reports))) }
        if !anything { throw ExitCode.failure }
    }
}
