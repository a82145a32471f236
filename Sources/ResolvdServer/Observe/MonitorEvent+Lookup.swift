import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Building a ``MonitorEvent`` from a finished lookup: only when some monitor will get it,
/// so none of this runs on the lookup path of a daemon nobody monitors.
extension MonitorEvent {
    init(
        key: LookupKey, result: Result<LookupValue, ResolverError>, peer: PeerCredentials?, frontend: String,
        source: MonitorEvent.Source, route: String?, latencyMicroseconds: UInt64
    ) {
        var question = Self.question(of: key)
        let status: Int32
        let error: String?
        let summary: String
        switch result {
        case .success(let value):
            (status, error, summary) = (0, nil, Self.summary(of: value))
        case .failure(let failure):
            // A message may quote the client's input; a refused question is reported escaped,
            // never as the bytes the daemon refused (ESC, BEL, a newline that forges a line).
            (status, error, summary) = (failure.code.rawValue, failure.code.symbol, TerminalText.escaped(failure.message))
            if failure.code == .invalidArgument {
                question = (question.name.map(TerminalText.escaped), question.address.map(TerminalText.escaped),
                            question.type.map(TerminalText.escaped))
            }
        }
        self.init(
            time: Self.now(), peer: peer.map { Peer(pid: $0.pid, uid: $0.uid, gid: $0.gid) }, frontend: frontend,
            operation: key.operation, name: question.name, address: question.address, type: question.type, status: status,
            error: error, source: source, route: route, latencyMicroseconds: Int(clamping: latencyMicroseconds), summary: summary)
    }

    /// The question as the op has it: a name, an address, a type.
    static func question(of key: LookupKey) -> (name: String?, address: String?, type: String?) {
        switch key {
        case .addressInfo(let request): (request.name, nil, request.service)
        case .nameInfo(let request): (nil, request.address, nil)
        case .query(let name, let type, _): (name, nil, type.rawValue)
        case .hostByName(let name, let family, _, _): (name, nil, family.rawValue)
        case .hostByAddress(let address, _, _): (nil, address, nil)
        case .serviceByName(let name, let proto, _): (name, nil, proto)
        case .serviceByPort(let port, let proto, _): (String(port), nil, proto)
        case .protocolByName(let name, _): (name, nil, nil)
        case .protocolByNumber(let number, _): (String(number), nil, nil)
        }
    }

    /// At most this many addresses are listed; the rest are counted.
    static let summaryAddresses = 4

    static func summary(of value: LookupValue) -> String {
        func list(_ addresses: [String]) -> String {
            var unique: [String] = []
            for address in addresses where !unique.contains(address) { unique.append(address) }
            let shown = unique.prefix(summaryAddresses).joined(separator: " ")
            return unique.count > summaryAddresses ? "\(shown) +\(unique.count - summaryAddresses) more" : shown
        }
        switch value {
        case .addressInfo(let info): return list(info.addresses.map(\.address))
        case .nameInfo(let info): return info.service.isEmpty ? info.host : "\(info.host) \(info.service)"
        case .query(let answer): return answer.records.count == 1 ? "1 record" : "\(answer.records.count) records"
        case .host(let entry): return entry.addresses.isEmpty ? entry.name : "\(entry.name) \(list(entry.addresses))"
        case .service(let entry): return "\(entry.name) \(entry.port)/\(entry.proto)"
        case .protocolEntry(let entry): return "\(entry.name) \(entry.number)"
        case .stale(let value): return summary(of: value)
        }
    }

    /// The wall-clock time as RFC 3339 in UTC with microseconds.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(spec.tv_nsec / 1000, 6))Z"
    }
}
