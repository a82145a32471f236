import CAres

extension ResolverError {
    /// The documented mapping of a c-ares status to a Windows code (docs/error-codes.md).
    ///
    /// EAI_* codes never reach here: resolvd does its own service, family, socket-type
    /// and flag checks in Swift and raises the mapped code directly.
    static func fromAres(_ status: Int32, name: String) -> ResolverError {
        let text = String(cString: ares_strerror(status))
        let code: ResultCode
        switch status {
        case ARES_ETIMEOUT, ARES_ESERVFAIL, ARES_ECONNREFUSED, ARES_EOF, ARES_EBADRESP:
            // All are "the upstream did not give a usable answer now"; a retry may succeed.
            code = .tryAgain
        case ARES_ENOTFOUND, ARES_ENONAME:
            code = .hostNotFound
        case ARES_ENODATA:
            code = .noData
        case ARES_EREFUSED, ARES_EFORMERR, ARES_ENOTIMP:
            code = .noRecovery
        case ARES_ENOMEM:
            code = .notEnoughMemory
        case ARES_EBADNAME, ARES_EBADQUERY, ARES_EBADFLAGS, ARES_EBADHINTS, ARES_EBADSTR:
            code = .invalidArgument
        case ARES_EBADFAMILY:
            code = .addressFamilyNotSupported
        case ARES_ESERVICE:
            code = .typeNotFound
        case ARES_ECANCELLED:
            code = .cancelled
        case ARES_EDESTRUCTION:
            code = .operationAborted
        default:
            code = .noRecovery
        }
        return ResolverError(code: code, message: "\(name): \(text)")
    }

    /// The mapping for a PTR lookup (gethostbyaddr, getnameinfo): an answer without a PTR
    /// record means the address has no name, WSAHOST_NOT_FOUND as glibc's HOST_NOT_FOUND
    /// and EAI_NONAME; everything else as ``fromAres(_:name:)`` — so SERVFAIL or no answer
    /// stays WSATRY_AGAIN.
    static func fromAresReverse(_ status: Int32, address: String) -> ResolverError {
        if status == ARES_ENODATA {
            return ResolverError(code: .hostNotFound, message: "\(address): no PTR record")
        }
        return fromAres(status, name: address)
    }
}
