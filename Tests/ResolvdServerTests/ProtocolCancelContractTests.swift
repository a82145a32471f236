import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The cancel rules of docs/protocol.md through a real daemon's socket. "In flight" is made
/// a fact with the proxy's gate: the lookup's query has been answered upstream and the
/// answer is held at the proxy, so nothing but the cancel can end it.
@Suite struct ProtocolCancelContractTests {
    /// Lookups of both families whose answer comes from DNS, each with its own name (the
    /// gate holds one upstream reply for each).
    private static let dnsLookups = [
        #""op":"getaddrinfo","name":"gai.cancel.wild.example.test","family":"inet""#,
        #""op":"getnameinfo","address":"192.0.2.10""#,
        #""op":"query","name":"query.cancel.wild.example.test","type":"A""#,
        #""op":"gethostbyname","name":"hbn.cancel.wild.example.test""#,
        #""op":"gethostbyaddr","address":"192.0.2.20""#,
    ]

    /// `cancel` and `cancel_async_request` on a lookup in flight, of either family: the
    /// lookup's 10111 first, then the cancel's 0; the same handle again is finished.
    @Test(arguments: [("cancel", Int64(6)), ("cancel_async_request", Int64(10037))])
    func cancelInFlightLookupsOfEitherFamily(op: String, finishedStatus: Int64) throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        gated.proxy.hold()
        var id: Int64 = 0
        for (index, lookup) in Self.dnsLookups.enumerated() {
            id += 1
            let handle = id
            client.send(#"{"id":\#(handle),\#(lookup)}"#)
            #expect(gated.proxy.waitUntil(repliesHeld: index + 1), "\(lookup) never reached the upstream")
            id += 1
            client.send(#"{"id":\#(id),"op":"\#(op)","handle":\#(handle)}"#)
            let replies = try client.replies(2)
            #expect(replies[0].id == handle && replies[0].status == 10111 && replies[0].errorSymbol == "WSA_E_CANCELLED", "\(lookup): \(replies)")
            #expect(replies[1].id == id && replies[1].status == 0 && replies[1].result == JSONObject(), "\(lookup): \(replies)")
            id += 1
            let again = try #require(client.call(#"{"id":\#(id),"op":"\#(op)","handle":\#(handle)}"#, id: id))
            #expect(again.status == finishedStatus, "\(lookup) cancelled twice")
        }
    }

    /// A lookup that finished with its answer (either family) is finished for both cancel
    /// ops: 6 and 10037.
    @Test func cancelAfterAnAnswerOfEitherFamilyIsTooLate() throws {
        let daemon = try DaemonProcess.start(upstream: DaemonOperationTests.unbound.get().serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 0
        for lookup in [#""op":"getaddrinfo","name":"www.example.test""#, #""op":"gethostbyaddr","address":"192.0.2.10""#,
                       #""op":"getservbyname","name":"ssh""#] {
            id += 1
            let handle = id
            #expect(client.call(#"{"id":\#(handle),\#(lookup)}"#, id: handle)?.status == 0)
            id += 1
            #expect(client.call(#"{"id":\#(id),"op":"cancel","handle":\#(handle)}"#, id: id)?.status == 6, "\(lookup)")
            id += 1
            #expect(client.call(#"{"id":\#(id),"op":"cancel_async_request","handle":\#(handle)}"#, id: id)?.status == 10037, "\(lookup)")
        }
    }

    /// Handles that were never a lookup. "Issued" for `cancel_async_request` is any id up
    /// to the highest seen on the connection, whatever op carried it. A negative handle was
    /// never a lookup: 6 for `cancel` (GetAddrInfoExCancel answers every handle that is not
    /// a pending lookup alike), 10022 for `cancel_async_request`.
    @Test func cancelOfAHandleThatWasNeverALookup() throws {
        let daemon = try DaemonProcess.start(upstream: DaemonOperationTests.unbound.get().serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":50,"op":"hello"}"#, id: 50)?.status == 0)
        #expect(client.call(#"{"id":60,"op":"frobnicate"}"#, id: 60)?.status == 10022)  // an error reply still issues 60
        let cases: [(op: String, handle: Int64, status: Int64)] = [
            ("cancel", 0, 6), ("cancel", 50, 6), ("cancel", 55, 6), ("cancel", 1000, 6), ("cancel", -1, 6), ("cancel", -60, 6),
            ("cancel_async_request", 50, 10037), ("cancel_async_request", 49, 10037), ("cancel_async_request", 60, 10037),
            ("cancel_async_request", 0, 10022), ("cancel_async_request", 1000, 10022), ("cancel_async_request", -1, 10022),
            ("cancel_async_request", -60, 10022),
        ]
        var id: Int64 = 100
        for item in cases {
            id += 1
            let reply = try #require(client.call(#"{"id":\#(id),"op":"\#(item.op)","handle":\#(item.handle)}"#, id: id))
            #expect(reply.status == item.status, "\(item.op) \(item.handle): \(reply)")
        }
        // Its own id is issued by the time a cancel_async_request runs.
        #expect(client.call(#"{"id":200,"op":"cancel_async_request","handle":200}"#, id: 200)?.status == 10037)
    }

    /// `cancel_all` answers this connection's lookups in flight 995 first, then itself with
    /// their number; a lookup that already finished is not counted, and the identical
    /// lookup another connection joined keeps going.
    @Test func cancelAllAbortsOnlyThisConnectionsLookupsInFlight() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let alice = try gated.connect()
        let bob = try gated.connect()
        #expect(alice.call(#"{"id":1,"op":"getservbyname","name":"ssh"}"#, id: 1)?.status == 0)
        gated.proxy.hold()
        let shared = #""op":"query","name":"all1.wild.example.test","type":"A""#
        alice.send(#"{"id":2,\#(shared)}"#)
        alice.send(#"{"id":3,"op":"gethostbyaddr","address":"192.0.2.20"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 2))
        bob.send(#"{"id":1,\#(shared)}"#)
        var bobID: Int64 = 2
        #expect(bob.waitForStat("coalesced", toBe: 1, nextID: &bobID)?["coalesced"]?.intValue == 1)
        alice.send(#"{"id":4,"op":"cancel_all"}"#)
        let replies = try alice.replies(3)
        #expect(replies[0...1].allSatisfy { $0.status == 995 && $0.errorSymbol == "ERROR_OPERATION_ABORTED" }, "\(replies)")
        #expect(Set(replies[0...1].compactMap(\.id)) == [2, 3])
        #expect(replies[2].id == 4 && replies[2].status == 0 && replies[2].result?["cancelled"] == .integer(2))
        let none = try #require(alice.call(#"{"id":5,"op":"cancel_all"}"#, id: 5))
        #expect(none.status == 1168 && none.errorSymbol == "ERROR_NOT_FOUND")
        gated.proxy.release()
        let answer = try #require(bob.reply())
        #expect(answer.id == 1 && answer.status == 0, "\(answer)")
    }

    /// Handles belong to their connection: another connection cannot cancel them.
    @Test func handlesBelongToTheirConnection() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let alice = try gated.connect()
        let mallory = try gated.connect()
        gated.proxy.hold()
        alice.send(#"{"id":1,"op":"getaddrinfo","name":"mine.wild.example.test","family":"inet"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 1))
        #expect(mallory.call(#"{"id":1,"op":"cancel","handle":1}"#, id: 1)?.status == 6)
        // Handle 1 is issued on mallory's connection too (id 1 above), but finished there.
        #expect(mallory.call(#"{"id":2,"op":"cancel_async_request","handle":1}"#, id: 2)?.status == 10037)
        #expect(mallory.call(#"{"id":3,"op":"cancel_all"}"#, id: 3)?.status == 1168)
        gated.proxy.release()
        let answer = try #require(alice.reply())
        #expect(answer.id == 1 && answer.status == 0, "\(answer)")
    }

    /// Closing a connection aborts its lookups (counted `aborted`) and leaves another
    /// connection's identical lookup, coalesced into the same upstream query, intact.
    @Test func closingAConnectionLeavesAnotherConnectionsIdenticalLookup() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let leaving = try gated.connect()
        let staying = try gated.connect()
        gated.proxy.hold()
        let shared = #""op":"getaddrinfo","name":"close.wild.example.test","family":"inet","socktype":"stream""#
        leaving.send(#"{"id":1,\#(shared)}"#)
        leaving.send(#"{"id":2,"op":"gethostbyname","name":"close2.wild.example.test"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 2))
        staying.send(#"{"id":1,\#(shared)}"#)
        var id: Int64 = 2
        #expect(staying.waitForStat("coalesced", toBe: 1, nextID: &id)?["coalesced"]?.intValue == 1)
        leaving.close()
        #expect(staying.waitForStat("aborted", toBe: 2, nextID: &id)?["aborted"]?.intValue == 2)
        gated.proxy.release()
        let answer = try #require(staying.reply())
        #expect(answer.id == 1 && answer.status == 0, "\(answer)")
        let address = answer.result?["addresses"]?.arrayValue?.first?.objectValue?["address"]?.stringValue
        #expect(address == "192.0.2.99")
        #expect(gated.proxy.queriesForwarded == 2, "the identical lookup shared the upstream query")
        let stats = try #require(staying.waitForStat("in_flight", toBe: 0, nextID: &id))
        #expect(stats["aborted"] == .integer(2) && stats["coalesced"] == .integer(1) && stats["cancelled"] == .integer(0))
        #expect(stats["connections"] == .integer(1))
    }

    /// A lookup whose answer the daemon has before the cancel arrives keeps it, and the
    /// cancel is too late (6 / 10037), answered after the lookup's reply — even though the
    /// client had not read the answer when it sent the cancel.
    @Test(arguments: [("cancel", Int64(6)), ("cancel_async_request", Int64(10037))])
    func anAnswerThatCameFirstIsKept(op: String, tooLate: Int64) throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        let observer = try gated.connect()
        gated.proxy.hold()
        client.send(#"{"id":1,"op":"gethostbyname","name":"first.wild.example.test"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 1))
        gated.proxy.release()
        // `completed` counts replied lookups: the answer is written before the cancel is read.
        var observerID: Int64 = 1
        #expect(observer.waitForStat("completed", toBe: 1, nextID: &observerID)?["completed"]?.intValue == 1)
        client.send(#"{"id":2,"op":"\#(op)","handle":1}"#)
        let replies = try client.replies(2)
        #expect(replies[0].id == 1 && replies[0].status == 0, "\(replies)")
        #expect(replies[0].result?["addresses"]?.arrayValue == [.string("192.0.2.99")])
        #expect(replies[1].id == 2 && replies[1].status == tooLate, "\(replies)")
    }
}
