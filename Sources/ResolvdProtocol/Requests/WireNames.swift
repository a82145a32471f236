#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ResolverTypes

/// The raw values of a string enum as bytes, built once from `rawValue`, so that
/// ``RequestLineScanner``'s members can name a case without making a `String` of the wire
/// text (~220 instructions each, then a string switch; callgrind). It matches exact bytes
/// only; anything else (escapes, non-ASCII) never reaches it.
struct WireNames<Case: RawRepresentable & CaseIterable & Sendable>: Sendable where Case.RawValue == String {
    private let bytes: [UInt8]
    private let entries: [(start: Int, count: Int, value: Case)]

    init() {
        var bytes: [UInt8] = []
        var entries: [(start: Int, count: Int, value: Case)] = []
        for value in Case.allCases {
            entries.append((bytes.count, value.rawValue.utf8.count, value))
            bytes += value.rawValue.utf8
        }
        self.bytes = bytes
        self.entries = entries
    }

    /// The case whose raw value is exactly `name`, or nil.
    func value(named name: UnsafeRawBufferPointer) -> Case? {
        bytes.withUnsafeBytes { all in
            for entry in entries where entry.count == name.count {
                if entry.count == 0 || memcmp(all.baseAddress! + entry.start, name.baseAddress!, entry.count) == 0 {
                    return entry.value
                }
            }
            return nil
        }
    }
}

/// A string enum of the request parameters whose cases ``RequestMembers`` can name from
/// the wire bytes (``WireNames``).
protocol WireNamed: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    static var wireNameTable: WireNames<Self> { get }
}

extension Operation: WireNamed {
    static let wireNameTable = WireNames<Operation>()
}

extension AddressFamily: WireNamed {
    static let wireNameTable = WireNames<AddressFamily>()
}

extension SocketType: WireNamed {
    static let wireNameTable = WireNames<SocketType>()
}

extension TransportProtocol: WireNamed {
    static let wireNameTable = WireNames<TransportProtocol>()
}
