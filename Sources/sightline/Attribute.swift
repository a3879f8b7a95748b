import ArgumentParser
import Attribution
import Foundation
import JSON
import Knowledge
import Reports

/// `sightline attribute EVIDENCE.json`
struct Attribute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank the actors that could be behind a body of evidence, with confidence and explanations.",
        discussion: """
            EVIDENCE.json (every key optional): {"techniques": ["T1059.001", …], "software": ["S0041" or a name, …], \
            "indicators": [{"type": "ipv4-addr", "value": "…", "country": "CN" (optional)}], "activity_times": ["2013-03-20T05:00:00Z", …], \
            "victims": {"sectors": ["financial services"], "countries": ["KR"]}, "file_hashes": ["…"], "tlsh": ["T1…"], "ssdeep": ["96:…:…"]}. \
            Use '-' to read standard input.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "How many candidates to show.") var top = 5
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table
    @OptionGroup var geoip: GeoIPOption
    @Argument(help: "The evidence file (JSON), or '-' for standard input.") var evidence: String

    func run() async throws {
        let data: Data
        do {
            data = evidence == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: evidence))
        } catch {
            throw KnowledgeError.unreadable(path: evidence, reason: error.localizedDescription)
        }
        var parsed: Evidence
        do {
            parsed = try Evidence.parse(try JSONParser.parse([UInt8](data)))
        } catch {
            throw ValidationError("\(evidence): \(error)")
        }
        if let locate = try geoip.lookup() { parsed.locateAddresses(with: locate) }
        let model = AttributionModel(graph: try KnowledgeGraph(store: try store.open()))
        let result = model.attribute(parsed, top: top)
        switch format {
        case .json: print(JSONWriter(indent: 2).string(AttributionRendering.json(result)))
        case .table: print(AttributionRendering.text(result))
        }
    }
}

/// `sightline evaluate`
struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Sightline against held-out data.", subcommands: [EvaluateAttribution.self])
}

/// `sightline evaluate attribution`
struct EvaluateAttribution: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Leave-one-campaign-out and report-level holdout over ATT&CK, beside a TF-IDF baseline.",
        discussion: """
            Builds a fresh in-memory store from the given files only (no built-in knowledge, so nothing held out \
            leaks back in), then runs the benchmark. Default files: ../shared/corpus's ATT&CK Enterprise v18.1 \
            and MISP threat-actor galaxy (for countries).
            """)

    @Option(help: "Output format: table or json.") var format: OutputFormat = .table
    @Option(
        help: ArgumentHelp(
            "Write the graph the benchmark runs on (actors, techniques, software, relationships with their references) as JSON to this file, and stop: for outside analysis (scripts/attribution-families.py).",
            valueName: "file"))
    var exportGraph: String?
    @Argument(help: "Knowledge files to evaluate on.") var files: [String] = [
        "../shared/corpus/attack/enterprise-attack-18.1.json", "../shared/corpus/misp-galaxy/threat-actor.json",
    ]

    func run() async throws {
        let kb = try KnowledgeStore(path: nil, options: .init(loadsBuiltinPack: false))
        for f in files {
            let r = try kb.importFile(f)
            if !r.importedAnything { throw KnowledgeError.badFormat(path: f, reason: "nothing imported") }
        }
        let graph = try KnowledgeGraph(store: kb)
        if let exportGraph {
            try Data(JSONWriter().string(graph.exportJSON()).utf8).write(to: URL(fileURLWithPath: exportGraph))
            return
        }
        let clock = ContinuousClock()
        let start = clock.now
        let (rows, fitted) = AttributionBenchmark.run(
            graph: graph, parameters: .init(), fitTemperature: true)
        let elapsed = clock.now - start
        switch format {
        case .json: print(JSONWriter(indent: 2).string(AttributionRendering.benchmarkJSON(rows)))
        case .table:
            print(AttributionRendering.benchmarkTable(rows))
            let shipped = AttributionModel.Parameters()
            print(
                "calibration fitted on the held-out queries: temperature \(String(format: "%.3f", fitted.temperature)), "
                    + "P(known actor) = logistic(\(String(format: "%.3f", fitted.knownSlope)) × score/√n \(String(format: "%+.3f", fitted.knownIntercept))) "
                    + "(shipped: \(String(format: "%.2f", shipped.temperature)), \(String(format: "%.3f", shipped.knownSlope)), \(String(format: "%+.3f", shipped.knownIntercept))); "
                    + "every ECE is 5-fold cross-validated")
            print("(\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))))")
        }
    }
}
