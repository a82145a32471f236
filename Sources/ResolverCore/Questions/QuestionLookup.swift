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
final class QuestionLookup: ResultLookup<QuestionOutcome>, @unchecked Sendable {
    // `loop` is written by `start(on:)` and read by the c-ares callback, both on the loop's thread.
    let question: DNSQuestion
    private var loop: ChannelLoop?

    init(_ question: DNSQuestion, handle: LookupHandle, owner: LookupOwner, registry: LookupRegistry, completion: @escaping Completion) {
        self.question = question
        super.init(handle: handle, owner: owner, deadline: nil, registry: registry, completion: completion)
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
            finish(.success(QuestionOutcome(try DNSMessage(parsing: answer), for: question)))
        } catch {
            finish(.success(
                status == ARES_SUCCESS
                    ? .malformed(ResolverError(code: .noRecovery, message: "\(question.name): malformed answer: \(error)"))
                    : .failure(.fromAres(status, name: question.name))))
        }
    }
}
