/// One event from any reader: typed fields in document order, a time, and where it came from.
///
/// The field tree has the shape of the source: a Windows event is `Event` → `System`, `EventData`
/// (or `UserData`), with attributes under `#attributes` and element text under `#text`, as the Rust
/// `evtx` crate writes it; a JSON-lines event is the JSON object as read.
///
/// Fields are found two ways:
/// - by path, ``value(atPath:)``: `Event.EventData.CommandLine` or `System.Provider.#attributes.Name`;
/// - by the flat names Sigma rules use, ``value(forField:)``: `CommandLine`, `EventID`, `Channel`,
///   `Provider_Name`, resolved according to the event's ``layout``.
public struct Event: Sendable, Hashable {
    /// How flat Sigma field names map onto the field tree.
    public enum Layout: Sendable, Hashable {
        /// Windows event XML as JSON: `Event.System.*`, `Event.EventData.*`, `Event.UserData.*.*`.
        case windowsXML
        /// Winlogbeat / Elastic Common Schema: `winlog.event_data.*`, `winlog.event_id`, …
        case winlogbeat
        /// A flat object whose top-level keys are the field names (Sysmon/NXLog JSON).
        case flat
    }

    /// The field tree (an object).
    public var fields: EventObject
    /// When the event happened, if known.
    public var timestamp: Timestamp?
    /// Where the event came from.
    public var source: EventSource
    /// How flat field names are resolved.
    public var layout: Layout

    /// Makes an event from its fields, time, source and layout.
    public init(fields: EventObject, timestamp: Timestamp? = nil, source: EventSource, layout: Layout) {
        self.fields = fields
        self.timestamp = timestamp
        self.source = source
        self.layout = layout
    }

    // MARK: - Lookup by path

    /// The value at a dotted path, e.g. `Event.EventData.CommandLine`.
    ///
    /// A path that does not start at a top-level key is also tried below the single root object
    /// (so `EventData.CommandLine` works for a Windows event). When the path ends on an element
    /// that has attributes and text, its `#text` is returned.
    public func value(atPath path: String) -> EventValue? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let v = Event.walk(.object(fields), parts[...]) { return v }
        if fields.count == 1, let root = fields.members.first?.value, let v = Event.walk(root, parts[...]) {
            return v
        }
        return nil
    }

    static func walk(_ start: EventValue, _ parts: ArraySlice<String>) -> EventValue? {
        var current = start
        for part in parts {
            guard case .object(let o) = current, let next = o[part] else { return nil }
            current = next
        }
        if case .object(let o) = current, let text = o["#text"] { return text }
        return current
    }

    // MARK: - Lookup by flat field name

    /// The value a Sigma rule means by the flat field name `name`.
    ///
    /// For Windows events, in order: `EventData.<name>`, `UserData.<child>.<name>`, `System.<name>`
    /// (`EventID`, `Channel`, `Computer`, …), then `A_B` as attribute `B` of `System.A` (`Provider_Name`,
    /// `Security_UserID`, `Execution_ProcessID`). For Winlogbeat events, `winlog.event_data.<name>`, then
    /// the `winlog` keys for `EventID`, `Channel`, `Provider_Name`, `Computer`. A name containing a dot
    /// is looked up as a path. Returns `nil` when the event has no such field.
    public func value(forField name: String) -> EventValue? {
        if name.contains(".") { return value(atPath: name) }
        switch layout {
        case .flat:
            if let v = fields[name] { return v }
            return Event.flatAlias(name).flatMap { fields[$0] }
        case .winlogbeat:
            if let data = fields["winlog"]?["event_data"], let v = data[name] { return v }
            if let data = fields["winlog"]?["user_data"], let v = data[name] { return v }
            if let key = Event.winlogAlias(name), let v = fields["winlog"]?[key] { return v }
            if name == "Provider_Name", let v = fields["winlog"]?["provider_name"] { return v }
            return fields[name]
        case .windowsXML:
            guard let event = fields.members.first?.value.objectValue else { return nil }
            if let data = event["EventData"]?.objectValue, let v = data[name] { return Event.unwrapText(v) }
            if let user = event["UserData"]?.objectValue {
                for child in user {
                    if let v = child.value[name] { return Event.unwrapText(v) }
                }
            }
            if let system = event["System"]?.objectValue {
                if let v = system[name] { return Event.unwrapText(v) }
                if let underscore = name.firstIndex(of: "_") {
                    let element = String(name[..<underscore])
                    let attribute = String(name[name.index(after: underscore)...])
                    if let v = system[element]?["#attributes"]?[attribute] { return v }
                }
            }
            return nil
        }
    }

    static func unwrapText(_ v: EventValue) -> EventValue {
        if case .object(let o) = v, let t = o["#text"] { return t }
        return v
    }

    static func winlogAlias(_ name: String) -> String? {
        switch name {
        case "EventID": return "event_id"
        case "Channel": return "channel"
        case "Computer": return "computer_name"
        case "Provider_Name": return "provider_name"
        case "EventRecordID": return "record_id"
        case "Task": return "task"
        case "Opcode": return "opcode"
        default: return nil
        }
    }

    static func flatAlias(_ name: String) -> String? {
        switch name {
        case "EventID": return "EventId"
        case "Provider_Name": return "SourceName"
        case "Computer": return "Hostname"
        default: return nil
        }
    }
}
