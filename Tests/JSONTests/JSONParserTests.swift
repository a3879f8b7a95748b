import JSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesScalarsAndKeepsMemberOrder() throws {
        let v = try JSONParser.parse(#"{"b": 1, "a": [true, false, null, -2.5e1, "x"], "c": {"z": 0, "y": -9}}"#)
        guard case .object(let o) = v else {
            Issue.record("not an object")
            return
        }
        #expect(o.keys == ["b", "a", "c"])
        #expect(o["b"] == .int(1))
        #expect(o["a"] == .array([.bool(true), .bool(false), .null, .double(-25), .string("x")]))
        #expect(o["c"]?.objectValue?.keys == ["z", "y"])
        #expect(o["c"]?["y"] == .int(-9))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let v = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        #expect(v == .string("a\"b\\c/d\n\té😀"))
    }

    @Test func keepsUTF8Strings() throws {
        #expect(try JSONParser.parse("\"김수키 라자루스\"") == .string("김수키 라자루스"))
    }

    @Test func integersStayExactAndHugeOnesBecomeDoubles() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONParser.parse("92233720368547758070") == .double(92233720368547758070))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 8),
        ("[1 2]", 3),
        ("\"abc", 4),
        ("{\"a\" 1}", 5),
        ("01", 1),
        ("-", 0),
        ("1.", 0),
        ("\"\\x\"", 1),
        ("\"\\ud800\"", 1),
        ("nul", 0),
        ("[1] x", 4),
        ("\"a\u{01}\"", 2),
    ])
    func rejectsMalformedInputWithOffset(text: String, offset: Int) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            (error as? JSONError)?.offset == offset
        }
    }

    @Test func rejectsInvalidUTF8UnlessRepairing() throws {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        #expect(throws: JSONError(.invalidUTF8, at: 1)) { try JSONParser.parse(bytes) }
        #expect(try JSONParser.parse(bytes, repairingInvalidUTF8: true) == .string("a\u{FFFD}"))
    }

    @Test func limitsNestingDepth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect {
            _ = try JSONParser.parse(deep)
        } throws: { error in
            if case .tooDeep = (error as? JSONError)?.kind { return true }
            return false
        }
    }

    @Test func streamsArrayElementsAndSkipsValues() throws {
        let text = #"{"skip": {"deep": [1, {"x": "]"}]}, "items": [{"n": 1}, {"n": 2}, {"n": 3}], "tail": 0}"#
        var seen: [Int64] = []
        var keys: [String] = []
        try Array(text.utf8).withUnsafeBytes { raw in
            var c = JSONCursor(raw)
            try c.beginObject()
            while let key = try c.nextKey() {
                keys.append(key)
                if key == "items" {
                    try c.beginArray()
                    while try c.nextElement() {
                        seen.append(try c.parseValue()["n"]?.intValue ?? -1)
                    }
                } else {
                    try c.skipValue()
                }
            }
            try c.expectEnd()
        }
        #expect(keys == ["skip", "items", "tail"])
        #expect(seen == [1, 2, 3])
    }

    @Test func writerRoundTrips() throws {
        let text = #"{"id":"x--1","n":[1,-2,3.5,true,null],"s":"q\"\\\n\u0001é","o":{}}"#
        let v = try JSONParser.parse(text)
        let out = JSONWriter().string(v)
        #expect(out == text)
        #expect(try JSONParser.parse(out) == v)
        let pretty = JSONWriter(indent: 2).string(v)
        #expect(pretty.contains("\n  \"id\": \"x--1\""))
        #expect(try JSONParser.parse(pretty) == v)
    }
}
