import Events
import Sigma

/// One detection: a rule (or correlation) that fired on an event (or a group of events).
public struct Sighting: Sendable {
    public var ruleID: String
    public var title: String
    public var level: SigmaLevel
    public var tags: [String]
    /// ATT&CK technique ids (`T1059.001`).
    public var attack: [String]
    public var timestamp: Timestamp?
    public var computer: String
    public var channel: String
    public var eventID: Int?
    public var recordID: UInt64?
    /// The file as found under the PATH given.
    public var file: String
    /// The event's data fields (EventData / UserData, or the top-level fields of a JSON event).
    public var fields: [(String, String)]
    /// For a correlation: its type and the events that formed it.
    public var correlation: CorrelationType?
    public var records: [SightingRecord]

    public init(
        ruleID: String, title: String, level: SigmaLevel, tags: [String], attack: [String], timestamp: Timestamp?,
        computer: String, channel: String, eventID: Int?, recordID: UInt64?, file: String, fields: [(String, String)],
        correlation: CorrelationType? = nil, records: [SightingRecord] = []
    ) {
        self.ruleID = ruleID
        self.title = title
        self.level = level
        self.tags = tags
        self.attack = attack
        self.timestamp = timestamp
        self.computer = computer
        self.channel = channel
        self.eventID = eventID
        self.recordID = recordID
        self.file = file
        self.fields = fields
        self.correlation = correlation
        self.records = records
    }
}

/// An event that took part in a correlation: its file and record id (or line).
public struct SightingRecord: Sendable, Hashable {
    public var file: String
    public var recordID: UInt64?
    public var line: Int?

    public init(file: String, recordID: UInt64?, line: Int?) {
        self.file = file
        self.recordID = recordID
        self.line = line
    }
}
