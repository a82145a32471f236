extension Parameter {
    /// The parameter whose wire name is exactly the bytes `name`, or nil: for
    /// ``RequestLineScanner``, which matches keys without making them into strings. The
    /// length and first byte pick the one candidate (no two names share both), whose name
    /// the bytes must then equal. The names are spelled again here, as static text:
    /// comparing with `rawValue`'s UTF-8 view cost ~180 instructions a key (callgrind), and
    /// ParameterTests checks that each `rawValue` reads as its parameter.
    init?(wireName name: UnsafeRawBufferPointer) {
        guard name.count >= 2 else { return nil }
        let (candidate, wireName): (Parameter, StaticString)
        switch (name.count, name[0]) {
        case (2, UInt8(ascii: "i")): (candidate, wireName) = (.id, "id")
        case (2, UInt8(ascii: "o")): (candidate, wireName) = (.op, "op")
        case (3, UInt8(ascii: "d")): (candidate, wireName) = (.dns, "dns")
        case (4, UInt8(ascii: "n")): (candidate, wireName) = (.name, "name")
        case (4, UInt8(ascii: "t")): (candidate, wireName) = (.type, "type")
        case (4, UInt8(ascii: "p")): (candidate, wireName) = (.port, "port")
        case (5, UInt8(ascii: "f")): (candidate, wireName) = (.flags, "flags")
        case (5, UInt8(ascii: "p")): (candidate, wireName) = (.proto, "proto")
        case (5, UInt8(ascii: "l")): (candidate, wireName) = (.limit, "limit")
        case (5, UInt8(ascii: "s")): (candidate, wireName) = (.stale, "stale")
        case (6, UInt8(ascii: "f")): (candidate, wireName) = (.family, "family")
        case (6, UInt8(ascii: "b")): (candidate, wireName) = (.buflen, "buflen")
        case (6, UInt8(ascii: "n")): (candidate, wireName) = (.number, "number")
        case (6, UInt8(ascii: "h")): (candidate, wireName) = (.handle, "handle")
        case (7, UInt8(ascii: "s")): (candidate, wireName) = (.service, "service")
        case (7, UInt8(ascii: "a")): (candidate, wireName) = (.address, "address")
        case (7, UInt8(ascii: "d")): (candidate, wireName) = (.domains, "domains")
        case (8, UInt8(ascii: "s")): (candidate, wireName) = (.socktype, "socktype")
        case (8, UInt8(ascii: "p")): (candidate, wireName) = (.protocol, "protocol")
        case (9, UInt8(ascii: "i")): (candidate, wireName) = (.interface, "interface")
        case (10, UInt8(ascii: "t")): (candidate, wireName) = (.timeout, "timeout_ms")
        case (13, UInt8(ascii: "d")): (candidate, wireName) = (.defaultRoute, "default_route")
        default: return nil
        }
        // The switch matched the length.
        for offset in 1..<name.count where name[offset] != wireName.utf8Start[offset] { return nil }
        self = candidate
    }
}
