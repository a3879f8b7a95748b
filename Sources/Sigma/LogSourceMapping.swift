/// Which built-in variant of the Windows log-source table to use (`--logsource`).
public enum LogSourceVariant: String, Sendable, CaseIterable {
    /// Sysmon only: process creation is Sysmon event 1, and so on.
    case sysmon
    /// Windows Security auditing only: process creation is Security 4688, with field names mapped.
    case security
    /// Both (the default, as Hayabusa does).
    case both
}

/// Where the events of one log source are found, and how the rule's field names map onto them.
public struct LogSourceTarget: Sendable, Hashable {
    /// The variant this target belongs to (`nil`: used by every variant).
    public var variant: LogSourceVariant?
    /// Channels (any of), compared case-insensitively; empty means any channel.
    public var channels: [String]
    /// Event ids (any of); empty means any event id.
    public var eventIDs: [Int]
    /// Providers (any of), `Provider_Name`; empty means any provider.
    public var providers: [String]
    /// Rule field name → event field name.
    public var fields: [String: String]

    public init(
        variant: LogSourceVariant? = nil, channels: [String], eventIDs: [Int] = [], providers: [String] = [],
        fields: [String: String] = [:]
    ) {
        self.variant = variant
        self.channels = channels
        self.eventIDs = eventIDs
        self.providers = providers
        self.fields = fields
    }
}

/// The explicit mapping from a rule's `logsource` to channels, providers, event ids and field names.
///
/// Lookup: an entry matches when each of its `product`, `category`, `service` that is set equals the
/// rule's (case-insensitively); the most specific matching entry wins (most attributes set; the later
/// entry on a tie, so a user's file overrides the built-in table). A rule whose logsource has a
/// category or service that no entry maps is *unmapped*: it loads, is counted, and is not evaluated.
/// A rule with only `product: windows` applies to every Windows event.
public struct LogSourceMapping: Sendable {
    /// One entry of the table.
    public struct Entry: Sendable, Hashable {
        public var product: String?
        public var category: String?
        public var service: String?
        public var targets: [LogSourceTarget]

        public init(product: String? = nil, category: String? = nil, service: String? = nil, targets: [LogSourceTarget]) {
            self.product = product
            self.category = category
            self.service = service
            self.targets = targets
        }

        var specificity: Int { [product, category, service].compactMap { $0 }.count }

        func matches(_ s: LogSource) -> Bool {
            if let product, product != s.product { return false }
            if let category, category != s.category { return false }
            if let service, service != s.service { return false }
            return true
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The targets for `source` under `variant`; `nil` when the log source is not mapped.
    ///
    /// An empty array means "every event" (a bare `product: windows` rule).
    public func targets(for source: LogSource, variant: LogSourceVariant) -> [LogSourceTarget]? {
        var best: Entry?
        for e in entries where e.matches(source) {
            if best == nil || e.specificity >= best!.specificity { best = e }
        }
        if let best {
            // An entry that only names the product must not swallow unmapped categories or services.
            let needs = (source.category != nil ? 1 : 0) + (source.service != nil ? 1 : 0)
            let has = (best.category != nil ? 1 : 0) + (best.service != nil ? 1 : 0)
            if has < needs { return nil }
            return best.targets.filter { t in
                guard let v = t.variant, variant != .both else { return true }
                return v == variant
            }
        }
        if source.category == nil && source.service == nil && source.product == "windows" { return [] }
        return nil
    }

    /// The built-in table followed by the entries of a user's mapping file (which take precedence).
    public func overridden(by other: LogSourceMapping) -> LogSourceMapping {
        LogSourceMapping(entries: entries + other.entries)
    }

    /// Parses a mapping file (YAML):
    ///
    /// ```yaml
    /// mappings:
    ///   - category: process_creation   # and/or product:, service:
    ///     product: windows
    ///     targets:
    ///       - variant: security        # optional: sysmon | security
    ///         channels: [Security]
    ///         event_ids: [4688]
    ///         providers: [Microsoft-Windows-Security-Auditing]   # optional
    ///         fields: {Image: NewProcessName}                     # optional
    /// ```
    ///
    /// - Throws: ``SigmaError`` with the reason.
    public init(yaml text: String) throws(SigmaError) {
        let docs = try YAMLNode.documents(text)
        guard let root = docs.first, case .sequence(let items)? = root["mappings"] else {
            throw SigmaError(.attribute("a log-source mapping file needs a 'mappings' list"))
        }
        var entries: [Entry] = []
        for (n, item) in items.enumerated() {
            guard case .mapping = item else { throw SigmaError(.attribute("mapping \(n + 1) is not a mapping")) }
            guard case .sequence(let ts)? = item["targets"] else {
                throw SigmaError(.attribute("mapping \(n + 1) has no 'targets' list"))
            }
            var targets: [LogSourceTarget] = []
            for t in ts {
                var variant: LogSourceVariant?
                if let v = t["variant"]?.string {
                    guard let parsed = LogSourceVariant(rawValue: v), parsed != .both else {
                        throw SigmaError(.attribute("mapping \(n + 1): unknown variant '\(v)'"))
                    }
                    variant = parsed
                }
                var ids: [Int] = []
                for s in t["event_ids"]?.stringList ?? [] {
                    guard let i = Int(s) else { throw SigmaError(.attribute("mapping \(n + 1): event id '\(s)'")) }
                    ids.append(i)
                }
                var fields: [String: String] = [:]
                if case .mapping(let fm)? = t["fields"] {
                    for (k, v) in fm { fields[k] = v.string }
                }
                targets.append(
                    LogSourceTarget(
                        variant: variant, channels: t["channels"]?.stringList ?? [], eventIDs: ids,
                        providers: t["providers"]?.stringList ?? [], fields: fields))
            }
            entries.append(
                Entry(product: item["product"]?.string?.lowercased(), category: item["category"]?.string?.lowercased(),
                    service: item["service"]?.string?.lowercased(), targets: targets))
        }
        self.init(entries: entries)
    }

    // MARK: - Built-in table

    static let sysmonChannel = "Microsoft-Windows-Sysmon/Operational"

    static func sysmon(_ category: String, _ ids: [Int]) -> Entry {
        Entry(product: "windows", category: category, targets: [LogSourceTarget(variant: .sysmon, channels: [sysmonChannel], eventIDs: ids)])
    }

    static func service(_ name: String, _ channels: [String], providers: [String] = []) -> Entry {
        Entry(product: "windows", service: name, targets: [LogSourceTarget(channels: channels, providers: providers)])
    }

    /// Security 4688 field names for Sysmon process-creation names.
    public static let processCreationSecurityFields: [String: String] = [
        "Image": "NewProcessName", "ParentImage": "ParentProcessName", "ProcessId": "NewProcessId",
        "ParentProcessId": "ProcessId", "IntegrityLevel": "MandatoryLabel", "User": "SubjectUserName",
        "LogonId": "SubjectLogonId",
    ]

    /// Security 4657 field names for Sysmon registry names.
    public static let registrySecurityFields: [String: String] = [
        "TargetObject": "ObjectName", "Details": "NewValue", "Image": "ProcessName", "ProcessId": "ProcessId",
        "EventType": "OperationType",
    ]

    /// Security 5156 (Windows Filtering Platform) field names for Sysmon network-connection names.
    public static let networkSecurityFields: [String: String] = [
        "Image": "Application", "SourceIp": "SourceAddress", "DestinationIp": "DestAddress",
        "DestinationPort": "DestPort", "SourcePort": "SourcePort", "Protocol": "Protocol", "ProcessId": "ProcessID",
    ]

    /// The documented built-in table for Windows (see docs/SIGMA.md).
    public static let windows: LogSourceMapping = {
        var e: [Entry] = []
        let sec = "Security"
        e.append(
            Entry(product: "windows", category: "process_creation", targets: [
                LogSourceTarget(variant: .sysmon, channels: [sysmonChannel], eventIDs: [1]),
                LogSourceTarget(variant: .security, channels: [sec], eventIDs: [4688], fields: processCreationSecurityFields),
            ]))
        e.append(sysmon("file_change", [2]))
        e.append(
            Entry(product: "windows", category: "network_connection", targets: [
                LogSourceTarget(variant: .sysmon, channels: [sysmonChannel], eventIDs: [3]),
                LogSourceTarget(variant: .security, channels: [sec], eventIDs: [5156], fields: networkSecurityFields),
            ]))
        e.append(sysmon("sysmon_status", [4, 16]))
        e.append(sysmon("process_termination", [5]))
        e.append(sysmon("driver_load", [6]))
        e.append(sysmon("image_load", [7]))
        e.append(sysmon("create_remote_thread", [8]))
        e.append(sysmon("raw_access_thread", [9]))
        e.append(sysmon("process_access", [10]))
        e.append(sysmon("file_event", [11]))
        for (category, ids) in [
            ("registry_add", [12]), ("registry_delete", [12]), ("registry_set", [13]), ("registry_rename", [14]),
            ("registry_event", [12, 13, 14]),
        ] {
            e.append(
                Entry(product: "windows", category: category, targets: [
                    LogSourceTarget(variant: .sysmon, channels: [sysmonChannel], eventIDs: ids),
                    LogSourceTarget(variant: .security, channels: [sec], eventIDs: [4657], fields: registrySecurityFields),
                ]))
        }
        e.append(sysmon("create_stream_hash", [15]))
        e.append(sysmon("pipe_created", [17, 18]))
        e.append(sysmon("wmi_event", [19, 20, 21]))
        e.append(sysmon("dns_query", [22]))
        e.append(sysmon("file_delete", [23, 26]))
        e.append(sysmon("clipboard_capture", [24]))
        e.append(sysmon("process_tampering", [25]))
        e.append(sysmon("file_delete_detected", [26]))
        e.append(sysmon("file_block_executable", [27]))
        e.append(sysmon("file_block_shredding", [28]))
        e.append(sysmon("file_executable_detected", [29]))
        e.append(sysmon("sysmon_error", [255]))
        let ps = "Microsoft-Windows-PowerShell/Operational"
        let psClassic = "Windows PowerShell"
        e.append(Entry(product: "windows", category: "ps_module", targets: [LogSourceTarget(channels: [ps], eventIDs: [4103])]))
        e.append(Entry(product: "windows", category: "ps_script", targets: [LogSourceTarget(channels: [ps], eventIDs: [4104])]))
        e.append(
            Entry(product: "windows", category: "ps_classic_start", targets: [LogSourceTarget(channels: [psClassic], eventIDs: [400])]))
        e.append(
            Entry(product: "windows", category: "ps_classic_provider_start",
                targets: [LogSourceTarget(channels: [psClassic], eventIDs: [600])]))
        e.append(
            Entry(product: "windows", category: "ps_classic_script", targets: [LogSourceTarget(channels: [psClassic], eventIDs: [800])]))
        e.append(service("security", [sec]))
        e.append(service("system", ["System"]))
        e.append(service("application", ["Application"]))
        e.append(service("sysmon", [sysmonChannel]))
        e.append(service("powershell", [ps]))
        e.append(service("powershell-classic", [psClassic]))
        e.append(service("windefend", ["Microsoft-Windows-Windows Defender/Operational"]))
        e.append(service("codeintegrity-operational", ["Microsoft-Windows-CodeIntegrity/Operational"]))
        e.append(service("appxdeployment-server", ["Microsoft-Windows-AppXDeploymentServer/Operational"]))
        e.append(service("appxpackaging-om", ["Microsoft-Windows-AppxPackaging/Operational"]))
        e.append(service("appmodel-runtime", ["Microsoft-Windows-AppModel-Runtime/Admin"]))
        e.append(service("firewall-as", ["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"]))
        e.append(service("msexchange-management", ["MSExchange Management"]))
        e.append(service("bits-client", ["Microsoft-Windows-Bits-Client/Operational"]))
        e.append(service("dns-client", ["Microsoft-Windows-DNS Client Events/Operational"]))
        e.append(service("dns-server", ["DNS Server"]))
        e.append(service("dns-server-analytic", ["Microsoft-Windows-DNS-Server/Analytical"]))
        e.append(service("dns-server-audit", ["Microsoft-Windows-DNS-Server/Audit"]))
        e.append(service("iis-configuration", ["Microsoft-IIS-Configuration/Operational"]))
        e.append(service("taskscheduler", ["Microsoft-Windows-TaskScheduler/Operational"]))
        e.append(service("ntlm", ["Microsoft-Windows-NTLM/Operational"]))
        e.append(service("wmi", ["Microsoft-Windows-WMI-Activity/Operational"]))
        e.append(
            service("security-mitigations", [
                "Microsoft-Windows-Security-Mitigations/Kernel Mode", "Microsoft-Windows-Security-Mitigations/User Mode",
            ]))
        e.append(
            service("applocker", [
                "Microsoft-Windows-AppLocker/EXE and DLL", "Microsoft-Windows-AppLocker/MSI and Script",
                "Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution",
            ]))
        e.append(
            service("terminalservices-localsessionmanager", [
                "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
            ]))
        e.append(service("smbserver-connectivity", ["Microsoft-Windows-SmbServer/Connectivity"]))
        e.append(service("smbclient-security", ["Microsoft-Windows-SmbClient/Security"]))
        e.append(service("smbclient-connectivity", ["Microsoft-Windows-SmbClient/Connectivity"]))
        e.append(service("shell-core", ["Microsoft-Windows-Shell-Core/Operational"]))
        e.append(service("openssh", ["OpenSSH/Operational"]))
        e.append(service("microsoft-servicebus-client", ["Microsoft-ServiceBus-Client"]))
        e.append(service("lsa-server", ["Microsoft-Windows-LSA/Operational"]))
        e.append(service("ldap", ["Microsoft-Windows-LDAP-Client/Debug"]))
        e.append(service("driver-framework", ["Microsoft-Windows-DriverFrameworks-UserMode/Operational"]))
        e.append(service("diagnosis-scripted", ["Microsoft-Windows-Diagnosis-Scripted/Operational"]))
        e.append(
            service("certificateservicesclient-lifecycle-system", [
                "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"
            ]))
        e.append(service("capi2", ["Microsoft-Windows-CAPI2/Operational"]))
        e.append(service("printservice-admin", ["Microsoft-Windows-PrintService/Admin"]))
        e.append(service("printservice-operational", ["Microsoft-Windows-PrintService/Operational"]))
        e.append(service("vhdmp", ["Microsoft-Windows-VHDMP/Operational"]))
        e.append(service("hyper-v-worker", ["Microsoft-Windows-Hyper-V-Worker"]))
        e.append(service("kernel-shimengine", ["Microsoft-Windows-Kernel-ShimEngine/Operational"]))
        e.append(service("ntfs", ["Microsoft-Windows-Ntfs/Operational"]))
        e.append(service("bitlocker", ["Microsoft-Windows-BitLocker/BitLocker Management"]))
        e.append(service("dhcp", ["Microsoft-Windows-DHCP-Server/Operational"]))
        e.append(service("sense", ["Microsoft-Windows-SENSE/Operational"]))
        return LogSourceMapping(entries: e)
    }()
}
