import HeapModule

/// The deadlines of ops with a `timeout_ms`, earliest first: what one timer on an event
/// loop needs to answer each at its time.
///
/// Adding is O(log n); a lookup that leaves the queue before its deadline is not searched
/// for — ``expired(at:stillWaiting:)`` skips it when it comes up — and the heap is rebuilt
/// from the live entries whenever more than half of it (and more than a floor) is such
/// leftovers, so leaving costs O(1) amortised and what is held stays within twice the
/// waiting lookups. One deadline per op with a timeout, none otherwise.
///
/// It holds deadlines; it does not run a timer, withdraw lookups or answer them
/// (``LookupService`` does). It is a value, kept under the service's lock.
struct WaitDeadlines<Lookup: AnyObject> {
    fileprivate struct Entry: Comparable {
        let at: UInt64
        let lookup: Lookup
        static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.at < rhs.at }
        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.at == rhs.at && lhs.lookup === rhs.lookup }
    }

    private var heap = Heap<Entry>()
    /// Entries whose lookups still wait (the caller says when one leaves: ``left()``).
    private(set) var live = 0
    /// Below this many entries, leftovers are never swept.
    static var sweepFloor: Int { 64 }

    /// The earliest deadline held, live or not (when the timer must next look).
    var earliest: UInt64? { heap.min?.at }

    /// Entries held, leftovers included (for tests).
    var count: Int { heap.count }

    mutating func add(_ lookup: Lookup, at deadline: UInt64) {
        heap.insert(Entry(at: deadline, lookup: lookup))
        live += 1
    }

    /// A lookup with a deadline here left the queue before it: its entry is now a
    /// leftover. `stillWaiting` tells the sweep which entries are live.
    mutating func left(stillWaiting: (Lookup) -> Bool) {
        live -= 1
        guard heap.count > Self.sweepFloor, heap.count > 2 * live else { return }
        heap = Heap(heap.unordered.filter { stillWaiting($0.lookup) })
    }

    /// Removes every entry due at `now`; returns the lookups among them that still wait
    /// (each counted as left), in deadline order.
    mutating func expired(at now: UInt64, stillWaiting: (Lookup) -> Bool) -> [Lookup] {
        var due: [Lookup] = []
        while let first = heap.min, first.at <= now {
            _ = heap.removeMin()
            if stillWaiting(first.lookup) {
                due.append(first.lookup)
                live -= 1
            }
        }
        return due
    }
}

extension WaitDeadlines: Sendable where Lookup: Sendable {}
extension WaitDeadlines.Entry: Sendable where Lookup: Sendable {}
