import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// A DNS client for the stub listener's tests: Debian's python3-dnspython, run as a
/// script that prints one `key=value` line per fact it saw. dnspython builds and parses
/// every message the tests check, so the daemon is judged by a third-party DNS codec, not
/// by its own.
enum DNSStubClient {
    /// A loopback port that was free for both UDP and TCP a moment ago. Another program can
    /// take it before the daemon binds it: callers that start a daemon on it retry on a new
    /// one (``DNSStubTests/daemon(upstream:config:timeoutMilliseconds:tries:extraArguments:)``).
    static func freeLoopbackPort() throws -> Int {
        let output = try SystemdTestSupport.run([
            "/usr/bin/python3", "-c",
            "import socket\nwhile True:\n    t = socket.socket(); t.bind(('127.0.0.1', 0)); p = t.getsockname()[1]\n"
                + "    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    try:\n        u.bind(('127.0.0.1', p)); print(p); break\n"
                + "    except OSError:\n        t.close()\n",
        ])
        guard let port = Int(output.stdout.split(separator: "\n").first ?? "") else { throw FixtureError("no free port: \(output.stderr)") }
        return port
    }

    static let script = #"""
        import socket, struct, sys, time
        import dns.flags, dns.message, dns.opcode, dns.query, dns.rcode, dns.rdatatype

        host, port, check = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        args = sys.argv[4:]

        def out(key, value):
            print("%s=%s" % (key, value), flush=True)

        def udp_raw(wire, timeout=5):
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
            if "from" in args:  # another loopback source address, such as 127.0.0.2
                sock.bind((args[args.index("from") + 1], 0))
            sock.settimeout(timeout)
            sock.sendto(wire, (host, port))
            try:
                return sock.recv(65535)
            except socket.timeout:
                return None

        def tcp_connect():
            sock = socket.create_connection((host, port), timeout=10)
            return sock

        def tcp_send(sock, wire):
            sock.sendall(struct.pack("!H", len(wire)) + wire)

        def tcp_recv(sock):
            head = b""
            while len(head) < 2:
                chunk = sock.recv(2 - len(head))
                if not chunk:
                    return None
                head += chunk
            length = struct.unpack("!H", head)[0]
            body = b""
            while len(body) < length:
                chunk = sock.recv(length - len(body))
                if not chunk:
                    return None
                body += chunk
            return body

        def describe(prefix, wire, query=None):
            reply = dns.message.from_wire(wire)
            out(prefix + "size", len(wire))
            out(prefix + "rcode", dns.rcode.to_text(reply.rcode()))
            out(prefix + "flags", dns.flags.to_text(reply.flags))
            out(prefix + "edns", reply.edns)
            out(prefix + "payload", reply.payload if reply.edns >= 0 else -1)
            out(prefix + "do", bool(reply.ednsflags & dns.flags.DO))
            out(prefix + "answers", ";".join(sorted(
                "%s %s %s" % (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), item.to_text())
                for rrset in reply.answer for item in rrset)))
            out(prefix + "order", ",".join(dns.rdatatype.to_text(rrset.rdtype) for rrset in reply.answer))
            out(prefix + "authority", ";".join(sorted(
                "%s %s" % (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)) for rrset in reply.authority)))
            if query is not None:
                qwire = query.to_wire()
                out(prefix + "id-echoed", reply.id == query.id)
                qlen = len(query.question[0].name.to_wire()) + 4
                out(prefix + "question-echoed", wire[12:12 + qlen] == qwire[12:12 + qlen])
            return reply

        if check == "ask":
            # ask NAME TYPE [edns PAYLOAD] [do] [cd] [tcp]
            name, rdtype = args[0], args[1]
            use_edns = "edns" in args
            payload = int(args[args.index("edns") + 1]) if use_edns else 512
            query = dns.message.make_query(name, rdtype, use_edns=0 if use_edns else False, payload=payload,
                                           want_dnssec="do" in args)
            if "cd" in args:
                query.flags |= dns.flags.CD
            if "tcp" in args:
                sock = tcp_connect()
                tcp_send(sock, query.to_wire())
                wire = tcp_recv(sock)
            else:
                wire = udp_raw(query.to_wire())
            if wire is None:
                out("timeout", True)
            else:
                describe("", wire, query)
        elif check == "raw":
            # raw HEX: one datagram as given; the reply's header fields
            wire = udp_raw(bytes.fromhex(args[0]))
            if wire is None:
                out("timeout", True)
            else:
                out("id", struct.unpack("!H", wire[:2])[0])
                flags = struct.unpack("!H", wire[2:4])[0]
                out("qr", bool(flags & 0x8000))
                out("opcode", (flags >> 11) & 0xF)
                out("rcode-low", flags & 0xF)
                out("qdcount", struct.unpack("!H", wire[4:6])[0])
                out("arcount", struct.unpack("!H", wire[10:12])[0])
                try:
                    reply = dns.message.from_wire(wire)
                    out("rcode", dns.rcode.to_text(reply.rcode()))
                except Exception as error:
                    out("unparsable", type(error).__name__)
        elif check == "edns-version":
            # dnspython 2.3 reads use_edns=1 as True (version 0): the version byte is set in the wire.
            query = dns.message.make_query(args[0], "A", use_edns=0)
            wire = bytearray(query.to_wire())
            wire[-5] = int(args[1])
            describe("", udp_raw(bytes(wire)), query)
        elif check == "opcode":
            query = dns.message.make_query(args[0], "A")
            query.set_opcode(dns.opcode.from_text(args[1]))
            describe("", udp_raw(query.to_wire()))
        elif check == "pipeline":
            # pipeline NAME... : every query written at once on one connection, then every reply read
            sock = tcp_connect()
            queries = {}
            blob = b""
            for index, name in enumerate(args):
                query = dns.message.make_query(name, "A")
                query.id = 1000 + index
                queries[query.id] = name
                blob += struct.pack("!H", len(query.to_wire())) + query.to_wire()
            sock.sendall(blob)
            sock.settimeout(5)  # what is still in flight after this is left unanswered
            answered = []
            for _ in args:
                try:
                    wire = tcp_recv(sock)
                except socket.timeout:
                    break
                if wire is None:
                    break
                reply = dns.message.from_wire(wire)
                answered.append("%s:%s:%s" % (queries.get(reply.id), dns.rcode.to_text(reply.rcode()),
                                              ",".join(item.to_text() for rrset in reply.answer for item in rrset)))
            out("answered", len(answered))
            out("replies", ";".join(sorted(answered)))
        elif check == "repeat":
            # repeat NAME: the same datagram (id, port, question) twice; how many replies come
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(float(args[1]))
            wire = dns.message.make_query(args[0], "A").to_wire()
            sock.sendto(wire, (host, port))
            sock.sendto(wire, (host, port))
            out("sent", 2)
            replies = 0
            try:
                while True:
                    sock.recv(65535)
                    replies += 1
            except socket.timeout:
                pass
            out("replies", replies)
        elif check == "flood-udp":
            # flood-udp COUNT SUFFIX WAIT: COUNT distinct questions from one socket, each id
            # checked against the name it asked
            count, suffix, wait = int(args[0]), args[1], float(args[2])
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            asked = {}
            for index in range(count):
                name = "n%d.%s" % (index, suffix)
                query = dns.message.make_query(name, "A")
                query.id = index
                asked[index] = name.lower()
                sock.sendto(query.to_wire(), (host, port))
            out("sent", count)
            sock.settimeout(wait)
            rcodes = {}
            wrong = 0
            seen = set()
            try:
                while len(seen) < count:
                    reply = dns.message.from_wire(sock.recv(65535))
                    if reply.id in seen or asked.get(reply.id) != reply.question[0].name.to_text(omit_final_dot=True).lower():
                        wrong += 1
                    seen.add(reply.id)
                    text = dns.rcode.to_text(reply.rcode())
                    rcodes[text] = rcodes.get(text, 0) + 1
            except socket.timeout:
                pass
            out("replies", len(seen))
            out("wrong", wrong)
            for text in sorted(rcodes):
                out("rcode-" + text, rcodes[text])
        elif check == "tcp-flood":
            # tcp-flood NAME MAXBYTES: whole framed queries, never reading, until a send blocks
            # for 3 s (the daemon stopped reading: `blocked SENT`) or MAXBYTES are sent
            query = dns.message.make_query(args[0], "A").to_wire()
            frames = (struct.pack("!H", len(query)) + query) * 1000
            sock = tcp_connect()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
            sock.settimeout(3)
            sent = 0
            try:
                while sent < int(args[1]):
                    sock.sendall(frames)
                    sent += len(frames)
                out("sent-all", sent)
            except socket.timeout:
                out("blocked", sent)
        elif check == "tcp-connections":
            # tcp-connections COUNT: opens COUNT connections; how many the daemon keeps open
            socks = []
            for _ in range(int(args[0])):
                socks.append(tcp_connect())
            time.sleep(0)
            open_count = 0
            for sock in socks:
                sock.settimeout(2)
                try:
                    closed = sock.recv(1) == b""
                except socket.timeout:
                    closed = False
                except OSError:
                    closed = True
                if not closed:
                    open_count += 1
            out("open", open_count)
        else:
            raise SystemExit("unknown check " + check)
        """#

    /// Runs one check against the stub at `host`:`port` as the current uid (or uid 65534
    /// with `unprivileged`); the facts it printed.
    static func run(
        _ arguments: [String], port: Int, host: String = "127.0.0.1", unprivileged: Bool = false, input: String = ""
    ) throws -> [String: String] {
        try requireDNSPython()
        var command = ["/usr/bin/python3", "-c", script, host, String(port)] + arguments
        if unprivileged {
            command = [try SystemdTestSupport.require("setpriv", package: "util-linux"), "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }
        let output = try SystemdTestSupport.run(command, input: input)
        guard output.status == 0 else { throw FixtureError("dnspython client failed: \(output.stderr)") }
        return facts(output.stdout)
    }

    static func facts(_ text: String) -> [String: String] {
        var facts: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            facts[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return facts
    }

    static func requireDNSPython() throws {
        guard access("/usr/bin/python3", X_OK) == 0 else { throw FixtureError("/usr/bin/python3 is missing: apt-get install python3-dnspython") }
        let check = try SystemdTestSupport.run(["/usr/bin/python3", "-c", "import dns.message"])
        guard check.status == 0 else { throw FixtureError("dnspython is missing: apt-get install python3-dnspython") }
    }
}
