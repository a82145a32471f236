import Testing
@testable import ResolverCore

/// Parser tests on crafted text. The expected answers are what glibc 2.36 (Debian bookworm)
/// returned for the same text, bind-mounted over /etc/services and /etc/protocols in a private
/// mount namespace.
@Suite struct ServicesDatabaseParsingTests {
    @Test func commentsBlankLinesTabsAndAliases() {
        let database = ServicesDatabase(parsing: """
            # a comment line
               \t
            \tftp\t\t21/tcp   f1 f2  # trailing comment
            ssh 22/tcp\tsecure-shell
            hash#in 23/tcp
            web 80/tcp www#comment-glued alias-after-comment

            """)
        #expect(database.entries == [
            ServiceEntry(name: "ftp", aliases: ["f1", "f2"], port: 21, proto: "tcp"),
            ServiceEntry(name: "ssh", aliases: ["secure-shell"], port: 22, proto: "tcp"),
            ServiceEntry(name: "web", aliases: ["www"], port: 80, proto: "tcp"),
        ])
        #expect(database.service(named: "f2", proto: "tcp")?.name == "ftp")
        #expect(database.service(named: "secure-shell", proto: nil)?.port == 22)
        #expect(database.service(named: "alias-after-comment", proto: nil) == nil)
        #expect(database.service(named: "hash", proto: nil) == nil)
    }

    @Test func firstEntryWinsForNamesAndPorts() {
        let database = ServicesDatabase(parsing: """
            dup 40/tcp
            dup 41/tcp
            dup 40/udp
            other 40/tcp dup
            """)
        #expect(database.entries.count == 4)
        #expect(database.service(named: "dup", proto: nil)?.port == 40)
        #expect(database.service(named: "dup", proto: "udp")?.port == 40)
        #expect(database.service(named: "dup", proto: "udp")?.proto == "udp")
        #expect(database.service(port: 41, proto: nil)?.name == "dup")
        #expect(database.service(port: 40, proto: "tcp")?.name == "dup")
        #expect(database.service(port: 40, proto: "udp")?.name == "dup")
        #expect(database.service(named: "DUP", proto: nil) == nil, "names are case-sensitive")
        #expect(database.service(named: "dup", proto: "sctp") == nil)
    }

    @Test func malformedLinesAreSkipped() {
        let database = ServicesDatabase(parsing: """
            onlyname
            bad 34x/tcp
            bad2 34 /tcp
            neg -1/tcp
            huge 99999999999999999999999/tcp
            hex0x 0x/tcp
            octal8 08/tcp
            exp 1e3/tcp
            good 1/tcp
            """)
        #expect(database.entries.map(\.name) == ["good"])
    }

    @Test func portsAreReadLikeStrtoulWithBaseZero() {
        let database = ServicesDatabase(parsing: """
            hex 0x50/tcp
            upperhex 0X1F/tcp
            octal 010/tcp
            plus +33/tcp
            minuszero -0/tcp
            slashes 32//tcp
            """)
        #expect(database.entries.map(\.port) == [80, 31, 8, 33, 0, 32])
        #expect(database.service(named: "slashes", proto: "tcp")?.port == 32)
    }

    @Test func portsOutOfRangeWrapOrAreSkippedLikeGlibc() {
        // Up to UINT32_MAX glibc keeps the line and htons narrows to 16 bits; above, or
        // negative, it skips the line.
        let database = ServicesDatabase(parsing: """
            p65535 65535/tcp
            p65536 65536/tcp
            p70000 70000/tcp
            p4294967295 4294967295/tcp
            p4294967296 4294967296/tcp
            wrapneg -18446744073709551615/tcp
            """)
        #expect(database.entries.map(\.name) == ["p65535", "p65536", "p70000", "p4294967295", "wrapneg"])
        #expect(database.service(named: "p65536", proto: nil)?.port == 0)
        #expect(database.service(named: "p70000", proto: nil)?.port == 4464)  // 70000 - 65536
        #expect(database.service(named: "p4294967295", proto: nil)?.port == 65535)
        #expect(database.service(named: "wrapneg", proto: nil)?.port == 1)  // 2^64 - (2^64 - 1)
        #expect(database.service(port: 4464, proto: "tcp")?.name == "p70000")
    }

    @Test func missingOrDetachedProtocolIsEmpty() {
        let database = ServicesDatabase(parsing: """
            noproto 30
            emptyproto 31/
            detached 35/ tcp
            """)
        #expect(database.entries == [
            ServiceEntry(name: "noproto", aliases: [], port: 30, proto: ""),
            ServiceEntry(name: "emptyproto", aliases: [], port: 31, proto: ""),
            ServiceEntry(name: "detached", aliases: ["tcp"], port: 35, proto: ""),
        ])
        #expect(database.service(named: "noproto", proto: "") != nil)
        #expect(database.service(named: "noproto", proto: "tcp") == nil)
        #expect(database.service(named: "tcp", proto: nil)?.name == "detached")
    }

    @Test func carriageReturnsAndNulBytes() {
        let database = ServicesDatabase(parsing: "cr 43/tcp x\r\nnul 46/tcp\0junk\n")
        #expect(database.entries == [
            ServiceEntry(name: "cr", aliases: ["x"], port: 43, proto: "tcp"),
            ServiceEntry(name: "nul", aliases: [], port: 46, proto: "tcp"),
        ])
        #expect(database.service(named: "x\r", proto: nil) == nil)
        // C sees "nul" when given "nul\0tail".
        #expect(database.service(named: "nul\0tail", proto: "tcp")?.port == 46)
    }

    @Test func indentedLastLineWithoutNewlineKeepsGlibcsMemmoveTail() {
        // __nss_readline strips the indentation with memmove(buf, p, strlen(p)), leaving the
        // last 4 bytes of the original line behind when no "\n" follows.
        let database = ServicesDatabase(parsing: "  lead 44/tcp\n    last 47/tcp")
        #expect(database.entries == [
            ServiceEntry(name: "lead", aliases: [], port: 44, proto: "tcp"),
            ServiceEntry(name: "last", aliases: [], port: 47, proto: "tcp/tcp"),
        ])
        #expect(database.service(named: "last", proto: "tcp") == nil)
    }

    @Test func unreadableFileNamesThePath() {
        let path = "/nonexistent/resolvd-services"
        #expect {
            try ServicesDatabase(contentsOf: path)
        } throws: { error in
            guard let error = error as? ResolverError else { return false }
            return error.code == .invalidArgument && error.message.contains(path)
        }
        #expect(throws: ResolverError.self) { try ServicesDatabase(contentsOf: "/") }
        #expect(throws: ResolverError.self) { try ProtocolsDatabase(contentsOf: path) }
        #expect(throws: ResolverError.self) { try HostsDatabase(contentsOf: path) }
    }

    @Test func protocolsParsing() {
        let database = ProtocolsDatabase(parsing: """
            # protocols
            ip 0 IP
            neg -1 N
            big 4294967295 B
            big2 4294967296
            hex 0x10
            oct 010
            nonum
            t\t6\tTCP # comment
            slash 7/x
            plus +8
            ip 9 again
               last 17 UDP
            """)
        #expect(database.entries == [
            ProtocolEntry(name: "ip", aliases: ["IP"], number: 0),
            ProtocolEntry(name: "big", aliases: ["B"], number: -1),
            ProtocolEntry(name: "oct", aliases: [], number: 10),
            ProtocolEntry(name: "t", aliases: ["TCP"], number: 6),
            ProtocolEntry(name: "plus", aliases: [], number: 8),
            ProtocolEntry(name: "ip", aliases: ["again"], number: 9),
            // memmove tail again: the last, indented, unterminated line.
            ProtocolEntry(name: "last", aliases: ["UDPUDP"], number: 17),
        ])
        #expect(database.protocol(named: "ip")?.number == 0)
        #expect(database.protocol(named: "again")?.number == 9)
        #expect(database.protocol(named: "tcp") == nil)
        #expect(database.protocol(number: -1)?.name == "big")
        #expect(database.protocol(number: 10)?.name == "oct")
        #expect(database.protocol(number: 7) == nil)
    }

    @Test func strtoulEdgeCases() {
        func parse(_ text: String, base: Int) -> (UInt64, Int) {
            let result = DatabaseLineScanner.strtoul(Array(text.utf8), from: 0, base: base)
            return (result.value, result.end)
        }
        #expect(parse("0x", base: 0) == (0, 1))
        #expect(parse("0x1g", base: 0) == (1, 3))
        #expect(parse("-", base: 10) == (0, 0))
        #expect(parse("+", base: 10) == (0, 0))
        #expect(parse("18446744073709551616", base: 10) == (UInt64.max, 20))
        #expect(parse("-2", base: 10) == (UInt64.max - 1, 2))
        #expect(parse("0x10", base: 10) == (0, 1))
    }
}
