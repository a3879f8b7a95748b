import Events
import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The layouts of JSON event logs this reader understands.
public enum JSONEventLayout: String, Sendable, CaseIterable {
    /// Decide per event: `Event` key → ``evtx``; `record_id` + `event` (a `sightline events dump` line)
    /// → ``evtx``; `winlog` key → ``winlogbeat``; otherwise ``flat``.
    case auto
    /// The Rust `evtx` crate's shape (`evtx_dump -o jsonl`, SigmaHQ regression data):
    /// `{"Event": {"System": …, "EventData": …}}`, attributes under `#attributes`.
    case evtx
    /// Winlogbeat / Elastic Common Schema: `winlog.event_data.*`, `winlog.event_id`, `@timestamp`.
    case winlogbeat
    /// Flat Sysmon / NXLog JSON: one object whose keys are the field names.
    case flat
}

/// Reads Windows events from JSON: JSON lines, concatenated (pretty-printed) documents, or one top-level array.
///
/// The file is read in blocks and parsed with the byte-level ``JSON/JSONCursor``; memory is bounded by the
/// largest single event, not the file. A malformed event is skipped with a located ``LogFormatError``
/// and reading resumes at the next line.
public struct JSONEventReader: Sendable {
    /// The layout to read, or `.auto` to decide per event.
    public var layout: JSONEventLayout

    /// A reader for `layout`.
    public init(layout: JSONEventLayout = .auto) {
        self.layout = layout
    }

    /// Reads the file at `path`, calling `body` with each event in file order.
    ///
    /// - Throws: ``LogFormatError`` when the file cannot be opened.
    @discardableResult
    public func read(path: String, _ body: (Event) -> Void) throws(LogFormatError) -> LogReadSummary {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LogFormatError(file: path, line: 0, offset: 0, message: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var eof = false
        var summary = LogReadSummary()
        var state = ScanState()
        while true {
            if filled == buffer.count {
                // One value is larger than the buffer: grow it.
                buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))
            }
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n <= 0 { eof = true } else { filled += n }
            let consumed = buffer.withUnsafeBytes { raw in
                scan(
                    UnsafeRawBufferPointer(rebasing: raw[0..<filled]),
                    file: path,
                    isFinal: eof,
                    state: &state,
                    summary: &summary,
                    body
                )
            }
            state.base += consumed
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { b in
                    let base = b.baseAddress!
                    (base).copyMemory(from: base + consumed, byteCount: filled - consumed)
                }
                filled -= consumed
            }
            if eof { break }
        }
        return summary
    }

    /// Reads events from bytes held in memory.
    @discardableResult
    public func read(bytes: [UInt8], file: String, _ body: (Event) -> Void) -> LogReadSummary {
        var summary = LogReadSummary()
        var state = ScanState()
        _ = bytes.withUnsafeBytes { scan($0, file: file, isFinal: true, state: &state, summary: &summary, body) }
        return summary
    }

    /// Position bookkeeping carried from block to block.
    struct ScanState {
        /// File offset of the first byte of the current buffer (the caller advances it by what `scan` consumed).
        var base = 0
        /// Line number at the start of the current buffer.
        var line = 1
        /// Inside a top-level array.
        var inArray = false
    }

    /// Parses the complete values in `raw`; returns how many bytes were consumed.
    func scan(
        _ raw: UnsafeRawBufferPointer,
        file: String,
        isFinal: Bool,
        state: inout ScanState,
        summary: inout LogReadSummary,
        _ body: (Event) -> Void
    ) -> Int {
        var consumed = 0
        var cursor = JSONCursor(raw)
        cursor.repairsInvalidUTF8 = true
        func advanceLines(to end: Int) {
            var i = consumed
            while i < end {
                if raw[i] == 0x0A { state.line += 1 }
                i += 1
            }
            consumed = end
        }
        while true {
            guard let c = cursor.peek() else {
                advanceLines(to: raw.count)
                return consumed
            }
            if !state.inArray && c == UInt8(ascii: "[") && state.base + cursor.offset == 0 {
                cursor = JSONCursor(raw, offset: cursor.offset + 1)
                cursor.repairsInvalidUTF8 = true
                state.inArray = true
                advanceLines(to: cursor.offset)
                continue
            }
            if state.inArray && (c == UInt8(ascii: ",") || c == UInt8(ascii: "]")) {
                var skip = JSONCursor(raw, offset: cursor.offset + 1)
                _ = skip.peek()
                cursor = skip
                cursor.repairsInvalidUTF8 = true
                if c == UInt8(ascii: "]") { state.inArray = false }
                advanceLines(to: cursor.offset)
                continue
            }
            let start = cursor.offset
            advanceLines(to: start)
            do {
                let value = try cursor.parseValue()
                let line = state.line
                advanceLines(to: cursor.offset)
                if let event = makeEvent(value, file: file, line: line, offset: state.base + start) {
                    summary.events += 1
                    body(event)
                } else {
                    summary.errors.append(
                        LogFormatError(file: file, line: line, offset: state.base + start, message: "not a JSON object")
                    )
                }
            } catch {
                if case .unexpectedEnd = error.kind, !isFinal {
                    // The value continues in the next block.
                    return consumed
                }
                summary.errors.append(
                    LogFormatError(file: file, line: state.line, offset: state.base + error.offset, message: "\(error)")
                )
                // Resume after the line where the bad value starts.
                var i = start
                while i < raw.count && raw[i] != 0x0A { i += 1 }
                if i >= raw.count && !isFinal { return consumed }
                advanceLines(to: min(raw.count, i + 1))
                cursor = JSONCursor(raw, offset: consumed)
                cursor.repairsInvalidUTF8 = true
            }
        }
    }

    /// Converts one parsed JSON value to an event, or `nil` when it is not an object.
    public func makeEvent(_ value: JSONValue, file: String, line: Int, offset: Int) -> Event? {
        guard case .object(let object) = value else { return nil }
        var recordID: UInt64? = nil
        var chosen = layout
        var root = object
        var dumpTimestamp: String? = nil
        if layout == .auto || layout == .evtx {
            if case .object(let inner)? = object["event"], object["record_id"] != nil {
                // A `sightline events dump` line.
                if let id = object["record_id"]?.intValue, id >= 0 { recordID = UInt64(id) }
                dumpTimestamp = object["timestamp"]?.stringValue
                root = inner
                chosen = .evtx
            }
        }
        if chosen == .auto {
            if object["Event"]?.objectValue != nil {
                chosen = .evtx
            } else if object["winlog"]?.objectValue != nil {
                chosen = .winlogbeat
            } else {
                chosen = .flat
            }
        }
        let fields = JSONEventReader.eventObject(root)
        var timestamp: Timestamp? = nil
        let eventLayout: Event.Layout
        switch chosen {
        case .evtx, .auto:
            eventLayout = .windowsXML
            let system = root["Event"]?["System"]
            let text = system?["TimeCreated"]?["#attributes"]?["SystemTime"]?.stringValue ?? dumpTimestamp
            timestamp = text.flatMap { Timestamp(iso8601: $0) }
            if recordID == nil, let id = system?["EventRecordID"]?.intValue, id >= 0 { recordID = UInt64(id) }
        case .winlogbeat:
            eventLayout = .winlogbeat
            timestamp = root["@timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
            if let id = root["winlog"]?["record_id"]?.intValue, id >= 0 { recordID = UInt64(id) }
        case .flat:
            eventLayout = .flat
            for key in ["@timestamp", "EventTime", "TimeCreated", "UtcTime", "timestamp", "EventReceivedTime"] {
                if let t = root[key]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) {
                    timestamp = t
                    break
                }
            }
            if let id = (root["RecordNumber"] ?? root["EventRecordID"])?.intValue, id >= 0 { recordID = UInt64(id) }
        }
        return Event(
            fields: fields,
            timestamp: timestamp,
            source: EventSource(file: file, recordID: recordID, line: line, offset: offset),
            layout: eventLayout
        )
    }

    /// JSON members as event fields: numbers stay numbers, objects keep their order.
    public static func eventObject(_ o: JSONObject) -> EventObject {
        EventObject(o.members.map { EventObject.Member(key: $0.key, value: eventValue($0.value)) })
    }

    /// A JSON value as an event value (integers stay integers).
    public static func eventValue(_ v: JSONValue) -> EventValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(eventValue))
        case .object(let o): return .object(eventObject(o))
        }
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
