/// Threads outside the engine that read the channels' UDP sockets: in the daemon, the
/// event loops its clients' requests arrive on.
///
/// Channel *i*'s UDP sockets are read by reader *i* modulo ``count``, and a lookup started
/// on a reader's thread goes to that reader's channel. A cold lookup one at a time then
/// stays on one thread: the event loop sends the queries (``ChannelLoop``'s start at once),
/// reads the reply, lets c-ares process it and writes the answer — the channel's own thread
/// is not woken, and the answer is not handed from one thread to another
/// (docs/performance.md, "Issue 25: a cold call on one thread").
///
/// A reader only reads: it does not call c-ares, send, or decide when a socket closes.
/// c-ares keeps its own descriptor for sending and closing; the reader gets a duplicate,
/// which it owns and closes when told to stop. TCP sockets stay with the channel thread.
package protocol DatagramReaders: Sendable {
    /// How many readers there are (at least one).
    var count: Int { get }

    /// Whether the calling thread is reader `index`'s.
    func isCurrentThread(_ index: Int) -> Bool

    /// Reads the connected UDP socket `descriptor` on reader `index`'s thread, calling
    /// `deliver` with each datagram or receive error, in order, until ``DatagramReading/stop()``.
    /// Takes ownership of `descriptor` (closed after `stop()`, or at once if it cannot be read).
    func read(
        _ descriptor: Int32, on index: Int, deliver: @escaping @Sendable (DatagramArrival) -> Void
    ) -> any DatagramReading
}

/// What a reader hands over: a datagram (valid for the call only) or a receive error
/// (an errno, such as ECONNREFUSED after an ICMP port unreachable).
package enum DatagramArrival {
    case datagram(UnsafeRawBufferPointer)
    case error(Int32)
}

/// One socket being read; `stop()` ends the reading and closes the reader's descriptor.
/// Callable from any thread, more than once.
package protocol DatagramReading: Sendable {
    func stop()
}
