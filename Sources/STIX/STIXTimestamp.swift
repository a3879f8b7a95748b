import CivilDate

/// A STIX timestamp: RFC 3339 in UTC, `YYYY-MM-DDTHH:mm:ss[.s+]Z`.
///
/// Comparison is by instant, so `…:03Z` and `…:03.000Z` are equal and `…:03.5Z` sorts after `…:03Z`
/// (a plain string comparison gets that wrong).
public struct STIXTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds within the second.
    public var nanoseconds: Int32
    /// Digits of the fractional second as written (kept so that formatting reproduces the text).
    public var fractionDigits: Int8

    public init(seconds: Int64, nanoseconds: Int32 = 0, fractionDigits: Int8 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.fractionDigits = fractionDigits
    }

    /// Parses the STIX timestamp form; `nil` when `text` is not one.
    public init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ STIXTimestamp.parse($0) }) else { return nil }
        self = parsed
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> STIXTimestamp? {
        // YYYY-MM-DDTHH:mm:ss = 19 bytes, then optional .fraction, then Z.
        guard b.count >= 20, b[b.count - 1] == UInt8(ascii: "Z") else { return nil }
        func digits(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for i in at..<(at + n) {
                let c = b[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var nanos = 0
        var fraction = 0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21 else { return nil }
            fraction = b.count - 21
            for i in 20..<(b.count - 1) {
                let c = b[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                if i - 20 < 9 { nanos = nanos * 10 + Int(c - 0x30) }
            }
            for _ in min(fraction, 9)..<9 { nanos *= 10 }
        }
        let days = CivilDate.days(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return STIXTimestamp(seconds: secs, nanoseconds: Int32(nanos), fractionDigits: Int8(min(fraction, 9)))
    }

    /// The timestamp in STIX form, with its fractional digits as parsed (milliseconds for new ones).
    public var description: String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let rem = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = CivilDate.date(fromDays: days)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))"
        if fractionDigits > 0 {
            let frac = pad(Int(nanoseconds), 9)
            out += "." + frac.prefix(Int(fractionDigits))
        }
        return out + "Z"
    }

    public static func < (a: STIXTimestamp, b: STIXTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    public static func == (a: STIXTimestamp, b: STIXTimestamp) -> Bool {
        a.seconds == b.seconds && a.nanoseconds == b.nanoseconds
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(seconds)
        hasher.combine(nanoseconds)
    }
}
