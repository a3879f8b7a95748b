import CPCRE2

/// A PCRE2 regular expression compiled once, with the JIT when the platform has it.
///
/// The compiled code is immutable after `init` and PCRE2 allows it to be shared between threads;
/// every match gets its own match data, so the type is safe to send.
final class CompiledRegex: @unchecked Sendable {
    let code: OpaquePointer

    /// Compiles `pattern` (UTF-8 with `utf`, else Latin-1 bytes); throws the PCRE2 message and offset.
    init(pattern: [UInt8], utf: Bool, jit: Bool = true) throws(PatternError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options: UInt32 = utf ? (PCRE2_UTF | PCRE2_UCP) : 0
        let compiled = pattern.withUnsafeBufferPointer { b in
            pcre2_compile_8(b.baseAddress ?? CompiledRegex.empty, b.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            let message = n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "error \(errorCode)"
            throw PatternError(
                .semantic("invalid regular expression: \(message) at offset \(errorOffset) of the regex"), at: 0)
        }
        code = compiled
        if jit { _ = pcre2_jit_compile_8(code, PCRE2_JIT_COMPLETE) }
    }

    deinit { pcre2_code_free_8(code) }

    // A never-written byte for empty subjects (PCRE2 wants a non-null pointer).
    private nonisolated(unsafe) static let empty: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// True when the regex matches anywhere in `subject`; `matchData` comes from ``makeMatchData()``.
    func firstMatch(in subject: UnsafeBufferPointer<UInt8>, matchData: OpaquePointer) -> Bool {
        let rc = pcre2_match_8(code, subject.baseAddress ?? CompiledRegex.empty, subject.count, 0, 0, matchData, nil)
        return rc >= 0
    }

    /// Match data with room for the whole-match offsets; free it with `pcre2_match_data_free_8`.
    static func makeMatchData() -> OpaquePointer {
        pcre2_match_data_create_8(1, nil)!
    }
}
