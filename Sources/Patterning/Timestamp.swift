import CivilDate

/// A UTC instant with nanosecond precision, as STIX writes it: `2016-01-20T12:31:12.123Z`.
///
/// Years 0001–9999; seconds 00–59 (leap seconds are rejected, as the reference does); the `T` and
/// `Z` must be upper case; fractions beyond nine digits are truncated.
public struct Timestamp: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// 0..<1_000_000_000.
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }

    /// This instant plus a duration; saturates instead of overflowing.
    public func adding(_ d: PatternDuration) -> Timestamp {
        var s = seconds.addingReportingOverflow(d.seconds)
        if s.overflow { return Timestamp(seconds: .max, nanoseconds: 999_999_999) }
        var n = nanoseconds + d.nanoseconds
        if n >= 1_000_000_000 {
            n -= 1_000_000_000
            s = s.partialValue.addingReportingOverflow(1)
            if s.overflow { return Timestamp(seconds: .max, nanoseconds: 999_999_999) }
        }
        return Timestamp(seconds: s.partialValue, nanoseconds: n)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` from UTF-8 bytes; `nil` when malformed or impossible.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        let n = b.count
        guard n >= 20 else { return nil }
        @inline(__always) func digits(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for i in at..<(at + count) {
                let c = b[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), b[10] == UInt8(ascii: "T"), let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        var i = 19
        var nanos = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            var scale = 100_000_000
            while i < n, b[i] >= 0x30 && b[i] <= 0x39 {
                nanos += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i == n - 1, b[i] == UInt8(ascii: "Z") else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year), hour <= 23,
            minute <= 59, second <= 59
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Timestamp(seconds: secs, nanoseconds: Int32(nanos))
    }

    /// Parses a timestamp string.
    public static func parse(_ s: String) -> Timestamp? {
        var s = s
        return s.withUTF8 { parse($0) }
    }

    /// The STIX text form, with the fraction only when it is not zero.
    public var description: String {
        let days = Int((seconds >= 0 ? seconds : seconds - 86_399) / 86_400)
        let rem = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = CivilDate.date(fromDays: days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out =
            "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))"
        if nanoseconds != 0 {
            var frac = pad(Int(nanoseconds), 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }
}
