import Events
import JSON
import Sigma

/// Output formats of `sightline hunt`.
public enum SightingFormat: String, Sendable, CaseIterable {
    /// One JSON object per detection.
    case jsonl
    /// A Timesketch-importable timeline (`datetime`, `timestamp_desc`, `message`, …).
    case csv
    /// A summary for people.
    case table
}

/// Renders sightings as JSON lines, a CSV timeline, or a summary table.
public enum SightingFormatter {
    /// One JSON line:
    /// `{"rule_id","title","level","tags","attack","timestamp","computer","channel","event_id","record_id","file","fields"}`,
    /// plus `"correlation"` and `"records"` for correlation detections.
    public static func jsonLine(_ s: Sighting, into out: inout [UInt8]) {
        // Compact JSON written member by member (what `JSONWriter` writes for the same object).
        func key(_ k: StaticString) {
            out.append(0x22)
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(0x22)
            out.append(UInt8(ascii: ":"))
        }
        func string(_ v: String) { JSONWriter.writeString(v, into: &out) }
        func strings(_ a: [String]) {
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(v)
            }
            out.append(UInt8(ascii: "]"))
        }
        func int(_ i: Int64?) {
            if let i { out.append(contentsOf: String(i).utf8) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(UInt8(ascii: "{"))
        key("rule_id")
        string(s.ruleID)
        out.append(UInt8(ascii: ","))
        key("title")
        string(s.title)
        out.append(UInt8(ascii: ","))
        key("level")
        string(s.level.description)
        out.append(UInt8(ascii: ","))
        key("tags")
        strings(s.tags)
        out.append(UInt8(ascii: ","))
        key("attack")
        strings(s.attack)
        out.append(UInt8(ascii: ","))
        key("timestamp")
        if let t = s.timestamp { string(t.iso8601) } else { out.append(contentsOf: "null".utf8) }
        out.append(UInt8(ascii: ","))
        key("computer")
        string(s.computer)
        out.append(UInt8(ascii: ","))
        key("channel")
        string(s.channel)
        out.append(UInt8(ascii: ","))
        key("event_id")
        int(s.eventID.map { Int64($0) })
        out.append(UInt8(ascii: ","))
        key("record_id")
        int(s.recordID.map { Int64(clamping: $0) })
        out.append(UInt8(ascii: ","))
        key("file")
        string(s.file)
        out.append(UInt8(ascii: ","))
        key("fields")
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in s.fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(k)
            out.append(UInt8(ascii: ":"))
            string(v)
        }
        out.append(UInt8(ascii: "}"))
        if let c = s.correlation {
            out.append(UInt8(ascii: ","))
            key("correlation")
            string(c.rawValue)
            out.append(UInt8(ascii: ","))
            key("records")
            out.append(UInt8(ascii: "["))
            for (i, r) in s.records.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                key("file")
                string(r.file)
                if let id = r.recordID {
                    out.append(UInt8(ascii: ","))
                    key("record_id")
                    int(Int64(clamping: id))
                }
                if let l = r.line {
                    out.append(UInt8(ascii: ","))
                    key("line")
                    int(Int64(l))
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
            out.append(UInt8(ascii: ","))
            key("record_ids")
            out.append(UInt8(ascii: "["))
            var first = true
            for r in s.records {
                guard let id = r.recordID else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                int(Int64(clamping: id))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    /// The CSV header (Timesketch's required `datetime`, `timestamp_desc`, `message` first).
    public static let csvHeader =
        "datetime,timestamp_desc,message,rule_id,title,level,tags,attack,computer,channel,event_id,record_id,file\n"

    /// One CSV row (RFC 4180 quoting).
    public static func csvRow(_ s: Sighting, into out: inout [UInt8]) {
        let message = "[\(s.level)] \(s.title)" + (s.computer.isEmpty ? "" : " on \(s.computer)")
        let cells: [String] = [
            s.timestamp?.iso8601(fractionDigits: 6) ?? "", "Sigma detection", message, s.ruleID, s.title, s.level.description,
            s.tags.joined(separator: " "), s.attack.joined(separator: " "), s.computer, s.channel,
            s.eventID.map(String.init) ?? "", s.recordID.map { String($0) } ?? "", s.file,
        ]
        for (i, c) in cells.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if c.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                out.append(0x22)
                for b in c.utf8 {
                    if b == 0x22 { out.append(0x22) }
                    out.append(b)
                }
                out.append(0x22)
            } else {
                out.append(contentsOf: c.utf8)
            }
        }
        out.append(0x0A)
    }

    /// A summary for people: counts, detections by level and rule, hosts, time range, top techniques,
    /// and what was skipped.
    public static func table(_ r: HuntResult, rulesLoaded: Int, rulesFailed: Int, seconds: Double) -> String {
        var stats = SightingStats()
        for x in r.sightings { stats.add(x) }
        return table(r, stats: stats, rulesLoaded: rulesLoaded, rulesFailed: rulesFailed, seconds: seconds)
    }

    /// The summary from statistics gathered while streaming.
    public static func table(
        _ r: HuntResult, stats: SightingStats, rulesLoaded: Int, rulesFailed: Int, seconds: Double
    ) -> String {
        var s = ""
        let total = stats.total
        s += "Hunted \(r.files.count) file(s), \(r.events) events"
        if seconds > 0 { s += " in \(fmt(seconds)) s (\(Int(Double(r.events) / max(seconds, 1e-9))) events/s)" }
        s += "; \(rulesLoaded) rules loaded, \(rulesFailed) failed.\n"
        s += "Skipped: \(r.skippedFiles.count) file(s), \(r.skippedRecords) damaged record(s) or line(s).\n"
        s += "Detections: \(total)\n\n"
        if total == 0 { return s + skippedLines(r) }
        s += "By level\n"
        for level in SigmaLevel.allCases.reversed() {
            let n = stats.byLevel[level] ?? 0
            if n > 0 { s += "  \(pad(level.description, 14)) \(n)\n" }
        }
        s += "\nBy rule\n"
        let rules = stats.byRule.sorted {
            $0.value.level != $1.value.level
                ? $0.value.level > $1.value.level
                : $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key
        }
        for (_, v) in rules.prefix(50) {
            s += "  \(pad(v.level.description, 14)) \(pad(String(v.count), 7)) \(v.title)\n"
        }
        if rules.count > 50 { s += "  … \(rules.count - 50) more rules\n" }
        s += "\nHosts (\(stats.hosts.count))\n"
        for (h, n) in stats.hosts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(20) {
            s += "  \(pad(String(n), 7)) \(h)\n"
        }
        if let first = stats.first, let last = stats.last {
            s += "\nTime range\n  \(first.iso8601(fractionDigits: 0)) – \(last.iso8601(fractionDigits: 0))\n"
        }
        if !stats.techniques.isEmpty {
            s += "\nTop ATT&CK techniques\n"
            for (t, n) in stats.techniques.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(10) {
                s += "  \(pad(t, 12)) \(n)\n"
            }
        }
        return s + skippedLines(r)
    }

    static func skippedLines(_ r: HuntResult) -> String {
        if r.skippedFiles.isEmpty { return "" }
        var s = "\nSkipped files\n"
        for (p, why) in r.skippedFiles { s += "  \(p): \(why)\n" }
        return s
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }

    static func fmt(_ d: Double) -> String {
        let x = (d * 100).rounded() / 100
        return String(x)
    }
}

/// Counts for the summary table, gathered one detection at a time.
public struct SightingStats: Sendable {
    public var total = 0
    public var byLevel: [SigmaLevel: Int] = [:]
    public var byRule: [String: (title: String, level: SigmaLevel, count: Int)] = [:]
    public var hosts: [String: Int] = [:]
    public var techniques: [String: Int] = [:]
    public var first: Timestamp?
    public var last: Timestamp?

    public init() {}

    public mutating func add(_ x: Sighting) {
        total += 1
        byLevel[x.level, default: 0] += 1
        byRule[x.ruleID, default: (x.title, x.level, 0)].count += 1
        if !x.computer.isEmpty { hosts[x.computer, default: 0] += 1 }
        for t in Set(x.attack) { techniques[t, default: 0] += 1 }
        if let t = x.timestamp {
            if first == nil || t < first! { first = t }
            if last == nil || t > last! { last = t }
        }
    }
}
