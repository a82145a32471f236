#if canImport(Glibc)
import Glibc
import ResolverTesting
import Testing
@testable import ResolverCore

/// Compares ``ServicesDatabase`` and ``ProtocolsDatabase`` with glibc's own answers for
/// services and protocols files of the test's own (``Files``), never the host's: what it
/// proves does not depend on the machine's netbase.
///
/// glibc reads the same files: its side runs in a process of its own (Python's ctypes calling
/// getservent, getservbyname, getservbyport, getprotoent, getprotobyname, getprotobynumber)
/// under `unshare -m`, with the test's files bind-mounted over /etc/services and
/// /etc/protocols and an nsswitch.conf that says `files` for both. The enumeration tests prove
/// it: glibc's entry lists equal the parser's of the test's files, which no host file has.
/// The questions come from glibc's enumeration (plus names, ports and numbers that are in no
/// entry), never from the parser under test: an entry the parser lost or invented is still
/// asked about.
@Suite struct ServicesDatabaseDifferentialTests {
    /// The files both sides read: Debian netbase's layout (tabs, aliases, comments), with
    /// the cases a parser gets wrong — leading blanks, a comment right after the protocol,
    /// a name on two ports (one per protocol), two names on one port (the first answers by
    /// port), an alias that is another entry's name, case, the highest port, protocols other
    /// than tcp and udp — and a few hundred generated entries.
    enum Files {
        static let services =
            """
            # The services file of ServicesDatabaseDifferentialTests (glibc reads it too).
            tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
            echo\t\t7/tcp
            echo\t\t7/udp
            discard\t\t9/tcp\t\tsink null
            discard\t\t9/udp\t\tsink null
            ftp-data\t20/tcp
            ftp\t\t21/tcp
            ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol
            domain\t\t53/tcp\t\t\t\t# Domain Name Server
            domain\t\t53/udp
            http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP
            kerberos\t88/tcp\t\tkerberos5 krb5 kerberos-sec\t# Kerberos v5
            kerberos\t88/udp\t\tkerberos5 krb5 kerberos-sec\t# Kerberos v5
            https\t\t443/tcp\t\t\t\t# http protocol over TLS/SSL
            https\t\t443/udp\t\t\t\t# HTTP/3

              leading-blanks  1001/tcp  lead
            \tleading-tab\t1002/udp\talias-a\talias-b
            split\t\t2001/tcp
            split\t\t2002/udp
            first\t\t3001/tcp
            second\t\t3001/tcp\tfirst-alias
            named\t\t3101/tcp\tother
            other\t\t3102/tcp
            tight-comment\t3201/tcp# no blank before the comment
            MixedCase\t3301/tcp\tUPPER lower
            sctp-only\t9899/sctp
            ddp-only\t4/ddp
            highest\t\t65535/udp
            resolvd-differential-marker\t4242/tcp

            """ + (0..<300).map { index in
                "gen-\(index)\t\(20_000 + index * 7)/\(index % 3 == 0 ? "udp" : "tcp")" + (index % 2 == 0 ? "\tgen-alias-\(index) g\(index)" : "") + "\n"
            }.joined()

        static let protocols =
            """
            # The protocols file of ServicesDatabaseDifferentialTests (glibc reads it too).
            ip\t0\tIP\t\t# internet protocol, pseudo protocol number
            icmp\t1\tICMP\t\t# internet control message protocol
            igmp\t2\tIGMP
            tcp\t6\tTCP\t\t# transmission control protocol
            udp\t17\tUDP
            ipv6\t41\tIPv6
            ipv6-route\t43\tIPv6-Route
            esp\t50\tIPSEC-ESP
            sctp\t132\tSCTP
              spaced  200 Spaced
            mixed\t201\tMixedCase other\t# two aliases
            tcp-again\t6\tTCP-AGAIN\t# number 6 again: tcp answers by number
            tight\t202\tTIGHT# no blank before the comment
            raw\t255\tRAW
            resolvd-differential-marker\t242

            """

        /// Asked on both sides; in no entry (or differing from one only in case or blanks).
        static let absentNames = ["no-such-service-resolvd", "HTTP", "Ssh", "", "http ", "ssh/tcp", "Tcp", "tcp ", "mixedcase"]
    }

    // MARK: services

    @Test func servicesEnumerationMatchesGetservent() throws {
        let glibc = try Self.glibc.get()
        #expect(glibc.services.contains { $0.name == "resolvd-differential-marker" }, "glibc did not read the test's file")
        #expect(glibc.services.count > 300)
        #expect(Self.services.entries == glibc.services)
    }

    @Test func everyServiceNameAliasAndPortMatchesGlibc() throws {
        let glibc = try Self.glibc.get()
        let database = Self.services
        let known = Set(glibc.services.map(\.port))
        var comparisons = 0
        for question in glibc.serviceQuestions {
            let ours: ServiceEntry?
            switch question.key {
            case .name(let name):
                ours = database.service(named: name, proto: question.proto)
                if Files.absentNames.contains(name) { #expect(question.answer == nil, "glibc knows \(name)") }
            case .port(let port):
                ours = database.service(port: port, proto: question.proto)
                if !known.contains(port) { #expect(question.answer == nil, "glibc knows port \(port)") }
            }
            #expect(ours == question.answer, "\(question)")
            comparisons += 1
        }
        #expect(comparisons > 3000)
    }

    // MARK: protocols

    @Test func protocolsEnumerationMatchesGetprotoent() throws {
        let glibc = try Self.glibc.get()
        #expect(glibc.protocols.contains { $0.name == "resolvd-differential-marker" }, "glibc did not read the test's file")
        #expect(Self.protocols.entries == glibc.protocols)
    }

    @Test func everyProtocolNameAliasAndNumberMatchesGlibc() throws {
        let glibc = try Self.glibc.get()
        let database = Self.protocols
        let known = Set(glibc.protocols.map(\.number))
        var comparisons = 0
        for question in glibc.protocolQuestions {
            let ours: ProtocolEntry?
            switch question.key {
            case .name(let name):
                ours = database.protocol(named: name)
                if Files.absentNames.contains(name) { #expect(question.answer == nil, "glibc knows \(name)") }
            case .number(let number):
                ours = database.protocol(number: number)
                if !known.contains(number) { #expect(question.answer == nil, "glibc knows number \(number)") }
            }
            #expect(ours == question.answer, "\(question)")
            comparisons += 1
        }
        #expect(comparisons > 300)
    }

    // MARK: glibc's side

    static let services = ServicesDatabase(parsing: Files.services)
    static let protocols = ProtocolsDatabase(parsing: Files.protocols)

    struct Question<Key: Sendable, Answer: Sendable>: Sendable {
        var key: Key
        var proto: String? = nil
        var answer: Answer?
    }

    enum ServiceKey: Sendable {
        case name(String)
        case port(UInt16)
    }

    enum ProtocolKey: Sendable {
        case name(String)
        case number(Int32)
    }

    struct GlibcAnswers: Sendable {
        var services: [ServiceEntry] = []
        var protocols: [ProtocolEntry] = []
        var serviceQuestions: [Question<ServiceKey, ServiceEntry>] = []
        var protocolQuestions: [Question<ProtocolKey, ProtocolEntry>] = []
    }

    /// glibc's answers, asked once for the suite.
    static let glibc = Result { try askGlibc() }

    /// Asks glibc through ctypes. Prints one tab-separated line per entry or question:
    /// `servent|protoent ENTRY`, `byname NAME PROTO ANSWER`, `byport PORT PROTO ANSWER`,
    /// `protobyname NAME ANSWER`, `protobynumber NUMBER ANSWER`; PROTO `(null)` is a NULL
    /// protocol, ANSWER `-` no entry, else a service's `NAME ALIASES PORT PROTO` or a
    /// protocol's `NAME ALIASES NUMBER` (aliases blank-separated).
    static let glibcScript = #"""
        import ctypes, socket, sys
        libc = ctypes.CDLL("libc.so.6")
        class Servent(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("aliases", ctypes.POINTER(ctypes.c_char_p)),
                        ("port", ctypes.c_int), ("proto", ctypes.c_char_p)]
        class Protoent(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("aliases", ctypes.POINTER(ctypes.c_char_p)), ("number", ctypes.c_int)]
        def declare(name, result, *arguments):
            function = getattr(libc, name)
            function.restype = ctypes.POINTER(result)
            function.argtypes = list(arguments)
            return function
        getservent = declare("getservent", Servent)
        getservbyname = declare("getservbyname", Servent, ctypes.c_char_p, ctypes.c_char_p)
        getservbyport = declare("getservbyport", Servent, ctypes.c_int, ctypes.c_char_p)
        getprotoent = declare("getprotoent", Protoent)
        getprotobyname = declare("getprotobyname", Protoent, ctypes.c_char_p)
        getprotobynumber = declare("getprotobynumber", Protoent, ctypes.c_int)
        def aliases(array):
            names, index = [], 0
            while array[index] is not None:
                names.append(array[index].decode())
                index += 1
            return " ".join(names)
        def service(pointer):
            if not pointer:
                return ["-"]
            entry = pointer.contents
            return [entry.name.decode(), aliases(entry.aliases), str(socket.ntohs(entry.port & 0xffff)), entry.proto.decode()]
        def protocol(pointer):
            if not pointer:
                return ["-"]
            entry = pointer.contents
            return [entry.name.decode(), aliases(entry.aliases), str(entry.number)]
        def emit(*fields):
            print("\t".join(fields))
        absent = open(sys.argv[1]).read().split("\n")[:-1]
        services, protocols = [], []
        libc.setservent(0)
        while True:
            entry = service(getservent())
            if entry == ["-"]:
                break
            services.append(entry)
            emit("servent", *entry)
        libc.endservent()
        libc.setprotoent(0)
        while True:
            entry = protocol(getprotoent())
            if entry == ["-"]:
                break
            protocols.append(entry)
            emit("protoent", *entry)
        libc.endprotoent()
        protos = [None] + sorted({entry[3] for entry in services}) + ["no-such-proto"]
        names = [name for entry in services for name in [entry[0]] + entry[1].split()] + absent
        known = {int(entry[2]) for entry in services}
        ports = sorted(known) + [port for port in range(1, 65536) if port not in known][:50]
        for proto in protos:
            proto_text = "(null)" if proto is None else proto
            proto_bytes = None if proto is None else proto.encode()
            for name in names:
                emit("byname", name, proto_text, *service(getservbyname(name.encode(), proto_bytes)))
            for port in ports:
                emit("byport", str(port), proto_text, *service(getservbyport(socket.htons(port), proto_bytes)))
        for name in [name for entry in protocols for name in [entry[0]] + entry[1].split()] + absent:
            emit("protobyname", name, *protocol(getprotobyname(name.encode())))
        for number in range(-2, 301):
            emit("protobynumber", str(number), *protocol(getprotobynumber(number)))
        """#

    /// Writes the files, runs ``glibcScript`` under `unshare -m` with them mounted over
    /// /etc, and reads its lines.
    static func askGlibc() throws -> GlibcAnswers {
        guard geteuid() == 0 else { throw FixtureError("ServicesDatabaseDifferentialTests needs root (unshare -m, bind mounts)") }
        for (tool, package) in [("/usr/bin/unshare", "util-linux"), ("/usr/bin/python3", "python3")] where access(tool, X_OK) != 0 {
            throw FixtureError("\(tool) is missing: apt-get install \(package)")
        }
        for target in ["/etc/services", "/etc/protocols", "/etc/nsswitch.conf"] where access(target, F_OK) != 0 {
            throw FixtureError("\(target) is missing, and the test mounts its own file over it: apt-get install netbase libc-bin")
        }
        var template = Array("/tmp/resolvd-differential-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("mkdtemp failed") }
        let directory = String(cString: made)
        let files = ["services": Files.services, "protocols": Files.protocols, "nsswitch.conf": "services: files\nprotocols: files\n",
            "absent": Files.absentNames.map { $0 + "\n" }.joined(), "glibc.py": glibcScript,
            "glibc.sh": """
                set -e
                mount --bind "$1/services" /etc/services
                mount --bind "$1/protocols" /etc/protocols
                mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf
                exec /usr/bin/python3 "$1/glibc.py" "$1/absent"
                """]
        defer {
            for name in files.keys + ["stderr"] { unlink(directory + "/" + name) }
            rmdir(directory)
        }
        for (name, text) in files { try writeFile(directory + "/" + name, text) }
        guard let pipe = popen("/usr/bin/unshare -m /bin/sh \(directory)/glibc.sh \(directory) 2>\(directory)/stderr", "r") else {
            throw FixtureError("popen failed")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = fread(&buffer, 1, buffer.count, pipe), count > 0 { bytes += buffer[0..<count] }
        let status = pclose(pipe)
        guard status == 0 else {
            throw FixtureError("glibc's side failed (status \(status)): \((try? readWholeFile(directory + "/stderr")) ?? "")")
        }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ output: String) throws -> GlibcAnswers {
        var answers = GlibcAnswers()
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func proto(_ text: String) -> String? { text == "(null)" ? nil : text }
            switch fields[0] {
            case "servent": answers.services.append(try service(fields[1...]).unwrap(line))
            case "protoent": answers.protocols.append(try protocolEntry(fields[1...]).unwrap(line))
            case "byname":
                answers.serviceQuestions.append(.init(key: .name(fields[1]), proto: proto(fields[2]), answer: try service(fields[3...])))
            case "byport":
                let port = try UInt16(fields[1]).unwrap(line)
                answers.serviceQuestions.append(.init(key: .port(port), proto: proto(fields[2]), answer: try service(fields[3...])))
            case "protobyname": answers.protocolQuestions.append(.init(key: .name(fields[1]), answer: try protocolEntry(fields[2...])))
            case "protobynumber":
                answers.protocolQuestions.append(.init(key: .number(try Int32(fields[1]).unwrap(line)), answer: try protocolEntry(fields[2...])))
            default: throw FixtureError("glibc's side printed \(line)")
            }
        }
        return answers
    }

    static func service(_ fields: ArraySlice<String>) throws -> ServiceEntry? {
        let fields = Array(fields)
        if fields == ["-"] { return nil }
        guard fields.count == 4, let port = UInt16(fields[2]) else { throw FixtureError("not a service: \(fields)") }
        return ServiceEntry(name: fields[0], aliases: fields[1].split(separator: " ").map(String.init), port: port, proto: fields[3])
    }

    static func protocolEntry(_ fields: ArraySlice<String>) throws -> ProtocolEntry? {
        let fields = Array(fields)
        if fields == ["-"] { return nil }
        guard fields.count == 3, let number = Int32(fields[2]) else { throw FixtureError("not a protocol: \(fields)") }
        return ProtocolEntry(name: fields[0], aliases: fields[1].split(separator: " ").map(String.init), number: number)
    }
}

extension Optional {
    fileprivate func unwrap(_ line: Substring) throws -> Wrapped {
        guard let self else { throw FixtureError("glibc's side printed \(line)") }
        return self
    }
}
#endif
