import Events

/// Counts of channels and event ids and the time range of a stream of Windows events.
public struct EventStatistics: Sendable {
    /// Events per channel.
    public var channels: [String: Int] = [:]
    /// Events per event id.
    public var eventIDs: [String: Int] = [:]
    /// Earliest set time.
    public var first: Timestamp?
    /// Latest set time.
    public var last: Timestamp?
    /// Events counted.
    public var events = 0

    /// Empty statistics.
    public init() {}

    /// Counts one event; unset (zero) times are left out of the range.
    public mutating func add(_ event: Event) {
        events += 1
        if let c = event.value(forField: "Channel")?.text { channels[c, default: 0] += 1 }
        if let id = event.value(forField: "EventID")?.text { eventIDs[id, default: 0] += 1 }
        // A zero FILETIME (1601-01-01) means "not set", not a time.
        if let t = event.timestamp, t.ticks > 0 {
            if first == nil || t < first! { first = t }
            if last == nil || t > last! { last = t }
        }
    }

    /// A plain-text report for one file: counts, then channels and event ids by decreasing count.
    public func report(for summary: EVTXFileSummary) -> String {
        var s = "file: \(summary.path)\n"
        if let h = summary.header {
            s += "header: version \(h.majorVersion).\(h.minorVersion), \(h.chunkCount) chunks declared"
            s += h.isDirty ? ", dirty" : ""
            s += h.isFull ? ", full" : ""
            s += "\n"
        }
        s += "records: \(summary.records)\n"
        if summary.recoveredRecords > 0 { s += "recovered from slack: \(summary.recoveredRecords)\n" }
        s += "chunks: \(summary.chunks) (\(summary.emptyChunks) empty)\n"
        s += "damaged chunks: \(summary.damagedChunks)\n"
        s += "damaged records: \(summary.damagedRecords)\n"
        s += "warnings: \(summary.errors.filter(\.isWarning).count)\n"
        s += countsReport()
        for e in summary.errors { s += "error: \(e)\n" }
        return s
    }

    /// The time range, then channels and event ids by decreasing count (the part of a report that does
    /// not depend on the file's format).
    public func countsReport() -> String {
        var s = ""
        if let first, let last { s += "time range: \(first.iso8601) .. \(last.iso8601)\n" }
        func list(_ title: String, _ counts: [String: Int]) {
            s += "\(title):\n"
            for (k, v) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                s += "  \(v)\t\(k)\n"
            }
        }
        list("channels", channels)
        list("event ids", eventIDs)
        return s
    }
}
