import ArgumentParser

/// The `sightline` command: hunting, attribution and threat-intelligence tooling for response centers.
@main
struct Sightline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline",
        abstract: "Hunt through evidence, attribute campaigns, and keep a STIX 2.1 knowledge base of threat actors.",
        version: "0.1.0",
        subcommands: [Intel.self, Events.self, Hunt.self]
    )
}
