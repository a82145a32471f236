import NIOCore

extension RequestDecoder {
    /// The request of a common, well-formed line (``RequestLineScanner``), or nil for any
    /// other line. The caller then reads that line the generic way (``JSONParser``,
    /// ``Request/id(of:)``, ``decode(_:id:)``), which answers it, errors included, as
    /// always: this is only a faster road to the same ``Request`` (the fuzz target
    /// FuzzRequestLines checks that it is the same).
    package static func decodeCommonLine(_ line: ByteBuffer) -> Request? {
        line.withUnsafeReadableBytes { bytes in
            RequestLineScanner.withMembers(of: bytes) { members in
                guard members.parameters & Parameter.id.bit != 0, case .integer(let id) = members.value(of: .id),
                    id >= 1, id <= Request.maxID,
                    members.parameters & Parameter.op.bit != 0, case .some(.some(let operation)) = members.enumCase(of: .op, as: Operation.self),
                    case .success(let request) = decode(members, operation: operation, id: id)
                else { return nil }
                return request
            }
        }
    }
}
