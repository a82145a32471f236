import NIOCore

/// Splits a byte stream into protocol v1 lines: each frame is the bytes before a
/// `"\n"`, without it (and without a `"\r"` just before it).
///
/// The decoder refuses a line longer than ``maximumLength`` bytes by throwing
/// ``ResolvdConnectionError/lineTooLong(limit:)``, so a peer that never sends a
/// newline cannot make it buffer without bound. Bytes after the last newline when
/// the stream ends are dropped: they are not a complete line.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The longest line accepted, in bytes, not counting the newline.
    let maximumLength: Int

    /// How far the current partial line has already been scanned, so a long line
    /// arriving in many reads is not scanned from the start each time.
    private var scannedLength = 0

    init(maximumLength: Int) {
        precondition(maximumLength > 0, "maximumLength must be positive")
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.index(view.startIndex, offsetBy: scannedLength)
        guard let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
            scannedLength = view.count
            if scannedLength > maximumLength {
                throw ResolvdConnectionError.lineTooLong(limit: maximumLength)
            }
            return .needMoreData
        }
        var length = newline - view.startIndex
        scannedLength = 0
        if length > 0, view[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
        guard length <= maximumLength else {
            throw ResolvdConnectionError.lineTooLong(limit: maximumLength)
        }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: newline - view.startIndex + 1 - length)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
