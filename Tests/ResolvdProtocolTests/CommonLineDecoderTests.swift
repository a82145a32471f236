import NIOCore
import ResolverTypes
import Testing

@testable import ResolvdProtocol

/// ``RequestDecoder/decodeCommonLine(_:)`` (``RequestLineScanner``) against the generic
/// path (``JSONParser``, ``Request/id(of:)``, ``RequestDecoder/decode(_:id:)``): what the fast
/// path accepts, the generic path reads as the same request; what it declines it leaves
/// whole to the generic path. The fuzz target FuzzRequestLines checks the same on its inputs.
@Suite struct CommonLineDecoderTests {
    private func fast(_ line: String) -> Request? {
        RequestDecoder.decodeCommonLine(ByteBuffer(string: line))
    }

    /// The generic path's answer, or nil for a line it answers without an id (not JSON,
    /// not an object, no valid id).
    private func generic(_ line: String) -> Result<Request, ResolverError>? {
        guard case .object(let object)? = try? JSONParser.parse(ByteBuffer(string: line)),
            let id = Request.id(of: object)
        else { return nil }
        return RequestDecoder.decode(object, id: id)
    }

    /// Accepted by the fast path, as the same request as the generic path's.
    private func expectAccepted(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for line in lines {
            let request = fast(line)
            #expect(request != nil, "declined: \(line)", sourceLocation: sourceLocation)
            if let request {
                #expect(generic(line) == .success(request), "\(line)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Left to the generic path, whatever it makes of them.
    private func expectDeclined(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for line in lines {
            #expect(fast(line) == nil, "accepted: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyOpWithItsParameters() {
        expectAccepted([
            #"{"id":1,"op":"getaddrinfo","name":"x123.wild.example.test","family":"unspec","socktype":"stream"}"#,
            #"{"id":2,"op":"getaddrinfo","name":"www.example.test","service":"http","family":"inet6","socktype":"dgram","protocol":"udp","flags":["canonname","numericserv","addrconfig","v4mapped","all","numerichost"],"timeout_ms":2500,"stale":false}"#,
            #"{"id":3,"op":"getaddrinfo","name":"a","service":443}"#,
            #"{"id":4,"op":"getnameinfo","address":"192.0.2.1","port":80,"flags":["namereqd","numerichost","numericserv","nofqdn","dgram"],"timeout_ms":1}"#,
            #"{"id":5,"op":"query","name":"example.test","type":"aaaa","timeout_ms":3600000}"#,
            #"{"id":6,"op":"query","name":"example.test","type":"MX","stale":true}"#,
            #"{"id":7,"op":"gethostbyname","name":"h","family":"inet","buflen":0,"timeout_ms":10}"#,
            #"{"id":8,"op":"gethostbyaddr","address":"2001:db8::1","buflen":16777216}"#,
            #"{"id":9,"op":"getservbyname","name":"http","proto":"tcp","buflen":100}"#,
            #"{"id":10,"op":"getservbyport","port":65535,"proto":"udp"}"#,
            #"{"id":11,"op":"getprotobyname","name":"tcp"}"#,
            #"{"id":12,"op":"getprotobynumber","number":2147483647,"buflen":1}"#,
            #"{"id":13,"op":"cancel","handle":-9007199254740991}"#,
            #"{"id":14,"op":"cancel_async_request","handle":9007199254740991}"#,
            #"{"id":15,"op":"cancel_all"}"#,
            #"{"id":16,"op":"hello"}"#,
            #"{"id":17,"op":"stats"}"#,
            #"{"id":18,"op":"reload"}"#,
            #"{"id":19,"op":"flush_cache"}"#,
            #"{"id":20,"op":"monitor"}"#,
            #"{"id":21,"op":"dump_cache","limit":5}"#,
            #"{"id":22,"op":"dump_cache"}"#,
            #"{"id":23,"op":"link","interface":"eth0","dns":["192.0.2.53","[2001:db8::53]:53"],"domains":["example.test","~."],"default_route":true}"#,
            #"{"id":24,"op":"link","interface":"eth0","dns":[],"domains":[]}"#,
            #"{"id":25,"op":"revert_link","interface":"eth0"}"#,
            #"{"id":26,"op":"routes"}"#,
        ])
    }

    @Test func nullParametersAreAbsent() {
        expectAccepted([
            #"{"id":1,"op":"getaddrinfo","name":"a","service":null,"family":null,"socktype":null,"protocol":null,"flags":null,"timeout_ms":null,"stale":null}"#,
            #"{"id":2,"op":"dump_cache","limit":null}"#,
            #"{"id":3,"op":"link","interface":"lo","dns":null,"domains":null,"default_route":null}"#,
        ])
    }

    @Test func keyOrderAndWhitespaceDoNotMatter() {
        expectAccepted([
            #"{"op":"hello","id":1}"#,
            " \t{ \"id\" : 1 ,\r\n \"op\" :\t\"getaddrinfo\" , \"name\" : \"a\" , \"flags\" : [ \"canonname\" , \"all\" ] } \t",
            "{\"name\":\"a b~\u{7F}\",\"op\":\"getaddrinfo\",\"id\":9007199254740991}",
        ])
    }

    @Test func escapesNonASCIIAndUnusualTextGoTheGenericWay() {
        expectDeclined([
            #"{"id":1,"op":"getaddrinfo","name":"a\u0062c"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a\"b"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"bücher.example"}"#,
            #"{"id":1,"op":"getaddrinfo","n\u0061me":"a"}"#,
            "{\"id\":1,\"op\":\"getaddrinfo\",\"name\":\"a\tb\"}",
            #"{"id":1,"op":"link","interface":"lo","dns":["a\/b"]}"#,
        ])
        #expect(generic(#"{"id":1,"op":"getaddrinfo","name":"a\u0062c"}"#) == .success(Request(id: 1, command: .lookup(.addressInfo(AddressInfoRequest(name: "abc"))))))
    }

    @Test func unknownUnusedAndRepeatedKeysGoTheGenericWay() {
        expectDeclined([
            #"{"id":1,"op":"getaddrinfo","name":"a","x":1}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","names":"b"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","Name":"b"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","port":1}"#,
            #"{"id":1,"op":"hello","stale":false}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","name":"b"}"#,
            #"{"id":1,"id":2,"op":"hello"}"#,
            #"{"id":1,"op":"hello","op":"hello"}"#,
        ])
    }

    @Test func idsAndNumbersOutOfItsRangeGoTheGenericWay() {
        expectDeclined([
            #"{"id":0,"op":"hello"}"#,
            #"{"id":-0,"op":"hello"}"#,
            #"{"id":-1,"op":"hello"}"#,
            #"{"id":9007199254740992,"op":"hello"}"#,
            #"{"id":1234567890123456789,"op":"hello"}"#,
            #"{"id":12345678901234567890,"op":"hello"}"#,
            #"{"id":1.0,"op":"hello"}"#,
            #"{"id":1e3,"op":"hello"}"#,
            #"{"id":1E3,"op":"hello"}"#,
            #"{"id":01,"op":"hello"}"#,
            #"{"id":"1","op":"hello"}"#,
            #"{"id":null,"op":"hello"}"#,
            #"{"op":"hello"}"#,
            #"{"id":1,"op":"getnameinfo","address":"a","port":65536}"#,
            #"{"id":1,"op":"getnameinfo","address":"a","port":-1}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","timeout_ms":0}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","service":65536}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","timeout_ms":-}"#,
            #"{"id":1,"op":"dump_cache","limit":0}"#,
        ])
        expectAccepted([#"{"id":1,"op":"cancel","handle":-0}"#, #"{"id":100000000000000,"op":"cancel","handle":0}"#])
    }

    @Test func requestsTheDecoderRefusesGoTheGenericWay() {
        expectDeclined([
            #"{"id":1}"#,
            #"{"id":1,"op":"watch"}"#,
            #"{"id":1,"op":1}"#,
            #"{"id":1,"op":null}"#,
            #"{"id":1,"op":"getaddrinfo"}"#,
            #"{"id":1,"op":"getaddrinfo","name":1}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","family":"inet4"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":["nope"]}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":"canonname"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","stale":"no"}"#,
            #"{"id":1,"op":"query","name":"a","type":"BOGUS"}"#,
            #"{"id":1,"op":"link","interface":"lo","default_route":1}"#,
        ])
    }

    @Test func malformedAndUnusualJSONGoesTheGenericWay() {
        expectDeclined([
            "", " ", "{}", "[]", "\"x\"", "1", "null",
            #"{"id":1,"op":"hello"}x"#,
            #"{"id":1,"op":"hello"},"#,
            #"{"id":1,"op":"hello"}{"id":2,"op":"hello"}"#,
            #"{"id":1,"op":"hello",}"#,
            #"{"id":1,"op":"hello""#,
            #"{"id":1,"op":"hello"#,
            #"{"id":1,"op""hello"}"#,
            #"{"id":1 "op":"hello"}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":["canonname",]}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":[["canonname"]]}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":[1]}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","flags":[null]}"#,
            #"{"id":1,"op":"getaddrinfo","name":{"a":1}}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","stale":tru}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","stale":falsey}"#,
            #"{"id":1,"op":"getaddrinfo","name":"a","stale":nul}"#,
            "{\"id\":1,\"op\":\"hello\"}\u{0C}",
        ])
    }

    /// The line the benchmark and the Swift client send, as the encoder writes it.
    @Test func whatTheEncoderWritesIsAccepted() {
        let request = Request(id: 42, command: .lookup(.addressInfo(AddressInfoRequest(name: "x1.wild.example.test", socketType: .stream))))
        var buffer = ByteBuffer()
        buffer.writeJSON(request)
        #expect(RequestDecoder.decodeCommonLine(buffer) == request)
    }
}
