#!/usr/bin/env python3
"""What a pending lookup holds, by allocation site: helper of scripts/massif-pending.sh.

  massif-pending.py silent            a UDP "upstream" on a free loopback port that never answers
  massif-pending.py drive SOCK N      N getaddrinfo lookups on one v1 connection; returns once
                                      the daemon counts them all in flight
  massif-pending.py attribute FILE N  the largest detailed snapshot in FILE, bytes per lookup by the
                                      first frame of resolvd's own code above each allocation
"""
import collections, json, re, socket, sys, time


def silent():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1], flush=True)
    while True:
        s.recvfrom(4096)


def drive(path, n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 120
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("resolvd did not start")
            time.sleep(0.2)
    # The same lookups as `make bench` row 7d: getaddrinfo, family unspec, socktype stream.
    s.sendall(b"".join(b'{"id":%d,"op":"getaddrinfo","name":"c0-%d.wild.example.test","socktype":"stream"}\n' % (i + 10, i)
                       for i in range(n)))
    pending = b""
    deadline = time.monotonic() + 600
    next_id = n + 10  # ids only grow on a connection (docs/protocol.md)
    while time.monotonic() < deadline:
        next_id += 1
        s.sendall(b'{"id":%d,"op":"stats"}\n' % next_id)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                sys.exit("resolvd closed the connection")
            pending += chunk
            *lines, pending = pending.split(b"\n")
            stats = [json.loads(line) for line in lines if line.startswith(b'{"id":%d,' % next_id)]
            if stats:
                break
        in_flight = stats[-1]["result"]["in_flight"]
        if in_flight >= n:
            print(f"{in_flight} lookups pending", flush=True)
            return
        time.sleep(1)
    sys.exit("the lookups never were all in flight")


def attribute(path, n):
    lines = open(path).read().split("\n")
    snapshots = [i for i, line in enumerate(lines) if line.startswith("snapshot=")]
    def heap(i): return int(lines[i + 3].split("=")[1])
    peak = max((i for i in snapshots if lines[i + 6] != "heap_tree=empty"), key=heap)
    node = re.compile(r"^(\s*)n(\d+): (\d+) (.*)$")
    own = re.compile(r"ResolvdServer|ResolverCore|ResolvdProtocol|ares_")
    stack, sites = [], collections.Counter()
    for line in lines[peak + 7:]:
        if line.startswith("snapshot=") or line.startswith("#"):
            break
        m = node.match(line)
        if not m:
            continue
        depth, children, size, frame = len(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        frame = re.sub(r"^0x[0-9A-F]+: ", "", frame).split(" (in ")[0]
        stack = stack[:depth] + [frame]
        if children == 0:
            site = next((f for f in stack[1:] if own.search(f)), "elsewhere: " + stack[-1][:100])
            sites[site] += size
    print(f"heap: {heap(peak)} bytes, {heap(peak) / n:.0f} per pending lookup (the idle daemon's heap included)")
    for site, size in sites.most_common(20):
        print(f"{size / n:8.1f}  {site}")


if __name__ == "__main__":
    {"silent": lambda: silent(), "drive": lambda: drive(sys.argv[2], int(sys.argv[3])),
     "attribute": lambda: attribute(sys.argv[2], int(sys.argv[3]))}[sys.argv[1]]()
