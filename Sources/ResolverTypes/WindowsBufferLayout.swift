/// How many bytes a WSAAsyncGetXByY result occupies in the caller's buffer on Windows x64:
/// the length WSAGETASYNCBUFLEN reports, and the length the buffer must have for the call to
/// succeed.
///
/// Winsock copies the result into the buffer as one block, in this order:
///
/// 1. The fixed structure, with x64 sizes and alignment:
///    - `hostent`, 32 bytes: `h_name` 8, `h_aliases` 8, `h_addrtype` 2, `h_length` 2,
///      padding 4, `h_addr_list` 8.
///    - `servent`, 32 bytes: `s_name` 8, `s_aliases` 8, `s_proto` 8, `s_port` 2, padding 6.
///      Win64 puts `s_proto` *before* `s_port` (unlike Win32 and POSIX); the size is the same
///      either way.
///    - `protoent`, 24 bytes: `p_name` 8, `p_aliases` 8, `p_proto` 2, padding 6.
/// 2. The NULL-terminated pointer arrays, 8 bytes a pointer including the final NULL: the
///    aliases (aliases + 1 pointers), and for `hostent` also the address list
///    (addresses + 1 pointers).
/// 3. For `hostent`, the raw addresses: 4 bytes for each IPv4 address, 16 for each IPv6.
/// 4. Every string with its NUL terminator, with no padding between or after them: the name,
///    each alias and, for `servent`, the protocol.
///
/// String lengths are UTF-8 byte counts: the ANSI functions copy bytes, and names in resolvd
/// are ASCII in practice.
///
/// `WindowsBufferLayout` only computes lengths; it does not build buffers.
public enum WindowsBufferLayout {
    /// MAXGETHOSTSTRUCT: the buffer length Winsock's documentation recommends for
    /// WSAAsyncGetXByY. A result with many aliases or addresses can need more; see
    /// ``check(_:bufferLength:)``.
    public static let defaultBufferLength = 1024

    private static let pointerSize = 8
    private static let hostentSize = 32
    private static let serventSize = 32
    private static let protoentSize = 24

    /// The bytes a `hostent` for `entry` needs.
    ///
    /// The address size comes from ``HostEntry/family``; for ``AddressFamily/unspecified``
    /// (which a `hostent` cannot express) each address is counted by its own form: 16 bytes if
    /// its text contains a colon, 4 otherwise.
    public static func requiredLength(for entry: HostEntry) -> Int {
        let pointers = (entry.aliases.count + 1) + (entry.addresses.count + 1)
        let addressBytes = entry.addresses.reduce(0) { total, address in
            total + addressLength(of: address, family: entry.family)
        }
        return hostentSize + pointers * pointerSize + addressBytes
            + stringBytes([entry.name] + entry.aliases)
    }

    /// The bytes a `servent` for `entry` needs.
    public static func requiredLength(for entry: ServiceEntry) -> Int {
        serventSize + (entry.aliases.count + 1) * pointerSize
            + stringBytes([entry.name] + entry.aliases + [entry.proto])
    }

    /// The bytes a `protoent` for `entry` needs.
    public static func requiredLength(for entry: ProtocolEntry) -> Int {
        protoentSize + (entry.aliases.count + 1) * pointerSize
            + stringBytes([entry.name] + entry.aliases)
    }

    /// ``ResolverError/bufferTooSmall(required:bufferLength:)`` when a result of `required`
    /// bytes does not fit `bufferLength` bytes; `nil` when it fits (exactly filling the buffer
    /// fits).
    public static func check(_ required: Int, bufferLength: Int) -> ResolverError? {
        required > bufferLength ? .bufferTooSmall(required: required, bufferLength: bufferLength) : nil
    }

    private static func addressLength(of address: String, family: AddressFamily) -> Int {
        switch family {
        case .inet: 4
        case .inet6: 16
        case .unspecified: address.utf8.contains(UInt8(ascii: ":")) ? 16 : 4
        }
    }

    private static func stringBytes(_ strings: [String]) -> Int {
        strings.reduce(0) { $0 + $1.utf8.count + 1 }
    }
}
