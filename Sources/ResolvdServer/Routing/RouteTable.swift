/// Longest-suffix matching of domain names by label: which routing domain a name falls
/// under (docs/routing.md).
///
/// A trie keyed by label from the right: `corp.example` is the node `example` → `corp`.
/// Matching walks the name's labels from its last one and remembers the deepest node that
/// holds a value, so it costs one integer hash lookup per label of the name — never a scan of the
/// routes: 70,000 routes match as fast as two (`make bench`, "routes"). `.` (the root, the
/// empty name) is the default route. Reverse zones (`2.10.in-addr.arpa`) are domains like
/// any other. Names are compared case-insensitively (ASCII, as DNS does) and a trailing dot
/// is ignored.
///
/// It is a value with no locks, no I/O and no notion of servers: what a route leads to is
/// a number (``RouteSet`` keeps an index there). It does not validate domains
/// beyond splitting them (``RouteTable/normalized(_:)`` returns nil for an empty label).
public struct RouteTable: Sendable {
    /// What a route leads to: ``RouteSet`` keeps the route's index. Not generic, so that the
    /// match is compiled for it wherever it is called from (a generic one, called from
    /// another module, ran unspecialized: ~800 ns a name in `resolvd-bench routes`).
    public typealias Value = Int32

    /// A node: its label (lower case, for checking a hash match) and its value.
    private struct Node: Sendable {
        var label: [UInt8]
        var value: Value?
    }

    /// Node 0 is the root (`.`).
    private var nodes: [Node] = [Node(label: [], value: nil)]
    /// Every edge of the trie in one table: (parent node, hash of the child's label) → child.
    /// Integer keys, so a match hashes no strings: it hashes each label's bytes once (FNV-1a,
    /// lower-cased on the way) and looks up one integer per label. Two labels of one parent
    /// with the same hash take the next free slot (`hash + 1`, …), and a match compares the
    /// label bytes of the node it finds, so a collision costs a probe, never a wrong route.
    private var edges: [UInt64: Int32] = [:]
    /// Domains holding a value.
    public private(set) var count = 0

    public init() {}

    /// The name in the form routes are kept in: ASCII lower case, no trailing dot, `.` for
    /// the root; nil for an empty label (`a..b`) or a label over 63 bytes.
    public static func normalized(_ domain: String) -> String? {
        // On bytes: a configuration of 70,000 routes normalizes each domain twice.
        var bytes = Array(domain.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        if bytes.isEmpty { return "." }
        var labelLength = 0
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: ".") {
                guard labelLength > 0 else { return nil }
                labelLength = 0
            } else {
                bytes[index] = lower(bytes[index])
                labelLength += 1
                guard labelLength <= 63 else { return nil }
            }
        }
        guard labelLength > 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte }

    /// FNV-1a of the lower-cased bytes, mixed with the parent node.
    @inline(__always)
    private static func edgeKey(parent: Int, hash: UInt64) -> UInt64 {
        (hash ^ (UInt64(truncatingIfNeeded: parent) &* 0x9E37_79B9_7F4A_7C15))
    }

    private static func labelHash(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in range { hash = (hash ^ UInt64(lower(bytes[index]))) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// The child of `parent` whose label is `bytes[range]` (lower-cased), if any.
    private func child(of parent: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var key = Self.edgeKey(parent: parent, hash: Self.labelHash(bytes, range))
        while let next = edges[key] {
            let label = nodes[Int(next)].label
            if label.count == range.count, zip(label, range).allSatisfy({ $0 == Self.lower(bytes[$1]) }) { return Int(next) }
            key &+= 1
        }
        return nil
    }

    /// Sets `domain`'s value (replacing one it had); false for a domain that is no name.
    @discardableResult
    public mutating func insert(_ domain: String, _ value: Value) -> Bool {
        guard let domain = Self.normalized(domain) else { return false }
        var node = 0
        if domain != "." {
            let bytes = Array(domain.utf8)
            var end = bytes.count
            while end > 0 {
                var start = end
                while start > 0, bytes[start - 1] != UInt8(ascii: ".") { start -= 1 }
                let found = bytes.withUnsafeBufferPointer { child(of: node, $0, start..<end) }
                if let found {
                    node = found
                } else {
                    nodes.append(Node(label: Array(bytes[start..<end]), value: nil))
                    var key = bytes.withUnsafeBufferPointer { Self.edgeKey(parent: node, hash: Self.labelHash($0, start..<end)) }
                    while edges[key] != nil { key &+= 1 }
                    edges[key] = Int32(nodes.count - 1)
                    node = nodes.count - 1
                }
                end = start - 1
            }
        }
        if nodes[node].value == nil { count += 1 }
        nodes[node].value = value
        return true
    }

    /// The value of the longest routing domain that is `name` or a parent of it, and that
    /// domain's depth in labels (0 for `.`); nil when not even `.` has a value.
    public func match(_ name: String) -> (value: Value, labels: Int)? {
        var name = name
        return name.withUTF8 { match(bytes: $0) }
    }

    private func match(bytes: UnsafeBufferPointer<UInt8>) -> (value: Value, labels: Int)? {
        var best: (value: Value, labels: Int)? = nodes[0].value.map { ($0, 0) }
        var node = 0
        var depth = 0
        var end = bytes.count
        // A trailing dot ends no label.
        if end > 0, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        while end > 0 {
            var start = end
            while start > 0, bytes[start - 1] != UInt8(ascii: ".") { start -= 1 }
            guard start < end, let next = child(of: node, bytes, start..<end) else { return best }  // an empty label: no deeper match
            node = next
            depth += 1
            if let value = nodes[node].value { best = (value, depth) }
            end = start - 1
        }
        return best
    }
}
