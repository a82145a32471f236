import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits an inbound byte stream into protocol v1 lines, for the daemon (requests) and the
/// client (replies) alike: each line is the bytes before a `"\n"`, without it and without a
/// `"\r"` just before it. When the stream ends, bytes after the last newline are a last
/// line too (docs/protocol.md: a last request without its newline still counts).
///
/// Each line goes on as a `ByteBuffer` (`channelRead`). With a ``maximumLength``, a longer
/// line is reported once, as the user inbound event ``LineTooLong``, and nothing more is
/// decoded, so a peer that never sends a newline cannot make it buffer without bound; what
/// to answer and whether to close is the next handler's business. Lines are plain
/// buffers, not an enum with the too-long case, because NIO passes a `ByteBuffer` between
/// handlers as is, and any other type boxed and cast (~500 instructions a line,
/// callgrind). It does not parse JSON.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// What the next handler reads, as one value for handlers that queue them: a line, or
    /// the ``LineTooLong`` event that ends the stream.
    public enum Frame: Sendable {
        case line(ByteBuffer)
        /// A line longer than ``maximumLength``; the last frame of the stream.
        case tooLong
    }

    /// The user inbound event for a line longer than ``maximumLength``; nothing follows it.
    public struct LineTooLong: Sendable, Hashable {
        public init() {}
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

    /// Fires every complete line in `buffer`, not just the first: each call costs
    /// ByteToMessageHandler ~1,000 instructions of its own bookkeeping (callgrind), more
    /// than finding and firing a line does. (Reentrant calls cannot happen: the handler
    /// refuses them while this one runs, and processes what is left after it.)
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !failed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        while let length = nextLineLength(in: buffer) {
            if isTooLong(length) {
                fail(context: context, buffer: &buffer)
                return .needMoreData
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if length > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        if isTooLong(buffer.readableBytes) { fail(context: context, buffer: &buffer) }
        return .needMoreData
    }

    /// The length of the line that starts at the reader index, when its newline has come;
    /// else nil, noting how far the partial line has been scanned.
    private mutating func nextLineLength(in buffer: ByteBuffer) -> Int? {
        let scanned = scannedBytes
        let found = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count > scanned, let base = bytes.baseAddress,
                let newline = memchr(base + scanned, Int32(UInt8(ascii: "\n")), bytes.count - scanned)
            else { return nil }
            return UnsafeRawPointer(newline) - base
        }
        scannedBytes = found == nil ? buffer.readableBytes : 0
        return found
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Every complete line first (one call fires them all), then a last line without
        // "\n" at EOF, which is still a line.
        _ = try decode(context: context, buffer: &buffer)
        if !failed, buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(Self.wrapInboundOut(rest))
        }
        return .needMoreData
    }

    private func isTooLong(_ length: Int) -> Bool {
        maximumLength.map { length > $0 } ?? false
    }

    private mutating func fail(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        failed = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireUserInboundEventTriggered(LineTooLong())
    }
}
