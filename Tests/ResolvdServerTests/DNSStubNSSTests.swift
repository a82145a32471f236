import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// glibc's own `dns` NSS module as a client of the stub: `getent` in a network and mount
/// namespace of its own (`unshare -nm`), where resolvd listens on 127.0.0.53:53 — the
/// address systemd-resolved's stub has — and a bind-mounted /etc/resolv.conf and
/// /etc/nsswitch.conf (`hosts: dns`) send every host lookup there. The names come from
/// resolvd's hosts file and `localhost`: nothing in the namespace answers DNS but resolvd,
/// and its only upstream is a port there that nobody listens on.
@Suite struct DNSStubNSSTests {
    static let script = #"""
        set -eu
        dir=$1 resolvd=$2
        ip link set lo up
        # Addresses glibc's AI_ADDRCONFIG counts (it skips only 127.0.0.1 and ::1), on lo:
        # nothing leaves the namespace.
        ip addr add 127.0.0.53/8 dev lo
        ip -6 addr add fd00::53/128 dev lo nodad
        printf 'nameserver 127.0.0.53\noptions edns0 attempts:1 timeout:5\n' > "$dir/resolv.conf"
        printf 'hosts: dns\n' > "$dir/nsswitch.conf"
        mount --bind "$dir/resolv.conf" /etc/resolv.conf
        mount --bind "$dir/nsswitch.conf" /etc/nsswitch.conf
        : > "$dir/resolvd.conf"
        "$resolvd" --config "$dir/resolvd.conf" --socket "$dir/resolvd.sock" --varlink-socket none \
            --hosts-file "$dir/hosts" --dns 127.0.0.1:9 --search none --dns-listen 127.0.0.53:53 2> "$dir/resolvd.log" &
        daemon=$!
        trap 'kill $daemon 2>/dev/null || true' EXIT
        for _ in $(seq 1 500); do
            grep -q "listening on" "$dir/resolvd.log" && break
            kill -0 $daemon 2>/dev/null || { cat "$dir/resolvd.log" >&2; exit 3; }
            sleep 0.02
        done
        echo "ahosts=$(getent ahosts printer.lan | awk '$2 == "STREAM" {print $1}' | sort | tr '\n' ' ')"
        echo "ahostsv4=$(getent ahostsv4 printer.lan | awk '$2 == "STREAM" {print $1}' | tr '\n' ' ')"
        echo "hosts-by-address=$(getent hosts 192.0.2.77 | tr -s ' ' | tr '\n' ' ')"
        echo "localhost=$(getent ahostsv4 localhost | awk '$2 == "STREAM" {print $1}' | tr '\n' ' ')"
        status=0; getent ahosts nowhere.invalid > /dev/null || status=$?
        echo "unknown-status=$status"
        """#

    @Test func glibcsDNSModuleResolvesThroughTheStub() throws {
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        _ = try SystemdTestSupport.require("ip", package: "iproute2")
        _ = try SystemdTestSupport.require("getent", package: "libc-bin")
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        try writeFile(directory + "/hosts", "192.0.2.77 printer.lan\n2001:db8::77 printer.lan\n")
        // Root maps to itself; anyone else becomes root of a user namespace of its own.
        let flags = geteuid() == 0 ? "-nm" : "-rnm"
        let output = try SystemdTestSupport.run(
            [unshare, flags, "/bin/bash", "-c", Self.script, "stub-nss", directory, DaemonProcess.executable])
        #expect(output.status == 0, "\(output.stderr)")
        let facts = DNSStubClient.facts(output.stdout)
        #expect(facts["ahosts"] == "192.0.2.77 2001:db8::77 ", "\(output.stdout) \(output.stderr)")
        #expect(facts["ahostsv4"] == "192.0.2.77 ")
        #expect(facts["hosts-by-address"] == "192.0.2.77 printer.lan ")
        #expect(facts["localhost"] == "127.0.0.1 ")
        // SERVFAIL (the upstream refuses) reaches the program as a failure: getent exits 2.
        #expect(facts["unknown-status"] == "2")
    }
}
