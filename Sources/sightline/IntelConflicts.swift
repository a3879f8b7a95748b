import ArgumentParser
import JSON
import Knowledge
import Reports

/// `sightline intel conflicts`
struct IntelConflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "List ambiguous actor matches between MISP and ATT&CK that were not merged.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() async throws {
        let conflicts = try store.open().conflicts()
        switch format {
        case .json: print(JSONWriter(indent: 2).string(.array(conflicts.map(KnowledgeRendering.conflictJSON))))
        case .table:
            for c in conflicts { print("\(c.memberName): \(c.reason)") }
            print("\(conflicts.count) conflicts")
        }
    }
}
