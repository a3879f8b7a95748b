import Testing

@testable import Events

@Suite struct TimestampTests {
    @Test func iso8601RoundTrip() throws {
        let t = try #require(Timestamp(iso8601: "2019-03-19T23:34:08.4698480Z"))
        #expect(t.iso8601 == "2019-03-19T23:34:08.4698480Z")
        #expect(t.iso8601(fractionDigits: 6) == "2019-03-19T23:34:08.469848Z")
        #expect(t.iso8601(fractionDigits: 0) == "2019-03-19T23:34:08Z")
    }

    @Test func parsesCommonForms() throws {
        let a = try #require(Timestamp(iso8601: "2019-04-27 15:57:25.868"))
        let b = try #require(Timestamp(iso8601: "2019-04-27T15:57:25.8680000Z UTC"))
        let c = try #require(Timestamp(iso8601: "2019-04-28T00:57:25.868+09:00"))
        #expect(a == b)
        #expect(a == c)
        #expect(Timestamp(iso8601: "2019-02-30T00:00:00Z") == nil)
        #expect(Timestamp(iso8601: "yesterday") == nil)
    }

    @Test func filetimeEpochs() {
        #expect(Timestamp(filetime: 0).iso8601 == "1601-01-01T00:00:00.0000000Z")
        #expect(Timestamp(unixSeconds: 0).iso8601 == "1970-01-01T00:00:00.0000000Z")
        #expect(Timestamp(unixSeconds: 951_782_400).iso8601(fractionDigits: 0) == "2000-02-29T00:00:00Z")
        #expect(Timestamp(unixSeconds: 1, nanoseconds: 500).unixTime == 1.0000005)
    }
}

@Suite struct EventValueTests {
    @Test func text() throws {
        #expect(EventValue.uint(4624).text == "4624")
        #expect(EventValue.int(-1).text == "-1")
        #expect(EventValue.binary([0x0A, 0xFF]).text == "0AFF")
        #expect(EventValue.array([.string("a"), .uint(2)]).text == "a,2")
        #expect(EventValue.bool(true).text == "true")
        #expect(EventValue.object(EventObject()).text == nil)
        #expect(EventValue.string("12").intValue == 12)
    }
}

@Suite struct EventLookupTests {
    func windowsEvent() -> Event {
        var provider = EventObject()
        provider.append(
            "#attributes",
            .object(EventObject([.init(key: "Name", value: .string("Microsoft-Windows-Sysmon"))]))
        )
        var eventID = EventObject()
        eventID.append("#attributes", .object(EventObject([.init(key: "Qualifiers", value: .uint(0))])))
        eventID.append("#text", .uint(1))
        var system = EventObject()
        system.append("Provider", .object(provider))
        system.append("EventID", .object(eventID))
        system.append("Channel", .string("Microsoft-Windows-Sysmon/Operational"))
        var data = EventObject()
        data.append("CommandLine", .string("cmd.exe /c whoami"))
        var event = EventObject()
        event.append("System", .object(system))
        event.append("EventData", .object(data))
        var root = EventObject()
        root.append("Event", .object(event))
        return Event(fields: root, source: EventSource(file: "s.evtx", recordID: 7, offset: 4608), layout: .windowsXML)
    }

    @Test func windowsFlatNames() {
        let e = windowsEvent()
        #expect(e.value(forField: "CommandLine") == .string("cmd.exe /c whoami"))
        #expect(e.value(forField: "EventID") == .uint(1))
        #expect(e.value(forField: "Channel") == .string("Microsoft-Windows-Sysmon/Operational"))
        #expect(e.value(forField: "Provider_Name") == .string("Microsoft-Windows-Sysmon"))
        #expect(e.value(forField: "Nope") == nil)
    }

    @Test func paths() {
        let e = windowsEvent()
        #expect(e.value(atPath: "Event.EventData.CommandLine") == .string("cmd.exe /c whoami"))
        #expect(e.value(atPath: "EventData.CommandLine") == .string("cmd.exe /c whoami"))
        #expect(e.value(atPath: "Event.System.EventID") == .uint(1))
        #expect(e.value(atPath: "Event.System.EventID.#attributes.Qualifiers") == .uint(0))
        #expect(e.value(forField: "Event.System.Channel") == .string("Microsoft-Windows-Sysmon/Operational"))
        #expect(e.value(atPath: "Event.Missing.X") == nil)
        #expect(e.source.description == "s.evtx: record 7 at byte 4608")
    }

    @Test func winlogbeatAndFlatLayouts() {
        var data = EventObject()
        data.append("Image", .string("C:\\x.exe"))
        var winlog = EventObject()
        winlog.append("event_data", .object(data))
        winlog.append("event_id", .int(1))
        winlog.append("channel", .string("Security"))
        winlog.append("provider_name", .string("P"))
        let beat = Event(
            fields: EventObject([.init(key: "winlog", value: .object(winlog))]),
            source: EventSource(file: "b.json", line: 3, offset: 100),
            layout: .winlogbeat
        )
        #expect(beat.value(forField: "Image") == .string("C:\\x.exe"))
        #expect(beat.value(forField: "EventID") == .int(1))
        #expect(beat.value(forField: "Channel") == .string("Security"))
        #expect(beat.value(forField: "Provider_Name") == .string("P"))
        #expect(beat.value(forField: "winlog.event_data.Image") == .string("C:\\x.exe"))
        #expect(beat.source.description == "b.json:3 (byte 100)")

        let flat = Event(
            fields: EventObject([
                .init(key: "EventID", value: .int(4688)), .init(key: "NewProcessName", value: .string("a")),
            ]),
            source: EventSource(file: "f.json", line: 1, offset: 0),
            layout: .flat
        )
        #expect(flat.value(forField: "EventID") == .int(4688))
        #expect(flat.value(forField: "NewProcessName") == .string("a"))
    }
}
