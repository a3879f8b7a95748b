/// Where rendered bytes go: `[UInt8]` for the public API, ``OutputBytes`` on the fast path.
protocol ByteSink {
    /// An empty sink (allocates nothing).
    init()
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeRawBufferPointer)
    mutating func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8
    /// Lets `body` write up to `maxCount` bytes at a pointer; `body` returns how many it wrote.
    mutating func write(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int)
}

extension ByteSink {
    @inline(__always)
    mutating func append(bytes: UnsafeBufferPointer<UInt8>) {
        append(bytes: UnsafeRawBufferPointer(bytes))
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(bytes: $0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }

    @inline(__always)
    mutating func write(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(1, maxCount)) { tmp in
            let n = body(tmp.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(start: tmp.baseAddress, count: n))
        }
    }
}

/// A growable byte buffer written through a raw pointer: no uniqueness check or reference counting per
/// append. The owner frees it (``free()``); copying the struct copies the pointer, not the bytes.
struct OutputBytes: ByteSink {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// An empty buffer that owns no memory until it grows.
    init() {
        capacity = 0
        // Never dereferenced or freed: capacity 0 makes the first append allocate.
        base = UnsafeMutablePointer<UInt8>(bitPattern: 0x10)!
    }

    /// Frees the storage (the buffer must not be used afterwards).
    func free() {
        if capacity > 0 { base.deallocate() }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never)
    mutating func grow(_ needed: Int) {
        var c = Swift.max(capacity * 2, 64)
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        if capacity > 0 {
            b.update(from: base, count: count)
            base.deallocate()
        }
        base = b
        capacity = c
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        reserve(n)
        UnsafeMutableRawPointer(base + count).copyMemory(from: bytes.baseAddress!, byteCount: n)
        count += n
    }

    mutating func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8 {
        let done: Void? = s.withContiguousStorageIfAvailable { append(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for b in s { append(b) }
        }
    }

    @inline(__always)
    mutating func write(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maxCount)
        count += body(base + count)
    }
}
