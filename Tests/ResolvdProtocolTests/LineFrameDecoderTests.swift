import NIOCore
import NIOEmbedded
import ResolvdProtocol
import Testing

/// The one line framer of protocol v1, as the daemon and the client both use it.
@Suite struct LineFrameDecoderTests {
    /// Feeds `chunks`, then ends the stream, and returns what came out: each line as text,
    /// `nil` for ``LineFrameDecoder/LineTooLong``.
    static func frames(_ chunks: [String], maximumLength: Int?) throws -> [String?] {
        let collector = FrameCollector()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLength)), collector,
        ])
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(string: chunk))
        }
        _ = try channel.finish()
        return collector.frames
    }

    /// Lines (`channelRead`) and ``LineFrameDecoder/LineTooLong`` events, as they come.
    final class FrameCollector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var frames: [String?] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            frames.append(String(buffer: unwrapInboundIn(data)))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is LineFrameDecoder.LineTooLong { frames.append(nil) }
        }
    }

    @Test func splitsLinesAcrossReadsAndDropsCarriageReturns() throws {
        #expect(try Self.frames(["{\"a\"", ":1}\r\n\n{}", "\n"], maximumLength: 64) == ["{\"a\":1}", "", "{}"])
    }

    /// docs/protocol.md: a last line without its newline before EOF still counts.
    @Test func aLastLineWithoutItsNewlineCounts() throws {
        #expect(try Self.frames(["one\ntwo"], maximumLength: 64) == ["one", "two"])
        #expect(try Self.frames(["one\n"], maximumLength: nil) == ["one"])
    }

    @Test func aLineOverTheLimitIsReportedOnceAndEndsTheStream() throws {
        #expect(try Self.frames(["12345\n", "123456\nnext\n"], maximumLength: 5) == ["12345", nil])
        #expect(try Self.frames(["1234", "56", "7\nnext\n"], maximumLength: 5) == [nil])
    }

    /// One read holding many lines: each is a frame of its own (the decoder fires them all in
    /// one call), up to a line too long, after which nothing more comes.
    @Test func manyLinesInOneReadComeOneByOne() throws {
        #expect(try Self.frames(["a\n\r\nbc\r\nd", "e\nf\n"], maximumLength: 5) == ["a", "", "bc", "de", "f"])
        #expect(try Self.frames(["ab\nabcdefgh\ncd\n"], maximumLength: 5) == ["ab", nil])
        #expect(try Self.frames(["ab\ncd"], maximumLength: 1) == [nil])
    }

    @Test func withoutALimitAnyLengthPasses() throws {
        let long = String(repeating: "x", count: 1 << 20)
        #expect(try Self.frames([long, "\n", long], maximumLength: nil) == [long, long])
    }
}
