import Synchronization

/// One lookup's state machine: pending until exactly one of {answer, error, timeout,
/// cancel, abort} claims it with a single compare-and-exchange, then finished forever.
///
/// The claimer removes the record from the registry and then delivers the completion,
/// so a cancel issued from inside that completion already sees the handle as finished.
/// Losers do nothing: a late c-ares answer for a cancelled lookup only frees memory.
///
/// This class holds no lock and never calls c-ares: starting work on a channel is the
/// ``ChannelLoop``'s job, and the typed result is ``ResultLookup``'s.
class LookupRecord: @unchecked Sendable {
    // Safe to share: the lets are immutable, `phase` is atomic, and the subclass's
    // completion closure is read and cleared only by the single thread that won `claim()`.
    let handle: LookupHandle
    let owner: LookupOwner
    /// CLOCK_MONOTONIC nanoseconds after which the lookup fails with WSAETIMEDOUT, if any.
    let deadline: UInt64?
    let registry: LookupRegistry
    private let phase = Atomic<Bool>(false)

    init(handle: LookupHandle, owner: LookupOwner, deadline: UInt64?, registry: LookupRegistry) {
        self.handle = handle
        self.owner = owner
        self.deadline = deadline
        self.registry = registry
    }

    /// True until some outcome has claimed the lookup.
    var isPending: Bool { !phase.load(ordering: .acquiring) }

    /// Claims the lookup for one outcome; true for exactly one caller, ever.
    final func claim() -> Bool {
        phase.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Claims the lookup for an outcome and takes it out of the registry; true for exactly
    /// one caller, who then delivers the outcome.
    final func claimForOutcome() -> Bool {
        guard claim() else { return false }
        registry.remove(self)
        return true
    }

    /// Fails the lookup with `error` if it is still pending; true when this call won.
    @discardableResult
    final func fail(_ error: ResolverError) -> Bool {
        guard claimForOutcome() else { return false }
        deliver(failure: error)
        return true
    }

    /// Runs on the owning ``ChannelLoop``'s thread: begin the work (a c-ares call, or a
    /// local answer). Subclasses override.
    func start(on loop: ChannelLoop) {
        preconditionFailure("LookupRecord.start must be overridden")
    }

    /// Hands `failure` to the completion. Called once, by the claimer only.
    func deliver(failure: ResolverError) {
        preconditionFailure("LookupRecord.deliver must be overridden")
    }
}

/// A lookup producing a `Value`: the record plus its typed completion, delivered once, by
/// the claimer. ``Lookup`` says what starting it does: it runs a closure. (``QuestionLookup``
/// keeps its own completion: a concrete closure stored in this generic class is wrapped in a
/// reabstraction thunk, an allocation per question.)
class ResultLookup<Value: Sendable>: LookupRecord, @unchecked Sendable {
    // `completion` is read and cleared only by the claimer (see LookupRecord).
    typealias Completion = @Sendable (Result<Value, ResolverError>) -> Void

    private var completion: Completion?

    init(handle: LookupHandle, owner: LookupOwner, deadline: UInt64?, registry: LookupRegistry, completion: @escaping Completion) {
        self.completion = completion
        super.init(handle: handle, owner: owner, deadline: deadline, registry: registry)
    }

    /// Completes the lookup with `result` if it is still pending; true when this call won.
    @discardableResult
    final func finish(_ result: Result<Value, ResolverError>) -> Bool {
        guard claimForOutcome() else { return false }
        deliver(result)
        return true
    }

    override final func deliver(failure: ResolverError) {
        deliver(.failure(failure))
    }

    private final func deliver(_ result: Result<Value, ResolverError>) {
        let completion = self.completion
        self.completion = nil  // free what the caller captured now, not when c-ares lets go
        completion?(result)
    }
}

/// A lookup whose start is a closure (a c-ares call, or a local answer).
final class Lookup<Value: Sendable>: ResultLookup<Value>, @unchecked Sendable {
    // `work` is immutable.
    typealias Work = @Sendable (Lookup<Value>, ChannelLoop) -> Void

    private let work: Work

    init(
        handle: LookupHandle, owner: LookupOwner, deadline: UInt64?, registry: LookupRegistry,
        work: @escaping Work, completion: @escaping Completion
    ) {
        self.work = work
        super.init(handle: handle, owner: owner, deadline: deadline, registry: registry, completion: completion)
    }

    override func start(on loop: ChannelLoop) {
        work(self, loop)
    }
}
