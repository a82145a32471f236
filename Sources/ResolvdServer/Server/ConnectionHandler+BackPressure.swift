import NIOCore

/// Back-pressure: a client that does not read its replies stops being read.
///
/// The channel's write-buffer water marks are `max_queued_reply_bytes` (high) and half of
/// it (low); NIO reports crossing them as changes of the channel's writability, which this
/// file feeds to ``ReplyBackPressure`` and whose actions it executes: stop reading the
/// socket, run the held lines, read again. Replies of a read burst are batched in
/// ``OutputBatch`` before they reach the channel, so a burst whose replies pass the bound
/// is written out at once (``writeOutIfOverBound()``) and the lines after it are held.
extension ConnectionHandler {
    func setWriteBufferWaterMarks(context: ChannelHandlerContext) {
        let high = maxQueuedReplyBytes
        try? context.channel.syncOptions?.setOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
    }

    /// After a request line: replies batched past the bound go to the channel now, which
    /// makes it unwritable and pauses the connection (one comparison when under the bound).
    func writeOutIfOverBound() {
        guard (output.buffer?.readableBytes ?? 0) >= maxQueuedReplyBytes else { return }
        flushOutput()
        output.flushPending = true  // the read burst's end (or the held lines' run) flushes again
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            switch backPressure.becameWritable() {
            case .runHeldLines:
                // In a task of its own: this event can come from inside a flush.
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.execute { handler.value.runHeldLines() }
            case .none:
                break
            }
        } else {
            switch backPressure.becameUnwritable() {
            case .stopReading:
                setAutoRead(false)
            case .none:
                break
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Executes the held lines in order until none is left or the bound is crossed again;
    /// then reads again (delivering a held end of input first).
    private func runHeldLines() {
        guard context != nil else { return }
        while let frame = backPressure.nextHeldLine() {
            runLine(frame)
            writeOutIfOverBound()
        }
        flushOutput()
        switch backPressure.heldLinesRan() {
        case .resumeReading(let inputClosed):
            if inputClosed { self.inputClosed() }
            setAutoRead(true)
        case .none:
            break
        }
    }

    private func setAutoRead(_ on: Bool) {
        try? context?.channel.syncOptions?.setOption(.autoRead, value: on)
    }
}
