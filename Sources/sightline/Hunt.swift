import ArgumentParser
import Foundation
import Hunting
import Investigation
import Sigma
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sightline hunt PATH... --rules DIR...`: Sigma rules over event logs.
struct Hunt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hunt through EVTX and JSON event logs with Sigma rules.",
        discussion: """
            PATH is files or folders (walked recursively) of .evtx and JSON / JSON-lines logs; the format is \
            detected per file. Rules load from folders or files (multi-document YAML included); a rule that \
            cannot load is reported with its file and reason, and the others run. See docs/SIGMA.md for the \
            log-source table and the --logsource-map file format. --indicators FILE (a STIX 2.1 bundle) adds \
            its indicators that are plain value searches (=, IN, ISSUBSET on addresses, domains, file hashes) \
            as rules over the fields that hold such values.
            Exit status: 0 ok, 1 when no input could be read or no rule loaded, 2 usage.
            """)

    @Argument(help: "Files or folders of event logs.")
    var paths: [String] = []

    @Option(name: .long, help: "A Sigma rule file or folder (repeatable).")
    var rules: [String] = []

    @Option(name: .long, help: "A file of STIX 2.1 indicators to sweep for (repeatable).")
    var indicators: [String] = []

    @Option(help: "Built-in log-source variant: sysmon, security or both.")
    var logsource: String = "both"

    @Option(name: .customLong("logsource-map"), help: "A YAML log-source mapping file that overrides the built-in table.")
    var logsourceMap: String?

    @Option(name: .customLong("min-level"), help: "Lowest rule level: informational, low, medium, high or critical.")
    var minLevel: String = "informational"

    @Option(help: "Output format: table, jsonl or csv.")
    var format: String = "table"

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Option(help: "Write the output to FILE instead of standard output.")
    var out: String?

    @Flag(name: .customLong("parse-only"), help: .hidden)
    var parseOnly = false

    @Flag(name: .customLong("timing"), help: .hidden)
    var timing = false

    func validate() throws {
        if paths.isEmpty { throw ValidationError("at least one PATH is required") }
        if rules.isEmpty && indicators.isEmpty {
            throw ValidationError("at least one --rules DIR (or --indicators FILE) is required")
        }
        if LogSourceVariant(rawValue: logsource) == nil { throw ValidationError("--logsource must be sysmon, security or both") }
        if SigmaLevel(name: minLevel) == nil {
            throw ValidationError("--min-level must be informational, low, medium, high or critical")
        }
        if SightingFormat(rawValue: format) == nil { throw ValidationError("--format must be table, jsonl or csv") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() async throws {
        let started = monotonicSeconds()
        var mapping = LogSourceMapping.windows
        if let logsourceMap {
            guard let text = readTextFile(logsourceMap) else {
                stderr("sightline: \(logsourceMap): cannot read\n")
                throw ExitCode(2)
            }
            do {
                mapping = mapping.overridden(by: try LogSourceMapping(yaml: text))
            } catch {
                stderr("sightline: \(logsourceMap): \(error)\n")
                throw ExitCode(2)
            }
        }
        var collection = RuleLoader.load(paths: rules)
        for f in collection.failures { stderr("sightline: rule skipped: \(f)\n") }
        for file in indicators {
            let loaded: Pattern.Match.Loaded
            do {
                loaded = try Pattern.Match.load(file)
            } catch {
                stderr("sightline: \(error)\n")
                throw ExitCode(1)
            }
            let name = URL(fileURLWithPath: file).lastPathComponent
            let made = IndicatorRules.make(
                from: loaded.indicators.map { (id: $0.id, pattern: $0.pattern, actors: []) }, source: name)
            for f in made.rules.failures { stderr("sightline: \(file): indicator rule skipped: \(f)\n") }
            collection.merge(made.rules)
            var note = "sightline: \(file): \(made.swept) indicator(s) swept for"
            var left: [String] = []
            if made.notExpressible > 0 { left.append("\(made.notExpressible) not plain value searches (or invalid)") }
            if loaded.otherLanguages > 0 { left.append("\(loaded.otherLanguages) in other pattern languages") }
            if !loaded.errors.isEmpty { left.append("\(loaded.errors.count) invalid object(s)") }
            if !left.isEmpty { note += "; left out: " + left.joined(separator: ", ") }
            stderr(note + "\n")
            for e in loaded.errors.prefix(5) { stderr("sightline:   \(e)\n") }
        }
        for c in collection.correlations {
            let missing = Correlator.unresolved(for: c, in: collection.rules)
            if !missing.isEmpty {
                stderr("sightline: correlation '\(c.title)' (\(c.file)): unknown rules \(missing.joined(separator: ", "))\n")
            }
        }
        if collection.rules.isEmpty {
            stderr("sightline: no rule loaded\n")
            throw ExitCode(1)
        }
        let loaded = monotonicSeconds()
        let set = RuleSet(
            rules: parseOnly ? [] : collection.rules, filters: collection.filters, mapping: mapping,
            variant: LogSourceVariant(rawValue: logsource) ?? .both, minimumLevel: SigmaLevel(name: minLevel) ?? .informational)
        let hunter = Hunter(ruleSet: set, correlations: parseOnly ? [] : collection.correlations, readsAllFields: parseOnly)
        let workers = threads ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        // Every worker's copy of the rules is compiled here, before the hunt is timed.
        hunter.prepare(threads: workers)
        let tty = isatty(2) == 1
        let compiled = monotonicSeconds()
        let compiledCPU = processCPUSeconds()
        let bar = HuntProgressBar(enabled: tty, started: compiled)
        var progress: (@Sendable (HuntProgress) -> Void)?
        if tty { progress = { p in bar.update(p) } }

        let outputFormat = SightingFormat(rawValue: format) ?? .table
        let fd: Int32
        if let out {
            fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else {
                stderr("sightline: \(out): cannot write\n")
                throw ExitCode(1)
            }
        } else {
            fd = 1
        }
        defer { if fd != 1 { close(fd) } }
        if outputFormat == .csv { writeAll(fd, Array(SightingFormatter.csvHeader.utf8)) }
        let stats = Mutex(SightingStats())
        // Detections stream out in their final order as work items finish; nothing accumulates.
        let sink: @Sendable ([Sighting]) -> Void = { batch in
            switch outputFormat {
            case .jsonl:
                var bytes: [UInt8] = []
                for s in batch { SightingFormatter.jsonLine(s, into: &bytes) }
                writeAll(fd, bytes)
            case .csv:
                var bytes: [UInt8] = []
                for s in batch { SightingFormatter.csvRow(s, into: &bytes) }
                writeAll(fd, bytes)
            case .table:
                stats.withLock { st in for s in batch { st.add(s) } }
            }
        }
        let result = await hunter.hunt(paths: paths, threads: workers, progress: progress, sink: sink)
        bar.finish()
        let finished = monotonicSeconds()
        let finishedCPU = processCPUSeconds()
        if outputFormat == .table {
            let text = SightingFormatter.table(
                result, stats: stats.withLock { $0 }, rulesLoaded: collection.rules.count,
                rulesFailed: collection.failures.count, seconds: finished - compiled)
            writeAll(fd, Array(text.utf8))
        }
        if timing {
            stderr(
                "timing: events \(result.events) load_s \(loaded - started) compile_s \(compiled - loaded) "
                    + "hunt_s \(finished - compiled) hunt_cpu_s \(finishedCPU - compiledCPU) events_per_s \(Int(Double(result.events) / max(finished - compiled, 1e-9))) "
                    + "units \(set.unitCount) prefiltered \(set.prefilteredUnits) evaluations \(result.evaluations) "
                    + "scan_cache_hits \(result.scanCacheHits) scan_cache_lookups \(result.scanCacheLookups)\n")
        }
        if format != "table" {
            for (p, why) in result.skippedFiles { stderr("sightline: skipped \(p): \(why)\n") }
        }
        for p in result.problems.prefix(20) { stderr("sightline: \(p)\n") }
        if result.undecidedRegexTests > 0 {
            stderr(
                "sightline: \(result.undecidedRegexTests) regex test(s) could not be decided within PCRE2's limits "
                    + "and counted as no match\n")
        }
        if result.problems.count > 20 { stderr("sightline: … \(result.problems.count - 20) more problems\n") }
        if result.files.isEmpty { throw ExitCode(1) }
    }
}

/// A one-line progress bar on standard error: files done, events/s.
final class HuntProgressBar: Sendable {
    let enabled: Bool
    let started: Double
    let last = Mutex<Double>(0)

    init(enabled: Bool, started: Double) {
        self.enabled = enabled
        self.started = started
    }

    func update(_ p: HuntProgress) {
        guard enabled else { return }
        let now = monotonicSeconds()
        let due = last.withLock { t -> Bool in
            if now - t < 0.2 { return false }
            t = now
            return true
        }
        guard due else { return }
        let rate = Int(Double(p.events) / max(now - started, 1e-3))
        stderr("\r\u{1B}[Kfiles \(p.filesDone)/\(p.filesTotal)  events \(p.events)  \(rate) events/s  detections \(p.sightings)")
    }

    func finish() {
        if enabled { stderr("\r\u{1B}[K") }
    }
}

/// CPU time used by the whole process (every thread) so far.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

private func stderr(_ text: String) {
    writeAll(2, Array(text.utf8))
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { b in
        var done = 0
        while done < b.count {
            let n = write(fd, b.baseAddress! + done, b.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

/// The file's text (invalid UTF-8 repaired), or `nil` when it cannot be read.
private func readTextFile(_ path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}
