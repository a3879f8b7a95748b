import Events

/// A Sigma field name prepared for lookups: whether it is a path, and its split at the first `_` (for
/// `Provider_Name`-style System attributes), done once instead of on every lookup.
struct FieldName: Sendable {
    let name: String
    let isPath: Bool
    let element: String?
    let attribute: String?

    init(_ name: String) {
        self.name = name
        isPath = name.contains(".")
        if let underscore = name.firstIndex(of: "_") {
            element = String(name[..<underscore])
            attribute = String(name[name.index(after: underscore)...])
        } else {
            element = nil
            attribute = nil
        }
    }
}

/// The containers of a Windows event (`Event.EventData`, `Event.UserData`, `Event.System`), found once
/// per event, and lookups of flat field names in them with the precedence of
/// ``Events/Event/value(forField:)``: `EventData.<name>`, `UserData.<child>.<name>`, `System.<name>`,
/// then attribute `B` of `System.A` for `A_B`. Other layouts and paths go to `value(forField:)` itself.
struct WindowsEventParts {
    var isWindows = false
    var eventData: EventObject?
    var userData: EventObject?
    var system: EventObject?

    init() {}

    init(_ event: Event) {
        guard event.layout == .windowsXML else { return }
        isWindows = true
        guard let root = event.fields.members.first?.value.objectValue else { return }
        eventData = root["EventData"]?.objectValue
        userData = root["UserData"]?.objectValue
        system = root["System"]?.objectValue
    }

    func value(_ field: FieldName, in event: Event) -> EventValue? {
        guard isWindows, !field.isPath else { return event.value(forField: field.name) }
        let name = field.name
        if let data = eventData, let v = WindowsEventParts.member(name, of: data) { return WindowsEventParts.unwrapText(v) }
        if let user = userData {
            let found: EventValue? = user.members.withUnsafeBufferPointer { children in
                for i in children.indices {
                    if case .object(let o) = children[i].value, let v = WindowsEventParts.member(name, of: o) { return v }
                }
                return nil
            }
            if let found { return WindowsEventParts.unwrapText(found) }
        }
        if let system {
            if let v = WindowsEventParts.member(name, of: system) { return WindowsEventParts.unwrapText(v) }
            if let element = field.element, let attribute = field.attribute,
                case .object(let e)? = WindowsEventParts.member(element, of: system),
                case .object(let attributes)? = WindowsEventParts.member("#attributes", of: e),
                let v = WindowsEventParts.member(attribute, of: attributes)
            {
                return v
            }
        }
        return nil
    }

    /// The first member named `key` (as `EventObject`'s subscript, without copying the members passed over).
    @inline(__always)
    static func member(_ key: String, of object: EventObject) -> EventValue? {
        object.members.withUnsafeBufferPointer { members in
            for i in members.indices where members[i].key == key { return members[i].value }
            return nil
        }
    }

    static func unwrapText(_ v: EventValue) -> EventValue {
        if case .object(let o) = v, let t = o["#text"] { return t }
        return v
    }
}
