import NIOCore
import ResolvdProtocol

@testable import ResolvdServer

/// The checks of the libFuzzer target over what a local client's Varlink bytes go through
/// before any lookup: ``VarlinkFrameDecoder`` (NUL-terminated messages, a length bound),
/// ``VarlinkCall`` (the call's envelope) and ``VarlinkResolveRequest/decode(method:parameters:)``
/// (io.systemd.Resolve's parameters).
///
/// Trapping (so libFuzzer reports a crash) when a promise is broken:
/// - framing: the decoder, fed the stream in pieces whose sizes the input picks, yields
///   exactly the stream's NUL-terminated messages up to the first one longer than the bound,
///   then one ``VarlinkFrameDecoder/Frame/tooLong`` and nothing more — the same as when fed
///   in one piece;
/// - a call that parses writes back (method, parameters, oneway, more) to text that parses
///   to the same call; parsing is deterministic;
/// - a call the ResolveHostname reader (``VarlinkHostnameCall``) accepts is one the generic path
///   reads as the same request;
/// - an io.systemd.Resolve call decodes the same twice; it fails only with the errors the
///   interface defines, and an `InvalidParameter` names a member the call has or one the
///   method requires; a hostname or record lookup asks for the name given.
enum VarlinkFuzzing {
    /// A bound small enough for the fuzzer to reach.
    static let maximumLength = 512

    static func fuzz(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let expected = referenceFrames(bytes)
        let whole = decodeFrames(bytes, pieces: [])
        let pieces = bytes.prefix(8).map { Int($0) % 97 + 1 }
        let chunked = decodeFrames(bytes, pieces: pieces)
        precondition(whole == expected, "frames in one piece: \(whole.count), the stream has \(expected.count)")
        precondition(chunked == expected, "frames in pieces \(pieces): \(chunked.count), the stream has \(expected.count)")
        for case .message(let message)? in expected {
            checkCall(message)
        }
    }

    // MARK: - Framing

    /// The stream's frames read plainly: `.message` per NUL-terminated message, `nil` for
    /// the one that is too long (then nothing more).
    static func referenceFrames(_ bytes: [UInt8]) -> [Frame?] {
        var frames: [Frame?] = []
        var start = 0
        while true {
            let end = bytes[start...].firstIndex(of: 0)
            let length = (end ?? bytes.count) - start
            if length > maximumLength {
                frames.append(nil)
                return frames
            }
            guard let end else { return frames }
            frames.append(.message(Array(bytes[start..<end])))
            start = end + 1
        }
    }

    enum Frame: Equatable {
        case message([UInt8])
    }

    /// The decoder's frames, fed `bytes` in pieces of the sizes given (cycled), as the
    /// connection handler feeds it: what is left of one piece goes before the next.
    static func decodeFrames(_ bytes: [UInt8], pieces: [Int]) -> [Frame?] {
        var decoder = VarlinkFrameDecoder(maximumLength: maximumLength)
        var buffer = ByteBuffer()
        var frames: [Frame?] = []
        var offset = 0
        var next = 0
        while offset < bytes.count {
            let size = pieces.isEmpty ? bytes.count : min(bytes.count - offset, pieces[next % pieces.count])
            next += 1
            buffer.writeBytes(bytes[offset..<offset + size])
            offset += size
            while let frame = decoder.nextFrame(in: &buffer) {
                switch frame {
                case .message(let message): frames.append(.message(Array(message.readableBytesView)))
                case .tooLong: frames.append(nil)
                }
            }
        }
        return frames
    }

    // MARK: - Calls

    static func checkCall(_ message: [UInt8]) {
        let buffer = ByteBuffer(bytes: message)
        let fast = VarlinkHostnameCall.request(buffer)
        guard let call = try? VarlinkCall(parsing: buffer) else {
            precondition((try? VarlinkCall(parsing: buffer)) == nil, "call parsing is not deterministic")
            precondition(fast == nil, "the ResolveHostname reader accepts a call the generic path refuses")
            return
        }
        if let fast {
            // What the fast reader accepts, the generic path reads as the same request.
            precondition(!call.oneway && !call.more && call.method == "io.systemd.Resolve.ResolveHostname", "the ResolveHostname reader accepts another call")
            let generic = try? VarlinkResolveRequest.decode(method: "ResolveHostname", parameters: call.parameters)
            precondition(generic?.key == fast.key && generic?.flags == fast.flags, "the ResolveHostname reader and the generic path disagree")
        }
        var written = ByteBuffer()
        written.writeJSONValue(
            .object(["method": .string(call.method), "parameters": .object(call.parameters), "oneway": .bool(call.oneway), "more": .bool(call.more)]))
        guard let again = try? VarlinkCall(parsing: written) else { preconditionFailure("a call written back does not parse: \(String(buffer: written))") }
        precondition(
            again.method == call.method && again.parameters == call.parameters && again.oneway == call.oneway && again.more == call.more,
            "a call written back parses to another call")

        let prefix = "io.systemd.Resolve."
        guard call.method.hasPrefix(prefix) else { return }
        checkResolve(method: String(call.method.dropFirst(prefix.count)), parameters: call.parameters)
    }

    static let resolveErrors: Set<String> = [
        "org.varlink.service.InvalidParameter", "org.varlink.service.MethodNotFound",
        "io.systemd.Resolve.BadAddressSize", "io.systemd.Resolve.ResourceRecordTypeUnsupported",
    ]
    /// Members a method requires, which an `InvalidParameter` may name though the call lacks them.
    static let requiredMembers: Set<String> = ["name", "type", "family", "address", "domain"]

    static func checkResolve(method: String, parameters: JSONObject) {
        let first = Result { () throws(VarlinkError) in try VarlinkResolveRequest.decode(method: method, parameters: parameters) }
        let second = Result { () throws(VarlinkError) in try VarlinkResolveRequest.decode(method: method, parameters: parameters) }
        switch (first, second) {
        case (.failure(let error), .failure(let again)):
            precondition(error == again, "decoding is not deterministic")
            precondition(resolveErrors.contains(error.name), "\(method): unexpected error \(error.name)")
            if error.name == "org.varlink.service.InvalidParameter" {
                guard case .string(let member)? = error.parameters["parameter"] else { preconditionFailure("InvalidParameter without a parameter") }
                precondition(parameters[member] != nil || requiredMembers.contains(member), "InvalidParameter names \(member), which the call lacks")
            }
        case (.success(let request), .success(let again)):
            precondition(request.key == again.key && request.flags == again.flags, "decoding is not deterministic")
            switch (method, request.key) {
            case ("ResolveHostname", .addressInfo(let lookup)):
                precondition(parameters["name"] == .string(lookup.name), "ResolveHostname asks another name")
            case ("ResolveRecord", .query(let name, _, _)):
                precondition(parameters["name"] == .string(name), "ResolveRecord asks another name")
            case ("ResolveAddress", .hostByAddress), ("ResolveService", .query):
                break
            default:
                preconditionFailure("\(method) decoded to \(request.key)")
            }
        default:
            preconditionFailure("decoding is not deterministic")
        }
    }
}
