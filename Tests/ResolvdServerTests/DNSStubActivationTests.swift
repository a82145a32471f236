import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The stub's sockets passed by the service manager (`FileDescriptorName=dns`, as
/// systemd/resolvd-dns.socket passes them): a UDP and a listening TCP socket, handed over
/// the way systemd does (descriptors 3 and 4, LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) by a
/// small launcher that binds them and execs resolvd; resolvd serves DNS on them and binds
/// no `dns_listen` address of its own.
@Suite struct DNSStubActivationTests {
    static let launcher = #"""
        import os, socket, sys
        port, resolvd = int(sys.argv[1]), sys.argv[2]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))
        tcp.listen(64)
        # Out of the way first: the sockets may already be descriptors 3 and 4.
        high = [os.dup(udp.fileno()), os.dup(tcp.fileno())]
        for target, fd in zip((3, 4), high):
            os.dup2(fd, target, inheritable=True)
            os.set_inheritable(target, True)
        os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="2", LISTEN_FDNAMES="dns:dns")
        os.execv(resolvd, [resolvd] + sys.argv[3:])
        """#

    @Test func activatedDNSSocketsAreServed() throws {
        try DNSStubClient.requireDNSPython()
        let unbound = try DaemonOperationTests.unbound.get()
        let port = try DNSStubClient.freeLoopbackPort()
        let unused = try DNSStubClient.freeLoopbackPort()
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        try writeFile(directory + "/resolvd.conf", "dns_listen = 127.0.0.1:\(unused)\n")
        let daemon = try SpawnedProcess(
            arguments: ["/usr/bin/python3", "-c", Self.launcher, String(port), DaemonProcess.executable, "--config", directory + "/resolvd.conf",
                        "--socket", directory + "/resolvd.sock", "--dns", unbound.serverAddress]
                + DaemonProcess.hermeticArguments(),
            stdout: directory + "/stdout", stderr: directory + "/stderr")
        defer { daemon.kill() }
        // Ready when the v1 socket answers (the stub's sockets are adopted before it is).
        var client: LineClient?
        for _ in 0..<1000 where client == nil {
            if let connected = try? LineClient(path: directory + "/resolvd.sock"), connected.call(#"{"id":1,"op":"hello"}"#, id: 1) != nil {
                client = connected
            } else {
                usleep(20_000)
            }
        }
        let v1 = try #require(client, "resolvd did not start: \((try? readWholeFile(directory + "/stderr")) ?? "")")
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)["answers"] == "www.example.test. A 192.0.2.10")
        #expect(try DNSStubClient.run(["ask", "big.example.test", "A", "tcp"], port: port)["answers"]?.split(separator: ";").count == Zone.bigRecordCount)
        // The configured dns_listen address is not bound under activation.
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: unused)["timeout"] == "True")
        #expect(v1.call(#"{"id":2,"op":"stats"}"#, id: 2)?.result?["front_ends"]?.objectValue?["dns"]?.intValue == 2)
    }
}
