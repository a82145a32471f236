import ResolvdProtocol
import ResolverTesting
import Testing

/// ``TerminalText``: what a terminal would act on is escaped, everything else kept, and
/// escaping twice changes nothing.
@Suite struct TerminalTextTests {
    @Test func controlAndFormatCharactersAreEscapedAndTheRestKept() {
        #expect(TerminalText.escaped("www.example.test") == "www.example.test")
        #expect(TerminalText.escaped("a\u{1b}[2Jb\u{07}\nuid 0") == #"a\x1b[2Jb\x07\x0auid 0"#)
        #expect(TerminalText.escaped("\u{7f}\u{9b}\r\t") == #"\x7f\x9b\x0d\x09"#)
        #expect(TerminalText.escaped("abc\u{202e}gpj.exe\u{200b}") == #"abc\u{202e}gpj.exe\u{200b}"#)
        #expect(TerminalText.escaped("\u{2028}\u{e000}") == #"\u{2028}\u{e000}"#)
        #expect(TerminalText.escaped("bücher.example µs") == "bücher.example µs")
        #expect(TerminalText.escaped(#"back\slash"#) == #"back\slash"#)
    }

    /// Seeded random strings over every kind of scalar: the result has no scalar that needs
    /// escaping, and escaping it again is the identity.
    @Test func escapingIsIdempotentAndLeavesNothingToEscape() {
        var generator = SplitMix64(seed: 20)
        print("TerminalText seed 20")
        let pool: [Unicode.Scalar] = (0..<0x100).compactMap(Unicode.Scalar.init) + ["\u{202e}", "\u{2028}", "\u{feff}", "\u{e000}", "é", "\\", "{", "}"]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 24) { text.unicodeScalars.append(pool[Int(generator.next() % UInt64(pool.count))]) }
            let once = TerminalText.escaped(text)
            #expect(TerminalText.escaped(once) == once)
            #expect(!once.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7f && $0.value < 0xa0) || $0 == "\u{202e}" })
        }
    }
}
