#!/bin/sh
# Instructions per lookup inside resolvd, counted by callgrind: cold lookups and cached
# lookups over the socket, driven by resolvd-bench against its own loopback unbound; and
# per cached io.systemd.Resolve.ResolveHostname call over Varlink, one call per new
# connection as nss-resolve makes them and all calls on one kept connection (driven by
# scripts/varlink-calls.py against an unbound this script starts on a free loopback port):
# the difference of the two is what a connection's set-up and teardown cost.
# Each figure is the difference between a run of N2 and a run of N1 lookups divided by
# N2 - N1, which cancels start-up and shutdown. Counts are reproducible whatever else the
# machine is doing (docs/performance.md). Needs the release builds of resolvd and
# resolvd-bench (`make bench-callgrind` builds them) and valgrind, unbound, python3.
#
#   scripts/callgrind-daemon.sh            # every workload
#   WORKLOADS="cold cached" scripts/callgrind-daemon.sh
#   KEEP=/tmp/cg scripts/callgrind-daemon.sh   # keep the callgrind.out files there
#   CONFIG=routes.conf WORKLOADS=cached scripts/callgrind-daemon.sh   # with this configuration
#       file (e.g. 70,000 `route =` lines, docs/routing.md), only these workloads;
#       START_SECONDS (default 30): how long resolvd under valgrind may take to start
set -eu
N1=${N1:-2000}
N2=${N2:-6000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/.build/release
for program in valgrind objcopy unbound python3; do
    command -v $program >/dev/null 2>&1 || { echo "$0: $program is missing (Debian: valgrind, binutils, unbound, python3)" >&2; exit 1; }
done
[ -x "$bin/resolvd" ] && [ -x "$bin/resolvd-bench" ] || { echo "$0: build first: swift build -c release --product resolvd && swift build -c release --product resolvd-bench" >&2; exit 1; }

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
vpid=
cleanup() {
    [ -n "$vpid" ] && kill "$vpid" 2>/dev/null || true
    [ -z "${KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

# valgrind 3.19 cannot read the DWARF 5 that Swift emits: profile a copy without it.
objcopy --strip-debug "$bin/resolvd" "$work/resolvd"
if [ -n "${CONFIG:-}" ]; then cp "$CONFIG" "$work/empty.conf"; else : > "$work/empty.conf"; fi
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

WORKLOADS=${WORKLOADS:-cold cached varlink-connection varlink-kept}
unbound_pid=
case " $WORKLOADS " in *" varlink-"*)
    # The Varlink workloads' upstream: *.bench.test A, from unbound's auth-zone.
    vport=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$root/scripts/bench-unbound.sh" "$work" "$vport"
    unbound_pid=$(cat "$work/unbound.pid")
    ;;
esac
trap '[ -n "$unbound_pid" ] && kill "$unbound_pid" 2>/dev/null; cleanup' EXIT

# run WORKLOAD LOOKUPS: prints the daemon's total instruction count for that run.
run() {
    rm -f "$work/s.sock" "$work/v.sock"
    upstream=$port
    case $1 in varlink-*) upstream=$vport ;; esac
    valgrind --tool=callgrind --callgrind-out-file="$work/$1-$2.out" "$work/resolvd" --config "$work/empty.conf" \
        --socket "$work/s.sock" --varlink-socket "$work/v.sock" --hosts-file none --log-level warning \
        --dns "127.0.0.1:$upstream" > "$work/valgrind-$1-$2.log" 2>&1 &
    vpid=$!
    tries=0
    until [ -S "$work/s.sock" ]; do
        tries=$((tries + 1))
        [ $tries -le $((${START_SECONDS:-30} * 10)) ] || { echo "$0: resolvd under valgrind did not start; see $work/valgrind-$1-$2.log" >&2; exit 1; }
        sleep 0.1
    done
    case $1 in
    varlink-connection)  # 100 names: the first 100 calls fill the cache in both runs, the rest are hits
        python3 "$root/scripts/varlink-calls.py" "$work/v.sock" "$2" --names 100 > "$work/bench-$1-$2.txt" 2>&1 ;;
    varlink-kept)
        python3 "$root/scripts/varlink-calls.py" "$work/v.sock" "$2" --names 100 --keep > "$work/bench-$1-$2.txt" 2>&1 ;;
    *)
        "$bin/resolvd-bench" all --only "$1" --runs 1 --names "$2" --cached-names 500 --cached-lookups "$2" --in-flight 200 \
            --warmup 0 --external-socket "$work/s.sock" --unbound-port "$port" > "$work/bench-$1-$2.txt" 2>&1 ;;
    esac
    kill -TERM $vpid
    wait $vpid || true
    vpid=
    sed -n 's/^summary: //p' "$work/$1-$2.out"
}

for workload in ${WORKLOADS:-cold cached}; do
    first=$(run $workload "$N1")
    second=$(run $workload "$N2")
    unit="lookup"
    case $workload in varlink-*) unit="call" ;; esac
    echo "$workload: $(( (second - first) / (N2 - N1) )) instructions per $unit in resolvd ($N1 and $N2 ${unit}s: $first, $second)"
done
[ -n "${KEEP:-}" ] && echo "callgrind files in $work (callgrind_annotate --inclusive=yes $work/<workload>-$N2.out)"
exit 0
