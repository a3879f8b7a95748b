import JSON

/// The line protocol of `sightline pattern eval`, one case per line.
///
/// Input: `{"id": "c1", "pattern": "…", "observed_data": [ …objects of one bundle… ]}`.
/// Output, exactly one line per case: `{"id": "c1", "match": true}`, `{"id": "c1", "match": false}`, or
/// `{"id": "c1", "error": "…"}` for an invalid pattern, malformed line or unusable observed data.
///
/// A runner keeps scratch buffers and the patterns it has compiled (by text) between lines, so a stream
/// of cases should go through one runner. A well-formed case is read from a ``JSONTape``: only the
/// members of the objects its pattern can look at are decoded. Anything unusual (invalid JSON, escaped
/// keys, unusable observed data, …) is handed to the decoding path, which reads the whole line into
/// ``JSONValue``s and gives the exact error; both paths give the same answer for every line.
public struct PatternCaseRunner {
    var tape = JSONTape()
    var cache = CompiledCaseCache()
    var scratch = TapeScratch()

    public init() {}

    /// Evaluates one input line (without its newline) and appends one output line, newline included.
    public mutating func evaluate(line: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        if evaluateFromTape(line, into: &out) { return }
        PatternCaseRunner.evaluateDecoded(line: line, into: &out)
    }

    /// Evaluates one input line (without its newline) with a fresh runner and appends one output line.
    public static func run(line: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var runner = PatternCaseRunner()
        runner.evaluate(line: line, into: &out)
    }

    /// Evaluates one line given as a string; returns the output line without its newline.
    public static func run(line: String) -> String {
        var out: [UInt8] = []
        var line = line
        line.withUTF8 { run(line: UnsafeRawBufferPointer($0), into: &out) }
        out.removeLast()
        return String(decoding: out, as: UTF8.self)
    }

    struct CaseError: Error {
        var message: String
        init(_ m: String) { message = m }
    }

    /// The reference path: decodes the whole line, then evaluates it.
    static func evaluateDecoded(line: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var id: JSONValue = .null
        let result: Result<Bool, CaseError>
        do throws(CaseError) {
            let value: JSONValue
            do {
                value = try JSONParser.parse(raw: line)
            } catch {
                // Keep the case's id when only the UTF-8 is bad, so the error line can be matched to it.
                if case .object(let o)? = try? JSONParser.parse(raw: line, repairingInvalidUTF8: true) {
                    id = o["id"] ?? .null
                }
                throw CaseError("invalid JSON: \(error)")
            }
            guard case .object(let o) = value else { throw CaseError("a case must be a JSON object") }
            id = o["id"] ?? .null
            result = .success(try evaluate(o))
        } catch {
            result = .failure(error)
        }
        out.append(contentsOf: #"{"id": "#.utf8)
        JSONWriter().write(id, into: &out)
        appendResult(result, into: &out)
    }

    static func appendResult(_ result: Result<Bool, CaseError>, into out: inout [UInt8]) {
        switch result {
        case .success(let m):
            out.append(contentsOf: (m ? #", "match": true}"# : #", "match": false}"#).utf8)
        case .failure(let e):
            out.append(contentsOf: #", "error": "#.utf8)
            JSONWriter.writeString(e.message, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(0x0A)
    }

    static func evaluate(_ o: JSONObject) throws(CaseError) -> Bool {
        guard case .string(let text)? = o["pattern"] else { throw CaseError("missing string 'pattern'") }
        guard case .array(let objects)? = o["observed_data"] else { throw CaseError("missing array 'observed_data'") }
        let matcher: PatternMatcher
        do {
            matcher = try PatternMatcher(text, jit: false)
        } catch {
            throw CaseError("invalid pattern: \(error)")
        }
        let observations: ObservationSet
        do {
            observations = try ObservationSet(objects: objects)
        } catch {
            throw CaseError("invalid observed_data: \(error)")
        }
        do {
            return try matcher.matches(observations)
        } catch {
            throw CaseError(error.description)
        }
    }
}
