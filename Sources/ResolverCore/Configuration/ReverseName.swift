/// The name a PTR question for an address asks (`4.3.2.10.in-addr.arpa`, nibbles under
/// `ip6.arpa`), for callers that route questions by name before the engine asks them.
/// It does not ask anything; nil for text that is no IP address.
public enum ReverseName {
    public static func of(_ address: String) -> String? {
        IPAddress(parsing: address)?.reverseName
    }
}
