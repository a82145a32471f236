import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// io.systemd.Resolve over the Varlink socket of a real daemon, with the Varlink client
/// written for the tests (``LineClient/varlink(path:)``): each method's members, flags
/// and errors, against the loopback unbound fixture (docs/varlink.md).
@Suite struct VarlinkResolveTests {
    static let dns: Int64 = 1
    static let synthetic: Int64 = 1 << 19
    static let fromCache: Int64 = 1 << 20
    static let fromNetwork: Int64 = 1 << 23

    static func bytes(_ reply: JSONObject?) -> [[Int64]] {
        (reply?.varlinkParameters?["addresses"]?.arrayValue ?? []).map { entry in
            (entry.objectValue?["address"]?.arrayValue ?? []).compactMap(\.intValue)
        }
    }

    @Test func resolveHostnameAnswersAddressesCanonicalNameAndOrigin() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let first = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"www.example.test"}"#))
        let parameters = try #require(first.varlinkParameters, "\(first)")
        // Exactly the members nss-resolve 252 knows: it refuses a reply with any other.
        #expect(first.keys == ["parameters"])
        #expect(Set(parameters.keys) == ["addresses", "name", "flags"])
        #expect(parameters["name"]?.stringValue == "www.example.test")
        #expect(parameters["flags"]?.intValue == Self.dns | Self.fromNetwork)
        let addresses = try #require(parameters["addresses"]?.arrayValue)
        #expect(addresses.allSatisfy { Set($0.objectValue?.keys ?? []) == ["family", "address"] })
        #expect(Set(addresses.compactMap { $0.objectValue?["family"]?.intValue }) == [2, 10])
        #expect(Set(Self.bytes(first)) == [[192, 0, 2, 10], [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16]])

        let cached = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"www.example.test","flags":0}"#))
        #expect(cached.varlinkParameters?["flags"]?.intValue == Self.dns | Self.fromCache)
        #expect(Set(Self.bytes(cached)) == Set(Self.bytes(first)))

        let v4 = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"www.example.test","family":2,"ifindex":0}"#))
        #expect(Self.bytes(v4) == [[192, 0, 2, 10]])
        let alias = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"chain.example.test","family":2}"#))
        #expect(alias.varlinkParameters?["name"]?.stringValue == "www.example.test", "the canonical name: \(alias)")
        let literal = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"192.0.2.7"}"#))
        #expect(Self.bytes(literal) == [[192, 0, 2, 7]])
        #expect(literal.varlinkParameters?["name"]?.stringValue == "192.0.2.7")
        #expect(literal.varlinkParameters?["flags"]?.intValue == Self.dns | Self.synthetic)
    }

    @Test func resolveHostnameErrors() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveHostname"
        let nx = try #require(client.varlinkCall(method, #"{"name":"nxdomain.example.test"}"#))
        #expect(nx.varlinkError == "io.systemd.Resolve.DNSError")
        #expect(nx.varlinkParameters?["rcode"]?.intValue == 3)
        let noData = try #require(client.varlinkCall(method, #"{"name":"v6only.example.test","family":2}"#))
        #expect(noData.varlinkError == "io.systemd.Resolve.NoSuchResourceRecord")
        for (parameters, bad) in [
            (#"{}"#, "name"), (#"{"name":""}"#, "name"), (#"{"name":7}"#, "name"), (#"{"name":"a.test","family":7}"#, "family"),
            (#"{"name":"a.test","ifindex":-1}"#, "ifindex"), (#"{"name":"a.test","flags":1073741824}"#, "flags"),
            (#"{"name":"a.test","flags":-1}"#, "flags"), (#"{"name":"a.test","colour":"red"}"#, "colour"),
            (#"{"name":"bad..name"}"#, "name"),
        ] {
            let reply = try #require(client.varlinkCall(method, parameters), "\(parameters)")
            #expect(reply.varlinkError == "org.varlink.service.InvalidParameter", "\(parameters): \(reply)")
            #expect(reply.varlinkParameters?["parameter"]?.stringValue == bad, "\(parameters): \(reply)")
        }
        // Request bits systemd-resolved accepts are accepted (and ignored but NO_CACHE).
        let accepted = try #require(client.varlinkCall(method, #"{"name":"www.example.test","flags":\#(1 | 1 << 5 | 1 << 8 | 1 << 10 | 1 << 15)}"#))
        #expect(accepted.varlinkParameters?["addresses"] != nil, "\(accepted)")
    }

    @Test func resolveAddressAnswersNames() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveAddress"
        let v4 = try #require(client.varlinkCall(method, #"{"family":2,"address":[192,0,2,10]}"#))
        #expect(Set(v4.varlinkParameters?.keys ?? []) == ["names", "flags"], "\(v4)")
        let names = v4.varlinkParameters?["names"]?.arrayValue?.compactMap { $0.objectValue }
        #expect(names?.map(\.keys) == [["name"]])
        #expect(names?.first?["name"]?.stringValue == "www.example.test")
        #expect(v4.varlinkParameters?["flags"]?.intValue == Self.dns | Self.fromNetwork)
        let v6 = try #require(client.varlinkCall(method, #"{"family":10,"address":[32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,16],"flags":0}"#))
        #expect(v6.varlinkParameters?["names"]?.arrayValue?.first?.objectValue?["name"]?.stringValue == "www.example.test", "\(v6)")
        let noName = try #require(client.varlinkCall(method, #"{"family":2,"address":[192,0,2,30]}"#))
        #expect(noName.varlinkError == "io.systemd.Resolve.DNSError" && noName.varlinkParameters?["rcode"]?.intValue == 3, "\(noName)")
        #expect(client.varlinkCall(method, #"{"family":2,"address":[32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,16]}"#)?.varlinkError
            == "io.systemd.Resolve.BadAddressSize")
        for (parameters, bad) in [
            (#"{"family":0,"address":[192,0,2,10]}"#, "family"), (#"{"address":[192,0,2,10]}"#, "family"),
            (#"{"family":2,"address":[192,0,2]}"#, "address"), (#"{"family":2,"address":[192,0,2,256]}"#, "address"),
            (#"{"family":2}"#, "address"), (#"{"family":2,"address":[192,0,2,10],"flags":256}"#, "flags"),
        ] {
            let reply = try #require(client.varlinkCall(method, parameters))
            #expect(reply.varlinkError == "org.varlink.service.InvalidParameter", "\(parameters): \(reply)")
            #expect(reply.varlinkParameters?["parameter"]?.stringValue == bad, "\(parameters): \(reply)")
        }
    }

    @Test func resolveRecordAnswersWireFormat() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveRecord"
        let mx = try #require(client.varlinkCall(method, #"{"name":"mail.example.test","type":15}"#))
        let rrs = try #require(mx.varlinkParameters?["rrs"]?.arrayValue, "\(mx)")
        #expect(Set(mx.varlinkParameters?.keys ?? []) == ["rrs", "flags"])
        // mail.example.test MX 10 mx1.example.test, TTL 300: the bytes unbound sends, uncompressed.
        let owner: [UInt8] = [4] + Array("mail".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0]
        let exchange: [UInt8] = [3] + Array("mx1".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0]
        let expected = owner + [0, 15, 0, 1, 0, 0, 1, 44, 0, UInt8(2 + exchange.count), 0, 10] + exchange
        let raws = rrs.compactMap { $0.objectValue?["raw"]?.stringValue }.map(Self.base64Decode)
        #expect(raws.count == 2)
        #expect(raws.contains(expected), "\(raws) should hold \(expected)")
        let txt = try #require(client.varlinkCall(method, #"{"name":"txt.example.test","type":16,"class":1}"#))
        #expect(txt.varlinkParameters?["rrs"]?.arrayValue?.count == 1, "\(txt)")
        #expect(client.varlinkCall(method, #"{"name":"nxdomain.example.test","type":1}"#)?.varlinkError == "io.systemd.Resolve.DNSError")
        #expect(client.varlinkCall(method, #"{"name":"mail.example.test","type":99}"#)?.varlinkError
            == "io.systemd.Resolve.ResourceRecordTypeUnsupported")
        #expect(client.varlinkCall(method, #"{"name":"mail.example.test","type":15,"class":3}"#)?.varlinkError
            == "io.systemd.Resolve.ResourceRecordTypeUnsupported")
        #expect(client.varlinkCall(method, #"{"name":"mail.example.test"}"#)?.varlinkParameters?["parameter"]?.stringValue == "type")
    }

    /// Decodes RFC 4648 base64 (a decoder, so the test does not check the daemon's encoder
    /// with itself); nil for bad input.
    static func base64Decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bits: UInt32 = 0, count = 0, out: [UInt8] = []
        let body = Array(text.utf8)
        guard body.count % 4 == 0 else { return nil }
        for byte in body where byte != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return out
    }

    @Test func varlinkServiceMethodsAndUnknownNames() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let info = try #require(client.varlinkCall("org.varlink.service.GetInfo")?.varlinkParameters)
        #expect(info["vendor"]?.stringValue == "resolvd" && info["product"]?.stringValue == "resolvd")
        #expect(info["interfaces"]?.arrayValue?.compactMap(\.stringValue) == ["io.systemd.Resolve", "org.varlink.service"])
        let description = try #require(
            client.varlinkCall("org.varlink.service.GetInterfaceDescription", #"{"interface":"io.systemd.Resolve"}"#)?
                .varlinkParameters?["description"]?.stringValue)
        try VarlinkIDL.check(description, interface: "io.systemd.Resolve",
            methods: ["ResolveHostname", "ResolveAddress", "ResolveRecord", "ResolveService"])
        let service = try #require(
            client.varlinkCall("org.varlink.service.GetInterfaceDescription", #"{"interface":"org.varlink.service"}"#)?
                .varlinkParameters?["description"]?.stringValue)
        try VarlinkIDL.check(service, interface: "org.varlink.service", methods: ["GetInfo", "GetInterfaceDescription"])

        let errors: [(String, String, String, String?)] = [
            ("org.varlink.service.GetInterfaceDescription", #"{"interface":"com.example.Nope"}"#, "org.varlink.service.InterfaceNotFound", "interface"),
            ("org.varlink.service.GetInterfaceDescription", "{}", "org.varlink.service.InvalidParameter", "parameter"),
            ("org.varlink.service.GetInfo", #"{"x":1}"#, "org.varlink.service.InvalidParameter", "parameter"),
            ("org.varlink.service.Nope", "{}", "org.varlink.service.MethodNotFound", "method"),
            ("io.systemd.Resolve.Nope", "{}", "org.varlink.service.MethodNotFound", "method"),
            ("com.example.Nope", "{}", "org.varlink.service.InterfaceNotFound", "interface"),
        ]
        for (method, parameters, error, member) in errors {
            let reply = try #require(client.varlinkCall(method, parameters), "\(method)")
            #expect(reply.varlinkError == error, "\(method) \(parameters): \(reply)")
            if let member { #expect(reply.varlinkParameters?[member] != nil, "\(method): \(reply)") }
        }
    }

    /// `more: true` on a method that answers once: the one reply, without `continues`, as
    /// the Varlink spec allows; `oneway`: no reply at all.
    @Test func moreGetsOneReplyAndOnewayNone() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let more = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"www.example.test"}"#, more: true))
        #expect(more.keys == ["parameters"], "\(more)")
        client.sendVarlinkCall("org.varlink.service.GetInfo", oneway: true)
        client.sendVarlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"v4only.example.test"}"#, oneway: true)
        let next = try #require(client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"multi.example.test"}"#))
        #expect(Set(Self.bytes(next)) == [[192, 0, 2, 41], [192, 0, 2, 42]], "the reply to the call after the oneway ones: \(next)")
        #expect(client.readLine(timeout: .milliseconds(200)) == nil, "nothing more")
    }
}

/// A check that a description is Varlink IDL (https://varlink.org/Interface-Definition):
/// comments, one `interface` line naming it, then `type`, `method` and `error` members
/// whose parentheses balance and whose fields are `name: type`.
enum VarlinkIDL {
    static func check(_ text: String, interface: String, methods: [String]) throws {
        var sawInterface = false
        var depth = 0
        var members: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw.drop(while: { $0 == " " || $0 == "\t" }))
            if line.isEmpty || line.hasPrefix("#") { continue }
            if depth == 0 {
                let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                switch words.first {
                case "interface":
                    #expect(!sawInterface && words.count == 2 && words[1] == interface, "\(line)")
                    sawInterface = true
                    continue
                case "type", "method", "error":
                    #expect(sawInterface, "a member before the interface line: \(line)")
                    let name = words[1].prefix(while: { $0.isLetter || $0.isNumber })
                    #expect(name.first?.isUppercase == true, "member names start upper-case: \(line)")
                    if words[0] == "method" {
                        members.append(String(name))
                        #expect(line.contains(") -> ("), "a method has input and output: \(line)")
                    }
                default:
                    Issue.record("not a Varlink IDL line: \(line)")
                }
            } else {
                let field = line.hasSuffix(",") ? String(line.dropLast()) : line
                if field != ")" {
                    let parts = field.split(separator: ":", maxSplits: 1)
                    #expect(parts.count == 2 && parts[0].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "a field is name: type: \(line)")
                }
            }
            depth += line.filter { $0 == "(" }.count - line.filter { $0 == ")" }.count
            #expect(depth >= 0, "\(line)")
        }
        #expect(sawInterface && depth == 0)
        #expect(members == methods)
    }
}

/// ResolveService: SRV records, each target's addresses and, for a DNS-SD service, its TXT
/// strings, as systemd-resolved answers them.
@Suite struct VarlinkResolveServiceTests {
    static let zone = Zone(origin: "sd.test.", text: """
        $ORIGIN sd.test.
        $TTL 300
        @                     300 IN SOA ns.sd.test. hostmaster.sd.test. 1 3600 600 86400 60
        @                     300 IN NS  ns.sd.test.
        ns                    300 IN A   127.0.0.1
        host1                 300 IN A   192.0.2.71
        host1                 300 IN AAAA 2001:db8::71
        host2                 300 IN A   192.0.2.72
        _ipp._tcp             300 IN SRV 10 5 631 host1.sd.test.
        _ipp._tcp             300 IN SRV 20 5 632 host2.sd.test.
        printer._ipp._tcp     300 IN SRV 0 0 631 host2.sd.test.
        printer._ipp._tcp     300 IN TXT "rp=queue" "note=second floor"
        _none._tcp            300 IN SRV 0 0 0 .
        _lost._tcp            300 IN SRV 0 0 80 missing.sd.test.

        """)

    @Test func simpleAndDNSSDServices() throws {
        let unbound = try UnboundServer.start(zones: [Self.zone])
        defer { unbound.stop() }
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveService"
        let simple = try #require(client.varlinkCall(method, #"{"type":"_ipp._tcp","domain":"sd.test"}"#)?.varlinkParameters)
        #expect(simple.keys == ["services", "canonical", "flags"], "\(simple)")
        let services = (simple["services"]?.arrayValue ?? []).compactMap { $0.objectValue }
        #expect(services.map { $0["hostname"]?.stringValue } == ["host1.sd.test", "host2.sd.test"])
        #expect(services.map { $0["port"]?.intValue } == [631, 632] && services.map { $0["priority"]?.intValue } == [10, 20])
        #expect(services.first?.keys == ["priority", "weight", "port", "hostname", "canonicalName", "addresses"])
        let host1 = services.first?["addresses"]?.arrayValue?.compactMap { $0.objectValue?["address"]?.arrayValue?.compactMap(\.intValue) }
        #expect(Set(host1 ?? []) == [[192, 0, 2, 71], [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 113]])
        #expect(simple["canonical"] == ["type": "_ipp._tcp", "domain": "sd.test"])
        #expect(simple["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork)

        let named = try #require(client.varlinkCall(method, #"{"name":"printer","type":"_ipp._tcp","domain":"sd.test","family":2}"#)?.varlinkParameters)
        #expect(named["txt"]?.arrayValue?.compactMap(\.stringValue) == ["rp=queue", "note=second floor"], "\(named)")
        #expect(named["canonical"] == ["name": "printer", "type": "_ipp._tcp", "domain": "sd.test"])
        let printer = named["services"]?.arrayValue?.first?.objectValue
        #expect(printer?["addresses"]?.arrayValue?.compactMap { $0.objectValue?["address"]?.arrayValue?.compactMap(\.intValue) } == [[192, 0, 2, 72]])
        let noTXT = try #require(client.varlinkCall(method, #"{"name":"printer","type":"_ipp._tcp","domain":"sd.test","flags":192}"#)?.varlinkParameters)
        #expect(noTXT["txt"] == nil && noTXT["services"]?.arrayValue?.first?.objectValue?["addresses"] == nil, "NO_TXT|NO_ADDRESS: \(noTXT)")

        #expect(client.varlinkCall(method, #"{"type":"_none._tcp","domain":"sd.test"}"#)?.varlinkError == "io.systemd.Resolve.ServiceNotProvided")
        #expect(client.varlinkCall(method, #"{"type":"_nope._tcp","domain":"sd.test"}"#)?.varlinkError == "io.systemd.Resolve.DNSError")
        #expect(client.varlinkCall(method, #"{"type":"_lost._tcp","domain":"sd.test"}"#)?.varlinkError == "io.systemd.Resolve.DNSError",
                "the only target does not exist")
        for (parameters, bad) in [(#"{"type":"_ipp._tcp"}"#, "domain"), (#"{"name":"a.b","type":"_ipp._tcp","domain":"sd.test"}"#, "name"),
                                  (#"{"type":"ipp","domain":"sd.test"}"#, "type"), (#"{"domain":"sd.test","flags":4194304}"#, "flags")] {
            #expect(client.varlinkCall(method, parameters)?.varlinkParameters?["parameter"]?.stringValue == bad, "\(parameters)")
        }
    }
}
