import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ReceiveBufferCapacityTests {
    /// A buffer under any net.core.rmem_max is granted as asked, doubled (the kernel's
    /// bookkeeping share), and one 512-byte reply costs more than its payload.
    @Test func smallBufferIsGrantedDoubled() throws {
        let capacity = try #require(ReceiveBufferCapacity.measure(requestedBytes: 32 << 10))
        #expect(capacity.grantedBytes == 64 << 10)
        #expect((ReceiveBufferCapacity.largestReply...4096).contains(capacity.bytesPerReply), "\(capacity)")
    }

    /// Asking for nothing measures the kernel default: net.core.rmem_default, or where a
    /// container's network namespace hides that sysctl, what a fresh socket has.
    @Test func noRequestMeasuresTheKernelDefault() throws {
        let expected: Int
        if let text = try? TextFile.read("/proc/sys/net/core/rmem_default") {
            expected = try #require(Int(text.filter(\.isNumber)))
        } else {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var size: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            #expect(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0)
            expected = Int(size)
        }
        let capacity = try #require(ReceiveBufferCapacity.measure(requestedBytes: 0))
        #expect(capacity.grantedBytes == expected)
    }

    /// The count it predicts is what the kernel really queues: a socket with the same
    /// buffer, sent twice as many 512-byte datagrams as predicted and not read, holds
    /// exactly the predicted number (one more at most: the kernel admits a datagram while
    /// the buffer is not yet over).
    @Test func predictionMatchesWhatTheKernelQueues() throws {
        for requested in [16 << 10, 32 << 10, 100 << 10] {
            let capacity = try #require(ReceiveBufferCapacity.measure(requestedBytes: requested))
            let queued = try Self.datagramsQueued(requestedBytes: requested, sending: 2 * capacity.replies)
            #expect((capacity.replies...(capacity.replies + 1)).contains(queued), "asked \(requested): \(capacity), queued \(queued)")
        }
    }

    private static func datagramsQueued(requestedBytes: Int, sending count: Int) throws -> Int {
        let receiver = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue), 0)
        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(receiver); close(sender) }
        var size = Int32(requestedBytes)
        setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(receiver, $0, length) == 0, getsockname(receiver, $0, &length) == 0 else {
                    throw ResolverError(code: .noRecovery, message: "bind: \(errno)")
                }
            }
        }
        let payload = [UInt8](repeating: 0, count: ReceiveBufferCapacity.largestReply)
        for _ in 0..<count {
            _ = payload.withUnsafeBytes { raw in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(sender, raw.baseAddress, raw.count, 0, $0, length) }
                }
            }
        }
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        while recv(receiver, &buffer, buffer.count, 0) > 0 { received += 1 }
        return received
    }
}
