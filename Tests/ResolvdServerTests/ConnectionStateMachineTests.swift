import Testing

@testable import ResolvdServer

/// Every transition of ``ConnectionStateMachine``, on its own: no channel, no resolver.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    typealias Work = ConnectionStateMachine.Work

    private static func open(lookups: Int = 0, adminOps: Int = 0) -> Machine {
        var machine = Machine()
        for _ in 0..<lookups { _ = machine.lookupRequested(limit: .max) }
        for _ in 0..<adminOps { machine.adminOpStarted() }
        return machine
    }

    private static func inputClosed(lookups: Int, adminOps: Int = 0) -> Machine {
        var machine = open(lookups: lookups, adminOps: adminOps)
        #expect(machine.inputClosed() == .flush)
        return machine
    }

    private static func closing() -> Machine {
        var machine = Machine()
        #expect(machine.protocolErrorThatCloses() == .closeAfterWrites)
        return machine
    }

    private static func closed() -> Machine {
        var machine = Machine()
        #expect(machine.channelInactive() == .abortAll)
        return machine
    }

    @Test func startsOpenAndReadsLines() {
        let machine = Machine()
        #expect(machine.state == .open(Work()))
        #expect(machine.lineReceived() == .process)
        #expect(Self.inputClosed(lookups: 1).lineReceived() == .process)
        #expect(Self.closing().lineReceived() == .ignore)
        #expect(Self.closed().lineReceived() == .ignore)
    }

    @Test func lookupsAreCountedUpToTheLimit() {
        var machine = Machine()
        #expect(machine.lookupRequested(limit: 2) == .startLookup)
        #expect(machine.lookupRequested(limit: 2) == .startLookup)
        #expect(machine.lookupRequested(limit: 2) == .rejectTooManyInFlight)
        #expect(machine.state == .open(Work(lookups: 2)))
        #expect(machine.lookupFinished() == .none)
        #expect(machine.lookupRequested(limit: 2) == .startLookup)
        #expect(machine.state == .open(Work(lookups: 2)))
        // Half-closed: the lines decoded before EOF may still start lookups, within the limit.
        #expect(machine.inputClosed() == .flush)
        #expect(machine.lookupRequested(limit: 2) == .rejectTooManyInFlight)
        #expect(machine.lookupFinished() == .none)
        #expect(machine.lookupRequested(limit: 2) == .startLookup)
        #expect(machine.state == .inputClosed(Work(lookups: 2)))
    }

    @Test func nothingStartsWhileClosing() {
        var closing = Self.closing()
        #expect(closing.lookupRequested(limit: 10) == .ignore)
        closing.adminOpStarted()
        #expect(closing.state == .closing)
        var closed = Self.closed()
        #expect(closed.lookupRequested(limit: 10) == .ignore)
        closed.adminOpStarted()
        #expect(closed.state == .closed)
    }

    @Test func inputClosedWithNothingInFlightCloses() {
        var machine = Machine()
        #expect(machine.inputClosed() == .closeAfterWrites)
        #expect(machine.state == .closing)
        #expect(machine.inputClosed() == .none)
    }

    @Test func inputClosedWaitsForLookupsAndAdminOps() {
        var machine = Self.inputClosed(lookups: 2, adminOps: 1)
        #expect(machine.state == .inputClosed(Work(lookups: 2, adminOps: 1)))
        #expect(machine.inputClosed() == .none)
        #expect(machine.lookupFinished() == .none)
        #expect(machine.adminOpFinished() == .none)
        #expect(machine.state == .inputClosed(Work(lookups: 1)))
        #expect(machine.lookupFinished() == .closeAfterWrites)
        #expect(machine.state == .closing)

        var adminLast = Self.inputClosed(lookups: 1, adminOps: 1)
        #expect(adminLast.lookupFinished() == .none)
        #expect(adminLast.adminOpFinished() == .closeAfterWrites)
        #expect(adminLast.state == .closing)
    }

    @Test func workFinishingWhileOpenOrClosingDoesNotClose() {
        var open = Self.open(lookups: 1, adminOps: 1)
        #expect(open.lookupFinished() == .none)
        #expect(open.adminOpFinished() == .none)
        #expect(open.state == .open(Work()))
        var closing = Self.closing()
        #expect(closing.lookupFinished() == .none)
        #expect(closing.adminOpFinished() == .none)
        #expect(closing.state == .closing)
        var closed = Self.closed()
        #expect(closed.lookupFinished() == .none)
        #expect(closed.state == .closed)
    }

    @Test func protocolErrorsThatCloseAndOverLongLines() {
        var open = Self.open(lookups: 3)
        #expect(open.lineTooLong() == .closeAfterWrites)
        #expect(open.state == .closing)
        #expect(open.lineTooLong() == .none)
        #expect(open.protocolErrorThatCloses() == .none)
        var half = Self.inputClosed(lookups: 1)
        #expect(half.protocolErrorThatCloses() == .closeAfterWrites)
        #expect(half.state == .closing)
        var closed = Self.closed()
        #expect(closed.lineTooLong() == .none)
        #expect(closed.state == .closed)
    }

    @Test func shutdown() {
        var open = Self.open(lookups: 2)
        #expect(open.shutdown() == .abortAllThenCloseAfterWrites)
        #expect(open.state == .closing)
        #expect(open.shutdown() == .abortAll)
        var half = Self.inputClosed(lookups: 1)
        #expect(half.shutdown() == .abortAllThenCloseAfterWrites)
        #expect(half.state == .closing)
        var closed = Self.closed()
        #expect(closed.shutdown() == .none)
        #expect(closed.state == .closed)
    }

    @Test func channelInactiveFromEveryState() {
        for var machine in [Self.open(lookups: 1), Self.inputClosed(lookups: 1), Self.closing()] {
            #expect(machine.channelInactive() == .abortAll)
            #expect(machine.state == .closed)
            #expect(machine.channelInactive() == .none)
        }
    }

    /// The path of every request stays in `.open` with plain integers: nothing to allocate.
    @Test func theHotPathIsIntegersOnly() {
        #expect(MemoryLayout<Machine>.size <= 2 * MemoryLayout<Int>.size + 1)
        var machine = Machine()
        for _ in 0..<1000 {
            #expect(machine.lineReceived() == .process)
            #expect(machine.lookupRequested(limit: 4096) == .startLookup)
            #expect(machine.lookupFinished() == .none)
        }
        #expect(machine.state == .open(Work()))
    }
}
