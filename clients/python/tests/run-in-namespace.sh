#!/bin/sh
# Runs the Python client's tests where glibc and resolvd see the same names: in a private
# network and mount namespace (needs root), with unbound on 127.0.0.1:53 serving the zone
# files in WORK (zone0.zone = example.test., zone1.zone = 2.0.192.in-addr.arpa.), a test
# hosts file (its names under example.test., so that what the file lacks is a quick NXDOMAIN) bind-mounted on /etc/hosts, /etc/resolv.conf naming 127.0.0.1 and
# /etc/nsswitch.conf "files dns"; resolvd answers from the same hosts file and upstream, and
# a second resolvd's upstream never answers. An IPv4 address on a veth gives the namespace
# what a host has (a route out, no IPv6), so address sorting is a real host's.
#
#   run-in-namespace.sh UNSHARE RESOLVD_BINARY WORK        (PythonClientTests runs it)
set -eu
if [ "${1:-}" != "--inside" ]; then
    exec "$1" -nm --propagation private /bin/sh "$0" --inside "$2" "$3"
fi
resolvd=$2
work=$3
tests=$(cd "$(dirname "$0")" && pwd)

ip link set lo up
ip link add resolvd-v0 type veth peer name resolvd-v1
echo 1 > /proc/sys/net/ipv6/conf/resolvd-v0/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/resolvd-v1/disable_ipv6
ip addr add 198.51.100.1/24 dev resolvd-v0
ip link set resolvd-v0 up
ip link set resolvd-v1 up
ip route add default via 198.51.100.2 dev resolvd-v0

cat > "$work/hosts" <<HOSTS
127.0.0.1 localhost
::1 localhost ip6-localhost
192.0.2.101 hosts-v4.example.test hosts-alias.example.test
192.0.2.102 hosts-dual.example.test
2001:db8::102 hosts-dual.example.test
2001:db8::103 hosts-v6.example.test
HOSTS
printf 'nameserver 127.0.0.1\noptions ndots:1 timeout:2 attempts:2\n' > "$work/resolv.conf"
printf 'hosts: files dns\nservices: files\nprotocols: files\n' > "$work/nsswitch.conf"
mount --bind "$work/hosts" /etc/hosts
mount --bind "$work/resolv.conf" /etc/resolv.conf
mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf

cat > "$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: "$work/unbound.log"
  log-queries: yes
  do-daemonize: no
  num-threads: 1
  module-config: "iterator"
  rrset-roundrobin: no
  local-zone: "test." nodefault
  local-zone: "2.0.192.in-addr.arpa." nodefault
auth-zone:
  name: "example.test."
  zonefile: "$work/zone0.zone"
  for-upstream: yes
  for-downstream: yes
  fallback-enabled: no
auth-zone:
  name: "2.0.192.in-addr.arpa."
  zonefile: "$work/zone1.zone"
  for-upstream: yes
  for-downstream: yes
  fallback-enabled: no
CONF
/usr/sbin/unbound -d -c "$work/unbound.conf" 2>> "$work/unbound.log" &
unbound=$!
# The silent upstream: a UDP socket on 127.0.0.1:5300 that nobody reads.
/usr/bin/python3 -c 'import socket, signal; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 5300)); signal.pause()' &
silent_upstream=$!
: > "$work/resolvd.conf"
mkdir -p "$work/answering" "$work/silent"  # each daemon's Varlink socket beside its own
common="--config $work/resolvd.conf --log-level warning --search none --ndots 1 --tries 2"
"$resolvd" $common --socket "$work/answering/resolvd.sock" --hosts-file "$work/hosts" --dns 127.0.0.1:53 --timeout-ms 2000 \
    2> "$work/answering.log" &
answering=$!
"$resolvd" $common --socket "$work/silent/resolvd.sock" --hosts-file none --dns 127.0.0.1:5300 --timeout-ms 30000 \
    2> "$work/silent.log" &
silent=$!
trap 'kill $answering $silent $silent_upstream $unbound 2>/dev/null || true' EXIT

# Ready: glibc gets an answer from unbound, and both daemons accept connections.
/usr/bin/python3 - "$work" <<'READY'
import os, socket, sys, time
deadline = time.monotonic() + 20
def ready():
    try:
        socket.getaddrinfo("www.example.test", 80)
        for name in ("answering/resolvd.sock", "silent/resolvd.sock"):
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(os.path.join(sys.argv[1], name))
        return True
    except OSError:
        return False
while not ready():
    if time.monotonic() > deadline:
        for log in ("unbound.log", "answering.log", "silent.log"):
            print(f"--- {log}", open(os.path.join(sys.argv[1], log)).read(), file=sys.stderr)
        sys.exit("unbound or resolvd did not start")
    time.sleep(0.05)
READY

RESOLVD_TEST_SOCKET="$work/answering/resolvd.sock" RESOLVD_TEST_SILENT_SOCKET="$work/silent/resolvd.sock" \
PYTHONPATH="$tests/../src" /usr/bin/python3 -m unittest discover -s "$tests" -p 'test_*.py' -v
