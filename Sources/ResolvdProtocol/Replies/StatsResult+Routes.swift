/// `stats`'s `routes` (docs/protocol.md, docs/routing.md): one object per route, in the
/// order a lookup's route is listed in `resolvdctl status` — `.` first, then the
/// configured routes, then the links'.
public struct RouteStatistics: Hashable, Sendable {
    /// `.`, a configured route's first domain, or `link:IFACE`.
    public var name: String
    /// How many routing domains lead to it.
    public var domains: Int
    /// Upstream lookups that took it (cache hits and joined lookups are not counted).
    public var lookups: Int

    public init(name: String, domains: Int, lookups: Int) {
        self.name = name
        self.domains = domains
        self.lookups = lookups
    }

    init?(json: JSONValue) {
        guard let object = json.objectValue, let name = object["name"]?.stringValue,
              let domains: Int = object.integer("domains"), let lookups: Int = object.integer("lookups") else { return nil }
        self.init(name: name, domains: domains, lookups: lookups)
    }

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"name\":")
        sink.string(name)
        sink.raw(",\"domains\":")
        sink.integer(domains)
        sink.raw(",\"lookups\":")
        sink.integer(lookups)
        sink.raw("}")
    }
}

extension StatsResult {
    /// Writes `,"routes":[…]`.
    func writeRoutes<Sink: JSONSink>(to sink: inout Sink) {
        Self.writeArray("routes", routes, to: &sink) { $0.write(to: &$1) }
    }

    /// Reads `routes`; absent (a daemon from before routes) reads as none.
    static func routes(in object: JSONObject) -> [RouteStatistics]? {
        array("routes", in: object, RouteStatistics.init(json:))
    }

    /// `resolvd_route_lookups_total{route=…}`; none without routes.
    var routeFamilies: [PrometheusFamily] {
        guard !routes.isEmpty else { return [] }
        return [PrometheusFamily(
            name: "resolvd_route_lookups_total",
            help: "Upstream lookups started, by the route their name took (docs/routing.md): '.' is the default route.",
            kind: .counter, samples: routes.map { ("", [("route", $0.name)], String($0.lookups)) })]
    }
}
