import NIOCore

/// A connection handler that stops reading a client which does not read its replies:
/// protocol v1's ``ConnectionHandler``, Varlink's ``VarlinkConnectionHandler`` and the
/// metrics endpoint's ``MetricsHandler`` alike.
///
/// The channel's write-buffer water marks are `max_queued_reply_bytes` (high) and half of
/// it (low); NIO reports crossing them as changes of the channel's writability, which this
/// extension feeds to the handler's ``ReplyBackPressure`` and whose actions it executes:
/// stop reading the socket, run the held requests, read again. A handler conforms by
/// saying how one request runs and what follows a run of held ones, and passes each
/// request it reads to ``runOrHold(_:)``. It does not decide what a request does, batch
/// replies or close the connection.
protocol BackPressuredConnection: AnyObject, SendableMetatype {
    associatedtype Frame
    var context: ChannelHandlerContext? { get }
    var backPressure: ReplyBackPressure<Frame> { get set }
    /// Executes one request, read just now or held until now.
    func runRequest(_ frame: Frame)
    /// The held requests have run as far as the bound allows: hand their replies to the channel.
    func heldFramesRan()
    /// The client's end of input, which arrived behind held requests, takes effect now.
    func heldInputClosed()
}

extension BackPressuredConnection {
    /// Call from `channelRead`: runs the request, or holds it while the connection is
    /// paused (the one check on the read path).
    @inline(__always)
    func runOrHold(_ frame: Frame) {
        guard !backPressure.isHoldingLines else {
            backPressure.hold(frame)
            return
        }
        runRequest(frame)
    }

    /// Sets the water marks: the bound (high) and half of it (low).
    func setWriteBufferWaterMarks(context: ChannelHandlerContext, bound: Int) {
        try? context.channel.syncOptions?.setOption(.writeBufferWaterMark, value: .init(low: bound / 2, high: bound))
    }

    /// Call from `channelWritabilityChanged`; it passes the event on.
    func backPressureWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            switch backPressure.becameWritable() {
            case .runHeldLines:
                // In a task of its own: this event can come from inside a flush.
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.execute { handler.value.runHeldFrames() }
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

    /// Executes the held requests in order until none is left or the bound is crossed
    /// again; then reads again (delivering a held end of input first).
    private func runHeldFrames() {
        guard context != nil else { return }
        while let frame = backPressure.nextHeldLine() {
            runRequest(frame)
        }
        heldFramesRan()
        switch backPressure.heldLinesRan() {
        case .resumeReading(let inputClosed):
            if inputClosed { heldInputClosed() }
            setAutoRead(true)
        case .none:
            break
        }
    }

    private func setAutoRead(_ on: Bool) {
        try? context?.channel.syncOptions?.setOption(.autoRead, value: on)
    }
}
