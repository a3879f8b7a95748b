import ArgumentParser
import JSON
import Knowledge
import Reports

/// `sightline intel stats`
struct IntelStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Count the store's current objects by type.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() async throws {
        let kb = try store.open()
        let counts = try kb.typeCounts()
        switch format {
        case .json:
            var o = JSONObject()
            for c in counts { o[c.type] = ["current": .int(Int64(c.current)), "hidden": .int(Int64(c.hidden))] }
            print(JSONWriter(indent: 2).string(["store": .string(kb.path), "types": .object(o)]))
        case .table:
            var t = TextTable(["TYPE", "CURRENT", "HIDDEN"])
            for c in counts { t.add([c.type, "\(c.current)", "\(c.hidden)"]) }
            print("store: \(kb.path)\n" + t.render())
        }
    }
}
