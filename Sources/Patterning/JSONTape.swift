import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One JSON document checked and laid out as a flat list of values in document order, each pointing
/// into the input bytes; nothing is decoded until asked for.
///
/// The tape accepts only documents that ``JSONCursor`` accepts too, and is stricter: keys must be
/// plain ASCII without escapes, nesting stays below 500 levels. When ``scan(_:)`` returns `false` the
/// caller reads the document with ``JSONParser`` instead, which gives the exact error (or the value).
/// The node memory is kept between documents, so scanning allocates nothing once it has grown.
struct JSONTape {
    enum Kind: UInt8 {
        case null, bool, number, string, array, object
    }

    struct Node {
        var kind: Kind
        /// Strings: ASCII only and no escapes, so the bytes between the quotes are the value.
        var plain: Bool
        /// Offset of the value's first byte (the opening quote of a string).
        var start: Int32
        /// Offset just after the value.
        var end: Int32
        /// Index of the node after this value and everything inside it.
        var next: Int32
        /// For members of an object: offset and length of the key's bytes (between the quotes); else -1.
        var keyStart: Int32
        var keyLength: Int32
    }

    static let maxDepth = 500
    /// Longer documents are left to ``JSONParser`` (the node buffer is sized for the worst case).
    static let maxBytes = 1 << 22

    /// Node memory, kept from one document to the next; a valid document of n bytes has at most
    /// (n + 1) / 2 values (each value takes a byte, and a comma or colon separates it from the next).
    /// Invalid documents can reach further before they fail, so ``value(depth:keyStart:keyLength:)``
    /// stops at the buffer's end and the line goes to the decoding path.
    final class Storage {
        var base: UnsafeMutablePointer<Node>
        var capacity: Int

        init() {
            capacity = 1024
            base = UnsafeMutablePointer<Node>.allocate(capacity: capacity)
        }

        func reserve(_ n: Int) {
            guard n > capacity else { return }
            base.deallocate()
            capacity = max(n, capacity * 2)
            base = UnsafeMutablePointer<Node>.allocate(capacity: capacity)
        }

        deinit { base.deallocate() }
    }

    private let storage = Storage()
    private var out: UnsafeMutablePointer<Node>
    private var nodeCount = 0
    /// Nodes the buffer holds for the current document: invalid input can need more than valid JSON
    /// (an array that is opened and never closed takes a node for one byte), so every node is checked.
    private var nodeLimit = 0
    private var base: UnsafePointer<UInt8> = JSONTape.emptyByte
    private var count = 0
    private var i = 0

    init() { out = storage.base }

    /// The values of the last document scanned, in document order.
    var nodes: UnsafeBufferPointer<Node> { UnsafeBufferPointer(start: out, count: nodeCount) }

    private nonisolated(unsafe) static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// Lays out `buffer`; `false` when the document is not valid JSON or is outside what the tape handles.
    /// The tape points into `buffer`: use it only while the buffer lives.
    mutating func scan(_ buffer: UnsafeRawBufferPointer) -> Bool {
        nodeCount = 0
        guard let b = buffer.baseAddress, buffer.count <= JSONTape.maxBytes else { return false }
        storage.reserve(buffer.count / 2 + 2)
        out = storage.base
        nodeLimit = storage.capacity
        base = b.assumingMemoryBound(to: UInt8.self)
        count = buffer.count
        i = 0
        guard value(depth: 0, keyStart: -1, keyLength: -1) else { return false }
        skipWhitespace()
        return i == count
    }

    // MARK: - Reading the tape

    /// The bytes of a plain string node, without the quotes.
    @inline(__always)
    func stringBytes(_ n: Node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(n.start) + 1, count: Int(n.end - n.start) - 2)
    }

    /// The bytes of a value as written.
    @inline(__always)
    func rawBytes(_ n: Node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(n.start), count: Int(n.end - n.start))
    }

    /// True when a member's key is `name` (byte for byte; keys on the tape are plain ASCII).
    @inline(__always)
    func key(_ n: Node, is name: StaticString) -> Bool {
        Int(n.keyLength) == name.utf8CodeUnitCount
            && memcmp(base + Int(n.keyStart), name.utf8Start, name.utf8CodeUnitCount) == 0
    }

    /// True when a member's key has the bytes of `name`.
    @inline(__always)
    func key(_ n: Node, equals name: UnsafeBufferPointer<UInt8>) -> Bool {
        Int(n.keyLength) == name.count && (name.count == 0 || memcmp(base + Int(n.keyStart), name.baseAddress!, name.count) == 0)
    }

    /// True when a plain string node's value is `text`.
    @inline(__always)
    func string(_ n: Node, is text: StaticString) -> Bool {
        n.kind == .string && n.plain && Int(n.end - n.start) - 2 == text.utf8CodeUnitCount
            && memcmp(base + Int(n.start) + 1, text.utf8Start, text.utf8CodeUnitCount) == 0
    }

    /// True when two plain string nodes hold the same bytes.
    @inline(__always)
    func sameString(_ a: Node, _ b: Node) -> Bool {
        let n = Int(a.end - a.start)
        return n == Int(b.end - b.start) && memcmp(base + Int(a.start), base + Int(b.start), n) == 0
    }

    /// The value of node `index`, decoded in full (the tape has checked it, so this does not fail in practice).
    func materialize(_ index: Int) -> JSONValue? {
        let n = nodes[index]
        if n.kind == .string && n.plain { return .string(String(decoding: stringBytes(n), as: UTF8.self)) }
        var cursor = JSONCursor(UnsafeRawBufferPointer(start: base, count: count), offset: Int(n.start))
        return try? cursor.parseValue()
    }

    /// The key of member `index` as a string.
    func keyString(_ index: Int) -> String {
        let n = nodes[index]
        return String(decoding: UnsafeBufferPointer(start: base + Int(n.keyStart), count: Int(n.keyLength)), as: UTF8.self)
    }

    // MARK: - Scanning

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < count {
            let c = base[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value(depth: Int, keyStart: Int32, keyLength: Int32) -> Bool {
        skipWhitespace()
        guard i < count else { return false }
        let start = i
        guard nodeCount < nodeLimit else { return false }
        let index = nodeCount
        nodeCount += 1
        let kind: Kind
        var plain = false
        switch base[i] {
        case UInt8(ascii: "\""):
            guard let p = string() else { return false }
            plain = p
            kind = .string
        case UInt8(ascii: "{"):
            guard depth < JSONTape.maxDepth else { return false }
            kind = .object
            i += 1
            skipWhitespace()
            if i < count && base[i] == UInt8(ascii: "}") {
                i += 1
                break
            }
            while true {
                skipWhitespace()
                guard i < count, base[i] == UInt8(ascii: "\"") else { return false }
                let ks = i + 1
                guard string() == true else { return false }
                let kl = i - 1 - ks
                skipWhitespace()
                guard i < count, base[i] == UInt8(ascii: ":") else { return false }
                i += 1
                guard value(depth: depth + 1, keyStart: Int32(ks), keyLength: Int32(kl)) else { return false }
                skipWhitespace()
                guard i < count else { return false }
                let d = base[i]
                i += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "}") { break }
                return false
            }
        case UInt8(ascii: "["):
            guard depth < JSONTape.maxDepth else { return false }
            kind = .array
            i += 1
            skipWhitespace()
            if i < count && base[i] == UInt8(ascii: "]") {
                i += 1
                break
            }
            while true {
                guard value(depth: depth + 1, keyStart: -1, keyLength: -1) else { return false }
                skipWhitespace()
                guard i < count else { return false }
                let d = base[i]
                i += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "]") { break }
                return false
            }
        case UInt8(ascii: "t"):
            guard literal("true") else { return false }
            kind = .bool
        case UInt8(ascii: "f"):
            guard literal("false") else { return false }
            kind = .bool
        case UInt8(ascii: "n"):
            guard literal("null") else { return false }
            kind = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard number() else { return false }
            kind = .number
        default:
            return false
        }
        (out + index).initialize(
            to: Node(
                kind: kind, plain: plain, start: Int32(start), end: Int32(i), next: Int32(nodeCount), keyStart: keyStart,
                keyLength: keyLength))
        return true
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= count, memcmp(base + i, word.utf8Start, n) == 0 else { return false }
        i += n
        return true
    }

    /// The number grammar of ``JSONCursor``: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func number() -> Bool {
        @inline(__always) func isDigit(_ j: Int) -> Bool { j < count && base[j] >= 0x30 && base[j] <= 0x39 }
        if base[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return false }
        if base[i] == 0x30 {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < count && base[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        if i < count && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            i += 1
            if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        return true
    }

    /// Scans a string at its opening quote; returns whether it is plain, or `nil` when it is invalid.
    /// Strings with escapes or non-ASCII bytes are checked by ``JSONCursor`` itself.
    private mutating func string() -> Bool? {
        let start = i
        let base = self.base
        let count = self.count
        var j = i + 1
        var plain = true
        while j < count {
            // Eight bytes at a time: find the first quote, backslash, control character or non-ASCII byte.
            if j + 8 <= count {
                let w = UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let quote = w ^ (ones &* 0x22)
                let backslash = w ^ (ones &* 0x5C)
                let special =
                    (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (w &- (ones &* 0x20)) | w)
                    & (ones &* 0x80)
                if special == 0 {
                    j += 8
                    continue
                }
                // Borrows only disturb bytes above the first special one, so the lowest flag is exact.
                j += special.trailingZeroBitCount >> 3
            }
            let c = base[j]
            if c == UInt8(ascii: "\"") {
                i = j + 1
                if plain { return true }
                var cursor = JSONCursor(UnsafeRawBufferPointer(start: base, count: count), offset: start)
                guard (try? cursor.readString()) != nil, cursor.offset == i else { return nil }
                return false
            }
            if c < 0x20 { return nil }
            if c >= 0x80 {
                plain = false
            } else if c == UInt8(ascii: "\\") {
                plain = false
                j += 1
            }
            j += 1
        }
        return nil
    }
}
