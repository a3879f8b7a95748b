import ArgumentParser

/// `sightline intel`: the threat-intelligence knowledge base.
struct Intel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import, query and export the STIX 2.1 knowledge base of threat actors.",
        subcommands: []
    )
}
