// libFuzzer entry point for the EVTX parser; built by scripts/fuzz-evtx.sh, not by SwiftPM.
//
// The input is one chunk as found at file offset 4096 (the first 65536 bytes are used). Every record the
// parser accepts is rendered as JSON, as XML and as typed fields, so the decoder, the shape walker and
// the value formatters all run on the hostile bytes.

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
