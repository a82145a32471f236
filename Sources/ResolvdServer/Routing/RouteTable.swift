/// Longest-suffix matching of domain names by label: which routing domain a name falls
/// under (docs/routing.md).
///
/// A trie keyed by label from the right: `corp.example` is the node `example` → `corp`.
/// Matching walks the name's labels from its last one and remembers the deepest node that
/// holds a value, so it costs one hash lookup per label of the name — never a scan of the
/// routes: 70,000 routes match as fast as two (`make bench`, "routes"). `.` (the root, the
/// empty name) is the default route. Reverse zones (`2.10.in-addr.arpa`) are domains like
/// any other. Names are compared case-insensitively (ASCII, as DNS does) and a trailing dot
/// is ignored.
///
/// It is a value with no locks, no I/O and no notion of servers: what a route leads to is
/// the caller's `Value` (``RouteSet`` keeps an index there). It does not validate domains
/// beyond splitting them (``RouteTable/normalized(_:)`` returns nil for an empty label).
public struct RouteTable<Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var children: [String: Int32] = [:]
        var value: Value?
    }

    /// Node 0 is the root (`.`).
    private var nodes: [Node] = [Node()]
    /// Domains holding a value.
    public private(set) var count = 0

    public init() {}

    /// The name in the form routes are kept in: ASCII lower case, no trailing dot, `.` for
    /// the root; nil for an empty label (`a..b`) or a label over 63 bytes.
    public static func normalized(_ domain: String) -> String? {
        var text = domain.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5a }) ? asciiLowercased(domain) : domain
        if text == "." || text.isEmpty { return "." }
        if text.hasSuffix(".") { text.removeLast() }
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { return nil }
        }
        return text
    }

    private static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Sets `domain`'s value (replacing one it had); false for a domain that is no name.
    @discardableResult
    public mutating func insert(_ domain: String, _ value: Value) -> Bool {
        guard let domain = Self.normalized(domain) else { return false }
        var node = 0
        if domain != "." {
            for label in domain.split(separator: ".").reversed() {
                let key = String(label)
                if let next = nodes[node].children[key] {
                    node = Int(next)
                } else {
                    nodes.append(Node())
                    let next = nodes.count - 1
                    nodes[node].children[key] = Int32(next)
                    node = next
                }
            }
        }
        if nodes[node].value == nil { count += 1 }
        nodes[node].value = value
        return true
    }

    /// The value of the longest routing domain that is `name` or a parent of it, and that
    /// domain's depth in labels (0 for `.`); nil when not even `.` has a value.
    public func match(_ name: String) -> (value: Value, labels: Int)? {
        var best: (value: Value, labels: Int)? = nodes[0].value.map { ($0, 0) }
        var node = 0
        var depth = 0
        let utf8 = name.utf8
        var end = utf8.endIndex
        // A trailing dot ends no label.
        if end > utf8.startIndex, utf8[utf8.index(before: end)] == UInt8(ascii: ".") { end = utf8.index(before: end) }
        while end > utf8.startIndex {
            var start = end
            var hasUpper = false
            while start > utf8.startIndex {
                let before = utf8.index(before: start)
                let byte = utf8[before]
                if byte == UInt8(ascii: ".") { break }
                if byte >= 0x41 && byte <= 0x5a { hasUpper = true }
                start = before
            }
            guard start < end else { return best }  // an empty label: no deeper match
            let label = Substring(utf8[start..<end])
            let key = hasUpper ? Self.asciiLowercased(String(label)) : String(label)
            guard let next = nodes[node].children[key] else { return best }
            node = Int(next)
            depth += 1
            if let value = nodes[node].value { best = (value, depth) }
            guard start > utf8.startIndex else { break }
            end = utf8.index(before: start)
        }
        return best
    }
}
