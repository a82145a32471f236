import NIOCore
import ResolvdProtocol

/// Reads the call nss-resolve makes for every getaddrinfo —
/// `{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":…,"family":…,"flags":…}}`
/// — straight from its bytes into the request the generic path makes of it
/// (``VarlinkResolveRequest/hostname(_:family:flags:)``), without a `JSONValue` tree, a
/// `String` per key or a parameter reader.
///
/// Written by hand only because it is hot: every glibc program's every lookup comes this way,
/// one call per connection, and the generic path (``VarlinkCall``, then
/// ``VarlinkResolveRequest/decode(method:parameters:)``) was ~16,000 instructions of a call's
/// ~74,000 (docs/performance.md). It decides nothing the generic path decides: the rules of
/// the parameters are ``VarlinkResolveRequest/Rules``, which both follow.
///
/// It does not read (``request(_:)`` returns nil, and the generic path reads the call and
/// answers it as it always did): any other method; members other than `method` and
/// `parameters`, or other than `name`, `family`, `flags` and `ifindex` in the parameters
/// (`oneway`, `more`, …); a member twice; `null`; a string with an escape or a byte
/// outside printable ASCII; numbers with a fraction, an exponent or more than 18 digits; and
/// values the rules refuse — so that every error is the generic path's to report.
enum VarlinkHostnameCall {
    static let method: StaticString = "io.systemd.Resolve.ResolveHostname"

    /// The request of `message` (one NUL-terminated message, the NUL not included), or nil
    /// for any call this reader leaves to the generic path.
    static func request(_ message: ByteBuffer) -> VarlinkResolveRequest? {
        message.withUnsafeReadableBytes { bytes -> VarlinkResolveRequest? in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
            var tokens = PlainJSONTokens(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            return read(&tokens)
        }
    }

    /// The parameters as read: each member at most once.
    private struct Parameters {
        var name: (start: Int, end: Int)?
        var family: Int?
        var flags: Int?
        var interfaceIndex: Int?
    }

    private static func read(_ tokens: inout PlainJSONTokens) -> VarlinkResolveRequest? {
        var hasMethod = false
        var parameters: Parameters?
        let wellFormed = tokens.readMembers { key, tokens in
            if tokens.bytes(key.start, key.end, are: "method"), !hasMethod {
                guard let value = tokens.readPlainString(), tokens.bytes(value.start, value.end, are: method) else { return false }
                hasMethod = true
                return true
            }
            if tokens.bytes(key.start, key.end, are: "parameters"), parameters == nil {
                parameters = readParameters(&tokens)
                return parameters != nil
            }
            return false
        }
        tokens.skipWhitespace()
        guard wellFormed, tokens.isAtEnd, hasMethod, let parameters, let name = parameters.name, name.end > name.start else { return nil }
        if let index = parameters.interfaceIndex, !VarlinkResolveRequest.Rules.isInterfaceIndex(Int64(index)) { return nil }
        guard let family = VarlinkResolveRequest.Rules.family(parameters.family.map(Int64.init), optional: true),
              let flags = VarlinkResolveRequest.Rules.flags(Int64(parameters.flags ?? 0), accepted: VarlinkResolveRequest.hostnameFlags)
        else { return nil }
        return .hostname(tokens.string(name.start, name.end), family: family, flags: flags)
    }

    private static func readParameters(_ tokens: inout PlainJSONTokens) -> Parameters? {
        var parameters = Parameters()
        let wellFormed = tokens.readMembers { key, tokens in
            if tokens.bytes(key.start, key.end, are: "name"), parameters.name == nil {
                parameters.name = tokens.readPlainString()
                return parameters.name != nil
            }
            if tokens.bytes(key.start, key.end, are: "family") { return readInteger(into: &parameters.family, &tokens) }
            if tokens.bytes(key.start, key.end, are: "flags") { return readInteger(into: &parameters.flags, &tokens) }
            if tokens.bytes(key.start, key.end, are: "ifindex") { return readInteger(into: &parameters.interfaceIndex, &tokens) }
            return false
        }
        return wellFormed ? parameters : nil
    }

    /// An integer member not read before.
    private static func readInteger(into member: inout Int?, _ tokens: inout PlainJSONTokens) -> Bool {
        guard member == nil, let value = tokens.readInteger() else { return false }
        member = value
        return true
    }
}
