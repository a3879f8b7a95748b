// libFuzzer entry point for the EVTX parser; built by scripts/fuzz-evtx.sh, not by SwiftPM.
//
// The input is one chunk as found at file offset 4096 (the first 65536 bytes are used). Every record the
// parser accepts is rendered as JSON, as XML and as typed fields, and, when it is read through a compiled
// layout (what `hunt` reads), every leaf of the layout is written into a large and into a tiny buffer and
// read as UTF-16, so the decoder, the shape walker, the layouts and the value formatters all run on the
// hostile bytes.

nonisolated(unsafe) let leafRoom = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)

nonisolated(unsafe) let fuzzParser: EVTXChunkParser = {
    let p = EVTXChunkParser()
    p.recoversSlack = true
    p.decoder.rendersShapes = true  // JSON through compiled template shapes; XML and fields through the tree
    return p
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func evtxFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: min(size, EVTXFile.chunkSize))
    let summary = fuzzParser.parse(bytes: bytes, fileOffset: EVTXFile.fileHeaderSize) { record in
        var out: [UInt8] = []
        record.appendJSON(to: &out)
        record.appendXML(to: &out)
        if let layout = record.layout {
            for leaf in layout.leaves.indices {
                var large = LeafTextBuffer(base: leafRoom, capacity: 1 << 16)
                _ = record.leafReader.writeText(ofLeaf: leaf, in: layout, into: &large)
                var tiny = LeafTextBuffer(base: leafRoom, capacity: 3)
                _ = record.leafReader.writeText(ofLeaf: leaf, in: layout, into: &tiny)
                if let u = record.leafReader.utf16Text(ofLeaf: leaf, in: layout), u.count > 0 {
                    precondition(u.baseAddress != nil)
                }
            }
        }
        _ = record.fields
    }
    for e in summary.errors {
        precondition(
            e.offset >= EVTXFile.fileHeaderSize && e.offset < EVTXFile.fileHeaderSize + max(size, 1) + 8,
            "error offset outside the input: \(e)"
        )
    }
    return 0
}
