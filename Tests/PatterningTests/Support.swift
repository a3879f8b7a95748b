import JSON
import Testing

@testable import Patterning

/// Builds observed data and runs patterns over it.
enum Fixture {
    static func observedData(
        _ n: Int, first: String, last: String, count: Int = 1, refs: [String]
    ) -> String {
        let r = refs.map { "\"\($0)\"" }.joined(separator: ",")
        return """
            {"type":"observed-data","id":"observed-data--\(n)","first_observed":"\(first)","last_observed":"\(last)",\
            "number_observed":\(count),"object_refs":[\(r)]}
            """
    }

    /// A bundle with three observed-data: a file on a host, network traffic (seen 3 times), and an email.
    static let standard: [JSONValue] = objects(
        [
            observedData(
                1, first: "2024-03-01T10:00:00Z", last: "2024-03-01T10:00:10Z",
                refs: ["file--1", "directory--1", "process--1"]),
            #"{"type":"file","id":"file--1","name":"mssecsvc.exe","size":3723264,"hashes":{"MD5":"db349b97c37d22f5ea1d1841e3c89eb4","SHA-256":"24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c"},"parent_directory_ref":"directory--1","ctime":"2024-03-01T09:59:00.5Z","x_tags":["wiper","lazarus"],"extensions":{"windows-pebinary-ext":{"pe_type":"exe","sections":[{"name":".text","entropy":6.2},{"name":".rsrc","entropy":7.9}]}}}"#,
            #"{"type":"directory","id":"directory--1","path":"C:\\Windows\\System32"}"#,
            #"{"type":"process","id":"process--1","pid":4242,"name":"mssecsvc.exe","command_line":"mssecsvc.exe -m security","is_hidden":false,"image_ref":"file--1"}"#,
            observedData(
                2, first: "2024-03-01T10:00:20Z", last: "2024-03-01T10:00:30Z", count: 3,
                refs: ["network-traffic--1", "ipv4-addr--1", "ipv6-addr--1"]),
            #"{"type":"network-traffic","id":"network-traffic--1","src_ref":"ipv4-addr--1","dst_ref":"ipv6-addr--1","dst_port":443,"protocols":["ipv4","tcp","tls"],"is_active":true}"#,
            #"{"type":"ipv4-addr","id":"ipv4-addr--1","value":"175.45.178.19"}"#,
            #"{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8:85a3::8a2e:370:7334"}"#,
            observedData(
                3, first: "2024-03-01T11:00:00Z", last: "2024-03-01T11:00:00Z", refs: ["artifact--1", "email-addr--1"]),
            #"{"type":"artifact","id":"artifact--1","payload_bin":"aGVsbG8gd29ybGQ=","mime_type":"text/plain"}"#,
            #"{"type":"email-addr","id":"email-addr--1","value":"kim@naver.com","display_name":"김철수"}"#,
        ])

    static func objects(_ texts: [String]) -> [JSONValue] {
        texts.map { try! JSONParser.parse($0) }
    }

    static func match(_ pattern: String, _ objects: [JSONValue] = standard) throws -> Bool {
        let m = try PatternMatcher(pattern)
        return try m.matches(try ObservationSet(objects: objects))
    }
}
