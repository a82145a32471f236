import NIOCore

/// Splits a Varlink byte stream into messages: each is the bytes before a NUL byte, without
/// it (https://varlink.org, "Protocol"). Bytes after the last NUL when the stream ends are
/// an unfinished message, which its owner drops.
///
/// A message longer than ``maximumLength`` is reported once as ``Frame/tooLong`` and
/// nothing more is decoded, so a peer that never sends a NUL cannot make it buffer without
/// bound. It does not parse JSON, and it is not a channel handler: the
/// ``VarlinkConnectionHandler`` keeps the bytes and asks it for frames. A connection
/// carries one call (nss-resolve's), and NIO's `ByteToMessageHandler` in the pipeline cost
/// ~21,000 instructions per connection to add, run and remove (callgrind,
/// varlink-connection; docs/performance.md).
struct VarlinkFrameDecoder {
    enum Frame {
        case message(ByteBuffer)
        /// A message longer than ``maximumLength``; the last frame of the stream.
        case tooLong
    }

    let maximumLength: Int
    /// How far the current partial message has been scanned already.
    private var scannedBytes = 0
    private var failed = false

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// The next frame of `buffer`, whose message is read out of it; nil when `buffer` holds
    /// no whole message (the rest is kept for the next call, with more bytes after it).
    /// After ``Frame/tooLong`` every byte is dropped and nothing is returned again.
    mutating func nextFrame(in buffer: inout ByteBuffer) -> Frame? {
        guard !failed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        let view = buffer.readableBytesView
        let searchStart = view.index(view.startIndex, offsetBy: scannedBytes)
        let terminator = view[searchStart...].firstIndex(of: 0)
        let length = terminator.map { $0 - view.startIndex } ?? view.count
        if length > maximumLength {
            failed = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .tooLong
        }
        guard terminator != nil else {
            scannedBytes = view.count
            return nil
        }
        scannedBytes = 0
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        return .message(message)
    }
}
