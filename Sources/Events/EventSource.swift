/// Where an ``Event`` came from: the file, the record id or line, and the byte offset.
public struct EventSource: Sendable, Hashable, CustomStringConvertible {
    /// The file path as given to the reader.
    public var file: String
    /// The EVTX record identifier, or `nil` for line-based sources.
    public var recordID: UInt64?
    /// The 1-based line number for line-based sources.
    public var line: Int?
    /// The byte offset of the record (or line) in the file.
    public var offset: Int

    /// A source position: a file, and a record id or a line, and a byte offset.
    public init(file: String, recordID: UInt64? = nil, line: Int? = nil, offset: Int) {
        self.file = file
        self.recordID = recordID
        self.line = line
        self.offset = offset
    }

    /// `file: record N at byte O`, or `file:line (byte O)`.
    public var description: String {
        if let recordID { return "\(file): record \(recordID) at byte \(offset)" }
        if let line { return "\(file):\(line) (byte \(offset))" }
        return "\(file) at byte \(offset)"
    }
}
