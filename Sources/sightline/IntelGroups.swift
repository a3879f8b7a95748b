import ArgumentParser
import JSON
import Knowledge
import Reports

/// `sightline intel groups`
struct IntelGroups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "List threat actors, merged across sources.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Only actors operating from this country (ISO code such as KP, or a name).") var country: String?
    @Option(help: "Only actors targeting this sector (e.g. financial-services, energy, government).") var sector: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() async throws {
        let actors = try store.open().actors(country: country, sector: sector)
        switch format {
        case .json: print(JSONWriter(indent: 2).string(.array(actors.map(KnowledgeRendering.actorJSON))))
        case .table: print(KnowledgeRendering.groupsTable(actors))
        }
    }
}
