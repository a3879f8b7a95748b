import ArgumentParser

/// `sightline intel`: the threat-intelligence knowledge base.
struct Intel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import, query and export the STIX 2.1 knowledge base of threat actors.",
        subcommands: [
            IntelImport.self, IntelGroups.self, IntelShow.self, IntelExport.self, IntelConflicts.self,
            IntelStats.self, IntelValidate.self, IntelPack.self,
        ]
    )
}

/// Output formats for knowledge queries.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
