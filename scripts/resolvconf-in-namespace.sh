#!/bin/sh
# The resolvconf calls of wg-quick and OpenVPN's update-resolv-conf against a real resolvd,
# inside a network namespace of its own (run under `unshare -n`; root): two dnsmasq on
# loopback port 53 log every question they get (public 127.0.0.1, vpn 127.0.0.2), tun
# devices stand for the tunnels. Prints `STEP name` lines, then after each step the names
# each server was asked since the previous step (`public: …`, `vpn: …`) and what
# `resolvdctl status` shows; DaemonResolvconfTests reads them.
#
# usage: unshare -n sh scripts/resolvconf-in-namespace.sh RESOLVD RESOLVDCTL WORKDIR
set -eu
resolvd=$1
resolvdctl=$2
work=$3
socket=$work/resolvd.sock
ip link set lo up
ip tuntap add dev wg0 mode tun
ip tuntap add dev tun0 mode tun
mkdir -p "$work/bin"
ln -sf "$resolvdctl" "$work/bin/resolvconf"
resolvconf=$work/bin/resolvconf
export RESOLVD_SOCKET=$socket

pids=""
cleanup() { for pid in $pids; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
# Also when killed (a test's timeout, a closed pipe): the servers live in the namespace,
# which lasts while they do.
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP PIPE
for server in public:127.0.0.1 vpn:127.0.0.2; do
  name=${server%%:*}
  dnsmasq --keep-in-foreground --user=root --no-resolv --no-hosts --port=53 --listen-address="${server#*:}" \
    --bind-interfaces --log-queries --log-facility="$work/$name.log" --address=/#/192.0.2.1 --pid-file="$work/$name.pid" &
  pids="$pids $!"
done
# Each logs "started" once its sockets are bound: a question sent before that is refused
# (ICMP port unreachable) and never shows in the log the test reads.
for name in public vpn; do
  tries=0
  until grep -q 'started' "$work/$name.log" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -lt 200 ] || { echo "dnsmasq ($name) did not start" >&2; exit 1; }
    sleep 0.05
  done
done
: > "$work/resolvd.conf"
"$resolvd" --config "$work/resolvd.conf" --socket "$socket" --varlink-socket none --dns 127.0.0.1 \
  --hosts-file none --search none --ndots 1 --timeout-ms 500 --log-level warning 2>"$work/resolvd.log" &
pids="$pids $!"
chmod 0755 "$work"
tries=0
until "$resolvdctl" hello >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ $tries -lt 200 ] || { echo "resolvd did not answer" >&2; cat "$work/resolvd.log" >&2; exit 1; }
  sleep 0.05
done

# The names a server's log shows asked since the previous call, sorted, on one line.
seen_public=0
seen_vpn=0
asked() {
  log=$work/$1.log
  eval "seen=\$seen_$1"
  total=$(grep -c 'query\[' "$log" || true)
  names=$(grep 'query\[' "$log" | tail -n +$((seen + 1)) | sed -E 's/.*query\[[A-Z]+\] ([^ ]+) from.*/\1/' | grep -v '^localhost$' | sort -u | tr '\n' ' ')
  eval "seen_$1=$total"
  echo "$1: $names"
}
ask() { for name in "$@"; do "$resolvdctl" getaddrinfo --family inet "$name" >/dev/null || echo "FAILED $name"; done; }
report() {
  asked public
  asked vpn
  "$resolvdctl" status | sed 's/^/status: /'
}

echo "STEP before"
ask www.example.org host.wg.example
report

# wg-quick's set_dns, word for word (DNS = 127.0.0.2, a search domain), then unset_dns.
echo "STEP wg-quick up"
{ printf 'nameserver %s\n' 127.0.0.2; printf 'search %s\n' "wg.example"; } | "$resolvconf" -a tun.wg0 -m 0 -x
ask www.example.org host.wg.example
report
echo "STEP wg-quick down"
"$resolvconf" -d tun.wg0 -f
ask www.example.org host.wg.example
report

# update-resolv-conf's `up` with foreign_option_1='dhcp-option DNS 127.0.0.2' and
# foreign_option_2='dhcp-option DOMAIN corp.example': R is "search  corp.example\n"
# (its "search " plus " $DS") and "nameserver 127.0.0.2\n"; then `down`.
echo "STEP openvpn up"
R="search "
for DS in corp.example; do R="${R} $DS"; done
R="${R}
"
for NS in 127.0.0.2; do R="${R}nameserver $NS
"; done
printf '%s' "$R" | "$resolvconf" -a tun0.openvpn
ask www.corp.example www.example.org
report
echo "STEP openvpn down"
"$resolvconf" -d tun0.openvpn
ask www.corp.example www.example.org
report

# A link whose interface goes away goes with it (the daemon checks every 2 s).
echo "STEP interface removed"
"$resolvdctl" link tun0 --dns 127.0.0.2 --domain '~corp.example'
ip link del tun0
tries=0
while "$resolvdctl" status | grep -q 'tun0'; do
  tries=$((tries + 1))
  [ $tries -lt 100 ] || break
  sleep 0.1
done
ask www.corp.example
report

# Not an admin: refused, nothing set.
echo "STEP nobody"
printf 'nameserver 127.0.0.2\nsearch evil.example\n' | setpriv --reuid=65534 --regid=65534 --clear-groups "$resolvconf" -a tun.wg0 -x \
  && echo "nobody: exit 0" || echo "nobody: exit $?"
setpriv --reuid=65534 --regid=65534 --clear-groups "$resolvdctl" revert wg0 2>&1 | sed 's/^/nobody: /' || true
ask www.example.org
report

# The bound on links: 64 interfaces take a link each, the 65th is refused naming it.
echo "STEP bound"
index=0
while [ $index -lt 65 ]; do
  ip tuntap add dev "b$index" mode tun
  if ! "$resolvdctl" link "b$index" --dns 127.0.0.2 --domain "b$index.example" 2>"$work/link.err"; then
    echo "refused at link $((index + 1)) (wg0 excluded): $(cat "$work/link.err")"
    break
  fi
  index=$((index + 1))
done
echo "links: $("$resolvdctl" status | grep -c '^Link ')"
