import NIOCore

/// Splits a Varlink byte stream into messages: each is the bytes before a NUL byte, without
/// it (https://varlink.org, "Protocol"). Bytes after the last NUL when the stream ends are
/// an unfinished message and are dropped.
///
/// A message longer than ``maximumLength`` is reported once as ``Frame/tooLong`` and
/// nothing more is decoded, so a peer that never sends a NUL cannot make it buffer without
/// bound. It does not parse JSON.
struct VarlinkFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame

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

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !failed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let searchStart = view.index(view.startIndex, offsetBy: scannedBytes)
        let terminator = view[searchStart...].firstIndex(of: 0)
        let length = terminator.map { $0 - view.startIndex } ?? view.count
        if length > maximumLength {
            failed = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            return .needMoreData
        }
        guard terminator != nil else {
            scannedBytes = view.count
            return .needMoreData
        }
        scannedBytes = 0
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(.message(message)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
