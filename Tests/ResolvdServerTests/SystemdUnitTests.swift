import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The unit files and `make install`, checked with systemd's own tools (PID 1 here is not
/// systemd, so nothing is started).
@Suite struct SystemdUnitTests {
    /// `make install-files` into a DESTDIR puts everything in place with ExecStart pointing
    /// at the installed binary; `systemd-analyze verify` of the installed units (binary
    /// path prefixed with DESTDIR so it exists) prints nothing; `make uninstall` removes it all.
    @Test func installVerifyUninstall() throws {
        let make = try SystemdTestSupport.require("make", package: "make")
        let analyze = try SystemdTestSupport.require("systemd-analyze", package: "systemd")
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        let root = SystemdTestSupport.repositoryRoot
        let destination = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(destination) }
        let install = try SystemdTestSupport.run([
            make, "-C", root, "--no-print-directory", "install-files", "DESTDIR=\(destination)",
            "BIN_SOURCE=\(SystemdTestSupport.binaryDirectory)",
        ])
        #expect(install.status == 0, "make install-files: \(install.stderr)")
        for path in [
            "/usr/local/bin/resolvd", "/usr/local/bin/resolvdctl", "/usr/local/lib/systemd/system/resolvd.service",
            "/usr/local/lib/systemd/system/resolvd.socket", "/etc/resolvd/resolvd.conf", "/usr/local/share/doc/resolvd/systemd.md",
            "/usr/local/lib/systemd/system/resolvd-resolve.socket", "/usr/local/share/doc/resolvd/varlink.md",
            "/usr/local/lib/systemd/system/resolvd-dns.socket", "/usr/local/share/doc/resolvd/stub.md", "/usr/local/share/doc/resolvd/routing.md",
        ] {
            #expect(access(destination + path, F_OK) == 0, "\(path) installed")
        }
        let service = try readWholeFile(destination + "/usr/local/lib/systemd/system/resolvd.service")
        #expect(service.contains("ExecStart=/usr/local/bin/resolvd --config /etc/resolvd/resolvd.conf\n"))

        // verify needs ExecStart's binary to exist: point it at the DESTDIR copy.
        let units = destination + "/verify"
        mkdir(units, 0o755)
        try writeFile(units + "/resolvd.service", service.replacing("ExecStart=/usr/local/bin/", with: "ExecStart=\(destination)/usr/local/bin/"))
        try writeFile(units + "/resolvd.socket", try readWholeFile(destination + "/usr/local/lib/systemd/system/resolvd.socket"))
        let resolveSocket = try readWholeFile(destination + "/usr/local/lib/systemd/system/resolvd-resolve.socket")
        #expect(resolveSocket.contains("Documentation=file:///usr/local/share/doc/resolvd/varlink.md\n"))
        try writeFile(units + "/resolvd-resolve.socket", resolveSocket)
        let dnsSocket = try readWholeFile(destination + "/usr/local/lib/systemd/system/resolvd-dns.socket")
        #expect(dnsSocket.contains("Documentation=file:///usr/local/share/doc/resolvd/stub.md\n"))
        for line in ["ListenDatagram=127.0.0.53:53\n", "ListenStream=127.0.0.53:53\n", "FileDescriptorName=dns\n", "Conflicts=systemd-resolved.service\n"] {
            #expect(dnsSocket.contains(line), "resolvd-dns.socket: \(line)")
        }
        try writeFile(units + "/resolvd-dns.socket", dnsSocket)
        // In a private mount namespace with a tmpfs /run, so verify leaves nothing on the host.
        let verify = try SystemdTestSupport.run([
            unshare, "-m", "/bin/sh", "-c",
            "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd && exec \"$0\" verify \"$1\" \"$2\" \"$3\" \"$4\"",
            analyze, units + "/resolvd.socket", units + "/resolvd.service", units + "/resolvd-resolve.socket", units + "/resolvd-dns.socket",
        ])
        #expect(verify.status == 0, "verify: \(verify.stderr)")
        #expect(verify.stderr.isEmpty, "systemd-analyze verify printed: \(verify.stderr)")

        let uninstall = try SystemdTestSupport.run([make, "-C", root, "--no-print-directory", "uninstall", "DESTDIR=\(destination)"])
        #expect(uninstall.status == 0, "make uninstall: \(uninstall.stderr)")
        for path in [
            "/usr/local/bin/resolvd", "/usr/local/bin/resolvdctl", "/usr/local/lib/systemd/system/resolvd.service",
            "/usr/local/lib/systemd/system/resolvd.socket", "/etc/resolvd/resolvd.conf", "/usr/local/share/doc/resolvd",
            "/usr/local/lib/systemd/system/resolvd-resolve.socket", "/usr/local/lib/systemd/system/resolvd-dns.socket",
        ] {
            #expect(access(destination + path, F_OK) != 0, "\(path) removed")
        }
    }

    /// The hardening keeps `systemd-analyze security` at 2.0 or lower (docs/systemd.md).
    @Test func securityExposureAtMostTwo() throws {
        let analyze = try SystemdTestSupport.require("systemd-analyze", package: "systemd")
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        let unit = SystemdTestSupport.repositoryRoot + "/systemd/resolvd.service"
        let security = try SystemdTestSupport.run([
            unshare, "-m", "/bin/sh", "-c",
            "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd && exec \"$0\" security --offline=true --no-pager \"$1\"",
            analyze, unit,
        ])
        let marker = "Overall exposure level for resolvd.service: "
        let line = try #require(
            security.stdout.split(separator: "\n").first(where: { $0.contains(marker) }),
            "no exposure line: \(security.stdout) \(security.stderr)")
        let score = try #require(Double(line[line.firstRange(of: marker)!.upperBound...].prefix(while: { $0.isNumber || $0 == "." })))
        #expect(score <= 2.0, "exposure \(score): \(security.stdout)")
        #expect(security.stderr.isEmpty, "systemd-analyze security printed: \(security.stderr)")
    }

    /// The units keep the settings the issue and docs promise.
    @Test func unitsCarryTheirPromises() throws {
        let root = SystemdTestSupport.repositoryRoot
        let service = try readWholeFile(root + "/systemd/resolvd.service")
        let socket = try readWholeFile(root + "/systemd/resolvd.socket")
        for line in [
            "Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=", "DynamicUser=yes", "RuntimeDirectory=resolvd",
            "ConfigurationDirectory=resolvd", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
            "SystemCallFilter=@system-service", "SystemCallArchitectures=native", "MemoryDenyWriteExecute=yes",
            "LimitNOFILE=65536\n",
        ] {
            #expect(service.contains(line), "resolvd.service has \(line)")
        }
        #expect(socket.contains("ListenStream=/run/resolvd/resolvd.sock"))
        #expect(socket.contains("ListenStream=/run/resolvd/io.systemd.Resolve\n"))
        #expect(socket.contains("SocketMode=0666"))
        // The one path glibc's nss-resolve asks, instead of systemd-resolved (docs/varlink.md).
        let resolve = try readWholeFile(root + "/systemd/resolvd-resolve.socket")
        for line in [
            "ListenStream=/run/systemd/resolve/io.systemd.Resolve\n", "FileDescriptorName=varlink\n", "Service=resolvd.service\n",
            "Conflicts=systemd-resolved.service\n", "SocketMode=0666\n", "RemoveOnStop=yes\n",
        ] {
            #expect(resolve.contains(line), "resolvd-resolve.socket has \(line)")
        }
    }
}
