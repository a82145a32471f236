#!/bin/sh
# A caching unbound for the benchmark scripts (bench-nss.sh, callgrind-daemon.sh):
# authoritative for bench.test, every name of it (*.bench.test) A 198.51.100.1, TTL 3600,
# one thread, UDP only, on 127.0.0.1:PORT, files in DIR (unbound.pid, unbound.log). It
# daemonizes; stop it with `kill $(cat DIR/unbound.pid)`.
#
#   scripts/bench-unbound.sh DIR PORT
set -eu
dir=$1
port=$2
printf '$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns h 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\n* A 198.51.100.1\n' > "$dir/bench.zone"
cat > "$dir/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $port
  do-ip6: no
  do-tcp: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  use-syslog: no
  logfile: "$dir/unbound.log"
  num-threads: 1
  local-zone: "test." nodefault
auth-zone:
  name: "bench.test."
  zonefile: "$dir/bench.zone"
  for-upstream: yes
  for-downstream: yes
CONF
unbound -c "$dir/unbound.conf"
