/// Entry points for reading whole JSON documents from bytes.
public enum JSONParser {
    /// Parses one JSON document from raw bytes; white space only may follow it.
    ///
    /// - Parameters:
    ///   - raw: UTF-8 JSON text.
    ///   - repairingInvalidUTF8: replace invalid UTF-8 in strings with U+FFFD instead of failing.
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public static func parse(
        raw: UnsafeRawBufferPointer, repairingInvalidUTF8: Bool = false
    ) throws(JSONError) -> JSONValue {
        var cursor = JSONCursor(raw)
        cursor.repairsInvalidUTF8 = repairingInvalidUTF8
        let v = try cursor.parseValue()
        try cursor.expectEnd()
        return v
    }

    /// Parses one JSON document held in a byte array.
    public static func parse(_ bytes: [UInt8], repairingInvalidUTF8: Bool = false) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try parse(raw: raw, repairingInvalidUTF8: repairingInvalidUTF8))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON document held in a string.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONError> = text.withUTF8 { buf in
            do throws(JSONError) {
                return .success(try parse(raw: UnsafeRawBufferPointer(buf)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Computes the 1-based line and column of a byte offset, for messages shown to people.
    public static func lineAndColumn(of offset: Int, in bytes: some Collection<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (i, b) in bytes.enumerated() {
            if i >= offset { break }
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
