import CAres

#if canImport(Glibc)
import Glibc
#endif

/// Carries a Swift handler through a c-ares callback's `void *arg`. Retained for the
/// life of the c-ares operation; c-ares calls back exactly once (also on destruction).
private final class AresCallbackBox<Payload> {
    let loop: ChannelLoop
    let queries: Int
    let handler: (Int32, Payload) -> Void

    init(loop: ChannelLoop, queries: Int, handler: @escaping (Int32, Payload) -> Void) {
        self.loop = loop
        self.queries = queries
        self.handler = handler
    }

    static func fire(_ argument: UnsafeMutableRawPointer?, status: Int32, payload: Payload) {
        let box = Unmanaged<AresCallbackBox<Payload>>.fromOpaque(argument!).takeRetainedValue()
        box.loop.operationFinished(queries: box.queries)
        box.handler(status, payload)
    }
}

/// The c-ares calls lookups make. Each runs on the holder of the channel (the loop thread,
/// or a thread starting a lookup or reading a reply at once), counts the queries it sends at
/// once as in flight, and calls `handler` on the holder of the channel exactly once — with the answer, an
/// error status, or ARES_EDESTRUCTION when the channel is torn down. Handlers must not
/// keep the pointers they are given.
extension ChannelLoop {
    /// ares_query: one question, the raw answer (empty on failure).
    func query(name: String, type: UInt16, handler: @escaping (Int32, UnsafeRawBufferPointer) -> Void) {
        start(queries: 1, handler: handler) { channel, box in
            // withCString lends a native string's own bytes; passing `name` as the argument
            // made a heap copy of it (`utf8CString`) per query.
            name.withCString { name in
                ares_query(channel, name, Int32(ns_c_in.rawValue), Int32(type), { argument, status, _, answer, length in
                    AresCallbackBox<UnsafeRawBufferPointer>.fire(
                        argument, status: status, payload: UnsafeRawBufferPointer(start: answer, count: answer == nil ? 0 : Int(length)))
                }, box)
            }
        }
    }

    /// ares_send: a query built by the caller (its id included), the raw answer (empty on
    /// failure). c-ares still does the transport: servers, tries, TCP after a truncated reply.
    func send(_ query: [UInt8], handler: @escaping (Int32, UnsafeRawBufferPointer) -> Void) {
        start(queries: 1, handler: handler) { channel, box in
            query.withUnsafeBufferPointer { bytes in
                ares_send(channel, bytes.baseAddress, Int32(bytes.count), { argument, status, _, answer, length in
                    AresCallbackBox<UnsafeRawBufferPointer>.fire(
                        argument, status: status, payload: UnsafeRawBufferPointer(start: answer, count: answer == nil ? 0 : Int(length)))
                }, box)
            }
        }
    }

    /// ares_getaddrinfo for a name (never a literal, never with a service: resolvd does
    /// those itself). The result list is freed after `handler` returns.
    func addressInfo(
        name: String, family: Int32, handler: @escaping (Int32, UnsafeMutablePointer<ares_addrinfo>?) -> Void
    ) {
        var hints = ares_addrinfo_hints()
        hints.ai_family = family
        // NOSORT: c-ares 1.18's RFC 6724 sort connect()s a UDP socket per address; the
        // order resolvd returns is documented instead.
        hints.ai_flags = ARES_AI_NOSORT | ARES_AI_CANONNAME
        // AF_UNSPEC asks A and AAAA at the same time.
        start(queries: family == AF_UNSPEC ? 2 : 1, handler: handler) { channel, box in
            ares_getaddrinfo(channel, name, nil, &hints, { argument, status, _, result in
                defer { if let result { ares_freeaddrinfo(result) } }
                AresCallbackBox<UnsafeMutablePointer<ares_addrinfo>?>.fire(argument, status: status, payload: result)
            }, box)
        }
    }

    /// A PTR lookup, as a hostent: ares_query on the reverse name, then ares_parse_ptr_reply.
    ///
    /// Not ares_gethostbyaddr: c-ares 1.18 reports every failure of that one (SERVFAIL, no
    /// answer at all) as ARES_ENOTFOUND, "no such name", where the caller must learn that
    /// a retry may succeed. Here the query's own status comes through; an answer without a
    /// PTR record is ARES_ENODATA.
    func hostByAddress(_ address: IPAddress, handler: @escaping (Int32, UnsafeMutablePointer<hostent>?) -> Void) {
        let bytes = address.bytes
        let family = address.family == .inet6 ? AF_INET6 : AF_INET
        query(name: address.reverseName, type: UInt16(ns_t_ptr.rawValue)) { status, answer in
            guard status == ARES_SUCCESS, let base = answer.baseAddress else {
                handler(status, nil)
                return
            }
            var host: UnsafeMutablePointer<hostent>?
            let parsed = bytes.withUnsafeBytes { raw in
                ares_parse_ptr_reply(
                    base.assumingMemoryBound(to: UInt8.self), Int32(answer.count), raw.baseAddress, Int32(raw.count), family, &host)
            }
            defer { if let host { ares_free_hostent(host) } }
            handler(parsed, parsed == ARES_SUCCESS ? host : nil)
        }
    }

    /// Boxes `handler` with the number of queries the operation sends, so that the count
    /// ``withChannel(queries:_:)`` adds is the one the callback takes away, and runs `body`
    /// with the channel and the box to pass as the c-ares callback's argument.
    private func start<Payload>(
        queries: Int, handler: @escaping (Int32, Payload) -> Void, _ body: (ares_channel, UnsafeMutableRawPointer) -> Void
    ) {
        let box = Unmanaged.passRetained(AresCallbackBox(loop: self, queries: queries, handler: handler)).toOpaque()
        withChannel(queries: queries) { body($0, box) }
    }
}
