/// Storage for the field texts of one event, reused from event to event.
///
/// Bytes are handed out from blocks that are kept across events, so preparing an event's values
/// allocates nothing once the blocks are warm. A pointer stays valid until ``reset()``; blocks never
/// move, so later allocations do not invalidate earlier pointers.
final class TextArena {
    static let blockSize = 64 * 1024

    private var blocks: [UnsafeMutablePointer<UInt8>] = []
    private var sizes: [Int] = []
    private var current = 0
    private var used = 0

    deinit {
        for b in blocks { b.deallocate() }
    }

    /// Forgets every allocation (the blocks are kept).
    func reset() {
        current = 0
        used = 0
    }

    /// `count` bytes, valid until the next ``reset()``.
    func allocate(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if blocks.isEmpty { addBlock(count) }
        while used + count > sizes[current] {
            current += 1
            used = 0
            if current == blocks.count { addBlock(count) }
        }
        let p = blocks[current] + used
        used += count
        return p
    }

    /// Room for `count` values of a plain-data type `T`, aligned, valid until the next ``reset()``.
    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let align = MemoryLayout<T>.alignment
        let p = allocate(count * MemoryLayout<T>.stride + align - 1)
        let address = (Int(bitPattern: p) + align - 1) & ~(align - 1)
        return UnsafeMutableRawPointer(bitPattern: address)!.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// Where the next allocation would go (see ``rewind(to:)``).
    var mark: (block: Int, used: Int) { (current, used) }

    /// Forgets every allocation made since `mark` was taken.
    func rewind(to mark: (block: Int, used: Int)) {
        current = mark.block
        used = mark.used
    }

    /// Returns the last `count` bytes of the latest allocation (which must have been at least that long).
    func giveBack(_ count: Int) {
        used -= count
    }

    /// A copy of `bytes`, valid until the next ``reset()``.
    func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let p = allocate(bytes.count)
        if let base = bytes.baseAddress, bytes.count > 0 { p.update(from: base, count: bytes.count) }
        return UnsafeBufferPointer(start: p, count: bytes.count)
    }

    private func addBlock(_ atLeast: Int) {
        let size = max(TextArena.blockSize, atLeast)
        blocks.append(UnsafeMutablePointer<UInt8>.allocate(capacity: size))
        sizes.append(size)
    }
}
