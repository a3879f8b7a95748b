import CivilDate

/// A point in time with 100-nanosecond resolution, UTC.
///
/// Stored as Windows FILETIME ticks (100 ns since 1601-01-01T00:00:00Z), the native resolution of
/// Windows event logs, so EVTX times round-trip exactly.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 100-nanosecond intervals since 1601-01-01T00:00:00Z.
    public var ticks: Int64

    /// Ticks between 1601-01-01 and 1970-01-01.
    public static let unixEpochTicks: Int64 = 116_444_736_000_000_000

    /// A time from FILETIME ticks (100 ns since 1601-01-01T00:00:00Z).
    public init(filetime ticks: Int64) {
        self.ticks = ticks
    }

    /// A time from seconds and nanoseconds since the Unix epoch (nanoseconds truncate to 100 ns).
    public init(unixSeconds: Int64, nanoseconds: Int64 = 0) {
        self.ticks = unixSeconds &* 10_000_000 &+ nanoseconds / 100 &+ Timestamp.unixEpochTicks
    }

    /// A time from a civil UTC date; `nil` when a field is out of range.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, ticks: Int = 0) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (0..<10_000_000).contains(ticks)
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.ticks = secs * 10_000_000 + Int64(ticks) + Timestamp.unixEpochTicks
    }

    /// Earlier times sort first.
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.ticks < b.ticks }

    /// Seconds since the Unix epoch, with the fraction.
    public var unixTime: Double { Double(ticks - Timestamp.unixEpochTicks) / 10_000_000 }

    /// The civil UTC fields: (year, month, day, hour, minute, second, 100-ns ticks within the second).
    public var components: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Int) {
        let rel = ticks - Timestamp.unixEpochTicks
        var secs = rel / 10_000_000
        var frac = rel % 10_000_000
        if frac < 0 {
            frac += 10_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var sod = secs % 86_400
        if sod < 0 {
            sod += 86_400
            days -= 1
        }
        let (y, m, d) = CivilDate.date(fromDays: Int(days))
        return (y, m, d, Int(sod / 3600), Int(sod % 3600 / 60), Int(sod % 60), Int(frac))
    }

    /// ISO 8601 with `digits` fractional digits (0...7) and a `Z`.
    public func iso8601(fractionDigits digits: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(28)
        appendISO8601(to: &out, fractionDigits: digits)
        return String(decoding: out, as: UTF8.self)
    }

    /// ISO 8601 with seven fractional digits (the full resolution), e.g. `2019-03-19T23:34:08.4698480Z`.
    public var iso8601: String { iso8601(fractionDigits: 7) }

    /// The ISO 8601 text with seven fractional digits.
    public var description: String { iso8601 }

    /// Appends the ISO 8601 text (`YYYY-MM-DDTHH:MM:SS[.f…]Z`) to `out`.
    public func appendISO8601(to out: inout [UInt8], fractionDigits digits: Int) {
        let c = components
        let digits = max(0, min(7, digits))
        var buf: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let n = withUnsafeMutableBytes(of: &buf) { b -> Int in
            var i = 0
            func put(_ v: Int, _ width: Int) {
                var v = v
                var k = i + width - 1
                while k >= i {
                    b[k] = UInt8(48 + v % 10)
                    v /= 10
                    k -= 1
                }
                i += width
            }
            func sep(_ c: UInt8) {
                b[i] = c
                i += 1
            }
            put(max(0, min(9999, c.year)), 4)
            sep(UInt8(ascii: "-"))
            put(c.month, 2)
            sep(UInt8(ascii: "-"))
            put(c.day, 2)
            sep(UInt8(ascii: "T"))
            put(c.hour, 2)
            sep(UInt8(ascii: ":"))
            put(c.minute, 2)
            sep(UInt8(ascii: ":"))
            put(c.second, 2)
            if digits > 0 {
                sep(UInt8(ascii: "."))
                var f = c.fraction
                for _ in 0..<(7 - digits) { f /= 10 }
                put(f, digits)
            }
            sep(UInt8(ascii: "Z"))
            return i
        }
        withUnsafeBytes(of: &buf) { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// Parses ISO 8601 / RFC 3339 text (`2019-03-19T23:34:08.469848Z`, `2019-03-19 23:34:08.469`,
    /// offsets `+09:00`); a missing zone means UTC. Returns `nil` for anything else.
    public init?(iso8601 text: String) {
        var text = text
        let parsed: Int64? = text.withUTF8 { Timestamp.parseISO8601($0) }
        guard let parsed else { return nil }
        self.ticks = parsed
    }

    static func parseISO8601(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(UInt8(ascii: "-")), let mo = digits(2), expect(UInt8(ascii: "-")),
            let d = digits(2)
        else { return nil }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "t")
        else { return nil }
        i += 1
        guard let h = digits(2), expect(UInt8(ascii: ":")), let mi = digits(2), expect(UInt8(ascii: ":")),
            let s = digits(2)
        else { return nil }
        var frac = 0
        if i < b.count && (b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",")) {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                if n < 7 {
                    frac = frac * 10 + Int(b[i] - 48)
                    n += 1
                }
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<7 { frac *= 10 }
        }
        var offsetSeconds = 0
        if i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                let om = digits(2) ?? 0
                offsetSeconds = (oh * 3600 + om * 60) * (c == UInt8(ascii: "-") ? -1 : 1)
            }
            // Trailing text such as " UTC" is tolerated.
        }
        guard let t = Timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: s, ticks: frac) else {
            return nil
        }
        return t.ticks - Int64(offsetSeconds) * 10_000_000
    }

}
