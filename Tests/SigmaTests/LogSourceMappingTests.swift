import Events
import Testing

@testable import Sigma

/// Pins the built-in log-source table (docs/SIGMA.md lists the same rows).
@Suite struct LogSourceMappingTests {
    static let sysmon = "Microsoft-Windows-Sysmon/Operational"

    static func targets(_ category: String? = nil, service: String? = nil, _ variant: LogSourceVariant = .both)
        -> [LogSourceTarget]?
    {
        LogSourceMapping.windows.targets(
            for: LogSource(product: "windows", category: category, service: service), variant: variant)
    }

    @Test(arguments: [
        ("process_creation", [1]), ("file_change", [2]), ("network_connection", [3]), ("sysmon_status", [4, 16]),
        ("process_termination", [5]), ("driver_load", [6]), ("image_load", [7]), ("create_remote_thread", [8]),
        ("raw_access_thread", [9]), ("process_access", [10]), ("file_event", [11]), ("registry_add", [12]),
        ("registry_delete", [12]), ("registry_set", [13]), ("registry_rename", [14]), ("registry_event", [12, 13, 14]),
        ("create_stream_hash", [15]), ("pipe_created", [17, 18]), ("wmi_event", [19, 20, 21]), ("dns_query", [22]),
        ("file_delete", [23, 26]), ("clipboard_capture", [24]), ("process_tampering", [25]),
        ("file_block_executable", [27]), ("file_block_shredding", [28]), ("file_executable_detected", [29]),
        ("sysmon_error", [255]),
    ])
    func sysmonCategories(_ category: String, _ ids: [Int]) throws {
        let t = try #require(Self.targets(category, .sysmon))
        #expect(t.count == 1)
        #expect(t[0].channels == [Self.sysmon])
        #expect(t[0].eventIDs == ids)
        #expect(t[0].fields.isEmpty)
    }

    @Test func securityVariantMapsFieldNames() throws {
        let t = try #require(Self.targets("process_creation", .security))
        #expect(t.count == 1)
        #expect(t[0].channels == ["Security"])
        #expect(t[0].eventIDs == [4688])
        #expect(t[0].fields["Image"] == "NewProcessName")
        #expect(t[0].fields["ParentImage"] == "ParentProcessName")
        #expect(t[0].fields["CommandLine"] == nil)
        let reg = try #require(Self.targets("registry_set", .security))
        #expect(reg.map(\.eventIDs) == [[4657]])
        #expect(reg[0].fields["TargetObject"] == "ObjectName")
        let net = try #require(Self.targets("network_connection", .security))
        #expect(net.map(\.eventIDs) == [[5156]])
        // Sysmon-only categories have nothing in the Security variant.
        #expect(Self.targets("image_load", .security) == [])
    }

    @Test func bothIsTheUnion() throws {
        let t = try #require(Self.targets("process_creation"))
        #expect(t.map(\.eventIDs) == [[1], [4688]])
    }

    @Test(arguments: [
        ("security", "Security"), ("system", "System"), ("application", "Application"),
        ("sysmon", "Microsoft-Windows-Sysmon/Operational"), ("powershell", "Microsoft-Windows-PowerShell/Operational"),
        ("powershell-classic", "Windows PowerShell"), ("windefend", "Microsoft-Windows-Windows Defender/Operational"),
        ("taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"), ("wmi", "Microsoft-Windows-WMI-Activity/Operational"),
        ("bits-client", "Microsoft-Windows-Bits-Client/Operational"),
        ("codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"),
    ])
    func services(_ service: String, _ channel: String) throws {
        let t = try #require(Self.targets(service: service))
        #expect(t.first?.channels.first == channel)
        #expect(t.first?.eventIDs == [])
    }

    @Test func powershellCategories() throws {
        #expect(Self.targets("ps_script")?.first?.eventIDs == [4104])
        #expect(Self.targets("ps_module")?.first?.eventIDs == [4103])
        #expect(Self.targets("ps_classic_start")?.first?.eventIDs == [400])
        #expect(Self.targets("ps_classic_start")?.first?.channels == ["Windows PowerShell"])
        #expect(Self.targets("ps_classic_provider_start")?.first?.eventIDs == [600])
    }

    @Test func unmappedAndBareProduct() {
        #expect(Self.targets("file_access") == nil)
        #expect(Self.targets(service: "no-such-service") == nil)
        #expect(LogSourceMapping.windows.targets(for: LogSource(product: "windows"), variant: .both) == [])
        #expect(LogSourceMapping.windows.targets(for: LogSource(product: "linux", category: "process_creation"), variant: .both) == nil)
    }

    @Test func userFileOverridesAndExtends() throws {
        let user = try LogSourceMapping(yaml: """
            mappings:
              - product: windows
                category: process_creation
                targets:
                  - variant: sysmon
                    channels: [My-Sysmon]
                    event_ids: [1]
              - product: windows
                category: file_access
                targets:
                  - channels: [Microsoft-Windows-Kernel-File/Analytic]
                    event_ids: [10, 11]
                    fields: {TargetFilename: FileName}
            """)
        let m = LogSourceMapping.windows.overridden(by: user)
        let pc = try #require(m.targets(for: LogSource(product: "windows", category: "process_creation"), variant: .both))
        #expect(pc.map(\.channels) == [["My-Sysmon"]])
        let fa = try #require(m.targets(for: LogSource(product: "windows", category: "file_access"), variant: .both))
        #expect(fa.first?.fields == ["TargetFilename": "FileName"])
        #expect(throws: SigmaError.self) { try LogSourceMapping(yaml: "nothing: here") }
        #expect(throws: SigmaError.self) {
            try LogSourceMapping(yaml: "mappings:\n  - category: x\n    targets:\n      - variant: both\n")
        }
    }

    @Test func variantSelectsWhichEventsARuleSees() throws {
        let rule = try Support.rule(Support.processRule("    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel"))
        let sysmonEvent = Support.windowsEvent(data: [("Image", .string("C:\\Windows\\whoami.exe"))])
        let securityEvent = Support.windowsEvent(
            channel: "Security", eventID: 4688, data: [("NewProcessName", .string("C:\\Windows\\whoami.exe"))])
        for (variant, onSysmon, onSecurity) in [
            (LogSourceVariant.both, true, true), (.sysmon, true, false), (.security, false, true),
        ] {
            let set = RuleSet(rules: [rule], variant: variant)
            #expect(!set.matches(sysmonEvent).isEmpty == onSysmon, "\(variant)")
            #expect(!set.matches(securityEvent).isEmpty == onSecurity, "\(variant)")
        }
        // Wrong event id in the right channel: no match.
        let other = Support.windowsEvent(eventID: 3, data: [("Image", .string("C:\\Windows\\whoami.exe"))])
        #expect(RuleSet(rules: [rule]).matches(other).isEmpty)
    }
}
