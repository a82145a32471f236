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

    /// A node: where its label (lower case) is in ``labelBytes``, and its value (-1: none).
    private struct Node: Sendable {
        var labelStart: Int32
        var labelLength: Int32
        var value: Int32
    }

    /// Node 0 is the root (`.`).
    private var nodes: [Node] = [Node(labelStart: 0, labelLength: 0, value: -1)]
    private var labelBytes: [UInt8] = []
    /// Every edge of the trie in one open-addressing table (linear probing, at most half
    /// full): the edge's key — the parent node mixed with the FNV-1a hash of the child's
    /// lower-cased label — and the child. A match hashes each label's bytes once and probes
    /// integers, no `String`, no allocation, no SipHash; it compares the label bytes of the
    /// node a key leads to, so two labels with one key cost a probe, never a wrong route.
    private var slotKeys: [UInt64] = Array(repeating: 0, count: 16)
    private var slotNodes: [Int32] = Array(repeating: -1, count: 16)
    private var edgeCount = 0
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

    /// FNV-1a of the lower-cased bytes of `range`, mixed with the parent node.
    @inline(__always)
    private static func edgeKey(parent: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in range { hash = (hash ^ UInt64(lower(bytes[index]))) &* 0x0000_0100_0000_01b3 }
        return hash ^ (UInt64(truncatingIfNeeded: parent) &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0xBF58_476D_1CE4_E5B9) >> 7) & (slotKeys.count - 1)
    }

    /// The child of `parent` whose label is `bytes[range]` (lower-cased), if any.
    private func child(of parent: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let key = Self.edgeKey(parent: parent, bytes, range)
        var index = slot(of: key)
        let mask = slotKeys.count - 1
        while slotNodes[index] >= 0 {
            if slotKeys[index] == key {
                let node = nodes[Int(slotNodes[index])]
                if Int(node.labelLength) == range.count, labelMatches(node, bytes, range) { return Int(slotNodes[index]) }
            }
            index = (index + 1) & mask
        }
        return nil
    }

    private func labelMatches(_ node: Node, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        labelBytes.withUnsafeBufferPointer { label in
            var position = Int(node.labelStart)
            for index in range {
                if label[position] != Self.lower(bytes[index]) { return false }
                position += 1
            }
            return true
        }
    }

    private mutating func addEdge(key: UInt64, child: Int32) {
        if (edgeCount + 1) * 2 > slotKeys.count { grow() }
        var index = slot(of: key)
        while slotNodes[index] >= 0 { index = (index + 1) & (slotKeys.count - 1) }
        slotKeys[index] = key
        slotNodes[index] = child
        edgeCount += 1
    }

    private mutating func grow() {
        let (keys, children) = (slotKeys, slotNodes)
        slotKeys = Array(repeating: 0, count: keys.count * 2)
        slotNodes = Array(repeating: -1, count: keys.count * 2)
        for (key, child) in zip(keys, children) where child >= 0 {
            var index = slot(of: key)
            while slotNodes[index] >= 0 { index = (index + 1) & (slotKeys.count - 1) }
            slotKeys[index] = key
            slotNodes[index] = child
        }
    }

    /// Sets `domain`'s value (replacing one it had); false for a domain that is no name or
    /// a negative value (-1 marks a node without one).
    @discardableResult
    public mutating func insert(_ domain: String, _ value: Value) -> Bool {
        guard value >= 0, let domain = Self.normalized(domain) else { return false }
        var node = 0
        if domain != "." {
            let bytes = Array(domain.utf8)
            var end = bytes.count
            while end > 0 {
                var start = end
                while start > 0, bytes[start - 1] != UInt8(ascii: ".") { start -= 1 }
                let (found, key) = bytes.withUnsafeBufferPointer { (child(of: node, $0, start..<end), Self.edgeKey(parent: node, $0, start..<end)) }
                if let found {
                    node = found
                } else {
                    nodes.append(Node(labelStart: Int32(labelBytes.count), labelLength: Int32(end - start), value: -1))
                    labelBytes += bytes[start..<end]
                    addEdge(key: key, child: Int32(nodes.count - 1))
                    node = nodes.count - 1
                }
                end = start - 1
            }
        }
        if nodes[node].value < 0 { count += 1 }
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
        var best: (value: Value, labels: Int)? = nodes[0].value >= 0 ? (nodes[0].value, 0) : nil
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
            let value = nodes[node].value
            if value >= 0 { best = (value, depth) }
            end = start - 1
        }
        return best
    }
}
