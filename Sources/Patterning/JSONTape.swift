import CJSONScan
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
    /// Invalid documents can reach further before they fail (an array opened and never closed takes a
    /// node for one byte), so the scan checks every node against the capacity and gives up at the
    /// buffer's end; the line then goes to the decoding path.
    final class Storage {
        var base: UnsafeMutablePointer<Node>
        var capacity: Int
        /// The containers open while scanning (node indexes), one per nesting level.
        let stack = UnsafeMutablePointer<Int32>.allocate(capacity: JSONTape.maxDepth + 1)

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

        deinit {
            base.deallocate()
            stack.deallocate()
        }
    }

    private let storage = Storage()
    private var out: UnsafeMutablePointer<Node>
    private var nodeCount = 0
    private var base: UnsafePointer<UInt8> = JSONTape.emptyByte
    private var count = 0

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
        base = b.assumingMemoryBound(to: UInt8.self)
        count = buffer.count
        let n = JSONTape.layOut(base, count, out, storage.capacity, storage.stack)
        guard n > 0 else { return false }
        nodeCount = n
        // Only white space may follow the document.
        var i = Int(out[0].end)
        while i < count {
            let c = base[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return false }
            i += 1
        }
        return true
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

    /// Lays out the document in one loop over local state (no recursion: the containers open at the
    /// moment are a stack of node indexes), so the position and counters stay in registers.
    /// Returns the number of nodes, or -1 when the document is invalid or outside what the tape handles.
    private static func layOut(
        _ base: UnsafePointer<UInt8>, _ count: Int, _ out: UnsafeMutablePointer<Node>, _ nodeLimit: Int,
        _ stack: UnsafeMutablePointer<Int32>
    ) -> Int {
        var i = 0
        var nodeCount = 0
        var depth = 0
        var keyStart: Int32 = -1
        var keyLength: Int32 = -1

        @inline(__always) func skipWhitespace() {
            while i < count {
                let c = base[i]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                i &+= 1
            }
        }
        /// Scans a string at its opening quote: whether it is plain, or `nil` when it is invalid.
        /// Strings with escapes or non-ASCII bytes are checked by ``JSONCursor`` itself.
        @inline(__always) func string() -> Bool? {
            let start = i
            var j = i &+ 1
            var plain = true
            while true {
                j &+= sl_json_string_run(base + j, count &- j)
                guard j < count else { return nil }
                let c = base[j]
                if c == UInt8(ascii: "\"") {
                    i = j &+ 1
                    if plain { return true }
                    var cursor = JSONCursor(UnsafeRawBufferPointer(start: base, count: count), offset: start)
                    guard (try? cursor.readString()) != nil, cursor.offset == i else { return nil }
                    return false
                }
                if c < 0x20 { return nil }
                plain = false
                j &+= c == UInt8(ascii: "\\") ? 2 : 1
                if j > count { return nil }
            }
        }
        @inline(__always) func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i &+ n <= count, memcmp(base + i, word.utf8Start, n) == 0 else { return false }
            i &+= n
            return true
        }
        /// The number grammar of ``JSONCursor``: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
        @inline(__always) func number() -> Bool {
            @inline(__always) func isDigit(_ j: Int) -> Bool { j < count && base[j] &- 0x30 <= 9 }
            if base[i] == UInt8(ascii: "-") { i &+= 1 }
            guard isDigit(i) else { return false }
            if base[i] == 0x30 {
                i &+= 1
            } else {
                while isDigit(i) { i &+= 1 }
            }
            if i < count && base[i] == UInt8(ascii: ".") {
                i &+= 1
                guard isDigit(i) else { return false }
                while isDigit(i) { i &+= 1 }
            }
            if i < count && (base[i] | 0x20) == UInt8(ascii: "e") {
                i &+= 1
                if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i &+= 1 }
                guard isDigit(i) else { return false }
                while isDigit(i) { i &+= 1 }
            }
            return true
        }
        /// Reads a member's key (plain ASCII, no escapes) and its colon; the key is noted for the value.
        @inline(__always) func memberKey() -> Bool {
            guard i < count, base[i] == UInt8(ascii: "\"") else { return false }
            let ks = i &+ 1
            guard string() == true else { return false }
            keyStart = Int32(truncatingIfNeeded: ks)
            keyLength = Int32(truncatingIfNeeded: i &- 1 &- ks)
            skipWhitespace()
            guard i < count, base[i] == UInt8(ascii: ":") else { return false }
            i &+= 1
            return true
        }
        @inline(__always) func emit(_ kind: Kind, _ plain: Bool, _ start: Int) {
            (out + nodeCount).initialize(
                to: Node(
                    kind: kind, plain: plain, start: Int32(truncatingIfNeeded: start),
                    end: Int32(truncatingIfNeeded: i), next: Int32(truncatingIfNeeded: nodeCount &+ 1),
                    keyStart: keyStart, keyLength: keyLength))
            nodeCount &+= 1
        }

        while true {
            // A value is expected here (keyStart/keyLength name its key inside an object).
            skipWhitespace()
            guard i < count, nodeCount < nodeLimit else { return -1 }
            let start = i
            var closed = false
            switch base[i] {
            case UInt8(ascii: "\""):
                guard let p = string() else { return -1 }
                emit(.string, p, start)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JSONTape.maxDepth else { return -1 }
                let isObject = base[i] == UInt8(ascii: "{")
                i &+= 1
                // Opened now; `end` and `next` are set when it closes.
                emit(isObject ? .object : .array, false, start)
                stack[depth] = Int32(truncatingIfNeeded: nodeCount &- 1)
                depth &+= 1
                skipWhitespace()
                if i < count && base[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i &+= 1
                    closed = true
                } else if isObject {
                    guard memberKey() else { return -1 }
                    continue
                } else {
                    keyStart = -1
                    keyLength = -1
                    continue
                }
            case UInt8(ascii: "t"):
                guard literal("true") else { return -1 }
                emit(.bool, false, start)
            case UInt8(ascii: "f"):
                guard literal("false") else { return -1 }
                emit(.bool, false, start)
            case UInt8(ascii: "n"):
                guard literal("null") else { return -1 }
                emit(.null, false, start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard number() else { return -1 }
                emit(.number, false, start)
            default:
                return -1
            }
            // After a value: close containers, or go on to the next member or element.
            while true {
                if closed {
                    depth &-= 1
                    let container = Int(stack[depth])
                    out[container].end = Int32(truncatingIfNeeded: i)
                    out[container].next = Int32(truncatingIfNeeded: nodeCount)
                    closed = false
                }
                if depth == 0 { return nodeCount }
                let container = Int(stack[depth &- 1])
                let isObject = out[container].kind == .object
                skipWhitespace()
                guard i < count else { return -1 }
                let d = base[i]
                i &+= 1
                if d == UInt8(ascii: ",") {
                    if isObject {
                        skipWhitespace()
                        guard memberKey() else { return -1 }
                    } else {
                        keyStart = -1
                        keyLength = -1
                    }
                    break
                }
                guard d == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return -1 }
                closed = true
            }
        }
    }
}
