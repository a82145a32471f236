import NIOConcurrencyHelpers

/// async/await forms of every lookup. Cancelling the calling Task cancels exactly its
/// own lookup (through ``Resolver/cancel(_:)``) and throws `CancellationError`; other
/// lookups on the same channel are untouched. Failures throw ``ResolverError``.
extension Resolver {
    public func addressInfo(_ request: AddressInfoRequest, owner: LookupOwner = .shared) async throws -> AddressInfo {
        try await awaitLookup { addressInfo(request, owner: owner, completion: $0) }
    }

    public func nameInfo(_ request: NameInfoRequest, owner: LookupOwner = .shared) async throws -> NameInfo {
        try await awaitLookup { nameInfo(request, owner: owner, completion: $0) }
    }

    public func query(_ name: String, type: DNSRecordType, owner: LookupOwner = .shared, timeout: Duration? = nil) async throws -> QueryAnswer {
        try await awaitLookup { query(name, type: type, owner: owner, timeout: timeout, completion: $0) }
    }

    public func hostByName(
        _ name: String, family: AddressFamily = .inet, bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared, timeout: Duration? = nil
    ) async throws -> HostEntry {
        try await awaitLookup { hostByName(name, family: family, bufferLength: bufferLength, owner: owner, timeout: timeout, completion: $0) }
    }

    public func hostByAddress(
        _ address: String, bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared, timeout: Duration? = nil
    ) async throws -> HostEntry {
        try await awaitLookup { hostByAddress(address, bufferLength: bufferLength, owner: owner, timeout: timeout, completion: $0) }
    }

    public func serviceByName(
        _ name: String, proto: String? = nil, bufferLength: Int = WindowsBufferLayout.defaultBufferLength, owner: LookupOwner = .shared
    ) async throws -> ServiceEntry {
        try await awaitLookup { serviceByName(name, proto: proto, bufferLength: bufferLength, owner: owner, completion: $0) }
    }

    public func serviceByPort(
        _ port: UInt16, proto: String? = nil, bufferLength: Int = WindowsBufferLayout.defaultBufferLength, owner: LookupOwner = .shared
    ) async throws -> ServiceEntry {
        try await awaitLookup { serviceByPort(port, proto: proto, bufferLength: bufferLength, owner: owner, completion: $0) }
    }

    public func protocolByName(
        _ name: String, bufferLength: Int = WindowsBufferLayout.defaultBufferLength, owner: LookupOwner = .shared
    ) async throws -> ProtocolEntry {
        try await awaitLookup { protocolByName(name, bufferLength: bufferLength, owner: owner, completion: $0) }
    }

    public func protocolByNumber(
        _ number: Int32, bufferLength: Int = WindowsBufferLayout.defaultBufferLength, owner: LookupOwner = .shared
    ) async throws -> ProtocolEntry {
        try await awaitLookup { protocolByNumber(number, bufferLength: bufferLength, owner: owner, completion: $0) }
    }

    /// Bridges a start call to async/await, wiring Task cancellation to this lookup only.
    private func awaitLookup<Value: Sendable>(
        _ startLookup: (@escaping @Sendable (Result<Value, ResolverError>) -> Void) -> LookupHandle
    ) async throws -> Value {
        let link = CancellationLink()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let handle = startLookup { result in
                    switch result {
                    case .success(let value): continuation.resume(returning: value)
                    case .failure(let error) where error.code == .cancelled: continuation.resume(throwing: CancellationError())
                    case .failure(let error): continuation.resume(throwing: error)
                    }
                }
                if link.attach(handle) { cancel(handle) }
            }
        } onCancel: {
            if let handle = link.cancel() { cancel(handle) }
        }
    }
}

/// Connects a Task's cancellation to a lookup handle that may not exist yet: whichever of
/// "handle known" and "task cancelled" comes second triggers the cancel.
private final class CancellationLink: Sendable {
    private enum State {
        case waiting
        case attached(LookupHandle)
        case cancelled
    }

    private let state = NIOLockedValueBox(State.waiting)

    /// Records the handle; true when the task was already cancelled (cancel it now).
    func attach(_ handle: LookupHandle) -> Bool {
        state.withLockedValue { state in
            if case .cancelled = state { return true }
            state = .attached(handle)
            return false
        }
    }

    /// Marks the task cancelled; the handle to cancel, if already known.
    func cancel() -> LookupHandle? {
        state.withLockedValue { state in
            defer { state = .cancelled }
            if case .attached(let handle) = state { return handle }
            return nil
        }
    }
}
