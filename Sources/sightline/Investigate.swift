import ArgumentParser
import Attribution
import FileScan
import Foundation
import Investigation
import JSON
import Knowledge
import Reports
import STIX
import Sigma

/// `sightline investigate PATH...`: the main job.
struct Investigate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hunt the evidence, group detections into campaigns, and say who did it, how sure, and why.",
        discussion: """
            PATH is files or folders of .evtx and JSON event logs, and of suspicious files. Sightline's own Sigma \
            rules always run (Sources/Investigation/Rules); --rules adds yours; the knowledge base's indicators \
            (addresses, domains, file hashes) are swept for in the same pass. Every other file is read as a \
            suspicious file: hashed (MD5, SHA-1, SHA-256, ssdeep, TLSH) and scanned with Sightline's own YARA rules \
            (Sources/Investigation/YARA) and yours (--yara); it joins the investigation when a rule matches it, a detection names its hash, or the knowledge base \
            links its hash or digest to an actor, and a YARA rule's family name counts as software. Formats: \
            table (people), json (machines), stix (a STIX 2.1 bundle: report, campaigns, sightings, indicators, \
            attributed-to relationships).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "Files or folders of event logs.") var paths: [String] = []
    @Option(name: .long, help: "More Sigma rule files or folders (repeatable).") var rules: [String] = []
    @Option(help: "Output format: table, json or stix.") var format: String = "table"
    @Option(help: "Candidates per campaign.") var top = 3
    @Option(name: .customLong("victim-country"), help: "A victim's country, ISO 3166 code (repeatable); weighs in attribution.")
    var victimCountries: [String] = []
    @Option(name: .customLong("victim-sector"), help: "A victim's sector, e.g. 'financial services' (repeatable); weighs in attribution.")
    var victimSectors: [String] = []
    @Flag(help: "Do not sweep the events for the knowledge base's indicators (addresses, domains, hashes).")
    var noIndicatorSweep = false
    @Option(name: .long, help: "More YARA rule files or folders of .yar/.yara files to scan the suspicious files with (repeatable).")
    var yara: [String] = []
    @Flag(help: "Do not read the files that are not event logs as suspicious files.")
    var noFileScan = false
    @OptionGroup var geoip: GeoIPOption
    @Option(help: "Worker threads (default: the number of cores).") var threads: Int?
    @Option(help: "Write the output to FILE instead of standard output.") var out: String?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("at least one PATH is required") }
        if !["table", "json", "stix"].contains(format) { throw ValidationError("--format must be table, json or stix") }
        for c in victimCountries where c.count != 2 || ISOCountry.code(of: c) == nil {
            throw ValidationError("--victim-country takes an assigned two-letter ISO 3166 code, not '\(c)'")
        }
        for (option, paths) in [("--rules", rules), ("--yara", yara)] {
            for p in paths where !FileManager.default.fileExists(atPath: p) {
                throw ValidationError("\(option) \(p): no such file or folder")
            }
        }
        if noFileScan && !yara.isEmpty { throw ValidationError("--yara scans suspicious files, which --no-file-scan turns off") }
        if !yara.isEmpty && YARARules.ruleFiles(yara).isEmpty {
            throw ValidationError("--yara \(yara.joined(separator: " ")): no .yar or .yara file")
        }
    }

    func run() async throws {
        guard let builtin = BuiltinRules.folder else { throw ValidationError("Sightline's own rules are missing from the install") }
        let collection = RuleLoader.load(paths: [builtin] + rules)
        for f in collection.failures { printError("rule skipped: \(f)") }
        let kb = try store.open()
        var investigator = Investigator(rules: collection, model: AttributionModel(graph: try KnowledgeGraph(store: kb)), top: top)
        investigator.victimCountries = victimCountries.compactMap(ISOCountry.code(of:))
        investigator.victimSectors = victimSectors
        investigator.sweepsIndicators = !noIndicatorSweep
        investigator.locateAddress = try geoip.lookup()
        investigator.scansFiles = !noFileScan
        if !noFileScan {
            guard let ownYARA = BuiltinRules.yaraFolder else { throw ValidationError("Sightline's own YARA rules are missing from the install") }
            do {
                let compiled = try YARARules(paths: [ownYARA] + yara)
                // The user's rules: at least one of their files must be compiled (alone, or in a file that
                // includes it), unless they named only Sightline's own.
                let own = Set(YARARules.ruleFiles([ownYARA]))
                let theirs = Set(YARARules.ruleFiles(yara)).subtracting(own)
                if !theirs.isEmpty && theirs.isDisjoint(with: compiled.loadedFiles) {
                    let why = compiled.failures.map(\.description).joined(separator: "; ")
                    throw ValidationError("--yara: no rule file compiled from \(yara.joined(separator: " "))" + (why.isEmpty ? "" : ": " + why))
                }
                for f in compiled.failures { printError("YARA rule file skipped: \(f)") }
                investigator.yaraRules = compiled
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("--yara: \(error)")
            }
        }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let result = await investigator.investigate(paths: paths, threads: max(1, workers))
        let text: String
        switch format {
        case "json": text = JSONWriter(indent: 2).string(InvestigationRendering.json(result)) + "\n"
        case "stix":
            let now = STIXTimestamp(seconds: Int64(Date().timeIntervalSince1970), nanoseconds: 0, fractionDigits: 3)
            text = JSONWriter(indent: 1).string(try InvestigationRendering.stix(result, store: kb, now: now).json) + "\n"
        default: text = InvestigationRendering.text(result)
        }
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                printError("cannot write \(out): \((error as NSError).localizedDescription)")
                throw ExitCode.failure
            }
        } else {
            print(text, terminator: "")
        }
        if result.files == 0 && result.suspiciousFiles.scanned == 0 {
            printError("no input could be read")
            throw ExitCode.failure
        }
    }
}
