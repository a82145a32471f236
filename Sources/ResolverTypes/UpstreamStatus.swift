/// What the resolver knows about one upstream: its health as failover sees it and its
/// traffic (docs/reliability.md), as `stats` reports it (`upstreams`, docs/protocol.md;
/// the wire names are ResolvdProtocol's). A snapshot: counters since the resolver started
/// (a reload starts them again).
public struct UpstreamStatus: Hashable, Sendable {
    /// `HOST:PORT` as configured.
    public var address: String
    /// Whether the channels ask it in its configured place (`true`) or after every
    /// upstream that is up (`false`, and the prober asks it until it answers).
    public var up: Bool
    /// When it last went up or down, in milliseconds since the Unix epoch.
    public var sinceUnixMilliseconds: Int
    public var consecutiveFailures: Int
    /// DNS queries sent to it, UDP and TCP, tries and probes included.
    public var queries: Int
    /// Replies received from it, whatever their rcode.
    public var answers: Int
    /// Tries it did not answer before c-ares moved on or gave up.
    public var timeouts: Int
    public var serverFailures: Int
    public var refused: Int
    /// Replies with the TC bit (c-ares asks again over TCP).
    public var truncated: Int
    /// Socket errors (port unreachable, connection refused or reset).
    public var errors: Int
    /// Probes sent while it was down.
    public var probes: Int
    /// Round-trip time of the replies matched to their query, in microseconds; 0 before the first.
    public var roundTripP50Microseconds: Int
    public var roundTripP99Microseconds: Int
    /// The route whose resolver asks it (docs/routing.md): `.` for the default route.
    public var route: String = "."

    public init(
        address: String, up: Bool = true, sinceUnixMilliseconds: Int = 0, consecutiveFailures: Int = 0,
        queries: Int = 0, answers: Int = 0, timeouts: Int = 0, serverFailures: Int = 0, refused: Int = 0,
        truncated: Int = 0, errors: Int = 0, probes: Int = 0,
        roundTripP50Microseconds: Int = 0, roundTripP99Microseconds: Int = 0
    ) {
        self.address = address
        self.up = up
        self.sinceUnixMilliseconds = sinceUnixMilliseconds
        self.consecutiveFailures = consecutiveFailures
        self.queries = queries
        self.answers = answers
        self.timeouts = timeouts
        self.serverFailures = serverFailures
        self.refused = refused
        self.truncated = truncated
        self.errors = errors
        self.probes = probes
        self.roundTripP50Microseconds = roundTripP50Microseconds
        self.roundTripP99Microseconds = roundTripP99Microseconds
    }
}
