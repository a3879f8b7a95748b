/// A located problem in a JSON event log: the event that could not be read, by line and byte offset.
public struct LogFormatError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file as given.
    public var file: String
    /// 1-based line of the start of the bad event.
    public var line: Int
    /// Byte offset of the problem in the file.
    public var offset: Int
    /// What was wrong.
    public var message: String

    /// A problem in `file` at `line` and byte `offset`.
    public init(file: String, line: Int, offset: Int, message: String) {
        self.file = file
        self.line = line
        self.offset = offset
        self.message = message
    }

    /// `file:line: byte O: message`.
    public var description: String { "\(file):\(line): byte \(offset): \(message)" }
}

/// What a reader found in one file: events read and located problems.
public struct LogReadSummary: Sendable {
    /// Events read.
    public var events = 0
    /// Events skipped, located.
    public var errors: [LogFormatError] = []

    /// An empty summary.
    public init() {}
}
