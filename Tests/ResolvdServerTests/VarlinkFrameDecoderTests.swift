import NIOCore
import Testing

@testable import ResolvdServer

/// ``VarlinkFrameDecoder`` alone, fed as the connection handler feeds it: what a read leaves
/// of a message stays in the buffer, and the next read's bytes go after it.
@Suite struct VarlinkFrameDecoderTests {
    /// Every frame `reads` make, fed one after another into one buffer.
    static func frames(_ reads: [[UInt8]], maximumLength: Int = 8) -> (frames: [String], leftover: Int) {
        var decoder = VarlinkFrameDecoder(maximumLength: maximumLength)
        var buffer = ByteBuffer()
        var frames: [String] = []
        for read in reads {
            buffer.writeBytes(read)
            while let frame = decoder.nextFrame(in: &buffer) {
                switch frame {
                case .message(let message): frames.append(String(buffer: message))
                case .tooLong: frames.append("<too long>")
                }
            }
        }
        return (frames, buffer.readableBytes)
    }

    @Test func messagesSplitAcrossReadsComeOutWhole() {
        let stream = Array("ab\0cde\0\0f".utf8)
        let whole = Self.frames([stream])
        #expect(whole.frames == ["ab", "cde", ""])
        #expect(whole.leftover == 1, "the unfinished \"f\" waits for its NUL")
        #expect(Self.frames(stream.map { [$0] }) == whole, "a byte at a time")
    }

    /// A message longer than the bound is reported once, before its NUL arrives; nothing of
    /// the stream is kept or decoded after it, whole messages included.
    @Test func aMessageOverTheBoundIsReportedOnceAndEndsTheStream() {
        let result = Self.frames([Array("ok\0".utf8), Array("123456789".utf8), Array("\0next\0".utf8)])
        #expect(result.frames == ["ok", "<too long>"])
        #expect(result.leftover == 0)
    }
}
