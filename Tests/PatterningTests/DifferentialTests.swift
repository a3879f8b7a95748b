import Foundation
import JSON
import Testing

@testable import Patterning

/// Randomized differential test against the OASIS reference matcher (`stix2-matcher`, STIX 2.1).
///
/// Runs when `SIGHTLINE_PYTHON` names a Python with `stix2-matcher` installed (`make test` sets it);
/// otherwise it is skipped with a message. Every case must give the same answer from both engines
/// (or an error from both), except cases that contain a construct on which the reference departs
/// from the specification (``PatternCaseGenerator/Deviation``); those are counted by kind.
@Suite struct DifferentialTests {
    static let caseCount = 1000
    static let seed: UInt64 = 20_241_129

    static let referencePython: String? = {
        guard let python = ProcessInfo.processInfo.environment["SIGHTLINE_PYTHON"], !python.isEmpty else {
            print("DifferentialTests: skipped: SIGHTLINE_PYTHON is not set (make test sets it up)")
            return nil
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import stix2matcher"]
        check.standardError = FileHandle.nullDevice
        do {
            try check.run()
            check.waitUntilExit()
        } catch {
            print("DifferentialTests: skipped: cannot run \(python): \(error)")
            return nil
        }
        guard check.terminationStatus == 0 else {
            print("DifferentialTests: skipped: \(python) has no stix2-matcher (pip install stix2-matcher)")
            return nil
        }
        return python
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/stix2_matcher_eval.py")

    enum Outcome: Equatable {
        case match(Bool)
        case error(String)

        init(_ line: Substring) {
            guard let v = try? JSONParser.parse(String(line)) else {
                self = .error("unreadable line: \(line)")
                return
            }
            if case .bool(let b)? = v["match"] {
                self = .match(b)
            } else {
                self = .error(v["error"]?.stringValue ?? "?")
            }
        }

        var isError: Bool {
            if case .error = self { return true }
            return false
        }
    }

    @Test(.enabled(if: referencePython != nil, "needs SIGHTLINE_PYTHON with stix2-matcher"))
    func agreesWithTheReferenceMatcher() throws {
        var generator = PatternCaseGenerator(seed: Self.seed)
        let cases = (0..<Self.caseCount).map { _ in generator.nextCase() }
        let input = cases.map(\.line).joined(separator: "\n") + "\n"

        let ours = cases.map { Outcome(Substring(PatternCaseRunner.run(line: $0.line))) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.referencePython!)
        process.arguments = [Self.script.path]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        try #require(lines.count == cases.count, "reference wrote \(lines.count) lines for \(cases.count) cases")
        let reference = lines.map(Outcome.init)

        var agreeMatch = 0
        var agreeNoMatch = 0
        var bothErrors = 0
        var deviations: [PatternCaseGenerator.Deviation: Int] = [:]
        var unexplained: [String] = []
        for (i, c) in cases.enumerated() {
            switch (ours[i], reference[i]) {
            case (.match(let a), .match(let b)) where a == b:
                if a { agreeMatch += 1 } else { agreeNoMatch += 1 }
            case (.error, .error):
                bothErrors += 1
            default:
                if let kind = PatternCaseGenerator.Deviation.allCases.first(where: { c.deviations.contains($0) }) {
                    deviations[kind, default: 0] += 1
                } else {
                    unexplained.append("\(c.id): ours \(ours[i]), reference \(reference[i]): \(c.pattern)")
                }
            }
        }
        let kinds = PatternCaseGenerator.Deviation.allCases.map { "\($0.rawValue) \(deviations[$0] ?? 0)" }
        print(
            """
            DifferentialTests: \(cases.count) cases (seed \(Self.seed)): \(agreeMatch + agreeNoMatch + bothErrors) agree \
            (\(agreeMatch) match, \(agreeNoMatch) no match, \(bothErrors) both error); documented deviations: \
            \(kinds.joined(separator: ", ")); unexplained \(unexplained.count)
            """)
        for u in unexplained.prefix(10) { print("  " + u) }
        #expect(unexplained.isEmpty)
        // The generator must keep producing a useful mix.
        #expect(agreeMatch >= cases.count / 10)
        #expect(agreeNoMatch >= cases.count / 10)
        #expect(ours.filter(\.isError).count <= cases.count / 20)
    }
}
