import ResolverClient
import ResolvdProtocol
import Testing

/// The client's request lines, reply parsing and result readers: everything of
/// ResolverClient that needs no daemon. The JSON codec itself is ResolvdProtocol's
/// (JSONTests).
@Suite("ClientCodec")
struct ClientCodecTests {
    // MARK: Requests

    @Test func writesRequestLinesIdAndOpFirst() {
        let line = ResolvdConnection.requestLine(
            id: 7,
            op: "getaddrinfo",
            params: ["name": "example.com", "flags": ["canonname"], "id": 99, "op": "stats", "timeout_ms": 250]
        )
        #expect(line == #"{"id":7,"op":"getaddrinfo","flags":["canonname"],"name":"example.com","timeout_ms":250}"#)
        #expect(ResolvdConnection.requestLine(id: 1, op: "hello", params: [:]) == #"{"id":1,"op":"hello"}"#)
        let maximumID: Int64 = (1 << 53) - 1
        #expect(
            ResolvdConnection.requestLine(id: maximumID, op: "q\"uote", params: ["name": "a\nb", "x": .double(0.5)])
                == #"{"id":9007199254740991,"op":"q\"uote","name":"a\nb","x":0.5}"#
        )
    }

    // MARK: Accessors

    @Test func readsStringArrays() {
        #expect(JSONValue.array(["p", "q"]).stringArrayValue == ["p", "q"])
        #expect(JSONValue.array([]).stringArrayValue == [])
        #expect(JSONValue.array(["p", 1]).stringArrayValue == nil)
        #expect(JSONValue.string("p").stringArrayValue == nil)
    }

    // MARK: Replies

    @Test func parsesSuccessReply() throws {
        let line = #"{"id":3,"status":0,"result":{"host":"localhost","service":"http"},"extra":1}"#
        let reply = try Reply(line: line)
        #expect(reply.id == 3)
        #expect(reply.status == .noError)
        #expect(reply.isSuccess)
        #expect(reply.error == nil)
        #expect(reply.message == nil)
        #expect(reply.required == nil)
        #expect(reply.line == line)
        #expect(reply.symbol == "NO_ERROR")
        #expect(NameInfo(json: reply.result!) == NameInfo(host: "localhost", service: "http"))
        #expect(reply.failure == nil)
    }

    @Test func parsesFailureReply() throws {
        let line = #"{"id":9007199254740991,"status":11001,"error":"WSAHOST_NOT_FOUND","message":"no such host \"x\""}"#
        let reply = try Reply(line: line)
        #expect(reply.id == (1 << 53) - 1)
        #expect(reply.status == .hostNotFound)
        #expect(!reply.isSuccess)
        #expect(reply.error == "WSAHOST_NOT_FOUND")
        #expect(reply.message == "no such host \"x\"")
        #expect(reply.result == nil)
        let error = try #require(reply.failure)
        #expect(error == ResolverError(code: .hostNotFound, message: "no such host \"x\""))
        #expect(error.description == "WSAHOST_NOT_FOUND (11001): no such host \"x\"")
    }

    @Test func parsesNoBufferSpaceWithRequired() throws {
        let reply = try Reply(line: #"{"id":4,"status":10055,"error":"WSAENOBUFS","message":"buffer too small","required":1204}"#)
        #expect(reply.required == 1204)
        #expect(reply.failure?.requiredBufferLength == 1204)
    }

    @Test func parsesProtocolErrorsWithoutID() throws {
        let withNull = try Reply(line: #"{"id":null,"status":10022,"error":"WSAEINVAL","message":"not JSON"}"#)
        #expect(withNull.id == nil)
        #expect(withNull.status == .invalidArgument)
        let withoutID = try Reply(line: #"{"status":10022,"error":"WSAEINVAL","message":"line too long"}"#)
        #expect(withoutID.id == nil)
    }

    @Test func acceptsDeeplyNestedResults() throws {
        let depth = 200
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let reply = try Reply(line: #"{"id":1,"status":0,"result":"# + nested + "}")
        #expect(reply.result?.arrayValue?.count == 1)
    }

    @Test func usesKnownSymbolWhenReplyHasNone() throws {
        let reply = try Reply(line: #"{"id":1,"status":10111}"#)
        #expect(reply.symbol == "WSA_E_CANCELLED")
        #expect(ResultCode(rawValue: 995).symbol == "ERROR_OPERATION_ABORTED")
        #expect(ResultCode(rawValue: 10013).symbol == "WSAEACCES")
        #expect(ResultCode(rawValue: 12345).symbol == "UNKNOWN_12345")
        #expect(reply.failure?.description == "WSA_E_CANCELLED (10111)")
    }

    @Test(arguments: [
        "", "not json", "[]", "42", #"{"id":1}"#, #"{"id":"1","status":0}"#, #"{"id":1.5,"status":0}"#,
        #"{"id":1,"status":"0"}"#, #"{"id":1,"status":0.0}"#, #"{"id":1,"id":2,"status":0}"#, #"{"id":1,"status":4294967296}"#, #"{"id":1,"status":1,"error":5}"#,
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
        let result = try #require(AddressInfo(json: json))
        #expect(result.canonicalName == "host.example")
        #expect(
            result.addresses == [
                ResolvedAddress(family: .inet, address: "192.0.2.10", port: 80, socketType: .stream, transport: .tcp, ttl: 300),
                ResolvedAddress(family: .inet6, address: "2001:db8::1", port: 80, socketType: .raw, transport: nil, ttl: 60),
            ]
        )
        let noCanonicalName = try JSONParser.parse(#"{"canonical_name":null,"addresses":[]}"#)
        #expect(AddressInfo(json: noCanonicalName) == AddressInfo(canonicalName: nil, addresses: []))
        #expect(AddressInfo(json: try JSONParser.parse(#"{"addresses":[{"family":"inet"}]}"#)) == nil)
        #expect(reply.lookupValue(for: .getAddrInfo) == .success(.addressInfo(result)))
    }

    @Test func readsDatabaseEntries() throws {
        let host = try JSONParser.parse(#"{"name":"h.example","aliases":["h"],"family":"inet","addresses":["192.0.2.1"]}"#)
        #expect(HostEntry(json: host) == HostEntry(name: "h.example", aliases: ["h"], family: .inet, addresses: ["192.0.2.1"]))
        let service = try JSONParser.parse(#"{"name":"http","aliases":["www"],"port":80,"proto":"tcp"}"#)
        #expect(ServiceEntry(json: service) == ServiceEntry(name: "http", aliases: ["www"], port: 80, proto: "tcp"))
        let proto = try JSONParser.parse(#"{"name":"tcp","aliases":["TCP"],"number":6}"#)
        #expect(ProtocolEntry(json: proto) == ProtocolEntry(name: "tcp", aliases: ["TCP"], number: 6))
        #expect(HostEntry(json: try JSONParser.parse(#"{"name":"h","aliases":[1],"family":"inet","addresses":[]}"#)) == nil)
        let hello = try JSONParser.parse(#"{"server":"resolvd","version":"0.1.0","protocol":1,"ops":["hello","stats"]}"#)
        #expect(ServerInfo(json: hello) == ServerInfo(server: "resolvd", version: "0.1.0", protocolVersion: 1, ops: ["hello", "stats"]))
    }

    @Test func rendersRecordsInPresentationForm() throws {
        let result = try JSONParser.parse(
            """
                {"records":[
                 {"name":"example.com","type":"A","ttl":300,"address":"192.0.2.1"},
                 {"name":"example.com","type":"MX","ttl":300,"preference":10,"exchange":"mail.example.com"},
                 {"name":"_http._tcp.example.com","type":"SRV","ttl":60,"priority":1,"weight":5,"port":80,"target":"www.example.com"},
                 {"name":"example.com","type":"TXT","ttl":60,"strings":["v=spf1 -all","say \\"hi\\"\\u0007"]},
                 {"name":"example.com","type":"SOA","ttl":60,"mname":"ns1.example.com","rname":"hostmaster.example.com","serial":2024010101,"refresh":7200,"retry":3600,"expire":1209600,"minimum":300},
                 {"name":"example.com","type":"CAA","ttl":60,"critical":false,"tag":"issue","value":"letsencrypt.org"},
                 {"name":"example.com","type":"NAPTR","ttl":60,"order":100,"preference":10,"flags":"S","service":"SIP+D2U","regexp":"","replacement":"_sip._udp.example.com"},
                 {"name":"www.example.com","type":"CNAME","ttl":60,"target":"example.com"}
                ]}
                """
        )
        let records = try #require(QueryAnswer(json: result)).records
        #expect(records.count == 8)
        #expect(records.map(\.data.presentation) == [
            "192.0.2.1",
            "10 mail.example.com",
            "1 5 80 www.example.com",
            #""v=spf1 -all" "say \"hi\"\007""#,
            "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300",
            #"0 issue "letsencrypt.org""#,
            #"100 10 "S" "SIP+D2U" "" _sip._udp.example.com"#,
            "example.com",
        ])
        #expect(records[1].data == .mx(preference: 10, exchange: "mail.example.com"))
        // A record type protocol v1 does not define is not a record.
        #expect(DNSRecord(json: try JSONParser.parse(#"{"name":"example.com","type":"HINFO","ttl":60,"os":"y","cpu":"x"}"#)) == nil)
    }
}
