#!/usr/bin/python3
"""Times io.systemd.Resolve.ResolveHostname calls against a Varlink socket, one at a time,
as nss-resolve makes them: by default a new connection per call (connect, call, read the
reply, close); --keep: all calls on one connection. Prints p50/p90 in µs. A driver for the
profiles of docs/performance.md ("Where one call's time goes"), not a benchmark of its own.

  scripts/varlink-calls.py SOCKET COUNT [--keep] [--prefix n] [--names N] [--suffix .bench.test]
Names are PREFIX<i % N>SUFFIX: with --names smaller than COUNT the later calls are cache hits.
"""
import argparse, json, socket, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("socket")
parser.add_argument("count", type=int)
parser.add_argument("--keep", action="store_true")
parser.add_argument("--prefix", default="n")
parser.add_argument("--names", type=int, default=0, help="distinct names (default: COUNT)")
parser.add_argument("--suffix", default=".bench.test")
args = parser.parse_args()
distinct = args.names or args.count

def call(sock, name):
    message = json.dumps({"method": "io.systemd.Resolve.ResolveHostname",
                          "parameters": {"name": name, "family": 2, "flags": 0}}).encode() + b"\0"
    sock.sendall(message)
    reply = b""
    while not reply.endswith(b"\0"):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed before the reply")
        reply += chunk
    return reply

latencies, failures = [], 0
kept = None
if args.keep:
    kept = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    kept.connect(args.socket)
for i in range(args.count):
    name = "%s%d%s" % (args.prefix, i % distinct, args.suffix)
    begin = time.perf_counter()
    if kept:
        reply = call(kept, name)
    else:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(args.socket)
            reply = call(sock, name)
    latencies.append(time.perf_counter() - begin)
    if b'"addresses"' not in reply:
        failures += 1
        if failures == 1:
            print("first failure:", reply[:200], file=sys.stderr)
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6
print("%d calls (%s): p50 %.0f us  p90 %.0f us  failures %d" % (
    args.count, "one connection" if args.keep else "a connection per call", p(0.5), p(0.9), failures))
