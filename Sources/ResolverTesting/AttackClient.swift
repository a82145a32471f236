/// A protocol-v1 client in Python (standard library only) for the bounds tests, run as an
/// unprivileged uid through setpriv: it pipelines what it is told while a thread reads
/// every reply, and prints one JSON line of what came back.
///
/// `python3 -c AttackClient.script SOCKET MODE COUNT NAME_PREFIX [TIMEOUT_MS]`, MODE:
/// - `pairs`: COUNT getaddrinfo + cancel pairs (ids 2i+1, 2i+2); prints
///   `{"lookups": {status: n}, "cancels": {status: n}}` once every reply is in.
/// - `pending`: COUNT getaddrinfo lookups, then prints `sent` and waits for their replies
///   (or end of file); prints `{"lookups": {status: n}, "max_ms": worst latency,
///   "min_ms": best latency}`.
/// - `probe`: COUNT is ignored; NAME_PREFIX is a comma-separated list of names, looked up
///   one at a time; prints `{"ms": [latency…], "status": [status…]}`.
public enum AttackClient {
    public static let script = #"""
        import json, socket, sys, threading, time
        path, mode, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        timeout = f',"timeout_ms":{sys.argv[5]}' if len(sys.argv) > 5 else ''
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        replies = s.makefile('rb')
        if mode == 'probe':
            ms, statuses = [], []
            for i, name in enumerate(prefix.split(',')):
                begin = time.monotonic()
                s.sendall(f'{{"id":{i + 1},"op":"getaddrinfo","name":"{name}"{timeout}}}\n'.encode())
                reply = json.loads(replies.readline())
                ms.append((time.monotonic() - begin) * 1000)
                statuses.append(reply['status'])
            print(json.dumps({'ms': ms, 'status': statuses}), flush=True)
            sys.exit(0)
        pairs = mode == 'pairs'
        expected = 2 * count if pairs else count
        lookups, cancels, sent_at = {}, {}, {}
        worst, earliest = [0.0], [float('inf')]
        def read():
            for _ in range(expected):
                line = replies.readline()
                if not line:
                    return
                reply = json.loads(line)
                rid, status = reply['id'], str(reply['status'])
                table = cancels if pairs and rid % 2 == 0 else lookups
                table[status] = table.get(status, 0) + 1
                if rid in sent_at:
                    latency = (time.monotonic() - sent_at.pop(rid)) * 1000
                    worst[0], earliest[0] = max(worst[0], latency), min(earliest[0], latency)
        reader = threading.Thread(target=read)
        reader.start()
        batch = []
        for i in range(count):
            if pairs:
                batch.append(f'{{"id":{2 * i + 1},"op":"getaddrinfo","name":"{prefix}{i}.test"{timeout}}}\n'
                             f'{{"id":{2 * i + 2},"op":"cancel","handle":{2 * i + 1}}}\n')
            else:
                sent_at[i + 1] = time.monotonic()
                batch.append(f'{{"id":{i + 1},"op":"getaddrinfo","name":"{prefix}{i}.test"{timeout}}}\n')
            if len(batch) == 500 or i == count - 1:
                s.sendall(''.join(batch).encode())
                batch = []
        if not pairs:
            print('sent', flush=True)
        reader.join()
        print(json.dumps({'lookups': lookups, 'cancels': cancels, 'max_ms': worst[0], 'min_ms': earliest[0] if earliest[0] != float('inf') else 0}), flush=True)
        """#
}
