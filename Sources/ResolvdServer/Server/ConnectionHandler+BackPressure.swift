import NIOCore
import ResolvdProtocol

/// Back-pressure: a client that does not read its replies stops being read
/// (``BackPressuredConnection``, shared with Varlink).
///
/// Replies of a read burst are batched in ``OutputBatch`` before they reach the channel,
/// so a burst whose replies pass the bound is written out at once
/// (``writeOutIfOverBound()``) and the lines after it are held.
extension ConnectionHandler: BackPressuredConnection {
    /// After a request line: replies batched past the bound go to the channel now, which
    /// makes it unwritable and pauses the connection (one comparison when under the bound).
    func writeOutIfOverBound() {
        guard (output.buffer?.readableBytes ?? 0) >= maxQueuedReplyBytes else { return }
        flushOutput()
        output.flushPending = true  // the read burst's end (or the held lines' run) flushes again
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        backPressureWritabilityChanged(context: context)
    }

    @inline(__always)
    func runRequest(_ frame: LineFrameDecoder.Frame) {
        runLine(frame)
        writeOutIfOverBound()
    }

    func heldFramesRan() {
        flushOutput()
    }

    func heldInputClosed() {
        inputClosed()
    }
}
