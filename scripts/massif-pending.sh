#!/bin/sh
# What a pending lookup holds (make bench row 7d), by allocation site: resolvd under
# valgrind's massif with N getaddrinfo lookups pending on an upstream that never answers,
# the peak heap attributed to the first frame of resolvd's own code above each allocation,
# in bytes per pending lookup (swift demangle makes the names readable). Needs the release
# build of resolvd, valgrind, python3. Loopback only.
#
#   scripts/massif-pending.sh              # N=10000, as row 7d
#   N=4000 KEEP=/tmp/massif scripts/massif-pending.sh   # keep massif.out there (ms_print it)
set -eu
N=${N:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
for program in valgrind objcopy python3; do
    command -v $program >/dev/null 2>&1 || { echo "$0: $program is missing (Debian: valgrind, binutils, python3)" >&2; exit 1; }
done
[ -x "$root/.build/release/resolvd" ] || { echo "$0: build first: swift build -c release --product resolvd" >&2; exit 1; }
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
upstream= daemon=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    [ -n "$upstream" ] && kill "$upstream" 2>/dev/null || true
    [ -z "${KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT
# valgrind 3.19 cannot read the DWARF 5 that Swift emits: profile a copy without it.
objcopy --strip-debug "$root/.build/release/resolvd" "$work/resolvd"
python3 "$root/scripts/massif-pending.py" silent > "$work/port" &
upstream=$!
while [ ! -s "$work/port" ]; do sleep 0.1; done
# As resolvd-bench's cancel workload: no timeout during the run, no per-connection cap.
printf 'timeout_ms = 300000\ntries = 1\nmax_lookups_per_connection = 1000000\n' > "$work/resolvd.conf"
rm -f "$work/resolvd.sock" "$work/massif.out"
valgrind --tool=massif --massif-out-file="$work/massif.out" --depth=40 "$work/resolvd" --config "$work/resolvd.conf" \
    --socket "$work/resolvd.sock" --varlink-socket "$work/varlink.sock" --hosts-file none --search none --ndots 1 \
    --log-level warning --dns "127.0.0.1:$(cat "$work/port")" 2> "$work/valgrind.log" &
daemon=$!
python3 "$root/scripts/massif-pending.py" drive "$work/resolvd.sock" "$N"
# A detailed snapshot now, through valgrind's gdbserver: the peak of the whole run would be
# the shutdown's, answering every pending lookup at once.
vgdb --pid="$daemon" detailed_snapshot "$work/pending.massif" > /dev/null 2>&1
kill -INT "$daemon"
wait "$daemon" || true
daemon=
python3 "$root/scripts/massif-pending.py" attribute "$work/pending.massif" "$N" | swift demangle --simplified | cut -c1-200
