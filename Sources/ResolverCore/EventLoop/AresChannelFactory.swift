import CAres

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide `ares_library_init`, done once before the first channel.
enum AresLibrary {
    private static let initialized: Bool = {
        ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS
    }()

    static func initializeOnce() {
        precondition(initialized, "ares_library_init failed")
    }
}

/// Creates c-ares channels configured the way resolvd drives them: DNS only (the hosts
/// file is resolvd's own), our servers and search list rather than /etc/resolv.conf's,
/// socket readiness reported to a ``SocketWatcher``, large UDP receive buffers, the
/// upstreams in `order` (up ones first, see ``UpstreamBoard``), and every socket call seen
/// by `traffic` (which must outlive the channel).
enum AresChannelFactory {
    static func makeChannel(
        configuration: ResolverConfiguration, watcher: SocketWatcher, order: [Int], traffic: UpstreamTraffic
    ) throws(ResolverError) -> ares_channel {
        AresLibrary.initializeOnce()
        var options = ares_options()
        var mask: Int32 = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS
        mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS | ARES_OPT_SOCK_STATE_CB
        // With one upstream there is nothing to fail over to, so let its SERVFAIL or REFUSED
        // through as such (WSATRY_AGAIN / WSANO_RECOVERY). With several, c-ares' default
        // moves on to the next server and reports ECONNREFUSED when all refused.
        options.flags = configuration.servers.count == 1 ? ARES_FLAG_NOCHECKRESP : 0
        // Sockets stay open between queries: c-ares 1.18 otherwise closes them whenever no
        // query is in flight, so one lookup at a time paid socket, setsockopt ×3, connect,
        // epoll_ctl ×2 and close each (docs/performance.md). The ChannelLoop replaces the
        // channel once its sockets have lived `upstreamSocketLifetime`, for fresh ports.
        options.flags |= ARES_FLAG_STAYOPEN
        options.timeout = configuration.timeoutPerTryMilliseconds
        options.tries = Int32(configuration.tries)
        options.ndots = Int32(configuration.ndots)
        if configuration.socketReceiveBufferBytes > 0 {
            options.socket_receive_buffer_size = Int32(clamping: configuration.socketReceiveBufferBytes)
            mask |= ARES_OPT_SOCK_RCVBUF
        }
        options.sock_state_cb = { data, fd, readable, writable in
            guard let data else { return }
            Unmanaged<SocketWatcher>.fromOpaque(data).takeUnretainedValue()
                .socketStateChanged(fd, readable: readable != 0, writable: writable != 0)
        }
        // The channel holds this pointer; the ChannelLoop keeps the watcher alive past ares_destroy.
        options.sock_state_cb_data = Unmanaged.passUnretained(watcher).toOpaque()

        var channel: ares_channel?
        let status: Int32 = "b".withCString { lookups in
            withCStringArray(configuration.searchDomains) { domains in
                options.lookups = UnsafeMutablePointer(mutating: lookups)
                options.domains = domains
                options.ndomains = Int32(configuration.searchDomains.count)
                return ares_init_options(&channel, &options, mask)
            }
        }
        guard status == ARES_SUCCESS, let channel else {
            throw ResolverError(code: .noRecovery, message: "c-ares init failed: \(String(cString: ares_strerror(status)))")
        }
        traffic.install(on: channel)
        if configuration.socketReceiveBufferBytes > 0 {
            ares_set_socket_configure_callback(channel, { fd, type, data in
                guard type == SOCK_DGRAM.rawValue else { return 0 }
                // UpstreamTraffic.open has set SO_RCVBUF already; this adds
                // SO_RCVBUFFORCE, exactly as the resolver's measurement asked.
                ReceiveBufferCapacity.request(Int32(truncatingIfNeeded: Int(bitPattern: data)), on: fd)
                return 0
            }, UnsafeMutableRawPointer(bitPattern: Int(Int32(clamping: configuration.socketReceiveBufferBytes))))
        }
        do {
            try setServers(order.map { configuration.servers[$0] }, on: channel)
        } catch {
            ares_destroy(channel)
            throw error
        }
        return channel
    }

    private static func setServers(_ servers: [DNSServerAddress], on channel: ares_channel) throws(ResolverError) {
        var nodes = [ares_addr_port_node](repeating: ares_addr_port_node(), count: servers.count)
        for (index, server) in servers.enumerated() {
            guard let address = IPAddress(parsing: server.host) else {
                throw .invalidArgument("upstream '\(server)' is not an IP address")
            }
            var node = ares_addr_port_node()
            node.udp_port = Int32(server.port)
            node.tcp_port = Int32(server.port)
            let bytes = address.bytes
            switch address.family {
            case .inet6:
                node.family = AF_INET6
                withUnsafeMutableBytes(of: &node.addr.addr6) { raw in raw.copyBytes(from: bytes) }
            default:
                node.family = AF_INET
                withUnsafeMutableBytes(of: &node.addr.addr4) { raw in raw.copyBytes(from: bytes) }
            }
            nodes[index] = node
        }
        let status: Int32 = nodes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices.dropLast() {
                buffer[index].next = buffer.baseAddress! + index + 1
            }
            return ares_set_servers_ports(channel, buffer.baseAddress)
        }
        guard status == ARES_SUCCESS else {
            throw .invalidArgument("c-ares rejected the upstream servers: \(String(cString: ares_strerror(status)))")
        }
    }
}

/// Calls `body` with a C array of C strings (nil for an empty list), valid for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    var array = pointers
    return array.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
