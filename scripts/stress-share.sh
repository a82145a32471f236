#!/bin/sh
# The upstream share's stress run (docs/reliability.md): a release resolvd whose every
# thread has a 256 KiB stack (RLIMIT_STACK is glibc's default thread stack size), a
# loopback upstream that answers after PAIRS_DELAY_MS (a python3 UDP responder here), and
# one client pipelining PAIRS getaddrinfo + cancel pairs as fast as the daemon takes them,
# twice (the first PAIRS also warm the allocator up: RSS rises over the first million or so
# and then stays — 24.7, 27.3, 26.9, 27.0, 27.2, 27.8 MiB after each 500,000 in one run);
# then WAITING lookups with timeout_ms 3000 of names it never answers, almost all waiting
# in the uid's share queue, which must each get 10060 within 6 s of being sent.
# Any recursion left through the share's queue or a completion shows as a crash; the
# script fails unless every lookup and every cancel was answered exactly once, the daemon
# still runs, and its RSS grew by less than 10 % over the second PAIRS pairs (cache off, so
# that only what the share and the lookups hold is measured). Four rounds of PAIRS / 2.
#
#   scripts/stress-share.sh                    # 2 × 1,000,000 pairs
#   PAIRS=200000 scripts/stress-share.sh
set -eu
PAIRS=${PAIRS:-1000000}  # per half
WAITING=${WAITING:-200000}
STACK=${STACK:-262144}
root=$(cd "$(dirname "$0")/.." && pwd)
daemon=$root/.build/release/resolvd
[ -x "$daemon" ] || { echo "$0: build first: swift build -c release --product resolvd" >&2; exit 1; }
for program in python3 prlimit; do
    command -v $program >/dev/null 2>&1 || { echo "$0: $program is missing (Debian: python3, util-linux)" >&2; exit 1; }
done
work=$(mktemp -d)
upstream_pid=
daemon_pid=
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
    [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A UDP responder on loopback: every query answered with one A record after 200 ms, but
# for names under silent*, which it never answers.
python3 - "$work/port" <<'PY' &
import socket, sys, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
def answer(query, peer):
    time.sleep(0.2)
    end = 12
    while query[end]: end += query[end] + 1
    reply = bytearray(query[:end + 5]); reply[2] |= 0x80; reply[3] = 0x80; reply[7] = 1
    s.sendto(bytes(reply) + b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01', peer)
while True:
    query, peer = s.recvfrom(512)
    if query[13:19] == b'silent':
        continue
    threading.Thread(target=answer, args=(query, peer), daemon=True).start()
PY
upstream_pid=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
# The cache off: the answers of detached lookups would otherwise fill it, and its growth
# (bounded by cache_max_bytes, another matter) would hide the share's.
printf 'cache = no\nmax_lookups_per_connection = %s\n' "$WAITING" > "$work/resolvd.conf"
prlimit --stack=$STACK:$STACK "$daemon" --config "$work/resolvd.conf" --socket "$work/s.sock" --hosts-file none --log-level warning \
    --dns "127.0.0.1:$(cat "$work/port")" 2> "$work/daemon.log" &
daemon_pid=$!
while [ ! -S "$work/s.sock" ]; do sleep 0.05; done

# The client: ResolverTesting's AttackClient, taken from its Swift source.
python3 - "$root/Sources/ResolverTesting/AttackClient.swift" > "$work/client.py" <<'PY'
import re, sys
source = open(sys.argv[1]).read()
body = re.search(r'script = #"""\n(.*?)\n        """#', source, re.S).group(1)
print('\n'.join(line[8:] for line in body.split('\n')))
PY
rss() { awk '/VmRSS/ { print $2 }' "/proc/$daemon_pid/status"; }
# Four rounds of PAIRS / 2; RSS after the second and after the fourth.
half=$((PAIRS / 2))
start=$(date +%s.%N)
python3 "$work/client.py" "$work/s.sock" pairs "$half" first > "$work/first.json"
python3 "$work/client.py" "$work/s.sock" pairs "$half" second > "$work/second.json"
middle=$(rss)
python3 "$work/client.py" "$work/s.sock" pairs "$half" third > "$work/third.json"
python3 "$work/client.py" "$work/s.sock" pairs "$half" fourth > "$work/fourth.json"
end=$(date +%s.%N)
last=$(rss)
kill -0 "$daemon_pid" || { echo "$0: resolvd died: $(tail -5 "$work/daemon.log")" >&2; exit 1; }
python3 "$work/client.py" "$work/s.sock" pending "$WAITING" silent 3000 | tail -n 1 > "$work/waiting.json"
kill -0 "$daemon_pid" || { echo "$0: resolvd died: $(tail -5 "$work/daemon.log")" >&2; exit 1; }
python3 - "$half" "$middle" "$last" "$start" "$end" "$work/waiting.json" "$WAITING" "$work"/first.json "$work"/second.json "$work"/third.json "$work"/fourth.json <<'PY'
import json, sys
half, middle, last, start, end = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
waiting, count = json.load(open(sys.argv[6])), int(sys.argv[7])
runs = [json.load(open(path)) for path in sys.argv[8:12]]
ok = True
print(f'{count:,} waiting lookups, timeout_ms 3000: {waiting["lookups"]}; 10060 between {waiting["min_ms"]:,.0f} and {waiting["max_ms"]:,.0f} ms after each request')
if waiting['lookups'] != {'10060': count} or waiting['max_ms'] >= 6000 or waiting['min_ms'] < 3000: print('waiting lookups not timed out on time'); ok = False
for run in runs:
    lookups, cancels = sum(run['lookups'].values()), sum(run['cancels'].values())
    if lookups != half or cancels != half or not set(run['lookups']) <= {'0', '10111'} or not set(run['cancels']) <= {'0', '6'}:
        print('wrong replies:', run); ok = False
growth = (last - middle) / middle * 100
lookups = {status: sum(run['lookups'].get(status, 0) for run in runs) for status in ('0', '10111')}
cancels = {status: sum(run['cancels'].get(status, 0) for run in runs) for status in ('0', '6')}
print(f'{4 * half:,} pairs in {end - start:.1f} s ({4 * half / (end - start):,.0f} pairs/s): lookups {lookups}, cancels {cancels}; '
      f'RSS {middle:,} KiB after {2 * half:,}, {last:,} KiB after {4 * half:,} ({growth:+.1f} %)')
if growth >= 10: print('RSS grew by 10 % or more'); ok = False
sys.exit(0 if ok else 1)
PY
