/// Every request member any op reads, by its wire name: the decoder and the encoder spell
/// parameters only through this list, so they cannot drift apart.
enum Parameter: String, CaseIterable {
    case id, op, name, service, family, socktype, `protocol`, flags
    case timeout = "timeout_ms"
    case address, port, type, buflen, proto, number, handle, limit
    /// `"stale": false`: never answer this lookup from an expired cache entry.
    case stale
    /// `link`, `revert_link`.
    case interface, dns, domains
    case defaultRoute = "default_route"

    /// By wire name, written out: with more than 16 cases the synthesized `init(rawValue:)`
    /// goes through a cached hash table (`_findStringSwitchCaseWithCache`: hashing and a
    /// dictionary probe, ~500 instructions more per request in callgrind than comparing
    /// names one by one), and the decoder maps every member of every request through it.
    /// Most frequent first.
    init?(rawValue: String) {
        switch rawValue {
        case "id": self = .id
        case "op": self = .op
        case "name": self = .name
        case "family": self = .family
        case "type": self = .type
        case "timeout_ms": self = .timeout
        case "socktype": self = .socktype
        case "service": self = .service
        case "protocol": self = .protocol
        case "flags": self = .flags
        case "address": self = .address
        case "port": self = .port
        case "handle": self = .handle
        case "buflen": self = .buflen
        case "proto": self = .proto
        case "number": self = .number
        case "stale": self = .stale
        case "limit": self = .limit
        case "interface": self = .interface
        case "dns": self = .dns
        case "domains": self = .domains
        case "default_route": self = .defaultRoute
        default: return nil
        }
    }

    /// This parameter's bit in the decoder's set of members read (no allocation per request).
    var bit: UInt32 {
        switch self {
        case .id: 1 << 0
        case .op: 1 << 1
        case .name: 1 << 2
        case .service: 1 << 3
        case .family: 1 << 4
        case .socktype: 1 << 5
        case .protocol: 1 << 6
        case .flags: 1 << 7
        case .timeout: 1 << 8
        case .address: 1 << 9
        case .port: 1 << 10
        case .type: 1 << 11
        case .buflen: 1 << 12
        case .proto: 1 << 13
        case .number: 1 << 14
        case .handle: 1 << 15
        case .limit: 1 << 16
        case .stale: 1 << 17
        case .interface: 1 << 18
        case .dns: 1 << 19
        case .domains: 1 << 20
        case .defaultRoute: 1 << 21
        }
    }

    /// One `Element` per parameter, by ``index``, kept inline (no allocation per request).
    /// The count is a literal because generic value arguments must be; ParameterTests
    /// checks it against `allCases`.
    typealias Table<Element> = InlineArray<22, Element>

    /// This parameter's position in a ``Table``: its bit's.
    var index: Int { bit.trailingZeroBitCount }
}
