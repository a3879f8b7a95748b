import ArgumentParser
import EVTX
import Events
import Hunting
import LogFormats

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sightline events`: read event logs (EVTX) as events.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read Windows event logs (EVTX): dump records as JSON lines or XML, or summarize files.",
        subcommands: [Dump.self, Stats.self]
    )

    /// `sightline events dump FILE... [--format jsonl|xml] [--threads N]`.
    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every record of EVTX files, one JSON line per record (or XML).",
            discussion: """
                JSON lines: {"record_id":N,"timestamp":"…","file":"…","event":{…}} where `event` has the shape the \
                Rust evtx crate writes (attributes under #attributes, text under #text). Damaged chunks and \
                records are skipped and reported on stderr with their byte offsets.
                Exit status: 0 ok (damage is reported, not fatal), 1 when a file cannot be read, 2 usage.
                """
        )

        @Argument(help: "EVTX files to read.")
        var files: [String] = []

        @Option(help: "Output format: jsonl or xml.")
        var format: String = "jsonl"

        @Option(help: "Worker threads; chunks are parsed in parallel, output order is unchanged.")
        var threads: Int = 1

        @Flag(help: "Also carve records from chunk slack (older or cleared records); they get \"recovered\": true.")
        var recover = false

        func validate() throws {
            if files.isEmpty { throw usage("at least one FILE is required") }
            if EVTXOutputFormat(rawValue: format) == nil { throw usage("--format must be jsonl or xml") }
            if threads < 1 || threads > 256 { throw usage("--threads must be between 1 and 256") }
        }

        func run() async throws {
            let format = EVTXOutputFormat(rawValue: format) ?? .jsonl
            var failed = false
            for path in files {
                if case .success(.json) = FileCollector.detect(path) {
                    writeStderr(
                        "sightline: \(path): a JSON event log, not EVTX; `events dump` prints EVTX records ("
                            + "`events stats` and `hunt` read JSON logs)\n")
                    failed = true
                    continue
                }
                let file: EVTXFile
                do {
                    file = try EVTXFile(path: path)
                } catch {
                    writeStderr("sightline: \(path): \(error)\n")
                    failed = true
                    continue
                }
                let summary = await EVTXReader.render(
                    file,
                    displayName: path,
                    format: format,
                    threads: threads,
                    recoveringSlack: recover
                ) {
                    writeStdout($0)
                }
                for e in summary.errors { writeStderr("sightline: \(path): \(e)\n") }
                if summary.records == 0 && summary.errors.contains(where: { !$0.isWarning }) { failed = true }
            }
            if failed { throw ExitCode(1) }
        }
    }

    /// `sightline events stats FILE...`.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarize EVTX files and JSON event logs: records, channels, event ids, time range, damage."
        )

        @Argument(help: "EVTX files or JSON event logs to read.")
        var files: [String] = []

        @Flag(help: "Also count records carved from chunk slack (older or cleared records).")
        var recover = false

        func validate() throws {
            if files.isEmpty { throw usage("at least one FILE is required") }
        }

        func run() async throws {
            var failed = false
            for path in files {
                if case .success(.json) = FileCollector.detect(path) {
                    if !jsonStats(path) { failed = true }
                    continue
                }
                let file: EVTXFile
                do {
                    file = try EVTXFile(path: path)
                } catch {
                    writeStderr("sightline: \(path): \(error)\n")
                    failed = true
                    continue
                }
                var stats = EventStatistics()
                let summary = EVTXReader.forEachRecord(in: file, recoveringSlack: recover) { record in
                    stats.add(record.event(file: path))
                }
                writeStdout(Array(stats.report(for: summary).utf8))
                if summary.records == 0 && summary.errors.contains(where: { !$0.isWarning }) { failed = true }
            }
            if failed { throw ExitCode(1) }
        }

        /// Summarizes a JSON event log (any layout `hunt` reads); false when no event could be read.
        func jsonStats(_ path: String) -> Bool {
            var stats = EventStatistics()
            let summary: LogReadSummary
            do {
                summary = try JSONEventReader().read(path: path) { stats.add($0) }
            } catch {
                writeStderr("sightline: \(error)\n")
                return false
            }
            var s = "file: \(path)\nformat: JSON event log\nrecords: \(summary.events)\n"
            s += "damaged lines: \(summary.errors.count)\n" + stats.countsReport()
            for e in summary.errors { s += "error: \(e)\n" }
            writeStdout(Array(s.utf8))
            return summary.events > 0 || summary.errors.isEmpty
        }
    }
}

/// Prints a usage problem and returns the exit code for it (2).
private func usage(_ message: String) -> ExitCode {
    writeStderr("Error: \(message)\nUsage: see 'sightline events --help'.\n")
    return ExitCode(2)
}

private func writeStdout(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { b in
        var done = 0
        while done < b.count {
            let n = write(1, b.baseAddress! + done, b.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

private func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { b in _ = write(2, b.baseAddress, b.count) }
}
