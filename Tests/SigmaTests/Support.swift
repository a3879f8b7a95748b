import Events
import Sigma

/// Helpers shared by the Sigma tests.
enum Support {
    /// `../shared/corpus` next to the package root, or `nil` (and a printed reason) when absent.
    static func corpus(_ sub: String, file: String = #filePath) -> String? {
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/SigmaTests/Support.swift
        let root = parts.joined(separator: "/")
        let path = root + "/../shared/corpus/" + sub
        var isDir: Bool = false
        if exists(path, isDirectory: &isDir) { return path }
        print("skipping: corpus not found at \(path)")
        return nil
    }

    static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        return true
    }

    /// A Windows event (`Event.System`, `Event.EventData`) with the given data fields.
    static func windowsEvent(
        channel: String = "Microsoft-Windows-Sysmon/Operational", eventID: Int = 1, computer: String = "HOST1",
        time: String = "2024-01-02T03:04:05Z", provider providerName: String = "Microsoft-Windows-Sysmon",
        data: [(String, EventValue)]
    ) -> Event {
        var system = EventObject()
        var provider = EventObject()
        var attrs = EventObject()
        attrs.append("Name", .string(providerName))
        provider.append("#attributes", .object(attrs))
        system.append("Provider", .object(provider))
        system.append("EventID", .uint(UInt64(eventID)))
        system.append("Channel", .string(channel))
        system.append("Computer", .string(computer))
        var eventData = EventObject()
        for (k, v) in data { eventData.append(k, v) }
        var event = EventObject()
        event.append("System", .object(system))
        event.append("EventData", .object(eventData))
        var root = EventObject()
        root.append("Event", .object(event))
        return Event(
            fields: root, timestamp: Timestamp(iso8601: time), source: EventSource(file: "t.evtx", recordID: 1, offset: 0),
            layout: .windowsXML)
    }

    /// Loads one rule from YAML, requiring success.
    static func rule(_ yaml: String) throws -> SigmaRule {
        let c = RuleLoader.load(text: yaml)
        if let f = c.failures.first { throw f }
        guard let r = c.rules.first else { throw SigmaError(.attribute("no rule")) }
        return r
    }

    /// Whether a rule (given as YAML with product windows, category process_creation) matches an event.
    static func fires(_ yaml: String, _ event: Event, variant: LogSourceVariant = .both) throws -> Bool {
        let r = try rule(yaml)
        let set = RuleSet(rules: [r], variant: variant)
        return !set.matches(event).isEmpty
    }

    /// A process-creation rule with the given detection body (indented by 4).
    static func processRule(_ detection: String) -> String {
        """
        title: test
        id: 00000000-0000-0000-0000-000000000001
        logsource:
            product: windows
            category: process_creation
        detection:
        \(detection)
        level: high
        """
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
