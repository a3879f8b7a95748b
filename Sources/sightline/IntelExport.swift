import ArgumentParser
import Foundation
import JSON
import Knowledge
import STIX

/// `sightline intel export`
struct IntelExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export current objects as a STIX 2.1 bundle.")

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("type"), help: "Only objects of this STIX type (repeatable).") var types: [String] = []
    @Option(name: .customLong("related-to"), help: "Only this object (or actor) and what its relationships reach.")
    var relatedTo: String?
    @Flag(name: .customLong("include-hidden"), help: "Include revoked and deprecated objects.") var includeHidden = false
    @Option(help: "The bundle file to write ('-' for standard output).") var out: String

    func run() async throws {
        let bundle = try store.open().export(types: types, relatedTo: relatedTo, includeHidden: includeHidden)
        // One object per line inside the objects list: compact, yet readable with line tools.
        var bytes = Array("{\"type\":\"bundle\",\"id\":\"\(bundle.id)\",\"objects\":[".utf8)
        let writer = JSONWriter()
        for (i, o) in bundle.objects.enumerated() {
            bytes.append(contentsOf: Array((i == 0 ? "\n" : ",\n").utf8))
            writer.write(o.json, into: &bytes)
        }
        bytes.append(contentsOf: Array("\n]}\n".utf8))
        if out == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: out))
            } catch {
                throw KnowledgeError.unreadable(path: out, reason: "cannot write: \(error.localizedDescription)")
            }
            printError("wrote \(bundle.objects.count) objects to \(out)")
        }
    }
}
