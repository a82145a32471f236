import NIOCore
import ResolvdProtocol
import ResolverTypes
import Testing

@testable import ResolvdServer

/// nss-resolve's call read straight from its bytes (``VarlinkHostnameCall``) and its reply
/// written straight into the buffer (``VarlinkHostnameReply``), each against the generic
/// path it stands in for: the same request, the same reply bytes — and every call it does
/// not read left to the generic path.
@Suite struct VarlinkHostnameFastPathTests {
    static func generic(_ text: String) throws -> VarlinkResolveRequest {
        let call = try VarlinkCall(parsing: ByteBuffer(string: text))
        #expect(!call.oneway && !call.more)
        return try VarlinkResolveRequest.decode(method: String(call.method.dropFirst("io.systemd.Resolve.".count)), parameters: call.parameters)
    }

    @Test(arguments: [
        // nss-resolve 252's own calls (gethostbyname4, gethostbyname3 with a family).
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"www.example.test","flags":0}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"www.example.test","family":2,"flags":0}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"host","family":10,"flags":256}}"#,
        // Other orders, whitespace, ifindex, no flags, AF_UNSPEC written out.
        #"{"parameters":{"flags":4096,"name":"a.b","ifindex":3},"method":"io.systemd.Resolve.ResolveHostname"}"#,
        " { \"method\" : \"io.systemd.Resolve.ResolveHostname\" ,\n\t\"parameters\" : { \"name\" : \"x\" , \"family\" : 0 } } ",
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"127.0.0.1","ifindex":2147483647,"flags":16777216}}"#,
    ])
    func readsAsTheGenericPathDoes(_ text: String) throws {
        let fast = try #require(VarlinkHostnameCall.request(ByteBuffer(string: text)))
        let generic = try Self.generic(text)
        #expect(fast.key == generic.key)
        #expect(fast.flags == generic.flags)
        guard case .hostname(let fastName) = fast.method, case .hostname(let genericName) = generic.method else {
            Issue.record("not a hostname request")
            return
        }
        #expect(fastName == genericName)
    }

    @Test(arguments: [
        // Another method, other members, a member twice, null, oneway/more.
        #"{"method":"io.systemd.Resolve.ResolveAddress","parameters":{"family":2,"address":[127,0,0,1]}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","bogus":1}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","name":"y"}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","flags":null}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x"},"oneway":true}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x"},"more":false}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x"}}"#,
        // Strings it does not decode: an escape, UTF-8 beyond ASCII.
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"a\u0062"}}"#,
        "{\"method\":\"io.systemd.Resolve.ResolveHostname\",\"parameters\":{\"name\":\"caf\u{e9}.test\"}}",
        // Values the generic path refuses, with its own error.
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":""}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","family":3}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","flags":64}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","flags":-1}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","ifindex":2147483648}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x","family":2.0}}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname"}"#,
        // Not a whole object.
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x"}} {}"#,
        #"{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"x"}"#,
        "",
    ])
    func leavesEverythingElseToTheGenericPath(_ text: String) {
        #expect(VarlinkHostnameCall.request(ByteBuffer(string: text)) == nil)
    }

    static func address(_ text: String, _ family: AddressFamily) -> ResolvedAddress {
        ResolvedAddress(family: family, address: text, port: 0, socketType: .stream, transport: .tcp, ttl: 60)
    }

    static let answers: [AddressInfo] = [
        AddressInfo(canonicalName: nil, addresses: [address("192.0.2.10", .inet)]),
        AddressInfo(canonicalName: "real.example.test", addresses: [
            address("2001:db8::10", .inet6), address("192.0.2.10", .inet), address("::ffff:192.0.2.1", .inet6), address("192.0.2.10", .inet),
        ]),
        // A name that needs escapes; an address text nothing parses is left out.
        AddressInfo(canonicalName: "quo\"te\\d\u{1}", addresses: [address("not an address", .inet), address("::1", .inet6)]),
        // More than sixteen: duplicates found by the set.
        AddressInfo(canonicalName: nil, addresses: (0..<40).map { address("192.0.2.\($0 % 25)", .inet) }),
    ]

    @Test(arguments: answers, [AnswerOrigin.network, .cache, .synthetic])
    func repliesWithTheGenericPathsBytes(_ info: AddressInfo, origin: AnswerOrigin) throws {
        let request = VarlinkResolveRequest.hostname("asked.example.test", family: .unspecified, flags: 0)
        let fast = request.replyMessage(to: .success(.addressInfo(info)), origin: origin, allocator: ByteBufferAllocator())
        guard case .success(let parameters) = request.reply(to: .success(.addressInfo(info)), origin: origin) else {
            Issue.record("no addresses")
            return
        }
        let generic = VarlinkReply.success(parameters, allocator: ByteBufferAllocator())
        #expect(String(buffer: fast) == String(buffer: generic))
        #expect(VarlinkHostnameReply(info, name: "asked.example.test", flags: origin.flags) != nil, "the fast writer wrote it")
    }

    @Test func anAnswerWithoutAddressesIsNoSuchResourceRecordEitherWay() {
        let request = VarlinkResolveRequest.hostname("x", family: .inet, flags: 0)
        let info = AddressInfo(canonicalName: nil, addresses: [Self.address("not an address", .inet)])
        #expect(VarlinkHostnameReply(info, name: "x", flags: 0) == nil)
        let message = request.replyMessage(to: .success(.addressInfo(info)), origin: .network, allocator: ByteBufferAllocator())
        #expect(String(buffer: message).contains(#""error":"io.systemd.Resolve.NoSuchResourceRecord""#), "\(String(buffer: message))")
    }
}
