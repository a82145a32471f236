import ResolvdServer
import ResolverTesting
import Testing

/// "Exactly one of {result, error, timeout, cancel} wins" when they really race: many
/// lookups cancelled around the moment their timeout or their answer ends them. Whatever
/// wins, every id gets one reply, and each cancel's reply agrees with how its lookup ended
/// and comes after the lookup's reply.
@Suite struct ProtocolCancelRaceTests {
    @Test func aTimeoutRacingACancel() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        // No upstream answer ever reaches resolvd: each lookup ends by its timeout or its cancel.
        gated.proxy.hold()
        var log = ReplyLog()
        var cancels: [Cancel] = []
        var id: Int64 = 0
        let rounds = 25
        let lookupsPerRound = 20
        for round in 0..<rounds {
            var handles: [Int64] = []
            var lines: [String] = []
            for index in 0..<lookupsPerRound {
                id += 1
                handles.append(id)
                // Deadlines 1, 2, 3 … ms: some pass before their cancel is read, some after.
                // The last is far off, so every round has a cancel that surely wins.
                let timeout = index == lookupsPerRound - 1 ? 60_000 : index + 1
                let name = "t\(round)-\(index).race.wild.example.test"
                let lookup = index % 2 == 0
                    ? #""op":"getaddrinfo","name":"\#(name)","family":"inet""# : #""op":"gethostbyname","name":"\#(name)""#
                lines.append(#"{"id":\#(id),\#(lookup),"timeout_ms":\#(timeout)}"#)
            }
            client.sendBytes(lines.joined(separator: "\n") + "\n")
            // The 1 ms lookup's timeout says the deadlines have begun to pass: cancel them all now.
            try log.read(from: client, until: handles[0])
            lines = []
            for (index, handle) in handles.enumerated() {
                id += 1
                let cancel = Cancel(id: id, handle: handle, async: index % 3 == 1)
                cancels.append(cancel)
                lines.append(cancel.line)
            }
            client.sendBytes(lines.joined(separator: "\n") + "\n")
            for handle in handles { try log.read(from: client, until: handle) }
            try log.read(from: client, until: id)
            // Every lookup of the round has been answered: none is left in flight.
            id += 1
            try log.read(from: client, until: id, sending: #"{"id":\#(id),"op":"stats"}"#)
            #expect(log.replies[id]?.first?.result?["in_flight"] == .integer(0))
        }
        let outcomes = log.check(cancels, possibleOutcomes: [10060, 10111])
        #expect(log.allRepliedOnce(upTo: id))
        #expect(outcomes[10060, default: 0] >= rounds && outcomes[10111, default: 0] >= rounds, "\(outcomes)")
    }

    /// The answer is on its way (its query has reached the upstream) when the cancel is sent.
    @Test func anAnswerRacingACancel() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        var log = ReplyLog()
        var cancels: [Cancel] = []
        var id: Int64 = 0
        for index in 0..<200 {
            id += 1
            let handle = id
            let name = "a\(index).race.wild.example.test"
            client.send(index % 2 == 0
                ? #"{"id":\#(handle),"op":"getaddrinfo","name":"\#(name)","family":"inet"}"#
                : #"{"id":\#(handle),"op":"gethostbyname","name":"\#(name)"}"#)
            #expect(gated.proxy.waitUntil(queriesForwarded: index + 1))
            id += 1
            let cancel = Cancel(id: id, handle: handle, async: index % 4 >= 2)
            cancels.append(cancel)
            client.send(cancel.line)
            try log.read(from: client, until: handle)
            try log.read(from: client, until: id)
        }
        id += 1
        try log.read(from: client, until: id, sending: #"{"id":\#(id),"op":"stats"}"#)
        _ = log.check(cancels, possibleOutcomes: [0, 10111])
        #expect(log.allRepliedOnce(upTo: id))
        #expect(log.replies[id]?.first?.result?["in_flight"] == .integer(0))
    }
}

/// A `cancel` (or `cancel_async_request`) request of a race test.
private struct Cancel {
    var id: Int64
    var handle: Int64
    var async: Bool
    var line: String { #"{"id":\#(id),"op":"\#(async ? "cancel_async_request" : "cancel")","handle":\#(handle)}"# }
    /// What this cancel answers when its lookup had already ended.
    var tooLate: Int64 { async ? 10037 : 6 }
}

/// Every reply of a connection, by id, with the order they arrived in.
private struct ReplyLog {
    private(set) var replies: [Int64: [JSONObject]] = [:]
    private var position: [Int64: Int] = [:]
    private var count = 0

    /// Reads replies (after sending `request`, if given) until the one with `id` is in.
    mutating func read(from client: LineClient, until id: Int64, sending request: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        if let request { client.send(request) }
        while replies[id] == nil {
            let reply = try #require(client.reply(), "no reply with id \(id)", sourceLocation: sourceLocation)
            let replyID = try #require(reply.id, "a reply without an id: \(reply)", sourceLocation: sourceLocation)
            replies[replyID, default: []].append(reply)
            if position[replyID] == nil { position[replyID] = count }
            count += 1
        }
    }

    /// True when ids 1 … `last` each got exactly one reply, and no other id got any.
    func allRepliedOnce(upTo last: Int64) -> Bool {
        replies.count == Int(last) && replies.allSatisfy { (1...last).contains($0.key) && $0.value.count == 1 }
    }

    /// Checks each cancel against its lookup; how many lookups ended with each status.
    func check(_ cancels: [Cancel], possibleOutcomes: Set<Int64>) -> [Int64: Int] {
        var outcomes: [Int64: Int] = [:]
        for cancel in cancels {
            guard let lookup = replies[cancel.handle]?.first?.status, let reply = replies[cancel.id]?.first?.status,
                  let lookupPosition = position[cancel.handle], let cancelPosition = position[cancel.id] else {
                Issue.record("no reply for lookup \(cancel.handle) or its cancel \(cancel.id)")
                continue
            }
            outcomes[lookup, default: 0] += 1
            #expect(possibleOutcomes.contains(lookup), "lookup \(cancel.handle) ended \(lookup)")
            #expect(reply == (lookup == 10111 ? 0 : cancel.tooLate), "lookup \(cancel.handle) ended \(lookup), its cancel got \(reply)")
            #expect(lookupPosition < cancelPosition, "lookup \(cancel.handle) (\(lookup)) was answered after its cancel (\(reply))")
        }
        return outcomes
    }
}
