import NIOCore
import ResolvdProtocol
import Testing

@testable import ResolvdServer

/// ``ReplyBackPressure`` on its own: every event in every state, and the order of the
/// held lines.
@Suite struct ReplyBackPressureTests {
    private func line(_ text: String) -> LineFrameDecoder.Frame {
        .line(ByteBuffer(string: text))
    }

    private func text(_ frame: LineFrameDecoder.Frame?) -> String? {
        guard case .line(let buffer)? = frame else { return nil }
        return String(buffer: buffer)
    }

    @Test func flowingRunsLinesAndPassesTheEndOfInput() {
        var machine = ReplyBackPressure<LineFrameDecoder.Frame>()
        #expect(!machine.isHoldingLines)
        #expect(machine.inputClosed() == .process)
        #expect(machine.becameWritable() == .none)
        #expect(machine.nextHeldLine() == nil)
    }

    @Test func pausedHoldsLinesInOrderAndResumesAfterThem() {
        var machine = ReplyBackPressure<LineFrameDecoder.Frame>()
        #expect(machine.becameUnwritable() == .stopReading)
        #expect(machine.becameUnwritable() == .none, "already paused")
        #expect(machine.isHoldingLines)
        machine.hold(line("a"))
        machine.hold(line("b"))
        #expect(machine.inputClosed() == .hold)
        #expect(machine.heldLinesRan() == .none, "paused: nothing runs")
        #expect(machine.becameWritable() == .runHeldLines)
        #expect(machine.isHoldingLines, "lines that arrive while held ones run wait behind them")
        #expect(text(machine.nextHeldLine()) == "a")
        #expect(text(machine.nextHeldLine()) == "b")
        #expect(machine.nextHeldLine() == nil)
        #expect(machine.heldLinesRan() == .resumeReading(inputClosed: true))
        #expect(!machine.isHoldingLines)
        #expect(machine.state == .flowing)
    }

    @Test func crossingTheBoundWhileResumingStopsTheHeldLines() {
        var machine = ReplyBackPressure<LineFrameDecoder.Frame>()
        _ = machine.becameUnwritable()
        machine.hold(line("a"))
        machine.hold(line("b"))
        #expect(machine.becameWritable() == .runHeldLines)
        #expect(text(machine.nextHeldLine()) == "a")
        #expect(machine.becameUnwritable() == .none, "reading is still off")
        #expect(machine.nextHeldLine() == nil, "b waits for the next drain")
        #expect(machine.heldLinesRan() == .none)
        #expect(machine.becameWritable() == .runHeldLines)
        #expect(text(machine.nextHeldLine()) == "b")
        #expect(machine.heldLinesRan() == .resumeReading(inputClosed: false))
    }

    @Test func aClosedChannelDropsHeldLines() {
        var machine = ReplyBackPressure<LineFrameDecoder.Frame>()
        _ = machine.becameUnwritable()
        machine.hold(line("a"))
        _ = machine.inputClosed()
        machine.channelInactive()
        #expect(machine.held.isEmpty && !machine.inputClosedHeld)
    }
}
