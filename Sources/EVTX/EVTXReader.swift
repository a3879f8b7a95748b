import Events

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a reader found in one EVTX file: records read, chunks, and every located problem.
public struct EVTXFileSummary: Sendable {
    /// The file as given.
    public var path: String
    /// The file header, when the file has one.
    public var header: EVTXFileHeader?
    /// Intact records read.
    public var records = 0
    /// Records carved from chunk slack (included in `records`).
    public var recoveredRecords = 0
    /// Chunk slots visited.
    public var chunks = 0
    /// Chunks that were all zeros (unused).
    public var emptyChunks = 0
    /// Every problem, in file order (header first).
    public var errors: [EVTXError] = []

    /// An empty summary for `path`.
    public init(path: String, header: EVTXFileHeader?) {
        self.path = path
        self.header = header
    }

    /// Chunks that were skipped or whose checksums failed.
    public var damagedChunks: Int {
        Set(errors.filter(\.isChunkLevel).map { ($0.offset - EVTXFile.fileHeaderSize) / EVTXFile.chunkSize }).count
    }

    /// Records that were skipped.
    public var damagedRecords: Int { errors.filter { !$0.isChunkLevel && !$0.isWarning }.count }

    mutating func add(_ chunk: EVTXChunkParser.ChunkSummary) {
        chunks += 1
        if chunk.isEmpty { emptyChunks += 1 }
        records += chunk.records
        recoveredRecords += chunk.recovered
        errors.append(contentsOf: chunk.errors)
    }
}

/// Output formats of ``EVTXReader/render(_:displayName:format:threads:write:)``.
public enum EVTXOutputFormat: String, Sendable, CaseIterable {
    /// One JSON object per line: `{"record_id":N,"timestamp":"…","file":"…","event":{…}}`.
    case jsonl
    /// Each record's XML, indented.
    case xml
}

/// Parsers reused across chunk tasks.
final class ParserPool: @unchecked Sendable {
    // Sendable: the array is only touched under the lock; a parser is used by one task at a time.
    private let lock = PthreadLock()
    private var parsers: [EVTXChunkParser] = []

    func take() -> EVTXChunkParser {
        lock.withLock { parsers.popLast() } ?? EVTXChunkParser()
    }

    func give(_ p: EVTXChunkParser) {
        lock.withLock { parsers.append(p) }
    }
}

/// A pthread mutex (the parser stays free of Foundation).
final class PthreadLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    deinit { pthread_mutex_destroy(&mutex) }

    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// Reads whole EVTX files: sequentially record by record, or rendered in parallel by chunk.
public enum EVTXReader {
    /// Calls `body` with each intact record of `file`, in file order, on the calling thread.
    @discardableResult
    public static func forEachRecord(
        in file: EVTXFile,
        verifyingChecksums: Bool = true,
        recoveringSlack: Bool = false,
        _ body: (borrowing EVTXRecord) -> Void
    ) -> EVTXFileSummary {
        var summary = EVTXFileSummary(path: file.path, header: file.header)
        summary.errors = file.headerErrors
        let parser = EVTXChunkParser()
        parser.verifiesChecksums = verifyingChecksums
        parser.recoversSlack = recoveringSlack
        for i in 0..<file.chunkCount {
            summary.add(parser.parse(file, chunk: i, body))
        }
        return summary
    }

    /// Every intact record of `file` as an ``Events/Event``, with the file's summary.
    public static func events(in file: EVTXFile, name: String? = nil) -> ([Event], EVTXFileSummary) {
        var events: [Event] = []
        let summary = forEachRecord(in: file) { record in events.append(record.event(file: name ?? file.path)) }
        return (events, summary)
    }

    /// Renders every intact record of `file`, calling `write` with the output of each chunk (or of each
    /// batch of consecutive chunks) in file order.
    ///
    /// Chunks are independent, so with `threads` > 1 batches of up to 8 chunks are parsed concurrently in a
    /// sliding window of `4 × threads` tasks and written in order: the output is the same for any thread
    /// count.
    ///
    /// - Parameters:
    ///   - displayName: the file name written in each JSON line's `file` member.
    ///   - format: JSON lines or XML.
    ///   - threads: worker count (at least 1).
    ///   - write: receives the rendered bytes of each chunk, in order.
    public static func render(
        _ file: EVTXFile,
        displayName: String,
        format: EVTXOutputFormat,
        threads: Int,
        recoveringSlack: Bool = false,
        write: ([UInt8]) -> Void
    ) async -> EVTXFileSummary {
        var summary = EVTXFileSummary(path: file.path, header: file.header)
        summary.errors = file.headerErrors
        var quotedName: [UInt8] = []
        quotedName = [0x22]
        UTF16Text.appendEscaping(Array(displayName.utf8), into: &quotedName, escape: .json)
        quotedName.append(0x22)
        let name = quotedName
        let threads = max(1, threads)
        if threads == 1 || file.chunkCount < 2 {
            let parser = EVTXChunkParser()
            parser.recoversSlack = recoveringSlack
            parser.decoder.rendersShapes = format == .jsonl
            var out: [UInt8] = []
            out.reserveCapacity(1 << 20)
            for i in 0..<file.chunkCount {
                parser.output.count = 0
                summary.add(renderChunk(file, i, parser: parser, format: format, name: name))
                out.removeAll(keepingCapacity: true)
                out.append(bytes: parser.output.bytes)
                if !out.isEmpty { write(out) }
            }
            return summary
        }
        // A sliding window of tasks, each rendering a batch of consecutive chunks: workers never wait for a
        // whole window, and finished batches are written as soon as every earlier one has been. Batches
        // (up to 8 chunks) keep the per-task overhead small on big files; small files get one chunk each.
        let batch = max(1, min(8, file.chunkCount / (threads * 16)))
        let batches = (file.chunkCount + batch - 1) / batch
        let window = threads * 4
        let pool = ParserPool()
        await withTaskGroup(of: (Int, [UInt8], [EVTXChunkParser.ChunkSummary]).self) { group in
            var next = 0
            var inFlight = 0
            var pending: [Int: ([UInt8], [EVTXChunkParser.ChunkSummary])] = [:]
            var written = 0
            func launch(_ b: Int) {
                group.addTask {
                    let parser = pool.take()
                    parser.recoversSlack = recoveringSlack
                    parser.decoder.rendersShapes = format == .jsonl
                    parser.output.count = 0
                    var summaries: [EVTXChunkParser.ChunkSummary] = []
                    for i in (b * batch)..<min(file.chunkCount, (b + 1) * batch) {
                        summaries.append(renderChunk(file, i, parser: parser, format: format, name: name))
                    }
                    // An exact-size copy: pending batches hold no spare capacity.
                    let out = Array(parser.output.bytes)
                    pool.give(parser)
                    return (b, out, summaries)
                }
            }
            while next < batches && inFlight < window {
                launch(next)
                next += 1
                inFlight += 1
            }
            while let (b, out, s) = await group.next() {
                inFlight -= 1
                pending[b] = (out, s)
                while let (out, s) = pending.removeValue(forKey: written) {
                    for chunk in s { summary.add(chunk) }
                    if !out.isEmpty { write(out) }
                    written += 1
                }
                while next < batches && inFlight < window {
                    launch(next)
                    next += 1
                    inFlight += 1
                }
            }
        }
        return summary
    }

    /// Renders chunk `index` into `parser.output` (appending).
    static func renderChunk(
        _ file: EVTXFile,
        _ index: Int,
        parser: EVTXChunkParser,
        format: EVTXOutputFormat,
        name: [UInt8]
    ) -> EVTXChunkParser.ChunkSummary {
        let summary = parser.parse(file, chunk: index) { record in
            var o = parser.output
            switch format {
            case .jsonl:
                o.append(#"{"record_id":"#)
                appendDecimal(record.recordID, into: &o)
                if record.isRecovered { o.append(#","recovered":true"#) }
                o.append(#","timestamp":""#)
                appendISO8601(record.timestamp, fractionDigits: 7, into: &o)
                o.append(#"","file":"#)
                o.append(name)
                o.append(#","event":"#)
                parser.decoder.appendRecordJSON(into: &o)
                o.append("}\n")
            case .xml:
                if let root = parser.decoder.recordTreeRoot() { parser.decoder.renderXMLInPlace(root: root, into: &o) }
            }
            parser.output = o
        }
        return summary
    }
}

/// Appends the decimal digits of `v`.
@inline(__always)
func appendDecimal<O: ByteSink>(_ v: UInt64, into out: inout O) {
    out.write(maxCount: 20) { dst in
        var digits = 1
        var m = v
        while m >= 10 {
            digits += 1
            m /= 10
        }
        m = v
        var i = digits
        repeat {
            i -= 1
            dst[i] = UInt8(truncatingIfNeeded: 48 + m % 10)
            m /= 10
        } while m > 0
        return digits
    }
}
