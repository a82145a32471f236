#!/bin/sh
# getaddrinfo through glibc's nss-resolve → resolvd's Varlink socket, against glibc's own
# `dns` NSS module → a caching unbound on 127.0.0.1:53: what a program gets from each of
# the two set-ups a user would choose between (docs/performance.md, "Through glibc").
#
# Everything runs in a private network and mount namespace (unshare -nm; needs root):
# unbound on 127.0.0.1:53 serving bench.test (N names, TTL 3600, caching), resolvd with that
# upstream and its Varlink socket at /run/systemd/resolve/io.systemd.Resolve (a tmpfs), and
# /etc/nsswitch.conf and /etc/resolv.conf bind-mounted for each run. The client is
# /usr/bin/python3 calling socket.getaddrinfo(name, None, AF_INET) one name after another,
# as a program does; each set-up runs the N names twice ("cold", then "cached").
# Needs: the debug or release resolvd (BIN), unbound, util-linux, iproute2, python3, and
# libnss-resolve's .deb in TEST_CACHE (`make test-fixtures`).
#
#   scripts/bench-nss.sh                  # N=2000, BIN=.build/release
set -eu
N=${N:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$root/.build/release}
TEST_CACHE=${TEST_CACHE:-/var/cache/resolvd-test}
if [ "${1:-}" != "--inside" ]; then
    deb=$(ls "$TEST_CACHE"/libnss-resolve_*.deb 2>/dev/null | tail -1)
    [ -n "$deb" ] || { echo "$0: no libnss-resolve .deb in $TEST_CACHE: make test-fixtures" >&2; exit 1; }
    [ -x "$BIN/resolvd" ] || { echo "$0: $BIN/resolvd missing: swift build -c release --product resolvd" >&2; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    dpkg-deb -x "$deb" "$work/nss"
    module=$(dirname "$(find "$work/nss" -name libnss_resolve.so.2 | head -1)")
    exec unshare -nm --propagation private "$0" --inside "$work" "$module"
fi
work=$2
module=$3
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/resolve

# unbound: authoritative for bench.test, caching, on 127.0.0.1:53.
{
    printf '$ORIGIN bench.test.\n$TTL 3600\n@ 3600 IN SOA ns.bench.test. h.bench.test. 1 3600 600 86400 3600\n@ 3600 IN NS ns.bench.test.\nns 3600 IN A 127.0.0.1\n'
    i=0
    while [ $i -lt "$N" ]; do printf 'n%d 3600 IN A 198.51.100.%d\n' $i $((i % 250 + 1)); i=$((i + 1)); done
} > "$work/bench.zone"
cat > "$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  use-syslog: no
  logfile: "$work/unbound.log"
  num-threads: 1
  local-zone: "test." nodefault
auth-zone:
  name: "bench.test."
  zonefile: "$work/bench.zone"
  for-upstream: yes
  for-downstream: yes
CONF
unbound -c "$work/unbound.conf"
"$BIN/resolvd" --socket /run/resolvd/resolvd.sock --varlink-socket /run/systemd/resolve/io.systemd.Resolve \
    --dns 127.0.0.1:53 --hosts-file none --search none --config /dev/null --log-level warning 2> "$work/resolvd.log" &
resolvd=$!
trap 'kill $resolvd 2>/dev/null; kill $(cat "$work/unbound.pid") 2>/dev/null' EXIT
i=0
while [ ! -S /run/systemd/resolve/io.systemd.Resolve ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

cat > "$work/loop.py" <<'PY'
import socket, sys, time
n, label = int(sys.argv[1]), sys.argv[2]
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
    print("%-34s %-6s %8.0f lookups/s  p50 %6.0f us  p99 %6.0f us  failures %d" % (label, run, n / wall, p(0.50), p(0.99), failures))
PY
printf 'nameserver 127.0.0.1\noptions attempts:2 timeout:2\n' > "$work/resolv.conf"
printf 'hosts: resolve [!UNAVAIL=return] files\n' > "$work/nsswitch.resolve"
printf 'hosts: dns\n' > "$work/nsswitch.dns"
mount --bind "$work/resolv.conf" /etc/resolv.conf
mount --bind "$work/nsswitch.resolve" /etc/nsswitch.conf
LD_LIBRARY_PATH="$module" /usr/bin/python3 "$work/loop.py" "$N" "nss-resolve -> resolvd (Varlink)"
umount /etc/nsswitch.conf
mount --bind "$work/nsswitch.dns" /etc/nsswitch.conf
/usr/bin/python3 "$work/loop.py" "$N" "glibc dns -> unbound 127.0.0.1:53"
umount /etc/nsswitch.conf
umount /etc/resolv.conf
