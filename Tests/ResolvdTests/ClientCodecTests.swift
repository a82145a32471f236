import ResolverClient
import Testing

/// The client's JSON codec, reply parsing and result readers: everything of
/// ResolverClient that needs no daemon.
@Suite("ClientCodec")
struct ClientCodecTests {
    // MARK: Encoding

    @Test func encodesScalars() {
        #expect(JSONValue.null.jsonText == "null")
        #expect(JSONValue.bool(true).jsonText == "true")
        #expect(JSONValue.bool(false).jsonText == "false")
        #expect(JSONValue.int(-42).jsonText == "-42")
        #expect(JSONValue.double(1.5).jsonText == "1.5")
        #expect(JSONValue.double(.nan).jsonText == "null")
        #expect(JSONValue.double(-.infinity).jsonText == "null")
        #expect(JSONValue.string("").jsonText == "\"\"")
    }

    @Test func escapesStrings() {
        let value = JSONValue.string("a\"b\\c\nd\re\tf\u{08}g\u{0C}h\u{01}i\u{1F}j\u{7F}k\u{2028}l/")
        #expect(value.jsonText == #""a\"b\\c\nd\re\tf\bg\fh\u0001i\u001fj\u007fk\u2028l/""#)
    }

    @Test func writesNonASCIIAsUTF8() {
        #expect(JSONValue.string("héllo 日本 😀").jsonText == "\"héllo 日本 😀\"")
    }

    @Test func sortsObjectKeys() {
        let value: JSONValue = ["b": 1, "a": [true, nil], "c": ["z": "y", "x": 2.5]]
        #expect(value.jsonText == #"{"a":[true,null],"b":1,"c":{"x":2.5,"z":"y"}}"#)
    }

    @Test func writesRequestLinesIdAndOpFirst() {
        let line = ResolvdConnection.requestLine(
            id: 7,
            op: "getaddrinfo",
            params: ["name": "example.com", "flags": ["canonname"], "id": 99, "op": "stats", "timeout_ms": 250]
        )
        #expect(line == #"{"id":7,"op":"getaddrinfo","flags":["canonname"],"name":"example.com","timeout_ms":250}"#)
        #expect(ResolvdConnection.requestLine(id: 1, op: "hello", params: [:]) == #"{"id":1,"op":"hello"}"#)
    }

    // MARK: Decoding

    @Test func decodesScalarsWithWhitespace() throws {
        #expect(try JSONValue(parsing: " null ") == .null)
        #expect(try JSONValue(parsing: "\ttrue\r\n") == .bool(true))
        #expect(try JSONValue(parsing: "false") == .bool(false))
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "-17") == .int(-17))
        #expect(try JSONValue(parsing: "1.25") == .double(1.25))
        #expect(try JSONValue(parsing: "1e3") == .double(1000))
        #expect(try JSONValue(parsing: "-2.5E-2") == .double(-0.025))
        #expect(try JSONValue(parsing: "\"\"") == .string(""))
    }

    @Test func keepsBigIntegersExact() throws {
        let maximumID: Int64 = (1 << 53) - 1
        #expect(try JSONValue(parsing: "9007199254740991") == .int(maximumID))
        #expect(try JSONValue(parsing: "9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        // Past Int64 the number is still read, as a Double.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        for value in [maximumID, maximumID - 1, .max, .min, 0, 1] {
            #expect(try JSONValue(parsing: JSONValue.int(value).jsonText) == .int(value))
        }
    }

    @Test func decodesEscapes() throws {
        let decoded = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u65E5\ud83d\ude00""#)
        #expect(decoded == .string("\"\\/\u{08}\u{0C}\n\r\tAé日😀"))
    }

    @Test func decodesRawUTF8() throws {
        #expect(try JSONValue(parsing: "[\"日本語\",\"😀\"]") == ["日本語", "😀"])
    }

    @Test func decodesNestedValues() throws {
        let text = #"{"a": [1, [2, {"b": null}], {}], "c": {"d": {"e": []}}, "f": -1.5}"#
        let expected: JSONValue = [
            "a": [1, [2, ["b": nil]], [:]],
            "c": ["d": ["e": []]],
            "f": -1.5,
        ]
        #expect(try JSONValue(parsing: text) == expected)
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test func roundTripsNestedValues() throws {
        let values: [JSONValue] = [
            ["records": [["name": "ex\"ample.", "type": "TXT", "ttl": 300, "strings": ["a\\b", "ü\u{0}", ""]]]],
            [[[[[]]]], ["k": ["k": ["k": .null]]]],
            ["id": .int((1 << 53) - 1), "status": 0, "result": ["x": .double(0.1), "y": .bool(false)]],
            .string("\u{2028}\u{2029}\u{FEFF}\u{10FFFF}"),
        ]
        for value in values {
            #expect(try JSONValue(parsing: value.jsonText) == value)
        }
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "01", "-", "1.", "1e", "+1", ".5",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"",
        "[1] x", "{\"a\" 1}", "[", "{", "1e400",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONDecodingError.self) { try JSONValue(parsing: text) }
    }

    @Test func limitsNesting() throws {
        let deepest = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue(parsing: deepest)
        let tooDeep = "[" + deepest + "]"
        #expect(throws: JSONDecodingError.self) { try JSONValue(parsing: tooDeep) }
    }

    @Test func reportsWhereDecodingFailed() {
        #expect(throws: JSONDecodingError(reason: "expected ',' or ']'", offset: 3)) {
            try JSONValue(parsing: "[1 2]")
        }
    }

    // MARK: Accessors

    @Test func accessorsReadTheRightCases() {
        let value: JSONValue = ["n": 5, "d": 2.5, "s": "x", "a": ["p", "q"], "b": true, "z": nil]
        #expect(value["n"]?.int64Value == 5)
        #expect(value["n"]?.intValue == 5)
        #expect(value["n"]?.doubleValue == 5)
        #expect(value["d"]?.int64Value == nil)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["a"]?.stringArrayValue == ["p", "q"])
        #expect(value["a"]?[1] == "q")
        #expect(value["a"]?[2] == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["key"] == nil)
    }

    // MARK: Replies

    @Test func parsesSuccessReply() throws {
        let line = #"{"id":3,"status":0,"result":{"host":"localhost","service":"http"},"extra":1}"#
        let reply = try Reply(line: line)
        #expect(reply.id == 3)
        #expect(reply.status == 0)
        #expect(reply.isSuccess)
        #expect(reply.error == nil)
        #expect(reply.message == nil)
        #expect(reply.required == nil)
        #expect(reply.line == line)
        #expect(reply.symbol == "NO_ERROR")
        #expect(NameInfo(json: reply.result!) == NameInfo(host: "localhost", service: "http"))
    }

    @Test func parsesFailureReply() throws {
        let line = #"{"id":9007199254740991,"status":11001,"error":"WSAHOST_NOT_FOUND","message":"no such host \"x\""}"#
        let reply = try Reply(line: line)
        #expect(reply.id == (1 << 53) - 1)
        #expect(reply.status == 11001)
        #expect(!reply.isSuccess)
        #expect(reply.error == "WSAHOST_NOT_FOUND")
        #expect(reply.message == "no such host \"x\"")
        #expect(reply.result == nil)
        let error = ResolvdError(reply: reply)
        #expect(error == ResolvdError(status: 11001, symbol: "WSAHOST_NOT_FOUND", message: "no such host \"x\""))
        #expect(error.description == "WSAHOST_NOT_FOUND (11001): no such host \"x\"")
    }

    @Test func parsesNoBufferSpaceWithRequired() throws {
        let reply = try Reply(line: #"{"id":4,"status":10055,"error":"WSAENOBUFS","message":"buffer too small","required":1204}"#)
        #expect(reply.required == 1204)
        #expect(ResolvdError(reply: reply).required == 1204)
    }

    @Test func parsesProtocolErrorsWithoutID() throws {
        let withNull = try Reply(line: #"{"id":null,"status":10022,"error":"WSAEINVAL","message":"not JSON"}"#)
        #expect(withNull.id == nil)
        #expect(withNull.status == 10022)
        let withoutID = try Reply(line: #"{"status":10022,"error":"WSAEINVAL","message":"line too long"}"#)
        #expect(withoutID.id == nil)
    }

    @Test func usesKnownSymbolWhenReplyHasNone() throws {
        let reply = try Reply(line: #"{"id":1,"status":10111}"#)
        #expect(reply.symbol == "WSA_E_CANCELLED")
        #expect(ResolvdError.symbol(forStatus: 995) == "ERROR_OPERATION_ABORTED")
        #expect(ResolvdError.symbol(forStatus: 12345) == "UNKNOWN_12345")
        #expect(ResolvdError(reply: reply).description == "WSA_E_CANCELLED (10111)")
    }

    @Test(arguments: [
        "", "not json", "[]", "42", #"{"id":1}"#, #"{"id":"1","status":0}"#, #"{"id":1.5,"status":0}"#,
        #"{"id":1,"status":"0"}"#, #"{"id":1,"status":4294967296}"#, #"{"id":1,"status":1,"error":5}"#,
        #"{"id":1,"status":1,"message":[]}"#, #"{"id":1,"status":10055,"required":"big"}"#,
    ])
    func rejectsMalformedReplies(_ line: String) {
        #expect(throws: ReplyParsingError.self) { try Reply(line: line) }
    }

    // MARK: Results

    @Test func readsAddressInfoResult() throws {
        let reply = try Reply(
            line: #"{"id":2,"status":0,"result":{"canonical_name":"host.example","addresses":["#
                + #"{"family":"inet","address":"192.0.2.10","port":80,"socktype":"stream","protocol":"tcp","ttl":300},"#
                + #"{"family":"inet6","address":"2001:db8::1","port":80,"socktype":"raw","protocol":null,"ttl":60}]}}"#
        )
        let json = try #require(reply.result)
        let result = try #require(AddressInfoResult(json: json))
        #expect(result.canonicalName == "host.example")
        #expect(
            result.addresses == [
                AddressInfo(family: "inet", address: "192.0.2.10", port: 80, socketType: "stream", protocol: "tcp", ttl: 300),
                AddressInfo(family: "inet6", address: "2001:db8::1", port: 80, socketType: "raw", protocol: nil, ttl: 60),
            ]
        )
        let noCanonicalName = try JSONValue(parsing: #"{"canonical_name":null,"addresses":[]}"#)
        #expect(AddressInfoResult(json: noCanonicalName) == AddressInfoResult(canonicalName: nil, addresses: []))
        #expect(AddressInfoResult(json: try JSONValue(parsing: #"{"addresses":[{"family":"inet"}]}"#)) == nil)
    }

    @Test func readsDatabaseEntries() throws {
        let host = try JSONValue(parsing: #"{"name":"h.example","aliases":["h"],"family":"inet","addresses":["192.0.2.1"]}"#)
        #expect(HostEntry(json: host) == HostEntry(name: "h.example", aliases: ["h"], family: "inet", addresses: ["192.0.2.1"]))
        let service = try JSONValue(parsing: #"{"name":"http","aliases":["www"],"port":80,"proto":"tcp"}"#)
        #expect(ServiceEntry(json: service) == ServiceEntry(name: "http", aliases: ["www"], port: 80, protocol: "tcp"))
        let proto = try JSONValue(parsing: #"{"name":"tcp","aliases":["TCP"],"number":6}"#)
        #expect(ProtocolEntry(json: proto) == ProtocolEntry(name: "tcp", aliases: ["TCP"], number: 6))
        #expect(HostEntry(json: try JSONValue(parsing: #"{"name":"h","aliases":[1],"family":"inet","addresses":[]}"#)) == nil)
        let hello = try JSONValue(parsing: #"{"server":"resolvd","version":"0.1.0","protocol":1,"ops":["hello","stats"]}"#)
        #expect(ServerInfo(json: hello) == ServerInfo(server: "resolvd", version: "0.1.0", protocolVersion: 1, ops: ["hello", "stats"]))
    }

    @Test func rendersRecordsInPresentationForm() throws {
        let result = try JSONValue(
            parsing: """
                {"records":[
                 {"name":"example.com","type":"A","ttl":300,"address":"192.0.2.1"},
                 {"name":"example.com","type":"MX","ttl":300,"preference":10,"exchange":"mail.example.com"},
                 {"name":"_http._tcp.example.com","type":"SRV","ttl":60,"priority":1,"weight":5,"port":80,"target":"www.example.com"},
                 {"name":"example.com","type":"TXT","ttl":60,"strings":["v=spf1 -all","say \\"hi\\"\\u0007"]},
                 {"name":"example.com","type":"SOA","ttl":60,"mname":"ns1.example.com","rname":"hostmaster.example.com","serial":2024010101,"refresh":7200,"retry":3600,"expire":1209600,"minimum":300},
                 {"name":"example.com","type":"CAA","ttl":60,"critical":false,"tag":"issue","value":"letsencrypt.org"},
                 {"name":"example.com","type":"NAPTR","ttl":60,"order":100,"preference":10,"flags":"S","service":"SIP+D2U","regexp":"","replacement":"_sip._udp.example.com"},
                 {"name":"www.example.com","type":"CNAME","ttl":60,"target":"example.com"},
                 {"name":"example.com","type":"HINFO","ttl":60,"cpu":"x"}
                ]}
                """
        )
        let records = try #require(result["records"]?.arrayValue).compactMap(QueryRecord.init(json:))
        #expect(records.count == 9)
        #expect(records.map(\.presentationData) == [
            "192.0.2.1",
            "10 mail.example.com",
            "1 5 80 www.example.com",
            #""v=spf1 -all" "say \"hi\"\007""#,
            "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300",
            #"0 issue "letsencrypt.org""#,
            #"100 10 "S" "SIP+D2U" "" _sip._udp.example.com"#,
            "example.com",
            #"{"cpu":"x"}"#,
        ])
        #expect(records[1].fields == ["preference": 10, "exchange": "mail.example.com"])
    }
}
