extension JSONSink {
    /// A stale answer's result: `{"stale":true,` and then the inner result's members.
    /// Off the hot path (one per stale answer), so not `@inlinable`.
    public mutating func staleResult(_ value: LookupValue) {
        var inner = OpeningBraceDropper(base: self)
        switch value {
        case .addressInfo(let info): inner.result(info)
        case .nameInfo(let info): inner.result(info)
        case .query(let answer): inner.result(answer)
        case .host(let entry): inner.result(entry)
        case .service(let entry): inner.result(entry)
        case .protocolEntry(let entry): inner.result(entry)
        case .stale(let value): inner.staleResult(value)
        }
        self = inner.base
    }
}

/// Forwards to `base`, except that the first token's opening `{` becomes
/// `{"stale":true,`: every result body starts with `{` and has at least one member.
private struct OpeningBraceDropper<Base: JSONSink>: JSONSink {
    var base: Base
    private var started = false

    init(base: Base) { self.base = base }

    mutating func raw(_ text: StaticString) {
        guard !started else { return base.raw(text) }
        started = true
        base.raw("{\"stale\":true,")
        base.text(String(text.description.dropFirst()))
    }

    mutating func text(_ text: String) { base.text(text) }
    mutating func string(_ string: String) { base.string(string) }
    mutating func integer<T: FixedWidthInteger>(_ value: T) { base.integer(value) }
}
