import Events

/// One record handed to a ``EVTXChunkParser`` callback; valid only during the callback.
public struct EVTXRecord: ~Copyable {
    /// The record identifier from the record header.
    public let recordID: UInt64
    /// The time the record was written (record header), FILETIME resolution.
    public let timestamp: Timestamp
    /// The record's byte offset in the file.
    public let offset: Int
    /// The record was carved from the chunk's slack (after the last record its header declares): an older
    /// or deleted record. Only read when ``EVTXChunkParser/recoversSlack`` is set.
    public var isRecovered: Bool = false
    let parser: EVTXChunkParser

    /// Appends the record's event as JSON in the shape the Rust `evtx` crate writes.
    public func appendJSON(to out: inout [UInt8]) {
        parser.decoder.appendRecordJSON(into: &out)
    }

    /// Appends the record's event as indented XML.
    public func appendXML(to out: inout [UInt8]) {
        guard let root = parser.decoder.recordTreeRoot() else { return }
        parser.decoder.renderXMLInPlace(root: root, into: &out)
    }

    /// The record's fields as a typed object (`Event` → `System`, `EventData`, …).
    public var fields: EventObject {
        guard let root = parser.decoder.recordTreeRoot() else { return EventObject() }
        // The parser's builder keeps its stacks' capacity from record to record.
        var b = EventShapeBuilder()
        swap(&b, &parser.eventBuilder)
        parser.decoder.renderInPlace(root: root, into: &b)
        let result = b.result
        b.result = EventObject()
        swap(&b, &parser.eventBuilder)
        return result
    }

    /// The record's compiled field layout, when it is read through one (see
    /// ``EVTXChunkParser/readsLayouts``): its leaves are then read through ``leafReader`` while the record
    /// is current, without building its tree.
    public var layout: EventLayout? {
        parser.decoder.recordLayout()
    }

    /// Reads the leaves of ``layout`` for this record (valid during the callback).
    public var leafReader: EventLeafReader { parser }

    /// The record as an ``Events/Event`` read from `file`.
    public func event(file: String) -> Event {
        Event(
            fields: fields,
            timestamp: timestamp,
            source: EventSource(file: file, recordID: recordID, offset: offset),
            layout: .windowsXML
        )
    }
}

/// Parses chunks of EVTX files; one parser per thread, reused from chunk to chunk.
public final class EVTXChunkParser: EventLeafReader {
    let buffer: UnsafeMutableRawBufferPointer
    var decoder = BinXMLDecoder()
    /// Builds typed fields (``EVTXRecord/fields``); kept for its buffers.
    var eventBuilder = EventShapeBuilder()
    /// Rendered output of the current chunk (``EVTXReader`` renders into it).
    var output = OutputBytes(capacity: 1 << 16)
    /// Read records that are one template instance through compiled layouts (``EVTXRecord/layout``): their
    /// trees are decoded only when asked for (``EVTXRecord/fields``). Off by default.
    public var readsLayouts: Bool {
        get { decoder.rendersShapes }
        set { decoder.rendersShapes = newValue }
    }
    /// Verify the CRC32 of chunk headers and record areas (a mismatch is counted, the records are still read).
    public var verifiesChecksums = true
    /// Also carve intact records from the slack after the chunk's declared last record (older records of a
    /// reused chunk, records left after a log was cleared). Off by default, as in the `evtx` crate.
    public var recoversSlack = false

    /// Makes a parser with its own 64 KiB chunk buffer and decoder caches.
    public override init() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EVTXFile.chunkSize, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    public override func writeText(ofLeaf leaf: Int, in layout: EventLayout, into out: inout LeafTextBuffer) -> EventScalar {
        decoder.appendTextInPlace(ofLeaf: leaf, in: layout, into: &out)
    }

    public override func utf16Text(ofLeaf leaf: Int, in layout: EventLayout) -> UnsafeRawBufferPointer? {
        decoder.utf16TextInPlace(ofLeaf: leaf, in: layout)
    }

    public override func unsignedValue(ofLeaf leaf: Int, in layout: EventLayout) -> UInt64? {
        decoder.unsignedValueInPlace(ofLeaf: leaf, in: layout)
    }

    public override func utf16Texts(
        ofLeaves leaves: UnsafeBufferPointer<Int32>, in layout: EventLayout,
        into out: UnsafeMutablePointer<UnsafeRawBufferPointer?>
    ) {
        decoder.utf16TextsInPlace(ofLeaves: leaves, in: layout, into: out)
    }

    deinit {
        buffer.deallocate()
        output.free()
        decoder.signature.free()
    }

    static let chunkMagic: UInt64 = 0x006B_6E68_4366_6C45  // "ElfChnk\0"
    static let recordMagic: UInt32 = 0x0000_2A2A

    /// The result of parsing one chunk.
    public struct ChunkSummary: Sendable {
        /// Records handed to the callback.
        public var records = 0
        /// Records carved from slack (counted in `records` too).
        public var recovered = 0
        /// Located problems, in chunk order.
        public var errors: [EVTXError] = []
        /// The chunk was all zeros (never used).
        public var isEmpty = false
        /// Past the chunk count of a cleanly closed file's header, the chunk began with 512 zero bytes and
        /// the rest of it was not read (the log's preallocated space; ``EVTXChunkParser/recoversSlack`` reads
        /// it all).
        public var unread = false
    }

    /// Reads chunk `index` of `file` and calls `body` with each intact record, in file order.
    ///
    /// Damage is reported in the summary, located by file offset: a chunk with a bad magic is skipped;
    /// a checksum mismatch is counted and the records are still read; a record with a bad magic or
    /// size is skipped and the walk resynchronizes on the next record header; a record whose BinXML
    /// cannot be decoded is skipped.
    public func parse(_ file: EVTXFile, chunk index: Int, _ body: (borrowing EVTXRecord) -> Void) -> ChunkSummary {
        let offset = EVTXFile.offset(ofChunk: index)
        let available = max(0, min(EVTXFile.chunkSize, file.size - offset))
        var n: Int
        if recoversSlack {
            n = file.readChunk(index, into: buffer)
        } else {
            // Only the header and the records up to the free space offset are needed: read just those
            // (corpus-like logs leave much of each chunk empty).
            n = file.readChunk(index, bytes: 0..<min(512, available), into: buffer)
            let header = UnsafeRawBufferPointer(buffer)
            if n == 512 && header.u64(0) == EVTXChunkParser.chunkMagic {
                let free = Int(header.u32(48))
                let want = free >= 512 && free <= available ? min(available, (free + 4095) & ~4095) : available
                if want > 512 { n = file.readChunk(index, bytes: 512..<want, into: buffer) }
            } else if n == 512, let header = file.header, !header.isDirty, index >= Int(header.chunkCount),
                UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<512]).isAllZero()
            {
                // Past the chunks the header of a cleanly closed file counts, a chunk that begins with 512
                // zero bytes is the log's preallocated, unused space: the rest is not read (`--recover`
                // reads it; it holds no chunk header, so no record could be read from it anyway).
                var summary = ChunkSummary()
                summary.isEmpty = true
                summary.unread = true
                return summary
            } else if n < available {
                n = file.readChunk(index, bytes: n..<available, into: buffer)
            }
        }
        var summary = parse(
            bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<n]),
            fileOffset: offset,
            available: available,
            body
        )
        if summary.isEmpty, let header = file.header, index < Int(header.chunkCount) {
            summary.errors.append(EVTXError(.zeroedChunk, offset: offset))
        }
        return summary
    }

    /// Parses one chunk held in `bytes` (65536 bytes, fewer when the file ends inside it, or only up to the
    /// records' end when that is all that was read).
    ///
    /// - Parameter available: how many bytes of the chunk the file holds (a truncated file holds fewer
    ///   than 65536); defaults to `bytes.count`.
    public func parse(
        bytes chunk: UnsafeRawBufferPointer,
        fileOffset: Int,
        available: Int? = nil,
        _ body: (borrowing EVTXRecord) -> Void
    ) -> ChunkSummary {
        var summary = ChunkSummary()
        let n = chunk.count
        let available = available ?? n
        if n < 8 || chunk.u64(0) != EVTXChunkParser.chunkMagic {
            if chunk.isAllZero() {
                summary.isEmpty = true
            } else {
                summary.errors.append(EVTXError(.badChunkMagic, offset: fileOffset))
            }
            return summary
        }
        if n < 512 {
            summary.errors.append(EVTXError(.truncatedChunk(available: available), offset: fileOffset))
            return summary
        }
        if available < EVTXFile.chunkSize {
            summary.errors.append(EVTXError(.truncatedChunk(available: available), offset: fileOffset))
        }
        let freeSpace = Int(chunk.u32(48))
        let lastRecordID = chunk.u64(32)
        let flags = chunk.u32(120)
        if verifiesChecksums {
            let stored = chunk.u32(124)
            let computed = CRC32.checksum(
                UnsafeRawBufferPointer(rebasing: chunk[0..<120]),
                UnsafeRawBufferPointer(rebasing: chunk[128..<512])
            )
            if stored != computed {
                summary.errors.append(
                    EVTXError(.chunkHeaderChecksum(stored: stored, computed: computed), offset: fileOffset + 124)
                )
            }
            if flags & 0x4 == 0 && freeSpace >= 512 && freeSpace <= n {
                let storedData = chunk.u32(52)
                let computedData = CRC32.checksum(UnsafeRawBufferPointer(rebasing: chunk[512..<freeSpace]))
                if storedData != computedData {
                    summary.errors.append(
                        EVTXError(
                            .chunkDataChecksum(stored: storedData, computed: computedData),
                            offset: fileOffset + 52
                        )
                    )
                }
            }
        }
        decoder.reset(chunk: chunk)
        let end = (freeSpace >= 512 && freeSpace <= n) ? freeSpace : n
        var off = 512
        while off + 24 <= end {
            let magic = chunk.u32(off)
            if magic == 0 { break }
            if magic != EVTXChunkParser.recordMagic {
                summary.errors.append(EVTXError(.badRecordMagic, offset: fileOffset + off))
                guard let next = resync(chunk, from: off + 8, end: end) else { break }
                off = next
                continue
            }
            let size = Int(chunk.u32(off + 4))
            let recordID = chunk.u64(off + 8)
            if size < 28 || off + size > n || chunk.u32(off + size - 4) != UInt32(size) {
                summary.errors.append(
                    EVTXError(.badRecordSize(UInt32(size)), offset: fileOffset + off, recordID: recordID)
                )
                guard let next = resync(chunk, from: off + 8, end: end) else { break }
                off = next
                continue
            }
            let written = chunk.u64(off + 16)
            do {
                try decoder.beginRecord(start: off + 24, end: off + size - 4)
                summary.records += 1
                body(
                    EVTXRecord(
                        recordID: recordID,
                        timestamp: Timestamp(filetime: Int64(clamping: written)),
                        offset: fileOffset + off,
                        parser: self
                    )
                )
            } catch {
                // A damaged offset can point outside the chunk: then the record itself is the location.
                let at = error.chunkOffset >= 0 && error.chunkOffset < n ? error.chunkOffset : off
                summary.errors.append(EVTXError(.binXML(error.message), offset: fileOffset + at, recordID: recordID))
            }
            off += size
            if recordID == lastRecordID { break }
        }
        if recoversSlack { carveSlack(chunk, from: off, fileOffset: fileOffset, into: &summary, body) }
        return summary
    }

    /// Reads every plausible record header after `from` to the end of the chunk; undecodable ones are
    /// slack garbage, not errors.
    func carveSlack(
        _ chunk: UnsafeRawBufferPointer,
        from: Int,
        fileOffset: Int,
        into summary: inout ChunkSummary,
        _ body: (borrowing EVTXRecord) -> Void
    ) {
        var off = from
        while let o = resync(chunk, from: off, end: chunk.count) {
            let size = Int(chunk.u32(o + 4))
            if (try? decoder.beginRecord(start: o + 24, end: o + size - 4)) != nil {
                summary.records += 1
                summary.recovered += 1
                var record = EVTXRecord(
                    recordID: chunk.u64(o + 8),
                    timestamp: Timestamp(filetime: Int64(clamping: chunk.u64(o + 16))),
                    offset: fileOffset + o,
                    parser: self
                )
                record.isRecovered = true
                body(record)
                off = o + size
            } else {
                off = o + 8
            }
        }
    }

    /// The next plausible record header at or after `from` (8-byte aligned, sane size, matching size copy).
    func resync(_ chunk: UnsafeRawBufferPointer, from: Int, end: Int) -> Int? {
        var o = (from + 7) & ~7
        while o + 28 <= end {
            if chunk.u32(o) == EVTXChunkParser.recordMagic {
                let size = Int(chunk.u32(o + 4))
                if size >= 28 && o + size <= chunk.count && chunk.u32(o + size - 4) == UInt32(size) { return o }
            }
            o += 8
        }
        return nil
    }
}
