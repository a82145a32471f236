/// The handle a started lookup returns: its cancel handle (GetAddrInfoEx's lpHandle,
/// WSAAsyncGetHostByName's return value).
///
/// Handles are issued in increasing order, never reused within a resolver's life,
/// and zero is never issued.
public struct LookupHandle: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Never a valid handle.
    public static let zero = LookupHandle(rawValue: 0)

    public static func < (lhs: LookupHandle, rhs: LookupHandle) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "#\(rawValue)" }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Mixed with the table's seed, not SipHashed: the registry inserts and removes every
    /// lookup by handle, and handles are the resolver's own counter, never a client's choice
    /// (``TableHash``).
    public func _rawHashValue(seed: Int) -> Int { TableHash.mix(rawValue, seed: seed) }
}

/// Who started a lookup, for cancel-all (CancelIoEx with a NULL overlapped pointer).
///
/// The daemon makes one owner per client connection, so that a client can abort all of
/// its own lookups and nobody else's. Make owners with ``Resolver/makeOwner()``.
public struct LookupOwner: Hashable, Sendable {
    let id: UInt64

    /// The owner of lookups started without one.
    public static let shared = LookupOwner(id: 0)
}
