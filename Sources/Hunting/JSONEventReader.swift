import Events
import JSON

/// Reads JSON event logs into ``Events/Event``s: one JSON document (an object or an array of objects)
/// or JSON lines. The layout is detected per event: Windows XML as JSON (`Event.System`, as the `evtx`
/// crate and `sightline events dump` write it), Winlogbeat/ECS (`winlog`), or a flat object.
public enum JSONEventReader {
    /// A line or document that could not be read.
    public struct Problem: Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Calls `body` with each event of the JSON text `bytes`; returns the problems met.
    ///
    /// The text is a sequence of JSON values separated by white space: JSON lines, concatenated
    /// pretty-printed objects, or one array of objects. A value that does not parse is reported with
    /// its line, and reading resumes at the next line.
    public static func read(_ bytes: [UInt8], file: String, _ body: (Event) -> Void) -> [Problem] {
        var problems: [Problem] = []
        bytes.withUnsafeBytes { raw in
            var offset = 0
            var line = 1
            var lineCounted = 0
            func lineOf(_ o: Int) -> Int {
                while lineCounted < o && lineCounted < raw.count {
                    if raw[lineCounted] == 0x0A { line += 1 }
                    lineCounted += 1
                }
                return line
            }
            while true {
                var cursor = JSONCursor(raw, offset: offset)
                if cursor.isAtEnd() { break }
                let at = cursor.offset
                do throws(JSONError) {
                    let v = try cursor.parseValue()
                    offset = cursor.offset
                    let l = lineOf(at)
                    if case .array(let items) = v {
                        for item in items {
                            if let e = event(item, file: file, line: l, offset: at) { body(e) }
                        }
                    } else if let e = event(v, file: file, line: l, offset: at) {
                        body(e)
                    } else {
                        problems.append(Problem(line: l, message: "not a JSON object"))
                    }
                } catch {
                    problems.append(Problem(line: lineOf(at), message: "\(error)"))
                    // Resume after the line where the bad value started.
                    var next = max(at, error.offset)
                    while next < raw.count && raw[next] != 0x0A { next += 1 }
                    offset = next + 1
                    if offset >= raw.count { break }
                }
            }
        }
        return problems
    }

    static func event(_ v: JSONValue, file: String, line: Int, offset: Int) -> Event? {
        guard case .object(var o) = v else { return nil }
        var recordID: UInt64?
        // `sightline events dump` lines wrap the event: {"record_id":…,"timestamp":…,"event":{…}}.
        if let inner = o["event"]?.objectValue, inner["Event"] != nil {
            recordID = o["record_id"]?.intValue.map { UInt64(clamping: $0) }
            o = inner
        }
        let fields = convert(.object(o)).objectValue ?? EventObject()
        let layout: Event.Layout
        if let root = o["Event"]?.objectValue, root["System"] != nil {
            layout = .windowsXML
        } else if o["winlog"] != nil {
            layout = .winlogbeat
        } else {
            layout = .flat
        }
        var e = Event(fields: fields, source: EventSource(file: file, line: line, offset: offset), layout: layout)
        if recordID == nil, let r = e.value(forField: "EventRecordID")?.intValue { recordID = UInt64(clamping: r) }
        e.source.recordID = recordID
        e.timestamp = timestamp(of: e)
        return e
    }

    static func timestamp(of e: Event) -> Timestamp? {
        for path in ["Event.System.TimeCreated.#attributes.SystemTime", "@timestamp", "timestamp", "TimeCreated"] {
            if let v = e.value(atPath: path) {
                if case .timestamp(let t) = v { return t }
                if let s = v.text, let t = Timestamp(iso8601: s) { return t }
            }
        }
        if let v = e.value(forField: "UtcTime")?.text { return Timestamp(iso8601: v) }
        return nil
    }

    static func convert(_ v: JSONValue) -> EventValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(convert))
        case .object(let o):
            var out = EventObject()
            out.members.reserveCapacity(o.count)
            for m in o { out.append(m.key, convert(m.value)) }
            return .object(out)
        }
    }
}
