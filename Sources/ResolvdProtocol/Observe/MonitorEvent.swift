/// One finished lookup as a `monitor` sees it (docs/protocol.md, "monitor"): who asked,
/// through which front end, what, how it ended, where the answer came from and how long
/// it took. The daemon writes it inside a ``MonitorEventLine``; the client reads it back
/// with ``init(json:)``.
///
/// It is a report, not a reply: it carries no result a client could act on, only a short
/// ``summary`` of the answer for people.
public struct MonitorEvent: Hashable, Sendable {
    /// The connection's peer (SO_PEERCRED), when known.
    public struct Peer: Hashable, Sendable {
        public var pid: Int32
        public var uid: UInt32
        public var gid: UInt32

        public init(pid: Int32, uid: UInt32, gid: UInt32) {
            (self.pid, self.uid, self.gid) = (pid, uid, gid)
        }
    }

    /// Where the answer came from.
    public enum Source: String, Hashable, Sendable, CaseIterable {
        /// The answer cache (positive or negative entry).
        case cache
        /// An upstream DNS query this lookup started.
        case upstream
        /// Joined an identical lookup already in flight.
        case coalesced
        /// The hosts file.
        case hosts
        /// The name was an address literal: nothing was asked.
        case literal
        /// /etc/services or /etc/protocols.
        case database
        /// An expired cache entry (serve-stale, docs/cache.md): the upstreams failed or did
        /// not answer within `stale_answer_timeout_ms`.
        case stale
    }

    /// RFC 3339 in UTC with microseconds, `2026-11-29T18:40:01.123456Z`.
    public var time: String
    public var peer: Peer?
    /// `v1` for protocol v1; other front ends name themselves (`varlink`).
    public var frontend: String
    public var operation: Operation
    /// The name asked (`getaddrinfo`, `query`, `gethostbyname`, `getservbyname`, `getprotobyname`).
    public var name: String?
    /// The address asked (`getnameinfo`, `gethostbyaddr`).
    public var address: String?
    /// The record type (`query`), the port or the protocol number, as text.
    public var type: String?
    /// The result code (0 for success).
    public var status: Int32
    /// The symbol of a non-zero status, such as `WSAHOST_NOT_FOUND`.
    public var error: String?
    public var source: Source
    /// The route whose servers the answer came from (docs/routing.md): `.` for the default
    /// route; nil for what no upstream answers (literal, hosts, database).
    public var route: String?
    public var latencyMicroseconds: Int
    /// A short account of the answer: the addresses, or a record count.
    public var summary: String
    /// Events dropped for this monitor since the previous one it got (it read too slowly); 0 normally.
    public var dropped: Int

    public init(
        time: String, peer: Peer?, frontend: String, operation: Operation, name: String? = nil, address: String? = nil,
        type: String? = nil, status: Int32, error: String?, source: Source, route: String? = nil, latencyMicroseconds: Int, summary: String,
        dropped: Int = 0
    ) {
        self.time = time
        self.peer = peer
        self.frontend = frontend
        self.operation = operation
        self.name = name
        self.address = address
        self.type = type
        self.status = status
        self.error = error
        self.source = source
        self.route = route
        self.latencyMicroseconds = latencyMicroseconds
        self.summary = summary
        self.dropped = dropped
    }
}

extension MonitorEvent: JSONWritable {
    /// `{"time":…,"peer":{…},"frontend":…,"op":…,"name":…,"status":n,…}`; absent members are left out.
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"time\":")
        sink.string(time)
        if let peer {
            sink.raw(",\"peer\":{\"pid\":")
            sink.integer(peer.pid)
            sink.raw(",\"uid\":")
            sink.integer(peer.uid)
            sink.raw(",\"gid\":")
            sink.integer(peer.gid)
            sink.raw("}")
        }
        sink.raw(",\"frontend\":")
        sink.string(frontend)
        sink.raw(",\"op\":")
        sink.string(operation.rawValue)
        if let name {
            sink.raw(",\"name\":")
            sink.string(name)
        }
        if let address {
            sink.raw(",\"address\":")
            sink.string(address)
        }
        if let type {
            sink.raw(",\"type\":")
            sink.string(type)
        }
        sink.raw(",\"status\":")
        sink.integer(status)
        if let error {
            sink.raw(",\"error\":")
            sink.string(error)
        }
        sink.raw(",\"source\":")
        sink.string(source.rawValue)
        if let route {
            sink.raw(",\"route\":")
            sink.string(route)
        }
        sink.raw(",\"latency_us\":")
        sink.integer(latencyMicroseconds)
        sink.raw(",\"summary\":")
        sink.string(summary)
        if dropped > 0 {
            sink.raw(",\"dropped\":")
            sink.integer(dropped)
        }
        sink.raw("}")
    }

    /// Reads an `event` object; nil when a required member is missing or mistyped.
    public init?(json: JSONValue) {
        guard let object = json.objectValue, let time = object["time"]?.stringValue,
              let frontend = object["frontend"]?.stringValue,
              let operation = object["op"]?.stringValue.flatMap(Operation.init(rawValue:)),
              let status: Int32 = object.integer("status"),
              let source = object["source"]?.stringValue.flatMap(Source.init(rawValue:)),
              let latency: Int = object.integer("latency_us") else { return nil }
        var peer: Peer?
        if let value = object["peer"]?.objectValue {
            guard let pid: Int32 = value.integer("pid"), let uid: UInt32 = value.integer("uid"),
                  let gid: UInt32 = value.integer("gid") else { return nil }
            peer = Peer(pid: pid, uid: uid, gid: gid)
        }
        self.init(
            time: time, peer: peer, frontend: frontend, operation: operation, name: object["name"]?.stringValue,
            address: object["address"]?.stringValue, type: object["type"]?.stringValue, status: status,
            error: object["error"]?.stringValue, source: source, route: object["route"]?.stringValue, latencyMicroseconds: latency,
            summary: object["summary"]?.stringValue ?? "", dropped: object.integer("dropped") ?? 0)
    }
}

/// An event line: `{"id":<the monitor's id>,"event":{…}}\n`. It is not a reply: it has no
/// `status`, and the monitor's one reply comes when it ends.
public struct MonitorEventLine: JSONWritable {
    public var id: Int64
    public var event: MonitorEvent

    public init(id: Int64, event: MonitorEvent) {
        self.id = id
        self.event = event
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"id\":")
        sink.integer(id)
        sink.raw(",\"event\":")
        event.write(to: &sink)
        sink.raw("}\n")
    }
}
