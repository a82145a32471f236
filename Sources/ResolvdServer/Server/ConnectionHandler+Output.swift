import NIOCore
import ResolverCore

/// Reply lines not yet handed to the channel: every reply of an event-loop tick goes into
/// one buffer and one `write` (``ConnectionHandler/flushOutput()``).
///
/// It does not encode replies (``ReplyEncoder``, ``LookupReplyLine``) or decide when the
/// connection closes (``ConnectionStateMachine``).
struct OutputBatch {
    var buffer: ByteBuffer?
    /// Something will flush `buffer` before the event loop sleeps: the end of the read
    /// burst (`channelReadComplete`), of a drain, or a task scheduled for it.
    var flushPending = false
}

/// Writing replies: batching, protocol errors, closing after the last write.
extension ConnectionHandler {
    var allocator: ByteBufferAllocator {
        context?.channel.allocator ?? ByteBufferAllocator()
    }

    /// Queues an error reply without an id (the request had none that could be trusted).
    /// Whether the connection closes is the caller's business (``ConnectionStateMachine``).
    func protocolError(_ message: String) {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
        write(ReplyEncoder.failure(id: nil, error: .invalidArgument(message), allocator: allocator))
    }

    /// Queues a reply line.
    func write(_ buffer: ByteBuffer) {
        appendOutput { output in output.writeImmutableBuffer(buffer) }
    }

    /// Queues a reply line, encoded straight into the output buffer.
    func writeLine<Line: JSONWritable>(_ line: Line) {
        appendOutput { output in output.writeJSON(line) }
    }

    /// Replies queued during a read burst go out when it ends (`channelReadComplete`), those
    /// of a drain at its end; anything else is flushed by a task, once per event loop tick.
    /// Either way a burst of replies is one buffer, one pipeline write and one system call.
    private func appendOutput(_ append: (inout ByteBuffer) -> Void) {
        guard let context else { return }
        if output.buffer == nil { output.buffer = context.channel.allocator.buffer(capacity: 16 << 10) }
        append(&output.buffer!)
        guard !output.flushPending else { return }
        output.flushPending = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { handler.value.flushOutput() }
    }

    func flushOutput() {
        output.flushPending = false
        guard let context else { return }
        if let buffer = output.buffer, buffer.readableBytes > 0 {
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
        output.buffer = nil
        context.flush()
    }

    /// Flushes what is queued, then closes the channel once it is written.
    func closeAfterWrites() {
        guard let context else { return }
        flushOutput()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
