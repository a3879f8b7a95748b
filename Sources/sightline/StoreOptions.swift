import ArgumentParser
import Foundation
import Knowledge

/// Options shared by the commands that open the knowledge store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The knowledge store (SQLite). Default: $SIGHTLINE_DB or ~/.sightline/knowledge.sqlite.")
    var db: String?

    @Flag(name: .customLong("no-builtin"), help: "Do not load the built-in knowledge pack into an empty store (also: SIGHTLINE_NO_BUILTIN=1).")
    var noBuiltin = false

    func open() throws -> KnowledgeStore {
        let env = ProcessInfo.processInfo.environment["SIGHTLINE_NO_BUILTIN"]
        let skip = noBuiltin || (env != nil && env != "" && env != "0")
        return try KnowledgeStore(path: db ?? KnowledgeStore.defaultPath, options: .init(loadsBuiltinPack: !skip))
    }
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    let label: String
    let enabled = isatty(2) == 1
    var last = -1

    init(_ label: String) { self.label = label }

    mutating func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = min(100, done * 100 / total)
        guard percent != last else { return }
        last = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    }

    func finish() {
        guard enabled, last >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
