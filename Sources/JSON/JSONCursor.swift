/// A byte-level JSON reader over a borrowed buffer.
///
/// The cursor reads one value at a time by integer offset, builds `String`s only for the strings it
/// returns, and never copies the input. It is valid only while the buffer it was made from is alive:
/// make it inside `withUnsafeBytes` and do not let it escape.
///
/// Besides whole values (``parseValue()``), it reads objects and arrays member by member
/// (``beginObject()``/``nextKey()``, ``beginArray()``/``nextElement()``), so a large top-level array
/// can be streamed one element at a time with memory that does not grow with the input.
public struct JSONCursor {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    /// The offset of the next unread byte.
    public private(set) var offset: Int
    /// Deepest nesting of arrays and objects accepted by ``parseValue()``.
    public var maxDepth: Int = 512
    /// When true, invalid UTF-8 in strings is repaired with U+FFFD instead of being an error.
    public var repairsInvalidUTF8: Bool = false
    @usableFromInline var scratch: [UInt8] = []
    // Per-container "first element" state for the streaming API.
    var firstStack: [Bool] = []

    /// Makes a cursor over `buffer`, starting at `offset`.
    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        if let b = buffer.baseAddress {
            self.base = b.assumingMemoryBound(to: UInt8.self)
        } else {
            // An empty buffer: point at a static byte that is never read.
            self.base = JSONCursor.emptyByte
        }
        self.end = buffer.count
        self.offset = offset
    }

    private nonisolated(unsafe) static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    // MARK: - Bytes

    @inlinable @inline(__always)
    func byte(_ i: Int) -> UInt8 { base[i] }

    /// Skips white space and returns the next byte without consuming it, or `nil` at the end.
    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < end ? base[offset] : nil
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while offset < end {
            let c = base[offset]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                offset += 1
            } else {
                return
            }
        }
    }

    /// True when only white space is left.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return offset >= end
    }

    /// Throws unless only white space is left.
    public mutating func expectEnd() throws(JSONError) {
        skipWhitespace()
        if offset < end { throw JSONError(.trailingData, at: offset) }
    }

    @inline(__always)
    mutating func expect(_ c: UInt8, _ what: String) throws(JSONError) {
        skipWhitespace()
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        guard base[offset] == c else { throw JSONError(.expected(what), at: offset) }
        offset += 1
    }

    // MARK: - Whole values

    /// Reads the next value whole.
    public mutating func parseValue() throws(JSONError) -> JSONValue {
        try parseValue(depth: 0)
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        let c = base[offset]
        switch c {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "{"):
            if depth >= maxDepth { throw JSONError(.tooDeep(limit: maxDepth), at: offset) }
            offset += 1
            var members: [JSONMember] = []
            members.reserveCapacity(8)
            skipWhitespace()
            if offset < end && base[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(JSONObject(members))
            }
            while true {
                skipWhitespace()
                guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
                guard base[offset] == UInt8(ascii: "\"") else { throw JSONError(.expected("a string key"), at: offset) }
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':'")
                let value = try parseValue(depth: depth + 1)
                members.append(JSONMember(key: key, value: value))
                skipWhitespace()
                guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
                let d = base[offset]
                offset += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "}") { break }
                throw JSONError(.expected("',' or '}'"), at: offset - 1)
            }
            return .object(JSONObject(members))
        case UInt8(ascii: "["):
            if depth >= maxDepth { throw JSONError(.tooDeep(limit: maxDepth), at: offset) }
            offset += 1
            var elements: [JSONValue] = []
            elements.reserveCapacity(4)
            skipWhitespace()
            if offset < end && base[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
                let d = base[offset]
                offset += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "]") { break }
                throw JSONError(.expected("',' or ']'"), at: offset - 1)
            }
            return .array(elements)
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        default:
            throw JSONError(.unexpectedByte(c), at: offset)
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard offset + n <= end else { throw JSONError(.unexpectedEnd, at: offset) }
        let w = word.utf8Start
        for i in 0..<n where base[offset + i] != w[i] {
            throw JSONError(.unexpectedByte(base[offset + i]), at: offset + i)
        }
        offset += n
    }

    // MARK: - Numbers

    mutating func readNumber() throws(JSONError) -> JSONValue {
        let start = offset
        var i = offset
        var negative = false
        if base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < end, base[i] >= 0x30 && base[i] <= 0x39 else { throw JSONError(.invalidNumber, at: start) }
        var magnitude: UInt64 = 0
        var overflow = false
        if base[i] == 0x30 {
            i += 1
        } else {
            while i < end, base[i] >= 0x30 && base[i] <= 0x39 {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(base[i] - 0x30))
                if o1 || o2 { overflow = true }
                magnitude = m2
                i += 1
            }
        }
        var isFloat = false
        if i < end && base[i] == UInt8(ascii: ".") {
            isFloat = true
            i += 1
            guard i < end, base[i] >= 0x30 && base[i] <= 0x39 else { throw JSONError(.invalidNumber, at: start) }
            while i < end, base[i] >= 0x30 && base[i] <= 0x39 { i += 1 }
        }
        if i < end && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            isFloat = true
            i += 1
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < end, base[i] >= 0x30 && base[i] <= 0x39 else { throw JSONError(.invalidNumber, at: start) }
            while i < end, base[i] >= 0x30 && base[i] <= 0x39 { i += 1 }
        }
        offset = i
        if !isFloat && !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
        guard let d = Double(text) else { throw JSONError(.invalidNumber, at: start) }
        return .double(d)
    }

    // MARK: - Strings

    /// Reads a string at the cursor (which must be at its opening quote).
    public mutating func readString() throws(JSONError) -> String {
        skipWhitespace()
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        guard base[offset] == UInt8(ascii: "\"") else { throw JSONError(.expected("a string"), at: offset) }
        let start = offset + 1
        var i = start
        var ascii = true
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                offset = i + 1
                let buf = UnsafeBufferPointer(start: base + start, count: i - start)
                if ascii { return String(decoding: buf, as: UTF8.self) }
                return try makeString(buf, at: start)
            }
            if c == UInt8(ascii: "\\") {
                return try readEscapedString(from: start, prefixEnd: i)
            }
            if c < 0x20 { throw JSONError(.controlCharacterInString, at: i) }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        throw JSONError(.unexpectedEnd, at: end)
    }

    func makeString(_ buf: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONError) -> String {
        if repairsInvalidUTF8 { return String(decoding: buf, as: UTF8.self) }
        guard let s = String(validating: buf, as: UTF8.self) else { throw JSONError(.invalidUTF8, at: start) }
        return s
    }

    mutating func readEscapedString(from start: Int, prefixEnd: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: prefixEnd - start))
        var i = prefixEnd
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                offset = i + 1
                let s: String
                do {
                    s = try scratch.withUnsafeBufferPointer { (buf) throws(JSONError) -> String in
                        try makeString(buf, at: start)
                    }
                }
                return s
            }
            if c < 0x20 { throw JSONError(.controlCharacterInString, at: i) }
            if c != UInt8(ascii: "\\") {
                scratch.append(c)
                i += 1
                continue
            }
            guard i + 1 < end else { throw JSONError(.unexpectedEnd, at: end) }
            let e = base[i + 1]
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: i + 2)
                var consumed = 6
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if i + 7 < end, base[i + 6] == UInt8(ascii: "\\"), base[i + 7] == UInt8(ascii: "u") {
                        let low = try hex4(at: i + 8)
                        guard low >= 0xDC00 && low < 0xE000 else { throw JSONError(.invalidUnicodeEscape, at: i) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        consumed = 12
                    } else if repairsInvalidUTF8 {
                        scalar = 0xFFFD
                    } else {
                        throw JSONError(.invalidUnicodeEscape, at: i)
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    if repairsInvalidUTF8 { scalar = 0xFFFD } else { throw JSONError(.invalidUnicodeEscape, at: i) }
                }
                appendUTF8(scalar)
                i += consumed
                continue
            default:
                throw JSONError(.invalidEscape, at: i)
            }
            i += 2
        }
        throw JSONError(.unexpectedEnd, at: end)
    }

    func hex4(at i: Int) throws(JSONError) -> UInt32 {
        guard i + 4 <= end else { throw JSONError(.unexpectedEnd, at: end) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = base[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONError(.invalidUnicodeEscape, at: i - 2)
            }
            v = v << 4 | d
        }
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        if s < 0x80 {
            scratch.append(UInt8(s))
        } else if s < 0x800 {
            scratch.append(UInt8(0xC0 | (s >> 6)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            scratch.append(UInt8(0xE0 | (s >> 12)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (s >> 18)))
            scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    // MARK: - Skipping

    /// Skips the next value without building it; returns the byte range it occupied.
    @discardableResult
    public mutating func skipValue() throws(JSONError) -> Range<Int> {
        skipWhitespace()
        let start = offset
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        var depth = 0
        repeat {
            skipWhitespace()
            guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
            let c = base[offset]
            switch c {
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                offset += 1
                continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                offset += 1
                if depth < 0 { throw JSONError(.unexpectedByte(c), at: offset - 1) }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                if depth == 0 { throw JSONError(.unexpectedByte(c), at: offset) }
                offset += 1
                continue
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                _ = try readNumber()
            default:
                throw JSONError(.unexpectedByte(c), at: offset)
            }
        } while depth > 0
        return start..<offset
    }

    mutating func skipString() throws(JSONError) {
        var i = offset + 1
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                offset = i + 1
                return
            }
            if c == UInt8(ascii: "\\") { i += 2 } else { i += 1 }
        }
        throw JSONError(.unexpectedEnd, at: end)
    }

    // MARK: - Streaming containers

    /// Consumes the `{` that opens an object; read its members with ``nextKey()``.
    public mutating func beginObject() throws(JSONError) {
        try expect(UInt8(ascii: "{"), "'{'")
        firstStack.append(true)
    }

    /// Reads the next member's key and its `:`, leaving the cursor at the value; `nil` after the closing `}`.
    public mutating func nextKey() throws(JSONError) -> String? {
        guard let first = firstStack.last else { throw JSONError(.expected("an open object"), at: offset) }
        skipWhitespace()
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        if base[offset] == UInt8(ascii: "}") {
            offset += 1
            firstStack.removeLast()
            return nil
        }
        if !first {
            try expect(UInt8(ascii: ","), "',' or '}'")
        }
        firstStack[firstStack.count - 1] = false
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Consumes the `[` that opens an array; step through it with ``nextElement()``.
    public mutating func beginArray() throws(JSONError) {
        try expect(UInt8(ascii: "["), "'['")
        firstStack.append(true)
    }

    /// Moves to the next element; `false` after the closing `]`.
    public mutating func nextElement() throws(JSONError) -> Bool {
        guard let first = firstStack.last else { throw JSONError(.expected("an open array"), at: offset) }
        skipWhitespace()
        guard offset < end else { throw JSONError(.unexpectedEnd, at: offset) }
        if base[offset] == UInt8(ascii: "]") {
            offset += 1
            firstStack.removeLast()
            return false
        }
        if !first {
            try expect(UInt8(ascii: ","), "',' or ']'")
        }
        firstStack[firstStack.count - 1] = false
        return true
    }
}
