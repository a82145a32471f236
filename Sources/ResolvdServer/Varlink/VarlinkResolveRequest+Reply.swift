import NIOCore
import ResolvdProtocol
import ResolverCore

/// Where an answer came from, for the reply's `flags`.
enum AnswerOrigin {
    /// An IP literal or the hosts file (SD_RESOLVED_SYNTHETIC).
    case synthetic
    /// resolvd's answer cache (SD_RESOLVED_FROM_CACHE).
    case cache
    /// An upstream query, this caller's or one it joined (SD_RESOLVED_FROM_NETWORK).
    case network

    var flags: UInt64 {
        switch self {
        case .synthetic: ResolvedFlags.dns | ResolvedFlags.synthetic
        case .cache: ResolvedFlags.dns | ResolvedFlags.fromCache
        case .network: ResolvedFlags.dns | ResolvedFlags.fromNetwork
        }
    }
}

extension VarlinkResolveRequest {
    /// The reply message for a lookup's outcome, its NUL included: a ResolveHostname answer
    /// written straight into the buffer (``VarlinkHostnameReply``), anything else through
    /// ``reply(to:origin:)``'s parameters — the same bytes either way.
    func replyMessage(to result: Result<LookupValue, ResolverError>, origin: AnswerOrigin, allocator: ByteBufferAllocator) -> ByteBuffer {
        if case .hostname(let name) = method, case .success(.addressInfo(let info)) = result,
           let reply = VarlinkHostnameReply(info, name: name, flags: origin.flags) {
            return reply.message(allocator: allocator)
        }
        switch reply(to: result, origin: origin) {
        case .success(let parameters): return VarlinkReply.success(parameters, allocator: allocator)
        case .failure(let error): return VarlinkReply.failure(error, allocator: allocator)
        }
    }

    /// The reply's parameters for a lookup's outcome: exactly the members systemd-resolved
    /// sends (nss-resolve 252 refuses a reply with a member it does not know), `ifindex`
    /// left out as resolved leaves it out for answers not tied to an interface.
    func reply(to result: Result<LookupValue, ResolverError>, origin: AnswerOrigin) -> Result<JSONObject, VarlinkError> {
        let value: LookupValue
        switch result {
        case .success(let success): value = success
        case .failure(let error): return .failure(VarlinkError(error))
        }
        let flags = JSONValue.integer(Int64(origin.flags))
        switch (method, value) {
        case (.hostname(let name), .addressInfo(let info)):
            var seen: Set<String> = []
            var addresses: [JSONValue] = []
            for address in info.addresses where seen.insert(address.address).inserted {
                guard let (family, bytes) = Self.addressBytes(address.address) else { continue }
                addresses.append(.object(["family": .integer(family), "address": .array(bytes.map { .integer(Int64($0)) })]))
            }
            guard !addresses.isEmpty else { return .failure(.noSuchResourceRecord) }
            return .success(["addresses": .array(addresses), "name": .string(info.canonicalName ?? name), "flags": flags])
        case (.address, .host(let entry)):
            var seen: Set<String> = []
            let names = ([entry.name] + entry.aliases).filter { !$0.isEmpty && seen.insert($0).inserted }
            guard !names.isEmpty else { return .failure(.noSuchResourceRecord) }
            return .success(["names": .array(names.map { .object(["name": .string($0)]) }), "flags": flags])
        case (.record(let type), .query(let answer)):
            let records = answer.records.filter { $0.type == type }
            guard !records.isEmpty else { return .failure(.noSuchResourceRecord) }
            return .success([
                "rrs": .array(records.map { .object(["raw": .string(Base64.encode($0.wireFormat))]) }), "flags": flags,
            ])
        default:
            return .failure(.queryRefused)  // cannot happen: each key kind has one value kind
        }
    }
}
