extension SharedLookup {
    /// A question's waiters, in the order they came: the first kept inline, any others in an
    /// array. Most questions have one waiter, and a question waiting in its owner's share
    /// queue would otherwise hold an array allocation for it (docs/performance.md, row 7d).
    ///
    /// It does not answer anyone: ``LookupService`` takes them out and answers them.
    struct Waiters: Sequence, Sendable {
        /// Nil only when there are none: `others` is empty whenever `first` is nil.
        private var first: Waiter?
        private var others: [Waiter] = []

        init() {}

        init(_ waiter: Waiter) { first = waiter }

        init(_ waiters: [Waiter]) {
            first = waiters.first
            others = Array(waiters.dropFirst())
        }

        var isEmpty: Bool { first == nil }

        mutating func append(_ waiter: Waiter) {
            if first == nil { first = waiter } else { others.append(waiter) }
        }

        /// Takes waiter `id` out; nil when it is not here.
        mutating func remove(id: UInt64) -> Waiter? {
            if let waiter = first, waiter.id == id {
                first = others.isEmpty ? nil : others.removeFirst()
                return waiter
            }
            guard let index = others.firstIndex(where: { $0.id == id }) else { return nil }
            return others.remove(at: index)
        }

        func makeIterator() -> Iterator { Iterator(first: first, others: others.makeIterator()) }

        struct Iterator: IteratorProtocol {
            fileprivate var first: Waiter?
            fileprivate var others: IndexingIterator<[Waiter]>

            mutating func next() -> Waiter? {
                if let waiter = first {
                    first = nil
                    return waiter
                }
                return others.next()
            }
        }
    }
}
