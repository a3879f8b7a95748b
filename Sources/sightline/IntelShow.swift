import ArgumentParser
import JSON
import Knowledge
import Reports
import STIX

/// `sightline intel show NAME`
struct IntelShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an actor (or software, technique, any object) by name, alias, ATT&CK id or STIX id.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table
    @Argument(help: "A name, alias, ATT&CK id (G0032, S0041, T1059.001) or STIX id.") var query: String

    func run() async throws {
        let kb = try store.open()
        guard let id = try kb.resolve(query) else { throw KnowledgeError.notFound(query) }
        if id.hasPrefix("intrusion-set--") {
            let profile = try kb.actorProfile(id)
            switch format {
            case .json: print(JSONWriter(indent: 2).string(KnowledgeRendering.profileJSON(profile)))
            case .table: print(KnowledgeRendering.profileText(profile))
            }
            return
        }
        guard let object = try kb.object(id: id) else { throw KnowledgeError.notFound(query) }
        let users = try kb.users(of: id)
        switch format {
        case .json:
            print(JSONWriter(indent: 2).string([
                "object": object.json, "used_by": .array(users.map(KnowledgeRendering.actorJSON)),
            ]))
        case .table:
            var out = "\(object.name ?? id)" + (object.attackID.map { " (\($0))" } ?? "") + "\n\(id)\ntype: \(object.type)"
            if !object.aliases.isEmpty { out += "\naliases: " + object.aliases.joined(separator: ", ") }
            let tactics = object.killChainPhases.map(\.phase)
            if !tactics.isEmpty { out += "\ntactics: " + tactics.joined(separator: ", ") }
            if let d = object.description { out += "\n\n" + d }
            out += "\n\nUsed by (\(users.count)):"
            for u in users { out += "\n  \(u.attackID ?? "-")  \(u.name)" }
            print(out)
        }
    }
}
