/// Semantic checks of a parsed pattern against the STIX 2.1 cyber-observable vocabulary.
///
/// The parser accepts every pattern the grammar allows; the validator adds the rules a parser
/// cannot see: the object type must be an SCO type (one of the 18 of STIX 2.1, or a custom type
/// beginning `x-`), and a comparison on a property whose type the specification fixes must use a
/// constant and an operator that fit that type (`file:size` is an integer, `file:ctime` a timestamp,
/// `network-traffic:is_active` a boolean; `ISSUBSET`/`ISSUPERSET` apply to address values).
public enum PatternValidator {
    /// The STIX 2.1 SCO types.
    public static let scoTypes: Set<String> = [
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
        "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
        "user-account", "windows-registry-key", "x509-certificate",
    ]

    /// STIX 2.1 types that are not SCOs; a pattern on them never matches.
    public static let sdoTypes: Set<String> = [
        "attack-pattern", "bundle", "campaign", "course-of-action", "extension-definition", "grouping", "identity",
        "incident", "indicator", "infrastructure", "intrusion-set", "language-content", "location", "malware",
        "malware-analysis", "marking-definition", "note", "observed-data", "opinion", "relationship", "report",
        "threat-actor", "tool", "sighting", "vulnerability",
    ]

    enum PropertyType: String {
        case integer, timestamp, boolean, string, address
    }

    /// Top-level properties whose type STIX 2.1 fixes, by `type:property`.
    static let propertyTypes: [String: PropertyType] = {
        var t: [String: PropertyType] = [:]
        for p in [
            "file:size", "network-traffic:src_port", "network-traffic:dst_port", "network-traffic:src_byte_count",
            "network-traffic:dst_byte_count", "network-traffic:src_packets", "network-traffic:dst_packets",
            "autonomous-system:number", "process:pid", "windows-registry-key:number_of_subkeys",
        ] { t[p] = .integer }
        for p in [
            "file:ctime", "file:mtime", "file:atime", "directory:ctime", "directory:mtime", "directory:atime",
            "network-traffic:start", "network-traffic:end", "process:created_time", "email-message:date",
            "user-account:account_created", "user-account:account_expires", "user-account:credential_last_changed",
            "user-account:account_first_login", "user-account:account_last_login",
            "windows-registry-key:modified_time", "x509-certificate:validity_not_before",
            "x509-certificate:validity_not_after",
        ] { t[p] = .timestamp }
        for p in [
            "network-traffic:is_active", "email-message:is_multipart", "process:is_hidden",
            "user-account:is_service_account", "user-account:is_privileged", "user-account:can_escalate_privs",
            "user-account:is_disabled", "x509-certificate:is_self_signed",
        ] { t[p] = .boolean }
        for p in [
            "file:name", "directory:path", "domain-name:value", "email-addr:value", "email-addr:display_name",
            "mac-addr:value", "mutex:name", "url:value", "process:command_line", "process:cwd", "software:name",
            "software:vendor", "software:version", "user-account:user_id", "user-account:account_login",
            "windows-registry-key:key", "email-message:subject", "autonomous-system:name", "x509-certificate:issuer",
            "x509-certificate:subject", "x509-certificate:serial_number",
        ] { t[p] = .string }
        t["ipv4-addr:value"] = .address
        t["ipv6-addr:value"] = .address
        return t
    }()

    /// Every semantic problem of the pattern, in text order (empty when it is valid).
    public static func check(_ pattern: Pattern) -> [PatternError] {
        var errors: [PatternError] = []
        visit(pattern.root, &errors)
        return errors.sorted { $0.offset < $1.offset }
    }

    static func visit(_ e: ObservationExpression, _ errors: inout [PatternError]) {
        switch e {
        case .observation(let c): visit(c, &errors)
        case .and(let xs), .or(let xs), .followedBy(let xs): for x in xs { visit(x, &errors) }
        case .within(let x, _), .repeats(let x, _): visit(x, &errors)
        case .startStop(let x, let start, let stop):
            visit(x, &errors)
            if !(start < stop) {
                errors.append(
                    PatternError(.semantic("START must be before STOP (\(start) is not before \(stop))"), at: 0))
            }
        }
    }

    static func visit(_ c: ComparisonExpression, _ errors: inout [PatternError]) {
        switch c {
        case .and(let xs), .or(let xs): for x in xs { visit(x, &errors) }
        case .test(let t): check(t, &errors)
        }
    }

    static func check(_ t: PropertyTest, _ errors: inout [PatternError]) {
        let type = t.path.objectType
        if sdoTypes.contains(type) {
            errors.append(
                PatternError(
                    .semantic("'\(type)' is a STIX domain object, not a cyber-observable type"), at: t.path.offset))
            return
        }
        if !scoTypes.contains(type) && !type.hasPrefix("x-") {
            errors.append(
                PatternError(
                    .semantic("unknown cyber-observable type '\(type)' (custom types should begin with 'x-')"),
                    at: t.path.offset))
            return
        }
        guard t.path.steps.count == 1, case .key(let name) = t.path.steps[0],
            let ptype = propertyTypes["\(type):\(name)"]
        else { return }
        let where_ = "\(type):\(name)"
        func mismatch(_ what: String) {
            errors.append(
                PatternError(.semantic("\(where_) is \(article(ptype)) \(ptype.rawValue); \(what)"), at: t.offset))
        }
        switch t.op {
        case .exists: return
        case .like, .matches:
            if ptype != .string && ptype != .address { mismatch("\(t.op.rawValue) applies to strings") }
            return
        case .isSubset, .isSuperset:
            if ptype != .address { mismatch("\(t.op.rawValue) applies to IP address values") }
            return
        case .less, .lessOrEqual, .greater, .greaterOrEqual, .equal, .notEqual:
            if let v = t.value, !fits(v, ptype) { mismatch("compared with \(article(v.kindName)) \(v.kindName)") }
        case .in:
            if let v = t.set.first, !fits(v, ptype) { mismatch("compared with a set of \(v.kindName)s") }
        }
    }

    static func article(_ s: some StringProtocol) -> String {
        s.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    static func article(_ t: PropertyType) -> String { article(t.rawValue) }

    static func fits(_ v: PatternLiteral, _ t: PropertyType) -> Bool {
        switch (t, v) {
        case (.integer, .integer), (.integer, .float): return true
        case (.timestamp, .timestamp): return true
        case (.boolean, .bool): return true
        case (.string, .string), (.address, .string): return true
        default: return false
        }
    }
}
