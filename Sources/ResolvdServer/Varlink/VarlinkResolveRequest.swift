import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// An io.systemd.Resolve call decoded into the lookup it asks for: which ``LookupKey`` the
/// ``LookupService`` runs (so that it shares the cache and in-flight lookups with protocol
/// v1), and what the reply needs besides the answer.
///
/// Parameters are checked as systemd-resolved checks them: an unknown member, a member of
/// the wrong type or out of range is `org.varlink.service.InvalidParameter` naming it.
struct VarlinkResolveRequest: Sendable {
    enum Method: Sendable {
        /// ResolveHostname: v1's `getaddrinfo` with socktype stream and `canonname`.
        case hostname(name: String)
        /// ResolveAddress: v1's `gethostbyaddr` with the default buffer.
        case address
        /// ResolveRecord: v1's `query`; only records of `type` are answered.
        case record(type: DNSRecordType)
        /// ResolveService: an SRV `query`, then ResolveHostname's lookup of each target and,
        /// for a DNS-SD service, a TXT `query` (``VarlinkServiceResolution``).
        case service(ServiceRequest)
    }

    /// What ResolveService asks: a DNS-SD service (`name` set), or a simple SRV service.
    struct ServiceRequest: Sendable {
        var name: String?
        var type: String?
        var domain: String
        var family: AddressFamily

        /// The name whose SRV (and TXT) records are asked: `name.type.domain`.
        var queryName: String { [name, type, domain].compactMap { $0 }.joined(separator: ".") }
    }

    var method: Method
    var key: LookupKey
    var flags: UInt64

    /// Whether the cache is skipped (SD_RESOLVED_NO_CACHE).
    var bypassesCache: Bool { flags & ResolvedFlags.noCache != 0 }

    /// Whether an expired cache entry may answer when the upstreams fail (not SD_RESOLVED_NO_STALE).
    var allowsStale: Bool { flags & ResolvedFlags.noStale == 0 }

    /// Decodes a call of `method` (the name after "io.systemd.Resolve.").
    static func decode(method: String, parameters: JSONObject) throws(VarlinkError) -> VarlinkResolveRequest {
        var reader = ParameterReader(parameters)
        let request: VarlinkResolveRequest
        switch method {
        case "ResolveHostname":
            _ = try reader.interfaceIndex()
            let name = try reader.string("name")
            let family = try reader.family(optional: true)
            let flags = try reader.flags(allowing: ResolvedFlags.noSearch)
            request = .hostname(name, family: family, flags: flags)
        case "ResolveAddress":
            _ = try reader.interfaceIndex()
            let family = try reader.family(optional: false)
            let bytes = try reader.addressBytes()
            let flags = try reader.flags(allowing: 0)
            guard let text = Self.addressText(bytes, family: family) else { throw .badAddressSize }
            request = VarlinkResolveRequest(
                method: .address,
                key: .hostByAddress(address: text, bufferLength: WindowsBufferLayout.defaultBufferLength, timeout: nil), flags: flags)
        case "ResolveRecord":
            _ = try reader.interfaceIndex()
            let name = try reader.string("name")
            if let recordClass = try reader.optionalInteger("class"), recordClass != 1 {
                throw .resourceRecordTypeUnsupported  // only class IN is asked upstream
            }
            guard let number = try reader.optionalInteger("type"), (0...65535).contains(number) else {
                throw .invalidParameter("type")
            }
            guard let type = DNSRecordType(number: UInt16(number)) else { throw .resourceRecordTypeUnsupported }
            let flags = try reader.flags(allowing: ResolvedFlags.noSearch)
            request = VarlinkResolveRequest(method: .record(type: type), key: .query(name: name, type: type, timeout: nil), flags: flags)
        case "ResolveService":
            let name = try reader.optionalString("name")
            let type = try reader.optionalString("type")
            let domain = try reader.string("domain")
            _ = try reader.interfaceIndex()
            let family = try reader.family(optional: true)
            let flags = try reader.flags(allowing: ResolvedFlags.noTXT | ResolvedFlags.noAddress)
            // The name is one label (spaces allowed, dots not: the engine takes names as text).
            if let name, name.contains(".") || name.utf8.count > 63 { throw .invalidParameter("name") }
            if name != nil && type == nil { throw .invalidParameter("type") }
            if let type, type.split(separator: ".").count != 2 || !type.hasPrefix("_") { throw .invalidParameter("type") }
            let service = ServiceRequest(name: name, type: type, domain: domain, family: family)
            request = VarlinkResolveRequest(
                method: .service(service), key: .query(name: service.queryName, type: .srv, timeout: nil), flags: flags)
        default:
            throw .methodNotFound("io.systemd.Resolve." + method)
        }
        try reader.rejectUnread()
        return request
    }

    /// ResolveHostname's request: v1's `getaddrinfo` of `name` with socktype stream and `canonname`.
    static func hostname(_ name: String, family: AddressFamily, flags: UInt64) -> VarlinkResolveRequest {
        let lookup = AddressInfoRequest(name: name, family: family, socketType: .stream, flags: [.canonicalName])
        return VarlinkResolveRequest(method: .hostname(name: name), key: .addressInfo(lookup), flags: flags)
    }

    /// ResolveHostname's flags: what systemd-resolved accepts for it (and for every method).
    static let hostnameFlags = ResolvedFlags.acceptedByEveryMethod | ResolvedFlags.noSearch

    /// The rules of the parameters every decoder of a call follows (the generic one here and
    /// ``VarlinkHostnameCall``'s): nil where systemd-resolved refuses the value.
    enum Rules {
        /// `ifindex` (accepted and ignored): 0 … INT32_MAX.
        static func isInterfaceIndex(_ value: Int64) -> Bool { value >= 0 && value <= Int64(Int32.max) }

        /// `family`: AF_UNSPEC (only where the method makes it optional; also what a missing
        /// one means there), AF_INET or AF_INET6.
        static func family(_ value: Int64?, optional: Bool) -> AddressFamily? {
            switch value ?? (optional ? Int64(AF_UNSPEC) : -1) {
            case Int64(AF_UNSPEC) where optional: .unspecified
            case Int64(AF_INET): .inet
            case Int64(AF_INET6): .inet6
            default: nil
            }
        }

        /// `flags`: the bits `accepted`, and no others.
        static func flags(_ value: Int64, accepted: UInt64) -> UInt64? {
            value >= 0 && UInt64(value) & ~accepted == 0 ? UInt64(value) : nil
        }
    }

    /// An address's bytes as text, when their count fits the family (4 or 16).
    static func addressText(_ bytes: [UInt8], family: AddressFamily) -> String? {
        switch (family, bytes.count) {
        case (.inet, 4): bytes.withUnsafeBytes { IPAddress.text(ipv4: $0) }
        case (.inet6, 16): bytes.withUnsafeBytes { IPAddress.text(ipv6: $0) }
        default: nil
        }
    }

    /// The family (AF_INET or AF_INET6) and bytes of an IP address written as text.
    static func addressBytes(_ text: String) -> (family: Int64, bytes: [UInt8])? {
        IPAddress(parsing: text).map { (familyNumber($0), $0.bytes) }
    }

    /// An address's family as a reply writes it.
    static func familyNumber(_ address: IPAddress) -> Int64 {
        address.family == .inet ? Int64(AF_INET) : Int64(AF_INET6)
    }
}

/// Reads a call's parameters and remembers which it read, so that the rest can be refused.
private struct ParameterReader {
    let parameters: JSONObject
    var read: Set<String> = []

    init(_ parameters: JSONObject) {
        self.parameters = parameters
    }

    mutating func optionalInteger(_ key: String) throws(VarlinkError) -> Int64? {
        read.insert(key)
        switch parameters[key] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        default: throw .invalidParameter(key)
        }
    }

    /// A string member that may be missing, null or empty (all three: none).
    mutating func optionalString(_ key: String) throws(VarlinkError) -> String? {
        read.insert(key)
        switch parameters[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value.isEmpty ? nil : value
        default: throw .invalidParameter(key)
        }
    }

    mutating func string(_ key: String) throws(VarlinkError) -> String {
        read.insert(key)
        guard case .string(let value)? = parameters[key], !value.isEmpty else { throw .invalidParameter(key) }
        return value
    }

    /// `ifindex`: accepted and ignored (resolvd has one set of upstreams for every interface).
    mutating func interfaceIndex() throws(VarlinkError) -> Int64? {
        guard let index = try optionalInteger("ifindex") else { return nil }
        guard VarlinkResolveRequest.Rules.isInterfaceIndex(index) else { throw .invalidParameter("ifindex") }
        return index
    }

    /// `family`: AF_UNSPEC (only where optional), AF_INET or AF_INET6.
    mutating func family(optional: Bool) throws(VarlinkError) -> AddressFamily {
        guard let family = VarlinkResolveRequest.Rules.family(try optionalInteger("family"), optional: optional) else {
            throw .invalidParameter("family")
        }
        return family
    }

    /// `flags`: the bits systemd-resolved accepts for the method, and no others.
    mutating func flags(allowing methodFlags: UInt64) throws(VarlinkError) -> UInt64 {
        guard let value = try optionalInteger("flags") else { return 0 }
        guard let flags = VarlinkResolveRequest.Rules.flags(value, accepted: ResolvedFlags.acceptedByEveryMethod | methodFlags) else {
            throw .invalidParameter("flags")
        }
        return flags
    }

    /// `address`: 4 or 16 integers in 0…255.
    mutating func addressBytes() throws(VarlinkError) -> [UInt8] {
        read.insert("address")
        guard case .array(let elements)? = parameters["address"] else { throw .invalidParameter("address") }
        var bytes: [UInt8] = []
        for element in elements {
            guard case .integer(let value) = element, (0...255).contains(value) else { throw .invalidParameter("address") }
            bytes.append(UInt8(value))
        }
        guard bytes.count == 4 || bytes.count == 16 else { throw .invalidParameter("address") }
        return bytes
    }

    func rejectUnread() throws(VarlinkError) {
        if let unknown = parameters.keys.first(where: { !read.contains($0) }) { throw .invalidParameter(unknown) }
    }
}

/// The SD_RESOLVED_* bits of systemd's resolved-def.h that resolvd reads or reports.
enum ResolvedFlags {
    static let dns: UInt64 = 1 << 0
    static let protocolsAll: UInt64 = 0x1f  // DNS, LLMNR IPv4/IPv6, mDNS IPv4/IPv6
    static let noCNAME: UInt64 = 1 << 5
    static let noTXT: UInt64 = 1 << 6
    static let noAddress: UInt64 = 1 << 7
    static let noSearch: UInt64 = 1 << 8
    static let noValidate: UInt64 = 1 << 10
    static let noSynthesize: UInt64 = 1 << 11
    static let noCache: UInt64 = 1 << 12
    static let noZone: UInt64 = 1 << 13
    static let noTrustAnchor: UInt64 = 1 << 14
    static let noNetwork: UInt64 = 1 << 15
    static let synthetic: UInt64 = 1 << 19
    static let fromCache: UInt64 = 1 << 20
    static let fromNetwork: UInt64 = 1 << 23
    static let noStale: UInt64 = 1 << 24

    /// What systemd-resolved accepts from every lookup method (validate_and_mangle_flags).
    static let acceptedByEveryMethod: UInt64 =
        protocolsAll | noCNAME | noValidate | noSynthesize | noCache | noZone | noTrustAnchor | noNetwork | noStale
}
