import Testing

@testable import EVTX

/// Items of a string array value (NUL-separated UTF-16): found through the array's NUL positions, read
/// once, with the same answers as reading the array from its start for each item.
@Suite struct ArrayItemTests {
    /// The item as a scan from the array's start finds it (what the decoder did before).
    func reference(_ bytes: [UInt8], start: Int, size: Int, index: Int) -> (Int, Int)? {
        var item = 0
        var itemStart = 0
        var i = 0
        while i + 1 < size {
            if bytes[start + i] == 0 && bytes[start + i + 1] == 0 {
                if item == index { break }
                item += 1
                itemStart = i + 2
            }
            i += 2
        }
        let len = min(i, size) - itemStart
        return len <= 0 ? nil : (start + itemStart, len)
    }

    @Test func agreesWithAScanFromTheStart() {
        var rng = SystemRandomNumberGenerator()
        var decoder = BinXMLDecoder()
        for round in 0..<2_000 {
            // Arrays of random items (empty ones too), sometimes an odd size, at an offset in the chunk.
            var units: [UInt16] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                units += (0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt16.random(in: 0x41...0x5A, using: &rng) }
                units.append(0)
            }
            if Bool.random(using: &rng) { units += [0x61, 0x62] }
            let offset = Int.random(in: 0...5, using: &rng)
            var bytes = [UInt8](repeating: 0xEE, count: offset) + units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            if round % 3 == 0 && !units.isEmpty { bytes.removeLast() }  // an odd size
            let size = bytes.count - offset
            bytes.withUnsafeBytes { raw in
                decoder.reset(chunk: raw)
                let node = Node(.value, type: ValueType.string | ValueType.array, a: Int32(offset), b: Int32(size))
                for index in 0..<9 {
                    let got = decoder.arrayItem(node, index).map { (Int($0.a), Int($0.b)) }
                    let want = reference(bytes, start: offset, size: size, index: index)
                    #expect(got?.0 == want?.0 && got?.1 == want?.1, "\(units) size \(size) item \(index)")
                }
            }
        }
    }
}
