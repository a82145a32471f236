#!/bin/sh
# getaddrinfo through glibc's nss-resolve → resolvd's Varlink socket, through nss-resolve →
# Debian's own systemd-resolved 252, and through glibc's own `dns` NSS module → a caching
# unbound on 127.0.0.1:53: what a program gets from each of the set-ups a user would choose
# between (docs/performance.md, "Through glibc").
#
# Everything runs in a private network and mount namespace (unshare -nm; needs root):
# unbound on 127.0.0.1:53 serving bench.test (scripts/bench-unbound.sh: TTL 3600, caching); /etc/resolv.conf
# (nameserver 127.0.0.1) and /etc/nsswitch.conf bind-mounted. Each run starts each daemon
# afresh on its own tmpfs at /run/systemd/resolve, where nss-resolve looks for
# io.systemd.Resolve, so its cache starts empty:
#   - resolvd --dns 127.0.0.1:53 --hosts-file none --search none;
#   - systemd-resolved (the binary of Debian's systemd-resolved .deb, never installed) with
#     a drop-in in /run/systemd/resolved.conf.d: DNS=127.0.0.1, DNSSEC=no, LLMNR=no,
#     MulticastDNS=no, no stub listener, no /etc/hosts. It runs as root and drops to the
#     `systemd-resolve` user, and it answers NetworkDown unless a non-loopback link is up
#     with a default route: a veth pair inside the namespace (192.0.2.1/24, default via
#     192.0.2.2 — nothing answers there, and the namespace has no way out).
# The client is /usr/bin/python3 calling socket.getaddrinfo(name, None, AF_INET,
# SOCK_STREAM) one name after another, as a program does; each set-up runs the N names twice
# per run ("cold", then "cached"); RUNS runs (default 3), the set-ups taking turns within
# each run; the table gives the medians of the runs' p50 and p99.
# Needs: the release resolvd (BIN), unbound, util-linux, iproute2, python3, and in TEST_CACHE
# (`make test-fixtures`) libnss-resolve's and systemd-resolved's .deb. The systemd-resolved
# row is skipped, saying why, when its .deb, the systemd-resolve user, the libsystemd-shared
# it links against (Debian package systemd 252) or veth interfaces are missing.
#
#   scripts/bench-nss.sh                  # N=2000 RUNS=3, BIN=.build/release
set -eu
N=${N:-2000}
RUNS=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$root/.build/release}
TEST_CACHE=${TEST_CACHE:-/var/cache/resolvd-test}
if [ "${1:-}" != "--inside" ]; then
    deb=$(ls "$TEST_CACHE"/libnss-resolve_*.deb 2>/dev/null | tail -1)
    [ -n "$deb" ] || { echo "$0: no libnss-resolve .deb in $TEST_CACHE: make test-fixtures" >&2; exit 1; }
    [ -x "$BIN/resolvd" ] || { echo "$0: $BIN/resolvd missing: swift build -c release --product resolvd" >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] || { echo "$0: needs root (unshare -nm)" >&2; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    dpkg-deb -x "$deb" "$work/nss"
    module=$(dirname "$(find "$work/nss" -name libnss_resolve.so.2 | head -1)")
    # systemd-resolved: what is missing, if anything, or its binary.
    resolved=
    resolved_deb=$(ls "$TEST_CACHE"/systemd-resolved_*.deb 2>/dev/null | tail -1)
    if [ -z "$resolved_deb" ]; then
        skip="no systemd-resolved .deb in $TEST_CACHE (make test-fixtures)"
    elif ! getent passwd systemd-resolve >/dev/null; then
        skip="no systemd-resolve user (make test-fixtures creates it, as root)"
    else
        dpkg-deb -x "$resolved_deb" "$work/resolved"
        resolved=$work/resolved/lib/systemd/systemd-resolved
        if ! "$resolved" --version >/dev/null 2>"$work/resolved-version.log"; then
            skip="$resolved does not start: $(head -1 "$work/resolved-version.log") (Debian package systemd, the same version as the .deb)"
            resolved=
        else
            skip=
        fi
    fi
    export RESOLVED_SKIP="$skip"
    exec unshare -nm --propagation private "$0" --inside "$work" "$module" "$resolved"
fi
work=$2
module=$3
resolved=$4
skip=${RESOLVED_SKIP:-}
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/resolve /run/resolvd
if [ -n "$resolved" ]; then
    if ip link add rv0 type veth peer name rv1 2>"$work/veth.log"; then
        ip addr add 192.0.2.1/24 dev rv0
        ip link set rv0 up
        ip link set rv1 up
        ip route add default via 192.0.2.2 dev rv0
    else
        skip="no veth interface in the namespace ($(head -1 "$work/veth.log")): systemd-resolved would answer NetworkDown"
        resolved=
    fi
fi

# unbound: authoritative for bench.test (every name), caching, on 127.0.0.1:53.
"$root/scripts/bench-unbound.sh" "$work" 53
daemon=
trap '[ -n "$daemon" ] && kill $daemon 2>/dev/null; kill $(cat "$work/unbound.pid") 2>/dev/null' EXIT

# systemd-resolved's settings: a drop-in under /run (a tmpfs of this namespace) overrides
# whatever /etc/systemd/resolved.conf says; `DNS=` first empties the list.
mkdir -p /run/systemd/resolved.conf.d
cat > /run/systemd/resolved.conf.d/bench.conf <<CONF
[Resolve]
DNS=
DNS=127.0.0.1
FallbackDNS=
Domains=
DNSSEC=no
DNSOverTLS=no
LLMNR=no
MulticastDNS=no
DNSStubListener=no
ReadEtcHosts=no
Cache=yes
CONF

cat > "$work/loop.py" <<'PY'
import socket, sys, time
n, label, run_index, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(out, "a") as results:
    for run in ("cold", "cached"):
        latencies, failures = [], 0
        start = time.perf_counter()
        for i in range(n):
            t = time.perf_counter()
            try:
                socket.getaddrinfo("n%d.bench.test" % i, None, socket.AF_INET, socket.SOCK_STREAM)
            except socket.gaierror:
                failures += 1
            latencies.append(time.perf_counter() - t)
        wall = time.perf_counter() - start
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6
        print("run %s  %-34s %-6s %8.0f lookups/s  p50 %6.0f us  p99 %6.0f us  failures %d" % (run_index, label, run, n / wall, p(0.50), p(0.99), failures))
        results.write("%s\t%s\t%f\t%f\t%f\t%d\n" % (label, run, n / wall, p(0.50), p(0.99), failures))
PY
cat > "$work/table.py" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, run, rate, p50, p99, failures = line.rstrip("\n").split("\t")
    rows.setdefault((label, run), []).append((float(rate), float(p50), float(p99), int(failures)))
print()
print("| set-up (median of %s runs) | cold p50 µs | cached p50 µs | cold p99 µs | cached p99 µs | failures |" % sys.argv[2])
print("|---|---|---|---|---|---|")
for label in dict.fromkeys(label for label, _ in rows):
    cold, cached = rows[(label, "cold")], rows[(label, "cached")]
    med = lambda runs, k: statistics.median(r[k] for r in runs)
    print("| %s | %.0f | %.0f | %.0f | %.0f | %d |" % (label, med(cold, 1), med(cached, 1), med(cold, 2), med(cached, 2),
                                                   sum(r[3] for r in cold + cached)))
PY
printf 'nameserver 127.0.0.1\noptions attempts:2 timeout:2\n' > "$work/resolv.conf"
printf 'hosts: resolve [!UNAVAIL=return] files\n' > "$work/nsswitch.resolve"
printf 'hosts: dns\n' > "$work/nsswitch.dns"
mount --bind "$work/resolv.conf" /etc/resolv.conf

# Waits for the Varlink socket of the daemon just started (pid $daemon).
await_socket() {
    i=0
    while [ ! -S /run/systemd/resolve/io.systemd.Resolve ] && [ $i -lt 100 ]; do
        kill -0 "$daemon" 2>/dev/null || { echo "$0: $1 exited:" >&2; tail -20 "$2" >&2; exit 1; }
        sleep 0.1; i=$((i + 1))
    done
    [ -S /run/systemd/resolve/io.systemd.Resolve ] || { echo "$0: $1 made no Varlink socket" >&2; tail -20 "$2" >&2; exit 1; }
}
# Stops it and empties /run/systemd/resolve for the next one.
stop_daemon() {
    kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=
    umount /run/systemd/resolve
}
fresh_run_dir() {
    mount -t tmpfs -o mode=0755 tmpfs /run/systemd/resolve
    [ -z "${1:-}" ] || chown "$1:$1" /run/systemd/resolve
}

results=$work/results.tsv
nss=
use_nss() {
    [ -z "$nss" ] || umount /etc/nsswitch.conf
    mount --bind "$work/nsswitch.$1" /etc/nsswitch.conf
    nss=$1
}
[ -z "$skip" ] || echo "systemd-resolved row skipped: $skip"
run=1
while [ $run -le "$RUNS" ]; do
    use_nss resolve
    fresh_run_dir
    "$BIN/resolvd" --socket /run/resolvd/resolvd.sock --varlink-socket /run/systemd/resolve/io.systemd.Resolve \
        --dns 127.0.0.1:53 --hosts-file none --search none --config /dev/null --log-level warning 2> "$work/resolvd.log" &
    daemon=$!
    await_socket resolvd "$work/resolvd.log"
    LD_LIBRARY_PATH="$module" /usr/bin/python3 "$work/loop.py" "$N" "nss-resolve -> resolvd (Varlink)" $run "$results"
    stop_daemon
    rm -f /run/resolvd/resolvd.sock
    if [ -n "$resolved" ]; then
        fresh_run_dir systemd-resolve
        SYSTEMD_LOG_LEVEL=warning "$resolved" 2> "$work/resolved.log" &
        daemon=$!
        await_socket systemd-resolved "$work/resolved.log"
        LD_LIBRARY_PATH="$module" /usr/bin/python3 "$work/loop.py" "$N" "nss-resolve -> systemd-resolved 252" $run "$results"
        stop_daemon
    fi
    use_nss dns
    /usr/bin/python3 "$work/loop.py" "$N" "glibc dns -> unbound 127.0.0.1:53" $run "$results"
    run=$((run + 1))
done
umount /etc/nsswitch.conf
umount /etc/resolv.conf
/usr/bin/python3 "$work/table.py" "$results" "$RUNS"
[ -z "$skip" ] || echo "(systemd-resolved row skipped: $skip)"
