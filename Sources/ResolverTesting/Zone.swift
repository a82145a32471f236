/// A DNS zone for ``UnboundServer``: its origin and master-file text.
public struct Zone: Sendable, Hashable {
    /// The apex, fully qualified with the trailing dot ("example.test.").
    public var origin: String
    /// The zone in master-file format.
    public var text: String

    public init(origin: String, text: String) {
        self.origin = origin.hasSuffix(".") ? origin : origin + "."
        self.text = text
    }

    // Every record below carries an explicit TTL on purpose: unbound's zone-file parser
    // lets a record without a TTL inherit the *previous record's explicit TTL* rather than
    // $TTL (RFC 1035 style), so `*.wild` after `longttl 86400` came out with TTL 86400.

    /// example.test., $TTL 300. Other tests depend on this exact content.
    public static let example = Zone(origin: "example.test.", text: """
        $ORIGIN example.test.
        $TTL 300
        @           300   IN SOA   ns.example.test. hostmaster.example.test. 2026112101 3600 600 86400 60
        @           300   IN NS    ns.example.test.
        ns          300   IN A     127.0.0.1
        www         300   IN A     192.0.2.10
        www         300   IN AAAA  2001:db8::10
        v4only      300   IN A     192.0.2.20
        v6only      300   IN AAAA  2001:db8::30
        alias       300   IN CNAME www.example.test.
        chain       300   IN CNAME alias.example.test.
        multi       300   IN A     192.0.2.41
        multi       300   IN A     192.0.2.42
        mail        300   IN MX    10 mx1.example.test.
        mail        300   IN MX    20 mx2.example.test.
        mx1         300   IN A     192.0.2.51
        mx2         300   IN A     192.0.2.52
        _http._tcp  300   IN SRV   10 60 8080 www.example.test.
        txt         300   IN TXT   "hello world" "second string"
        caa         300   IN CAA   0 issue "ca.example.net"
        naptr       300   IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.test.
        https       300   IN TYPE65     \\# 3 000100
        private     300   IN TYPE65280  \\# 3 abcdef
        short       5     IN A     192.0.2.60
        longttl     86400 IN A     192.0.2.61
        *.wild      300   IN A     192.0.2.99
        *.wild      300   IN AAAA  2001:db8::99

        """ + (1...bigRecordCount).map { "big         300   IN A     192.0.2.\($0)\n" }.joined())

    /// How many A records `big.example.test` has (too many for a 512-byte UDP answer).
    public static let bigRecordCount = 40

    /// 2.0.192.in-addr.arpa. (192.0.2.0/24 reverse), $TTL 300.
    public static let reverse4 = Zone(origin: "2.0.192.in-addr.arpa.", text: """
        $ORIGIN 2.0.192.in-addr.arpa.
        $TTL 300
        @   300 IN SOA ns.example.test. hostmaster.example.test. 2026112101 3600 600 86400 60
        @   300 IN NS  ns.example.test.
        10  300 IN PTR www.example.test.
        20  300 IN PTR v4only.example.test.
        30  300 IN TXT "a reverse name with no PTR record"

        """)

    /// 8.b.d.0.1.0.0.2.ip6.arpa. (2001:db8::/32 reverse), $TTL 300.
    public static let reverse6 = Zone(origin: "8.b.d.0.1.0.0.2.ip6.arpa.", text: """
        $ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
        $TTL 300
        @   300 IN SOA ns.example.test. hostmaster.example.test. 2026112101 3600 600 86400 60
        @   300 IN NS  ns.example.test.
        0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 300 IN PTR www.example.test.

        """)
}
