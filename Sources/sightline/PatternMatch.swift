import ArgumentParser
import Foundation
import Indicators
import JSON
import Patterning
import STIX

extension Pattern {
    /// `sightline pattern match`: STIX indicators from a file, observations as JSON lines, the indicators
    /// each observation matches out, through the indicator index (no indicator is evaluated against an
    /// observation that cannot match it).
    struct Match: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Match observed objects (JSON lines) against the STIX indicators of a file.",
            discussion: """
                INDICATORS is a STIX 2.1 bundle, a JSON array of objects or one object; its indicator objects
                with STIX patterns are loaded (other objects and other pattern languages are counted and left
                out; an invalid pattern is reported with the indicator's id and left out).
                Each input line is one STIX cyber-observable object, e.g. {"type": "ipv4-addr", "value":
                "175.45.178.19"} or {"type": "file", "hashes": {"SHA-256": "…"}}.
                Each output line: {"line": 3, "matches": ["indicator--…", …]} (every indicator whose pattern
                this one object satisfies, in load order), or {"line": 3, "error": "…"} for a line that is not
                such an object; blank lines are skipped. A summary goes to standard error.
                """)

        @Option(name: .long, help: "The file of STIX indicators (bundle, array or one object).")
        var indicators: String

        @Argument(help: "JSON lines of observed objects (default: standard input).")
        var input: String?

        @Flag(help: "Write only the lines that match something.")
        var matchesOnly = false

        func run() async throws {
            let clock = ContinuousClock()
            let started = clock.now
            let loaded = try Match.load(indicators)
            let index = IndicatorIndex(indicators: loaded.indicators)
            let built = clock.now
            let several = index.census[.multiObservation] ?? 0
            var note = "loaded \(index.count - index.rejected.count - several) indicator(s) from \(indicators)"
            var skips: [String] = []
            if loaded.otherObjects > 0 { skips.append("\(loaded.otherObjects) other object(s)") }
            if loaded.otherLanguages > 0 { skips.append("\(loaded.otherLanguages) indicator(s) in other pattern languages") }
            if !index.rejected.isEmpty { skips.append("\(index.rejected.count) invalid pattern(s)") }
            if several > 0 {
                skips.append("\(several) that need several observations (one object never matches them)")
            }
            if !loaded.errors.isEmpty { skips.append("\(loaded.errors.count) invalid object(s)") }
            if !skips.isEmpty { note += "; left out: " + skips.joined(separator: ", ") }
            Match.warn(note + " (\(Match.format(built - started)))")
            for e in loaded.errors.prefix(10) { Match.warn("  \(e)") }
            for r in index.rejected.prefix(10) { Match.warn("  \(index.id(r.ordinal)): invalid pattern: \(r.error)") }
            let moreErrors = loaded.errors.count + index.rejected.count - min(10, loaded.errors.count) - min(10, index.rejected.count)
            if moreErrors > 0 { Match.warn("  … and \(moreErrors) more") }

            let fd: Int32
            if let input {
                fd = open(input, O_RDONLY)
                guard fd >= 0 else { throw ValidationError("cannot open \(input): \(String(cString: strerror(errno)))") }
            } else {
                fd = 0
            }
            defer { if fd != 0 { close(fd) } }
            let reader = LineReader(fd: fd)
            let scratch = IndicatorIndex.MatchScratch()
            var out: [UInt8] = []
            out.reserveCapacity(1 << 16)
            var lineNumber = 0
            var observations = 0
            var matched = 0
            var failed = 0
            var hits: [Int32] = []
            while let ok = reader.nextLine({ line in
                lineNumber += 1
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
                let object: JSONObject
                do {
                    guard case .object(let o) = try JSONParser.parse(raw: line) else {
                        throw JSONError(.unexpectedByte(line.first ?? 0), at: 0)
                    }
                    guard case .string? = o["type"] else {
                        failed += 1
                        Match.line(lineNumber, error: "an observed object needs a \"type\" string", into: &out)
                        return
                    }
                    object = o
                } catch {
                    failed += 1
                    Match.line(lineNumber, error: "not a JSON object: \(error)", into: &out)
                    return
                }
                observations += 1
                hits.removeAll(keepingCapacity: true)
                index.matches(object, using: scratch) { hits.append($0) }
                if hits.count > 1 {
                    hits.sort()
                    var unique: [Int32] = []
                    for h in hits where unique.last != h { unique.append(h) }
                    hits = unique
                }
                if !hits.isEmpty { matched += 1 }
                if hits.isEmpty && matchesOnly { return }
                out.append(contentsOf: #"{"line": \#(lineNumber), "matches": ["#.utf8)
                for (i, h) in hits.enumerated() {
                    if i > 0 { out.append(contentsOf: ", ".utf8) }
                    JSONWriter.writeString(index.id(h), into: &out)
                }
                out.append(contentsOf: "]}\n".utf8)
            }), ok {
                if out.count >= 1 << 16 {
                    Eval.writeAll(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            Eval.writeAll(out)
            if reader.readError != 0 {
                Match.warn("sightline: \(input ?? "standard input"): read failed: \(String(cString: strerror(reader.readError)))")
                throw ExitCode(1)
            }
            let elapsed = clock.now - built
            Match.warn(
                "\(observations) observation(s), \(matched) matched at least one indicator"
                    + (failed > 0 ? ", \(failed) line(s) not an observed object (error lines written)" : "")
                    + " (\(Match.format(elapsed)))")
        }

        static func line(_ n: Int, error: String, into out: inout [UInt8]) {
            out.append(contentsOf: #"{"line": \#(n), "error": "#.utf8)
            JSONWriter.writeString(error, into: &out)
            out.append(contentsOf: "}\n".utf8)
        }

        struct Loaded {
            var indicators: [(id: String, pattern: String)] = []
            var otherObjects = 0
            var otherLanguages = 0
            var errors: [String] = []
        }

        /// The STIX-pattern indicators of a file, with what was left out counted.
        static func load(_ path: String) throws -> Loaded {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            var loaded = Loaded()
            do {
                _ = try data.withUnsafeBytes { raw throws(STIXError) in
                    try STIXReader.read(raw) { item in
                        switch item.result {
                        case .failure(let e):
                            loaded.errors.append("\(path): object \(item.index) at byte \(item.offset): \(e)")
                        case .success(let o):
                            guard o.type == "indicator" else {
                                loaded.otherObjects += 1
                                return
                            }
                            guard (o["pattern_type"]?.stringValue ?? "stix") == "stix" else {
                                loaded.otherLanguages += 1
                                return
                            }
                            guard let pattern = o["pattern"]?.stringValue else {
                                loaded.errors.append("\(path): object \(item.index) at byte \(item.offset): indicator \(o.id) has no pattern")
                                return
                            }
                            loaded.indicators.append((id: o.id, pattern: pattern))
                        }
                    }
                }
            } catch {
                throw ValidationError("\(path): \(error)")
            }
            return loaded
        }

        static func warn(_ s: String) {
            var bytes = Array((s + "\n").utf8)
            _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
        }

        static func format(_ d: Duration) -> String {
            let (s, a) = d.components
            return String(format: "%.2f s", Double(s) + Double(a) / 1e18)
        }
    }
}
