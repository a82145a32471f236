@testable import ResolverCore

/// The checks of the libFuzzer target over ``DNSMessage``'s parser
/// (`LLVMFuzzerTestOneInput` in FuzzDNSMessage.swift calls ``fuzz(_:)`` with its buffer).
///
/// It parses the input and, when that succeeds, reads every field and checks what the parser
/// promises, trapping (so libFuzzer reports a crash) when a promise is broken:
/// - names are ASCII, at most 1,020 characters, and never end with a dot;
/// - ``DNSMessage/negativeTTL`` is at most the TTL of the SOA it came from;
/// - the parse is deterministic;
/// - told the question's name (``DNSMessage/init(parsing:questionName:)``: the first record's
///   owner, and a name of the corpus), it reads the same message.
enum DNSMessageFuzzing {
    static func fuzz(_ data: UnsafeRawBufferPointer) {
        let message: DNSMessage
        do {
            message = try DNSMessage(parsing: data)
        } catch {
            blackHole(error.description.utf8.count)
            return
        }

        var hasher = Hasher()
        hasher.combine(message.id)
        hasher.combine(message.rcode)
        hasher.combine(message.isTruncated)
        hasher.combine(message.isResponse)
        hasher.combine(message.isAuthoritative)
        for record in message.answers {
            touch(record, into: &hasher)
        }
        for record in message.authority {
            touch(record, into: &hasher)
        }
        if let negativeTTL = message.negativeTTL {
            let soaTTL = message.authority.first(where: { $0.type == .soa })?.ttl
            precondition(soaTTL != nil && negativeTTL <= soaTTL!, "negativeTTL without an SOA, or above its TTL")
            hasher.combine(negativeTTL)
        }

        let again = try? DNSMessage(parsing: data)
        precondition(again?.answers == message.answers && again?.authority == message.authority, "parse is not deterministic")
        for name in [message.answers.first?.name, message.authority.first?.name, "example.test"].compactMap({ $0 }) {
            let told = try? DNSMessage(parsing: data, questionName: name)
            precondition(told?.answers == message.answers && told?.authority == message.authority, "the question's name changed the parse")
        }
        blackHole(hasher.finalize())
    }

    private static func touch(_ record: DNSRecord, into hasher: inout Hasher) {
        checkName(record.name)
        hasher.combine(record.ttl)
        hasher.combine(record.type)
        switch record.data {
        case .a(let address), .aaaa(let address):
            precondition(!address.isEmpty)
            hasher.combine(address)
        case .cname(let target), .ns(let target), .ptr(let target):
            checkName(target)
            hasher.combine(target)
        case .mx(let preference, let exchange):
            checkName(exchange)
            hasher.combine(preference)
            hasher.combine(exchange)
        case .srv(let priority, let weight, let port, let target):
            checkName(target)
            hasher.combine(priority)
            hasher.combine(weight)
            hasher.combine(port)
            hasher.combine(target)
        case .txt(let strings):
            hasher.combine(strings)
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            checkName(mname)
            checkName(rname)
            hasher.combine(mname)
            hasher.combine(rname)
            hasher.combine(serial)
            hasher.combine(refresh)
            hasher.combine(retry)
            hasher.combine(expire)
            hasher.combine(minimum)
        case .caa(let critical, let tag, let value):
            hasher.combine(critical)
            hasher.combine(tag)
            hasher.combine(value)
        case .naptr(let order, let preference, let flags, let service, let regexp, let replacement):
            checkName(replacement)
            hasher.combine(order)
            hasher.combine(preference)
            hasher.combine(flags)
            hasher.combine(service)
            hasher.combine(regexp)
            hasher.combine(replacement)
        case .unknown(let type, let rdata):
            // Kept opaque only for types with no parser and no compressible name inside.
            precondition(DNSRecordData.isKeptOpaque(type), "type \(type) kept opaque")
            precondition(rdata.count <= 65_535)
            hasher.combine(type)
            hasher.combine(rdata)
        }
    }

    private static func checkName(_ name: String) {
        let utf8 = name.utf8
        precondition(utf8.count <= 4 * 255, "name longer than 1,020 characters")
        precondition(utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }, "name not printable ASCII")
        // A trailing "." is only possible escaped ("\."), and a name never ends with a lone "\".
        precondition(utf8.last != UInt8(ascii: ".") || name.hasSuffix("\\."), "name ends with a dot")
    }

    @inline(never)
    private static func blackHole<T>(_ value: T) {
        withExtendedLifetime(value) {}
    }
}
