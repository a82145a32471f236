import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The resolvconf command (`resolvdctl` run as `resolvconf`) with the exact calls of
/// wg-quick (`resolvconf -a tun.wg0 -m 0 -x` with `nameserver`/`search` lines, then `-d
/// tun.wg0 -f`) and of OpenVPN's update-resolv-conf (`-a tun0.openvpn` with the lines it
/// builds from `dhcp-option DOMAIN`/`DNS`, then `-d`), in a network namespace of the test's
/// own with tun devices and two dnsmasq that log every question
/// (scripts/resolvconf-in-namespace.sh): the routes appear and go, a link goes with its
/// interface, uid 65534 is refused, and the 65th link is refused naming the bound.
@Suite struct DaemonResolvconfTests {
    /// `STEP name` → its lines.
    static func steps(_ output: String) -> [String: [String]] {
        var steps: [String: [String]] = [:]
        var current = ""
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("STEP ") { current = String(line.dropFirst(5)) } else { steps[current, default: []].append(line) }
        }
        return steps
    }

    static func asked(_ lines: [String]?, _ server: String) -> Set<String> {
        let line = lines?.first { $0.hasPrefix(server + ": ") } ?? ""
        return Set(line.dropFirst(server.count + 2).split(separator: " ").map(String.init))
    }

    @Test func wgQuickAndOpenVPNCallsSetRoutesThatGoAgain() throws {
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        _ = try SystemdTestSupport.require("ip", package: "iproute2")
        _ = try SystemdTestSupport.require("dnsmasq", package: "dnsmasq-base")
        _ = try SystemdTestSupport.require("setpriv", package: "util-linux")
        guard geteuid() == 0 else { throw FixtureError("DaemonResolvconfTests needs root (unshare -n, tun devices)") }
        let work = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(work) }
        let resolvd = DaemonProcess.executable
        let resolvdctl = String(resolvd.dropLast("resolvd".count)) + "resolvdctl"
        let run = try SystemdTestSupport.run(
            [unshare, "-n", "/bin/sh", Repository.root + "/scripts/resolvconf-in-namespace.sh", resolvd, resolvdctl, work],
            timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let steps = Self.steps(run.stdout)
        let all: Set<String> = ["www.example.org", "host.wg.example"]
        #expect(Self.asked(steps["before"], "public") == all && Self.asked(steps["before"], "vpn").isEmpty, "\(run.stdout)")

        // -x: the tunnel takes every name; its search domain routes too.
        let up = steps["wg-quick up"]
        #expect(Self.asked(up, "vpn") == all && Self.asked(up, "public").isEmpty, "\(run.stdout)")
        #expect(up?.contains { $0.hasSuffix(" (wg0)") && $0.hasPrefix("status: Link ") } == true, "\(run.stdout)")
        #expect(up?.contains("status:   Default Route: yes") == true)
        let down = steps["wg-quick down"]
        #expect(Self.asked(down, "public") == all && Self.asked(down, "vpn").isEmpty, "\(run.stdout)")
        #expect(down?.contains { $0.hasPrefix("status: Link") || $0.hasPrefix("status: Route") } == false)

        // Without -x: only corp.example goes to the tunnel.
        let openvpn = steps["openvpn up"]
        #expect(Self.asked(openvpn, "vpn") == ["www.corp.example"] && Self.asked(openvpn, "public") == ["www.example.org"], "\(run.stdout)")
        #expect(openvpn?.contains { $0.hasSuffix(" (tun0)") && $0.hasPrefix("status: Link ") } == true)
        #expect(openvpn?.contains("status:   DNS Domain:    corp.example") == true, "\(run.stdout)")
        let openvpnDown = steps["openvpn down"]
        #expect(Self.asked(openvpnDown, "public") == ["www.corp.example", "www.example.org"] && Self.asked(openvpnDown, "vpn").isEmpty)
        #expect(openvpnDown?.contains { $0.hasPrefix("status: Link") } == false)

        let removed = steps["interface removed"]
        #expect(Self.asked(removed, "public") == ["www.corp.example"] && Self.asked(removed, "vpn").isEmpty, "\(run.stdout)")
        #expect(removed?.contains { $0.hasPrefix("status: Link") } == false)

        let nobody = steps["nobody"] ?? []
        #expect(nobody.contains("nobody: exit 1"), "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("WSAEACCES (10013): link needs uid 0; this connection is uid 65534"), "\(run.stderr)")
        #expect(nobody.contains { $0.contains("WSAEACCES (10013): revert_link needs uid 0") })
        #expect(Self.asked(nobody, "public") == ["www.example.org"] && !nobody.contains { $0.hasPrefix("status: Link") })

        let bound = steps["bound"] ?? []
        #expect(bound.contains { $0.hasPrefix("refused at link 65 ") && $0.contains("WSAENOBUFS (10055): link: at most 64 links") }, "\(bound)")
        #expect(bound.contains("links: 64"))
    }
}
