import NIOCore

/// Splits an inbound byte stream into protocol v1 lines, for the daemon (requests) and the
/// client (replies) alike: each line is the bytes before a `"\n"`, without it and without a
/// `"\r"` just before it. When the stream ends, bytes after the last newline are a last
/// line too (docs/protocol.md: a last request without its newline still counts).
///
/// With a ``maximumLength``, a longer line is reported once as ``Frame/tooLong`` and
/// nothing more is decoded, so a peer that never sends a newline cannot make it buffer
/// without bound; what to answer and whether to close is the next handler's business.
/// It does not parse JSON.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    public enum Frame: Sendable {
        case line(ByteBuffer)
        /// A line longer than ``maximumLength``; the last frame of the stream.
        case tooLong
    }

    /// The longest line accepted, in bytes, newline not counted; `nil` for no limit.
    public let maximumLength: Int?
    /// How far the current partial line has already been scanned, so a long line
    /// arriving in many reads is not scanned from the start each time.
    private var scannedBytes = 0
    private var failed = false

    public init(maximumLength: Int?) {
        precondition(maximumLength.map { $0 >= 0 } ?? true, "maximumLength must not be negative")
        self.maximumLength = maximumLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !failed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let searchStart = view.index(view.startIndex, offsetBy: scannedBytes)
        guard let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
            scannedBytes = view.count
            if isTooLong(view.count) { fail(context: context, buffer: &buffer) }
            return .needMoreData
        }
        let length = newline - view.startIndex
        scannedBytes = 0
        if isTooLong(length) {
            fail(context: context, buffer: &buffer)
            return .needMoreData
        }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without "\n" at EOF is still a line.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if !failed, buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(Self.wrapInboundOut(.line(rest)))
        }
        return .needMoreData
    }

    private func isTooLong(_ length: Int) -> Bool {
        maximumLength.map { length > $0 } ?? false
    }

    private mutating func fail(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        failed = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireChannelRead(Self.wrapInboundOut(.tooLong))
    }
}
