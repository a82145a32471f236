import ResolvdProtocol
import ResolverCore

/// One io.systemd.Resolve.ResolveService call, as systemd-resolved answers it: the SRV
/// records of `name.type.domain`, each target's addresses (ResolveHostname's lookup, so it
/// shares the cache with it and with v1), and for a DNS-SD service (a `name`) its TXT
/// strings.
///
/// It runs on the connection's event loop and only combines answers; the lookups, their
/// cancellation on hang-up and the reply's place in the call order are
/// ``VarlinkConnectionHandler``'s. It answers once: an error of the SRV lookup, or
/// NoSuchResourceRecord / ServiceNotProvided, or, once every lookup has answered, the
/// services; when every target's address lookup failed, the last failure.
final class VarlinkServiceResolution {
    typealias LookUp = (LookupKey, @escaping (Result<LookupValue, ResolverError>, AnswerOrigin) -> Void) -> Void

    private let request: VarlinkResolveRequest.ServiceRequest
    private let flags: UInt64
    private let lookUp: LookUp
    private let answer: (Result<JSONObject, VarlinkError>) -> Void

    private var records: [(priority: UInt16, weight: UInt16, port: UInt16, target: String)] = []
    private var addresses: [String: Result<AddressInfo, ResolverError>] = [:]
    private var txt: [String]?
    private var pending = 0
    private var origins: UInt64 = 0
    private var answered = false

    init(_ request: VarlinkResolveRequest.ServiceRequest, flags: UInt64, lookUp: @escaping LookUp,
         answer: @escaping (Result<JSONObject, VarlinkError>) -> Void) {
        self.request = request
        self.flags = flags
        self.lookUp = lookUp
        self.answer = answer
    }

    func start() {
        pending = 1
        let wantsTXT = request.name != nil && flags & ResolvedFlags.noTXT == 0
        if wantsTXT { pending += 1 }
        // The resolution lives as long as its lookups' closures hold it.
        lookUp(.query(name: request.queryName, type: .srv, timeout: nil)) { result, origin in self.srvAnswered(result, origin) }
        if wantsTXT {
            lookUp(.query(name: request.queryName, type: .txt, timeout: nil)) { result, origin in
                if case .success(.query(let answer)) = result {
                    self.txt = answer.records.flatMap { record -> [String] in
                        if case .txt(let strings) = record.data { return strings }
                        return []
                    }
                    self.origins |= origin.flags
                }
                self.lookupDone()
            }
        }
    }

    private func srvAnswered(_ result: Result<LookupValue, ResolverError>, _ origin: AnswerOrigin) {
        origins |= origin.flags
        guard case .success(.query(let answer)) = result else {
            if case .failure(let error) = result { finish(.failure(VarlinkError(error))) } else { finish(.failure(.queryRefused)) }
            return
        }
        var rootOnly = false
        for record in answer.records {
            guard case .srv(let priority, let weight, let port, let target) = record.data else { continue }
            // A target of "." (RFC 2782): the service is explicitly not provided.
            if target.isEmpty || target == "." {
                rootOnly = true
                continue
            }
            records.append((priority, weight, port, target))
        }
        guard !records.isEmpty else {
            finish(.failure(rootOnly ? .serviceNotProvided : .noSuchResourceRecord))
            return
        }
        // Lowest priority first (RFC 2782), the upstream's order within one (a stable sort).
        records.sort { $0.priority < $1.priority }
        if flags & ResolvedFlags.noAddress == 0 {
            for target in Set(records.map(\.target)) {
                pending += 1
                let key = LookupKey.addressInfo(
                    AddressInfoRequest(name: target, family: request.family, socketType: .stream, flags: [.canonicalName]))
                lookUp(key) { result, origin in
                    self.origins |= origin.flags
                    self.addresses[target] = result.flatMap { value in
                        guard case .addressInfo(let info) = value else { return .failure(ResolverError(code: .noRecovery, message: "")) }
                        return .success(info)
                    }
                    self.lookupDone()
                }
            }
        }
        lookupDone()
    }

    private func lookupDone() {
        pending -= 1
        guard pending == 0 else { return }
        let failures = addresses.values.compactMap { result -> ResolverError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        if !addresses.isEmpty && failures.count == addresses.count {
            finish(.failure(VarlinkError(failures.last!)))
            return
        }
        let services = records.map { record -> JSONValue in
            var service: JSONObject = [
                "priority": .integer(Int64(record.priority)), "weight": .integer(Int64(record.weight)),
                "port": .integer(Int64(record.port)), "hostname": .string(record.target),
            ]
            if case .success(let info)? = addresses[record.target] {
                service["canonicalName"] = .string(info.canonicalName ?? record.target)
                var seen: Set<String> = []
                service["addresses"] = .array(info.addresses.compactMap { address in
                    guard seen.insert(address.address).inserted,
                          let (family, bytes) = VarlinkResolveRequest.addressBytes(address.address) else { return nil }
                    return .object(["family": .integer(family), "address": .array(bytes.map { .integer(Int64($0)) })])
                })
            }
            return .object(service)
        }
        var canonical: JSONObject = [:]
        if let name = request.name { canonical["name"] = .string(name) }
        canonical["type"] = .string(request.type ?? "")
        canonical["domain"] = .string(request.domain)
        var reply: JSONObject = ["services": .array(services)]
        if let txt { reply["txt"] = .array(txt.map { .string($0) }) }
        reply["canonical"] = .object(canonical)
        reply["flags"] = .integer(Int64(origins == 0 ? ResolvedFlags.dns : origins))
        finish(.success(reply))
    }

    private func finish(_ result: Result<JSONObject, VarlinkError>) {
        guard !answered else { return }
        answered = true
        answer(result)
    }
}
