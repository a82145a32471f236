import NIOCore
import ResolverTypes

@testable import ResolvdProtocol

extension RequestLinesFuzzing {
    /// The daemon's fast reader of common request lines (``RequestDecoder/decodeCommonLine(_:)``)
    /// against the generic path it stands in for (``JSONParser``, ``Request/id(of:)``,
    /// ``RequestDecoder/decode(_:id:)``), line by line as the framer splits them: whatever
    /// it accepts, the generic path must read as the same request, so it never accepts what
    /// the generic path refuses. Trapping otherwise.
    static func checkCommonLineDecoder(_ bytes: [UInt8]) {
        for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let buffer = ByteBuffer(bytes: line)
            guard let fast = RequestDecoder.decodeCommonLine(buffer) else { continue }
            var generic: Result<Request, ResolverError>?
            if case .object(let object)? = try? JSONParser.parse(buffer), let id = Request.id(of: object) {
                generic = RequestDecoder.decode(object, id: id)
            }
            guard generic == .success(fast) else {
                fatalError("the common-line decoder read \(fast), the generic path \(String(describing: generic)): \(String(decoding: line, as: UTF8.self))")
            }
        }
    }
}
