import Testing

@testable import ResolverCore

/// The failover state machine and the TCP framing scanner, without sockets.
@Suite struct UpstreamHealthTests {
    @Test func twoFailuresInARowTakeAnUpstreamDownAndOneAnswerBringsItBack() {
        var health = UpstreamHealth.initial(now: 0)
        #expect(health.failed(now: 1, probeInterval: 100) == .none)
        #expect(health.answered(now: 2) == .none)
        #expect(health.consecutiveFailures == 0)
        #expect(health.failed(now: 3, probeInterval: 100) == .none)
        #expect(health.failed(now: 4, probeInterval: 100) == .markedDown)
        #expect(!health.isUp)
        #expect(health.since == 4)
        #expect(health.nextProbeAt == 104)
        #expect(health.failed(now: 5, probeInterval: 100) == .none)  // already down
        #expect(health.answered(now: 6) == .markedUp)
        #expect(health.isUp && health.since == 6 && health.nextProbeAt == nil)
    }

    @Test func unansweredProbesBackOffUpToTheCap() {
        var health = UpstreamHealth.initial(now: 0)
        _ = health.failed(now: 0, probeInterval: 100)
        _ = health.failed(now: 0, probeInterval: 100)
        var waits: [UInt64] = []
        var now: UInt64 = 100
        for _ in 0..<6 {
            health.probeStarted()
            #expect(health.nextProbeAt == .max)  // not due again while the probe runs
            #expect(health.probeFailed(now: now, probeInterval: 100) == .none)
            waits.append(health.nextProbeAt! - now)
            now = health.nextProbeAt!
        }
        #expect(waits == [200, 400, 800, 800, 800, 800])
    }

    /// A client's SERVFAILs never take an upstream down by themselves: each asks for a check
    /// (at most one per probe interval after a passed one), and only the check's outcome counts.
    @Test func serverFailuresAskForAHeldOffCheckAndNeverTakeAnUpstreamDown() {
        var health = UpstreamHealth.initial(now: 0)
        #expect(health.serverFailed(now: 10) == .checkDue)
        #expect(health.isUp && health.nextProbeAt == 10)
        #expect(health.serverFailed(now: 11) == .none)  // one check at a time
        health.probeStarted()
        #expect(health.nextProbeAt == .max)
        #expect(health.answered(now: 12) == .none)  // another name's answer: the check still runs
        #expect(health.probeAnswered(now: 20, probeInterval: 100) == .none)
        #expect(health.isUp && health.nextProbeAt == nil && health.consecutiveFailures == 0)
        // Held off for one probe interval after the passed check, however many SERVFAILs come.
        for now in stride(from: UInt64(21), to: 120, by: 7) {
            #expect(health.serverFailed(now: now) == .none)
            #expect(health.isUp && health.nextProbeAt == nil)
        }
        #expect(health.serverFailed(now: 120) == .checkDue)
        #expect(health.since == 0, "up since the start: a SERVFAIL is no failure")
    }

    @Test func failedChecksAreFailuresOfTheServer() {
        var health = UpstreamHealth.initial(now: 0)
        #expect(health.serverFailed(now: 1) == .checkDue)
        health.probeStarted()
        #expect(health.probeFailed(now: 2, probeInterval: 100) == .none)
        #expect(health.isUp && health.consecutiveFailures == 1)
        // After a failed check the next SERVFAIL checks again at once.
        #expect(health.serverFailed(now: 3) == .checkDue)
        health.probeStarted()
        #expect(health.probeFailed(now: 4, probeInterval: 100) == .markedDown)
        #expect(!health.isUp && health.nextProbeAt == 104)
        #expect(health.serverFailed(now: 5) == .none)  // down: only probes decide
        health.probeStarted()
        #expect(health.probeAnswered(now: 104, probeInterval: 100) == .markedUp)
        #expect(health.isUp && health.since == 104)
        #expect(health.serverFailed(now: 150) == .none, "held off one interval after coming back")
    }

    @Test func aTimeoutDuringACheckCountsAndREFUSEDStillFails() {
        var health = UpstreamHealth.initial(now: 0)
        #expect(health.serverFailed(now: 1) == .checkDue)
        #expect(health.failed(now: 2, probeInterval: 100) == .none)  // a timeout while checking
        #expect(health.nextProbeAt == 1, "the check is still due")
        #expect(health.failed(now: 3, probeInterval: 100) == .markedDown)
    }

    /// The shape check behind "a malformed reply is a failure of the server".
    @Test func malformedRepliesAreToldFromWellFormedOnes() {
        func shape(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { DNSMessageShape.isWellFormed($0) } }
        // id, flags (QR RD RA), QDCOUNT 1, ANCOUNT 1; `a.test A IN`; answer: pointer to the
        // question's name, A IN, TTL 300, 4 bytes.
        let header: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        let question: [UInt8] = [1, 0x61, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1]
        let answer: [UInt8] = [0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1]
        let good = header + question + answer
        #expect(shape(good))
        #expect(!shape(Array(good.dropLast())), "RDATA cut short")
        #expect(!shape(Array(good.prefix(header.count + question.count + 3))), "record cut after its owner and type")
        #expect(!shape(Array(good.prefix(11))), "shorter than a header")
        var loop = good
        loop[header.count + question.count + 1] = UInt8(header.count + question.count)  // the owner points at itself
        #expect(!shape(loop))
        var forward = good
        forward[header.count + question.count + 1] = 200  // points past itself
        #expect(!shape(forward))
        var extended = good
        extended[header.count] = 0x41  // label type 01: nobody sends it
        #expect(!shape(extended))
        var moreRecords = good
        moreRecords[11] = 1  // ARCOUNT 1, no such record
        #expect(!shape(moreRecords))
        var truncated = moreRecords
        truncated[2] |= 0x02  // TC: a truncated reply may stop anywhere
        #expect(shape(truncated))
        #expect(shape(good + [0, 0]), "trailing bytes are not judged")
    }

    @Test func streamScannerFindsEveryHeaderWhateverThePieces() {
        // Three framed messages: 12-byte headers with ids 0x0102, 0x0304, and a 2-byte runt.
        var stream: [UInt8] = []
        for (id, flags) in [(UInt16(0x0102), UInt8(0x81)), (0x0304, 0x82)] {
            stream += [0, 12, UInt8(id >> 8), UInt8(id & 0xff), flags, 0x05] + [UInt8](repeating: 0, count: 8)
        }
        stream += [0, 2, 0xAA, 0xBB]
        stream += [0, 12, 0x05, 0x06, 0x80, 0x02] + [UInt8](repeating: 0, count: 8)
        for pieceSize in [1, 2, 3, 5, 7, stream.count] {
            var scanner = DNSStreamScanner()
            var seen: [String] = []
            var offset = 0
            while offset < stream.count {
                let piece = Array(stream[offset..<min(stream.count, offset + pieceSize)])
                piece.withUnsafeBytes { raw in
                    scanner.consume(raw) { id, flags1, flags2 in seen.append("\(id)/\(flags1)/\(flags2)") }
                }
                offset += pieceSize
            }
            #expect(seen == ["258/129/5", "772/130/5", "1286/128/2"], "pieces of \(pieceSize)")
        }
    }
}
