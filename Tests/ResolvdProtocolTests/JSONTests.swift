import NIOCore
import ResolvdProtocol
import ResolverTesting
import Testing

// MARK: Helpers

private func parse(_ text: String, maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(ByteBuffer(string: text), maxDepth: maxDepth)
}

private func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(raw) }
    }
    return try result.get()
}

private func write(_ value: JSONValue) -> String {
    var buffer = ByteBuffer()
    let written = buffer.writeJSONValue(value)
    #expect(written == buffer.readableBytes)
    return String(buffer: buffer)
}

private func expectRejected(
    _ text: String,
    _ kind: JSONParseError.Kind,
    at offset: Int,
    _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectRejected(bytes: Array(text.utf8), kind, at: offset, message, sourceLocation: sourceLocation)
}

private func expectRejected(
    bytes: [UInt8],
    _ kind: JSONParseError.Kind,
    at offset: Int,
    _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let value = try parse(bytes: bytes)
        Issue.record("accepted \(bytes) as \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description == message, sourceLocation: sourceLocation)
    }
}

private let interestingScalars: [Unicode.Scalar] = [
    "a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\u{A}", "\u{C}", "\u{D}",
    "\u{1F}", "\u{7F}", "\u{80}", "é", "ß", "中", "\u{2028}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "😀",
    "👍", "\u{10000}", "\u{10FFFF}",
]

private func randomString(using rng: inout SplitMix64) -> String {
    let length = Int.random(in: 0...12, using: &rng)
    var scalars = String.UnicodeScalarView()
    for _ in 0..<length {
        if Bool.random(using: &rng) {
            scalars.append(interestingScalars.randomElement(using: &rng)!)
        } else {
            scalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
        }
    }
    return String(scalars)
}

private func randomDouble(using rng: inout SplitMix64) -> Double {
    switch Int.random(in: 0..<4, using: &rng) {
    case 0:
        let special: [Double] = [
            0.0, -0.0, 1.0, -1.5, 1e300, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, 1e16,
            123456.789,
        ]
        return special.randomElement(using: &rng)!
    case 1:
        return Double.random(in: -1e6...1e6, using: &rng)
    default:
        while true {
            let value = Double(bitPattern: rng.next())
            if value.isFinite { return value }
        }
    }
}

private func randomValue(depth: Int, using rng: inout SplitMix64) -> JSONValue {
    let kinds = depth >= 4 ? 5 : 7
    switch Int.random(in: 0..<kinds, using: &rng) {
    case 0:
        return Bool.random(using: &rng) ? .null : .bool(Bool.random(using: &rng))
    case 1:
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return .integer(Int64.random(in: -1000...1000, using: &rng))
        case 1: return .integer([Int64.min, Int64.max, 0, -1].randomElement(using: &rng)!)
        default: return .integer(Int64(bitPattern: rng.next()))
        }
    case 2:
        return .double(randomDouble(using: &rng))
    case 3, 4:
        return .string(randomString(using: &rng))
    case 5:
        let count = Int.random(in: 0...5, using: &rng)
        return .array((0..<count).map { _ in randomValue(depth: depth + 1, using: &rng) })
    default:
        let count = Int.random(in: 0...5, using: &rng)
        var object = JSONObject()
        for _ in 0..<count {
            object[randomString(using: &rng)] = randomValue(depth: depth + 1, using: &rng)
        }
        return .object(object)
    }
}

// MARK: Tests

@Suite("JSON codec")
struct JSONTests {
    @Test func roundTripsEveryKind() throws {
        let values: [JSONValue] = [
            .null, .bool(true), .bool(false), .integer(0), .integer(-1), .integer(42),
            .double(0.5), .double(-2.25), .double(1e300), .double(.leastNonzeroMagnitude), .double(1000),
            .string(""), .string("abc"), .string("a \"quoted\" \\ back\nslash"),
            .array([]), .array([.integer(1), .string("a"), .null, .array([.bool(true)])]),
            .object(JSONObject()),
            ["id": 7, "op": "getaddrinfo", "flags": ["canonname"], "nested": ["a": [1.5, .null]]],
        ]
        for value in values {
            let text = write(value)
            #expect(try parse(text) == value, "\(text)")
        }
    }

    @Test func writesCompactText() throws {
        let value: JSONValue = ["id": 7, "op": "getaddrinfo", "list": [1, 2.5, true, false, .null, [], .object([:])]]
        #expect(write(value) == #"{"id":7,"op":"getaddrinfo","list":[1,2.5,true,false,null,[],{}]}"#)
        #expect(value.description == write(value))
        let nested = #"[[1,-2],[],[[]],{"a":[{},{"b":null,"c":-0.5}]},"x",true,[{"d":["e"]}]]"#
        #expect(try write(parse(nested)) == nested)
        #expect(write(.double(1000)) == "1000.0")
        #expect(write(.double(-0.0)) == "-0.0")
    }

    @Test func jsonTextIsWhatTheWriterWrites() throws {
        let value: JSONValue = ["b": 1, "a": [true, .null, "é\n"], "c": ["z": "y", "x": 2.5]]
        #expect(value.jsonText == write(value))
        #expect(value.jsonText == #"{"b":1,"a":[true,null,"é\n"],"c":{"z":"y","x":2.5}}"#)
        #expect(value.description == value.jsonText)
        #expect(JSONValue.integer(-42).jsonText == "-42")
        #expect(JSONValue.double(-.infinity).jsonText == "null")
        #expect(JSONValue.string("").jsonText == #""""#)
    }

    @Test func withSortedKeysSortsEveryObject() throws {
        let value: JSONValue = ["b": 1, "a": [true, .null, ["d": 1, "c": 2]], "c": ["z": "y", "x": 2.5]]
        let sorted = value.withSortedKeys()
        #expect(sorted.jsonText == #"{"a":[true,null,{"c":2,"d":1}],"b":1,"c":{"x":2.5,"z":"y"}}"#)
        #expect(sorted == value)  // equality ignores member order
        #expect(sorted.objectValue?.keys == ["a", "b", "c"])
        #expect(JSONValue.array([1, "x"]).withSortedKeys() == [1, "x"])
        #expect(JSONValue.object(JSONObject()).withSortedKeys().jsonText == "{}")
    }

    @Test func writesNonFiniteDoublesAsNull() throws {
        #expect(write(.double(.infinity)) == "null")
        #expect(write(.double(-.infinity)) == "null")
        #expect(write(.double(.nan)) == "null")
        #expect(write([.double(.nan), 1]) == "[null,1]")
        #expect(try parse(write(.double(.nan))) == .null)
    }

    @Test func writesEscapes() {
        var buffer = ByteBuffer()
        let written = buffer.writeJSONString("q\"b\\n\nr\rt\tb\u{8}f\u{C}x\u{1}\u{1F}\u{0}\u{7F}é😀/")
        let expected = #""q\"b\\n\nr\rt\tb\bf\fx\u0001\u001f\u0000"# + "\u{7F}é😀/\""
        #expect(String(buffer: buffer) == expected)
        #expect(written == expected.utf8.count)

        buffer.clear()
        #expect(buffer.writeJSONString("plain é 😀") == "plain é 😀".utf8.count + 2)
        #expect(String(buffer: buffer) == "\"plain é 😀\"")

        buffer.clear()
        #expect(buffer.writeJSONString("") == 2)
        #expect(String(buffer: buffer) == "\"\"")
    }

    @Test func parsesEscapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u20AC\u0000""#) == .string("Aé€\u{0}"))
        #expect(try parse(#""\uD83D\uDE00 \ud83d\udc4d""#) == .string("😀 👍"))
        #expect(try parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        #expect(try parse("\"raw 😀 é\"") == .string("raw 😀 é"))
        #expect(try parse("\"é\\n中\"") == .string("é\n中"))
        let unusual = "\u{2028}\u{FEFF}\u{FFFF}\u{7F}"
        #expect(try parse(write(.string(unusual))) == .string(unusual))
    }

    @Test func parsesNumbers() throws {
        #expect(try parse("9007199254740991") == .integer(9_007_199_254_740_991))
        #expect(try parse("9223372036854775807") == .integer(.max))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("9223372036854775808") == .double(9.223372036854775808e18))
        #expect(try parse("-9223372036854775809") == .double(-9.223372036854775809e18))
        #expect(try parse("1e3") == .double(1000))
        #expect(try parse("1e3").intValue == 1000)
        #expect(try parse("1E+2") == .double(100))
        #expect(try parse("25e-2") == .double(0.25))
        #expect(try parse("0") == .integer(0))
        #expect(try parse("-0") == .integer(0))
        let negativeZero = try #require(try parse("-0.0").doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(try parse("1e-400") == .double(0))
        #expect(try parse("1.25") == .double(1.25))
        #expect(try parse("-2.5E-2") == .double(-0.025))
        // Integers past 2^53 stay exact (a Double would round 2^53+1 to 2^53).
        #expect(try parse("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try parse(" \t\r\n[ 1 , -2.5 ]\n") == [1, -2.5])

        for value in [Int64.max, .min, 9_007_199_254_740_991, -9_007_199_254_740_991, 0] {
            #expect(try parse(write(.integer(value))) == .integer(value))
        }
    }

    @Test func intValueAcceptsOnlyExactIntegralDoubles() {
        #expect(JSONValue.integer(.max).intValue == .max)
        #expect(JSONValue.double(7).intValue == 7)
        #expect(JSONValue.double(-9_007_199_254_740_992).intValue == -9_007_199_254_740_992)
        #expect(JSONValue.double(9_007_199_254_740_994).intValue == nil)
        #expect(JSONValue.double(1.5).intValue == nil)
        #expect(JSONValue.double(.infinity).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.string("1").intValue == nil)
    }

    @Test func accessors() {
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.bool(false).isNull)
        #expect(JSONValue.bool(false).boolValue == false)
        #expect(JSONValue.integer(1).boolValue == nil)
        #expect(JSONValue.string("x").stringValue == "x")
        #expect(JSONValue.null.stringValue == nil)
        #expect(JSONValue.array([1]).arrayValue == [1])
        #expect(JSONValue.object(["a": 1]).objectValue?["a"] == 1)
        #expect(JSONValue.array([]).objectValue == nil)
        #expect(JSONValue.integer(3).doubleValue == 3)
    }

    @Test func writesIntegersOfEveryWidth() {
        func text<T: FixedWidthInteger>(_ value: T) -> String {
            var buffer = ByteBuffer()
            let written = buffer.writeJSONInteger(value)
            #expect(written == buffer.readableBytes)
            return String(buffer: buffer)
        }
        #expect(text(0) == "0")
        #expect(text(-7) == "-7")
        #expect(text(UInt8.max) == "255")
        #expect(text(Int8.min) == "-128")
        #expect(text(Int64.min) == "-9223372036854775808")
        #expect(text(Int64.max) == "9223372036854775807")
        #expect(text(UInt64.max) == "18446744073709551615")
        #expect(text(Int128(Int64.min) * 4) == "-36893488147419103232")
        #expect(text(Int32(1_000_000)) == "1000000")
    }

    @Test func objectsKeepOrderAndUniqueKeys() throws {
        let parsed = try #require(try parse(#"{"b":1,"a":2,"c":{"x":null}}"#).objectValue)
        #expect(parsed.keys == ["b", "a", "c"])
        #expect(parsed.count == 3)
        #expect(parsed["a"] == 2)
        #expect(parsed["c"]?.objectValue?["x"]?.isNull == true)
        #expect(parsed["missing"] == nil)
        #expect(parsed.map(\.key) == ["b", "a", "c"])

        var object = JSONObject([("k", 1), ("j", 2), ("k", 3)])
        #expect(object.keys == ["k", "j"])
        #expect(object["k"] == 3)
        object["j"] = "two"
        object["new"] = true
        object["k"] = nil
        #expect(object.keys == ["j", "new"])
        #expect(write(.object(object)) == #"{"j":"two","new":true}"#)

        let reordered: JSONObject = ["new": true, "j": "two"]
        #expect(object == reordered)
        #expect(object.hashValue == reordered.hashValue)
        #expect(object != ["new": true, "j": "three"])
        #expect(object != ["new": true])
    }

    @Test func manyMemberObjectsStillRejectDuplicates() throws {
        let keys = (0..<40).map { "\"k\($0)\":\($0)" }
        let accepted = try #require(try parse("{" + keys.joined(separator: ",") + "}").objectValue)
        #expect(accepted.count == 40)
        #expect(accepted["k39"] == 39)

        let text = "{" + keys.joined(separator: ",") + #","k3":0}"#
        let offset = text.utf8.count - 7
        expectRejected(text, .duplicateKey, at: offset, "duplicate key \"k3\" at byte \(offset)")
    }

    @Test func rejectsWhatRFC8259Forbids() {
        expectRejected("", .unexpectedEndOfInput, at: 0, "unexpected end of input at byte 0")
        expectRejected("  \n", .unexpectedEndOfInput, at: 3, "unexpected end of input at byte 3")
        expectRejected("[1,2,]", .unexpectedCharacter, at: 5, "unexpected character ']' at byte 5")
        expectRejected(#"{"a":1,}"#, .unexpectedCharacter, at: 7, "unexpected character '}' at byte 7")
        expectRejected("[,1]", .unexpectedCharacter, at: 1, "unexpected character ',' at byte 1")
        expectRejected("// c\n1", .unexpectedCharacter, at: 0, "unexpected character '/' at byte 0")
        expectRejected("[1 /* c */]", .unexpectedCharacter, at: 3, "unexpected character '/' at byte 3")
        expectRejected("01", .invalidNumber, at: 0, "invalid number at byte 0: leading zero")
        expectRejected("[-00]", .invalidNumber, at: 2, "invalid number at byte 2: leading zero")
        expectRejected("1.", .invalidNumber, at: 2, "invalid number at byte 2: expected a digit")
        expectRejected("1.e5", .invalidNumber, at: 2, "invalid number at byte 2: expected a digit")
        expectRejected("1e+", .invalidNumber, at: 3, "invalid number at byte 3: expected a digit")
        expectRejected(".5", .unexpectedCharacter, at: 0, "unexpected character '.' at byte 0")
        expectRejected("+1", .unexpectedCharacter, at: 0, "unexpected character '+' at byte 0")
        expectRejected("-", .unexpectedEndOfInput, at: 1, "unexpected end of input at byte 1")
        expectRejected("NaN", .unexpectedCharacter, at: 0, "unexpected character 'N' at byte 0")
        expectRejected("-Infinity", .unexpectedCharacter, at: 1, "unexpected character 'I' at byte 1")
        expectRejected("[1e400]", .numberOutOfRange, at: 1, "number out of range at byte 1")
        expectRejected("0x10", .trailingCharacters, at: 1, "unexpected character 'x' after the value at byte 1")
        expectRejected(#""\x""#, .invalidEscape, at: 1, "invalid escape sequence at byte 1")
        expectRejected(#""\'""#, .invalidEscape, at: 1, "invalid escape sequence at byte 1")
        expectRejected(#""ab\u12G4""#, .invalidEscape, at: 3, "invalid escape sequence at byte 3")
        expectRejected(#""\u12""#, .invalidEscape, at: 1, "invalid escape sequence at byte 1")
        expectRejected(#""\uD800""#, .loneSurrogate, at: 1, "lone UTF-16 surrogate in \\u escape at byte 1")
        expectRejected(#""\uDC00\uD800""#, .loneSurrogate, at: 1, "lone UTF-16 surrogate in \\u escape at byte 1")
        expectRejected(#""x\uD83D\u0041""#, .loneSurrogate, at: 2, "lone UTF-16 surrogate in \\u escape at byte 2")
        expectRejected(#""\uD83Dx""#, .loneSurrogate, at: 1, "lone UTF-16 surrogate in \\u escape at byte 1")
        expectRejected(
            "\"a\nb\"", .controlCharacterInString, at: 2, "unescaped control character 0x0A in string at byte 2")
        expectRejected(
            "\"\\n\t\"", .controlCharacterInString, at: 3, "unescaped control character 0x09 in string at byte 3")
        expectRejected(
            "\"\u{0}\"", .controlCharacterInString, at: 1, "unescaped control character 0x00 in string at byte 1")
        expectRejected(#"["abc"#, .unterminatedString, at: 1, "unterminated string starting at byte 1")
        expectRejected(#""ab\"#, .unterminatedString, at: 0, "unterminated string starting at byte 0")
        expectRejected(#""a\n"#, .unterminatedString, at: 0, "unterminated string starting at byte 0")
        expectRejected("\u{C}1", .unexpectedCharacter, at: 0, "unexpected character 0x0C at byte 0")
        expectRejected("\u{A0}1", .unexpectedCharacter, at: 0, "unexpected character 0xC2 at byte 0")
        expectRejected("\u{FEFF}{}", .unexpectedCharacter, at: 0, "unexpected character 0xEF at byte 0")
        expectRejected("1 2", .trailingCharacters, at: 2, "unexpected character '2' after the value at byte 2")
        expectRejected("nulll", .trailingCharacters, at: 4, "unexpected character 'l' after the value at byte 4")
        expectRejected("{}\n{}", .trailingCharacters, at: 3, "unexpected character '{' after the value at byte 3")
        expectRejected("tru", .unexpectedEndOfInput, at: 3, "unexpected end of input at byte 3")
        expectRejected("trUe", .unexpectedCharacter, at: 2, "unexpected character 'U' at byte 2")
        expectRejected("'a'", .unexpectedCharacter, at: 0, "unexpected character ''' at byte 0")
        expectRejected(#"{"a":1,"a":2}"#, .duplicateKey, at: 7, "duplicate key \"a\" at byte 7")
        expectRejected(#"{"a" 1}"#, .unexpectedCharacter, at: 5, "unexpected character '1' at byte 5")
        expectRejected("{1:2}", .unexpectedCharacter, at: 1, "unexpected character '1' at byte 1")
        expectRejected("{a:2}", .unexpectedCharacter, at: 1, "unexpected character 'a' at byte 1")
        expectRejected("[1 2]", .unexpectedCharacter, at: 3, "unexpected character '2' at byte 3")
        expectRejected("[", .unexpectedEndOfInput, at: 1, "unexpected end of input at byte 1")
        expectRejected(#"{"a":"#, .unexpectedEndOfInput, at: 5, "unexpected end of input at byte 5")
        expectRejected(#"{"a""#, .unexpectedEndOfInput, at: 4, "unexpected end of input at byte 4")
        expectRejected("[1", .unexpectedEndOfInput, at: 2, "unexpected end of input at byte 2")
    }

    /// Truncated and malformed documents of every kind fail (where and why is
    /// ``rejectsWhatRFC8259Forbids``'s business).
    @Test(arguments: [
        "", " ", "nul", "tru", "fals", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "01", "-", "1.", "1e", "+1", ".5",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"",
        "[1] x", "{\"a\" 1}", "[", "{", "{\"a\"", "{\"a\":", "1e400", "-1e400", "[1,,2]", "{\"a\":1 \"b\":2}",
    ])
    func rejectsEveryMalformedDocument(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8() throws {
        let quote = UInt8(ascii: "\"")
        let cases: [(bytes: [UInt8], offset: Int)] = [
            ([quote, 0xFF, quote], 1),
            ([quote, 0x61, 0x80, quote], 2),  // lone continuation byte
            ([quote, 0xC0, 0x80, quote], 1),  // overlong NUL
            ([quote, 0xE0, 0x80, 0xAF, quote], 1),  // overlong '/'
            ([quote, 0xED, 0xA0, 0x80, quote], 1),  // UTF-16 surrogate
            ([quote, 0xF4, 0x90, 0x80, 0x80, quote], 1),  // above U+10FFFF
            ([quote, 0xF5, 0x80, 0x80, 0x80, quote], 1),
            ([quote, 0x61, 0xE2, 0x82, quote], 2),  // truncated
            ([quote, 0xF0, 0x9F, 0x98, quote], 1),  // truncated emoji
            ([quote, 0x5C, 0x6E, 0xC3, 0x28, quote], 3),  // after an escape: the slow path
            ([UInt8(ascii: "["), quote, 0x5C, 0x74, quote, 0x2C, quote, 0xFE, quote, UInt8(ascii: "]")], 7),
        ]
        for (bytes, offset) in cases {
            expectRejected(bytes: bytes, .invalidUTF8, at: offset, "invalid UTF-8 at byte \(offset)")
        }
        // Every well-formed boundary case reads back.
        let valid: [UInt8] = [
            quote, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80,
            0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, quote,
        ]
        #expect(try parse(bytes: valid) == .string("\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{10000}\u{10FFFF}"))
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try parse(ok).arrayValue?.count == 1)
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        expectRejected(tooDeep, .nestingTooDeep, at: 32, "nesting deeper than 32 at byte 32")

        let objects = #"{"a":{"b":[1]}}"#
        #expect(try parse(objects, maxDepth: 3).objectValue?.count == 1)
        do {
            let value = try parse(objects, maxDepth: 2)
            Issue.record("accepted \(value) with maxDepth 2")
        } catch {
            #expect(error.kind == .nestingTooDeep)
            #expect(error.offset == 10)
            #expect(error.description == "nesting deeper than 2 at byte 10")
        }

        // A hostile line far deeper than the limit fails at the limit, without exhausting the stack.
        let hostile = String(repeating: "[", count: 1_000_000)
        expectRejected(hostile, .nestingTooDeep, at: 32, "nesting deeper than 32 at byte 32")
        // Sibling containers do not add up.
        let wide = "[" + Array(repeating: "[[]]", count: 100).joined(separator: ",") + "]"
        #expect(try parse(wide, maxDepth: 3).arrayValue?.count == 100)
    }

    @Test func parsesOnlyTheReadableBytesOfAByteBuffer() throws {
        var buffer = ByteBuffer(string: "xx[1, \"a\"]")
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try JSONParser.parse(buffer) == [1, "a"])
        #expect(buffer.readerIndex == 2)

        var lines = ByteBuffer(string: "{\"id\":1}\n{\"id\":2}\n")
        var ids: [Int64] = []
        while let newline = lines.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = lines.readSlice(length: newline - lines.readerIndex + 1)!
            ids.append(try #require(try JSONParser.parse(line).objectValue?["id"]?.intValue))
        }
        #expect(ids == [1, 2])
        #expect(try JSONParser.parse(" null ") == .null)
    }

    @Test func randomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var buffer = ByteBuffer()
        var checked = 0
        for iteration in 0..<10_000 {
            let value = randomValue(depth: 0, using: &rng)
            buffer.clear()
            let written = buffer.writeJSONValue(value)
            #expect(written == buffer.readableBytes)
            let parsed = try JSONParser.parse(buffer)
            guard parsed == value else {
                Issue.record("iteration \(iteration): \(value) read back as \(parsed)")
                return
            }
            checked += 1
        }
        #expect(checked == 10_000)
    }

    /// A `JSONWritable` written in one reservation (`JSONSink`) is exactly the same text as
    /// its tokens written one by one, never more than its bound says, and reads back as the
    /// same strings and integers, for random strings (escapes, non-ASCII, control
    /// characters) and integers of every width.
    @Test func sinkWriterMatchesTheBufferWriter() throws {
        struct Tokens: JSONWritable {
            var strings: [String]
            var integers: [Int64]
            var small: [UInt16]

            func write<Sink: JSONSink>(to sink: inout Sink) {
                sink.raw("{\"s\":")
                sink.strings(strings)
                sink.raw(",\"i\":[")
                for (index, value) in integers.enumerated() {
                    if index > 0 { sink.raw(",") }
                    sink.integer(value)
                }
                sink.raw("],\"u\":[")
                for (index, value) in small.enumerated() {
                    if index > 0 { sink.raw(",") }
                    sink.integer(value)
                }
                sink.raw("]}")
            }
        }
        var rng = SplitMix64(seed: 0x5EED_0003)
        for iteration in 0..<5_000 {
            let tokens = Tokens(
                strings: (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomString(using: &rng) },
                integers: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? Int64(bitPattern: rng.next()) : [Int64.min, Int64.max, 0, -1, 9, 10].randomElement(using: &rng)!
                },
                small: (0..<Int.random(in: 0...2, using: &rng)).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) })
            var expected = ByteBuffer()
            expected.writeStaticString("{\"s\":[")
            for (index, string) in tokens.strings.enumerated() {
                if index > 0 { expected.writeStaticString(",") }
                expected.writeJSONString(string)
            }
            expected.writeStaticString("],\"i\":[")
            for (index, value) in tokens.integers.enumerated() {
                if index > 0 { expected.writeStaticString(",") }
                expected.writeJSONInteger(value)
            }
            expected.writeStaticString("],\"u\":[")
            for (index, value) in tokens.small.enumerated() {
                if index > 0 { expected.writeStaticString(",") }
                expected.writeJSONInteger(value)
            }
            expected.writeStaticString("]}")

            var bound = JSONSizeBound()
            tokens.write(to: &bound)
            let buffer = ByteBufferAllocator().buffer(json: tokens)
            guard buffer == expected, buffer.readableBytes <= bound.bytes else {
                Issue.record("iteration \(iteration): wrote \(String(buffer: buffer)), expected \(String(buffer: expected)) (bound \(bound.bytes))")
                return
            }
            let parsed = try JSONParser.parse(buffer).objectValue
            #expect(parsed?["s"]?.arrayValue?.map(\.stringValue) == tokens.strings.map { $0 })
            #expect(parsed?["i"]?.arrayValue?.map(\.intValue) == tokens.integers.map { $0 })
            #expect(parsed?["u"]?.arrayValue?.map(\.intValue) == tokens.small.map { Int64($0) })
            var appended = ByteBuffer(string: "x")
            #expect(appended.writeJSON(tokens) == expected.readableBytes)
            #expect(appended.readableBytesView.dropFirst().elementsEqual(expected.readableBytesView))
        }
    }

    @Test func mutatedDocumentsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var seeds: [[UInt8]] = [
            Array(#"{"id":123456,"op":"getaddrinfo","name":"host123.example.test","family":"unspec","flags":["canonname"]}"#.utf8),
            Array(#"{"a":[1,-2.5e+3,true,false,null,"\u00e9\ud83d\ude00\n"],"b":{"c":"中"}}"#.utf8),
        ]
        for _ in 0..<20 {
            seeds.append(Array(write(randomValue(depth: 1, using: &rng)).utf8))
        }
        let alphabet = Array(#"{}[]:,"\/-+.eE0123456789 tfnul"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xED, 0xF0, 0xFF]

        var accepted = 0
        var rejected = 0
        for _ in 0..<10_000 {
            var bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0...bytes.count, using: &rng)
                let byte =
                    Bool.random(using: &rng)
                    ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where position < bytes.count: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                default: bytes.removeLast(bytes.count - position)
                }
            }
            do {
                let value = try parse(bytes: bytes)
                accepted += 1
                // Whatever was accepted must survive a write/read cycle.
                #expect(try parse(write(value)) == value)
            } catch {
                rejected += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(error) for \(bytes)")
            }
        }
        #expect(accepted > 0)
        #expect(rejected > 0)
    }
}
