import Testing

@testable import EVTX

/// The template-instance path reads each substitution value's validity and emptiness from one table
/// (``BinXMLDecoder/plainValue(type:offset:size:)``); it must answer as ``BinXMLDecoder/plainValueNode(type:offset:size:)``
/// and ``BinXMLDecoder/isEmpty(_:)`` do, for every type byte and size.
@Suite struct ValueTypeTableTests {
    @Test func tableAgreesWithTheChecks() {
        var decoder = BinXMLDecoder()
        // Values at offset 0 (a NUL first unit: an empty string) and at offset 2 (a non-NUL first unit).
        let bytes: [UInt8] = [0, 0, 0x41, 0] + [UInt8](repeating: 0x41, count: 40)
        bytes.withUnsafeBytes { raw in
            decoder.reset(chunk: raw)
            var checked = 0
            for type in 0...255 {
                for offset in [0, 2] {
                    for size in 0...24 {
                        let old = decoder.plainValueNode(type: UInt8(type), offset: offset, size: size)
                        let new = decoder.plainValue(type: UInt8(type), offset: offset, size: size, table: TemplateShape.typeInfoTable)
                        #expect((old == nil) == (new == nil), "type \(type) size \(size)")
                        guard let old, let new else { continue }
                        #expect(old.kind == new.0.kind && old.type == new.0.type && old.a == new.0.a && old.b == new.0.b)
                        #expect(decoder.isEmpty(old) == new.empty, "type \(type) offset \(offset) size \(size)")
                        checked += 1
                    }
                }
            }
            #expect(checked > 1_000)
        }
    }
}
