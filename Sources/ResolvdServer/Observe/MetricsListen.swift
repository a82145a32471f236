#if canImport(Glibc)
import Glibc
#endif

/// The `metrics_listen` setting: where resolvd serves its Prometheus text over HTTP at
/// `/metrics`. Off by default; a loopback address unless `metrics_allow_remote = yes`,
/// because the metrics name client uids and the busiest ones' counts.
public struct MetricsListen: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`; the host must be an IP address. Port 0 asks the
    /// kernel for a free port: the daemon logs the one it bound (and shows it in STATUS=).
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port), Self.family(of: String(host)) != nil else { return nil }
        self.init(host: String(host), port: port)
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch Self.family(of: host) {
        case AF_INET: host.hasPrefix("127.")
        case AF_INET6: host == "::1"
        default: false
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func family(of host: String) -> Int32? {
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw in
            if inet_pton(AF_INET, host, raw.baseAddress) == 1 { return AF_INET }
            if inet_pton(AF_INET6, host, raw.baseAddress) == 1 { return AF_INET6 }
            return nil
        }
    }
}
