import JSON

/// A STIX 2.1 bundle: an id and a list of objects.
public struct STIXBundle: Sendable {
    public var id: String
    public var objects: [STIXObject]

    public init(id: String = STIXIdentifier.random(type: "bundle"), objects: [STIXObject]) {
        self.id = id
        self.objects = objects
    }

    /// Reads a bundle (or a single object, or a JSON array of objects) whole.
    ///
    /// - Throws: ``STIXError`` for malformed JSON or the first object that is not an object with `type` and `id`.
    public static func parse(_ bytes: [UInt8]) throws(STIXError) -> STIXBundle {
        var objects: [STIXObject] = []
        var firstError: STIXError?
        let result = bytes.withUnsafeBytes { raw -> Result<STIXStreamHeader, STIXError> in
            do throws(STIXError) {
                return .success(
                    try STIXReader.read(raw) { item in
                        switch item.result {
                        case .success(let o): objects.append(o)
                        case .failure(let e): if firstError == nil { firstError = e }
                        }
                    })
            } catch {
                return .failure(error)
            }
        }
        let header = try result.get()
        if let firstError { throw firstError }
        return STIXBundle(id: header.bundleID ?? STIXIdentifier.random(type: "bundle"), objects: objects)
    }

    /// The bundle as JSON: `type`, `id`, `objects`.
    public var json: JSONValue {
        .object(JSONObject([
            JSONMember(key: "type", value: "bundle"),
            JSONMember(key: "id", value: .string(id)),
            JSONMember(key: "objects", value: .array(objects.map(\.json))),
        ]))
    }
}

/// What a stream read found outside the objects: the bundle wrapper, if there was one.
public struct STIXStreamHeader: Sendable {
    /// The bundle's id, `nil` when the input was not a bundle.
    public var bundleID: String?
    /// The bundle's other members (`type`, `spec_version` from STIX 2.0, custom ones).
    public var bundleProperties: JSONObject
    /// How many objects were handed out, valid or not.
    public var objectCount: Int
}

/// One object read from a stream: the object or why it is not one, with its position.
public struct STIXStreamItem: Sendable {
    public var result: Result<STIXObject, STIXError>
    /// Index in the bundle's `objects` (or the top-level array).
    public var index: Int
    /// Byte offset where the object starts in the input.
    public var offset: Int
}

/// Streams STIX objects out of bytes, one at a time, with memory that does not grow with the input.
public enum STIXReader {
    /// Reads a bundle, a JSON array of objects, or one object, calling `body` for each object in order.
    ///
    /// - Throws: ``STIXError`` with `.malformedJSON` when the bytes are not JSON; the objects before the
    ///   error have already been handed to `body`.
    public static func read(
        _ raw: UnsafeRawBufferPointer, _ body: (STIXStreamItem) -> Void
    ) throws(STIXError) -> STIXStreamHeader {
        var cursor = JSONCursor(raw)
        var header = STIXStreamHeader(bundleID: nil, bundleProperties: JSONObject(), objectCount: 0)
        func item(_ c: inout JSONCursor) throws(JSONError) {
            let start = c.offset
            let v = try c.parseValue()
            let index = header.objectCount
            header.objectCount += 1
            do throws(STIXError) {
                body(STIXStreamItem(result: .success(try STIXObject(v)), index: index, offset: start))
            } catch {
                var e = error
                e.index = index
                body(STIXStreamItem(result: .failure(e), index: index, offset: start))
            }
        }
        do throws(JSONError) {
            switch cursor.peek() {
            case UInt8(ascii: "["):
                try cursor.beginArray()
                while try cursor.nextElement() { try item(&cursor) }
            case UInt8(ascii: "{"):
                try cursor.beginObject()
                var sawObjects = false
                while let key = try cursor.nextKey() {
                    if key == "objects" && cursor.peek() == UInt8(ascii: "[") {
                        sawObjects = true
                        try cursor.beginArray()
                        while try cursor.nextElement() { try item(&cursor) }
                    } else {
                        header.bundleProperties[key] = try cursor.parseValue()
                    }
                }
                if header.bundleProperties["type"]?.stringValue == "bundle" || sawObjects {
                    header.bundleID = header.bundleProperties["id"]?.stringValue
                } else {
                    // A single object, not a bundle.
                    let single = header.bundleProperties
                    header.bundleProperties = JSONObject()
                    header.objectCount = 1
                    do throws(STIXError) {
                        body(STIXStreamItem(result: .success(try STIXObject(single)), index: 0, offset: 0))
                    } catch {
                        body(STIXStreamItem(result: .failure(error), index: 0, offset: 0))
                    }
                }
            case nil:
                throw JSONError(.unexpectedEnd, at: cursor.offset)
            case let c?:
                throw JSONError(.unexpectedByte(c), at: cursor.offset)
            }
            try cursor.expectEnd()
        } catch {
            throw STIXError(.malformedJSON(error.description), objectID: nil, index: header.objectCount)
        }
        return header
    }
}
