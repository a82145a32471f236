import CAres

/// One DNS question's lookup (``Resolver/ask(_:owner:channelHint:completion:)``): its record,
/// its completion, and — passed retained as the c-ares callback's argument — its own reply
/// handler. The daemon asks every upstream question through here, so a question is one
/// object: the generic ``Lookup`` with a work closure, a reply closure and a callback box
/// around them was five allocations per question (docs/performance.md, issue 25).
///
/// What a reply says is worked out here, on the channel thread (``QuestionOutcome``); a
/// reply that comes after the lookup was claimed (cancelled, aborted) is dropped. It does
/// not pick a channel or retry (``Resolver`` and c-ares do), and it does not search.
///
/// It is a ``LookupRecord`` with its own completion, not a `ResultLookup<QuestionOutcome>`:
/// the generic class stores its closure maximally abstracted, and the caller's concrete
/// closure was wrapped in a thunk for it — one more allocation and call per question.
final class QuestionLookup: LookupRecord, @unchecked Sendable {
    typealias Completion = @Sendable (Result<QuestionOutcome, ResolverError>) -> Void
    /// Whom the outcome goes to.
    enum Answering {
        case completion(Completion)
        /// ``Resolver/ask(_:owner:channelHint:listener:context:)``'s: no closure to allocate.
        case listener(any QuestionListener, context: AnyObject & Sendable)
    }
    // `loop` is written by `start(on:)` and read by the c-ares callback, both on the loop's
    // thread; `answering` is read and cleared only by the claimer (see LookupRecord).
    let question: DNSQuestion
    private var loop: ChannelLoop?
    private var answering: Answering?

    init(_ question: DNSQuestion, handle: LookupHandle, owner: LookupOwner, registry: LookupRegistry, answering: Answering) {
        self.question = question
        self.answering = answering
        super.init(handle: handle, owner: owner, deadline: nil, registry: registry)
    }

    /// Completes the lookup with `result` if it is still pending; true when this call won.
    @discardableResult
    func finish(_ result: Result<QuestionOutcome, ResolverError>) -> Bool {
        guard claimForOutcome() else { return false }
        deliver(result)
        return true
    }

    override func deliver(failure: ResolverError) {
        deliver(.failure(failure))
    }

    private func deliver(_ result: Result<QuestionOutcome, ResolverError>) {
        let answering = self.answering
        self.answering = nil  // free what the caller captured now, not when c-ares lets go
        switch answering {
        case .completion(let completion): completion(result)
        case .listener(let listener, let context): listener.question(context, finished: result)
        case nil: break
        }
    }

    override func start(on loop: ChannelLoop) {
        guard question.dnssec.isEmpty else {
            // DO/CD go upstream as the client sent them; the id is drawn here (ares_send
            // keeps the one it is given), from the system's CSPRNG.
            guard let query = DNSQueryBuilder.query(id: UInt16.random(in: .min ... .max), name: question.name, type: question.type, dnssec: question.dnssec) else {
                finish(.success(.failure(.invalidArgument("bad name: \(question.name)"))))
                return
            }
            loop.send(query) { [self] status, answer in received(status, answer) }
            return
        }
        self.loop = loop
        let argument = Unmanaged.passRetained(self).toOpaque()
        loop.withChannel(queries: 1) { channel in
            // withCString lends a native string's own bytes; passing the String made a heap
            // copy of it (`utf8CString`) per query.
            question.name.withCString { name in
                ares_query(channel, name, Int32(ns_c_in.rawValue), Int32(question.type), { argument, status, _, answer, length in
                    let lookup = Unmanaged<QuestionLookup>.fromOpaque(argument!).takeRetainedValue()
                    lookup.loop?.operationFinished(queries: 1)
                    lookup.loop = nil
                    lookup.received(status, UnsafeRawBufferPointer(start: answer, count: answer == nil ? 0 : Int(length)))
                }, argument)
            }
        }
    }

    /// The reply (or c-ares' failure status) of the question: its outcome, unless the lookup
    /// was claimed meanwhile. `answer` is c-ares' buffer, valid only during this call.
    private func received(_ status: Int32, _ answer: UnsafeRawBufferPointer) {
        guard isPending else { return }  // cancelled: drop the late answer
        guard status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA else {
            finish(.success(.failure(.fromAres(status, name: question.name))))
            return
        }
        do {
            finish(.success(QuestionOutcome(try DNSMessage(parsing: answer, questionName: question.name), for: question)))
        } catch {
            finish(.success(
                status == ARES_SUCCESS
                    ? .malformed(ResolverError(code: .noRecovery, message: "\(question.name): malformed answer: \(error)"))
                    : .failure(.fromAres(status, name: question.name))))
        }
    }
}
