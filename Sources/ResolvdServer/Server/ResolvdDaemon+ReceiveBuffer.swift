import Logging
import ResolverCore

extension ResolvdDaemon {
    /// Says what receive buffer the c-ares sockets got and how many queries each channel
    /// therefore keeps in flight — a warning when that is below `max_in_flight_per_channel`
    /// because it means the daemon runs without CAP_NET_ADMIN and with a small
    /// `net.core.rmem_max`, and bursts of lookups queue where they could run.
    func logReceiveBuffer(of resolver: CoreResolver) {
        let configured = resolver.configuration.maxInFlightPerChannel
        guard let buffer = resolver.receiveBuffer else {
            logger.warning(
                "could not measure the UDP receive buffer; keeping max_in_flight_per_channel as configured",
                metadata: ["queries_in_flight_per_channel": "\(configured)"])
            return
        }
        let metadata: Logger.Metadata = [
            "asked_bytes": "\(resolver.configuration.socketReceiveBufferBytes)",
            "granted_bytes": "\(buffer.grantedBytes)",
            "replies_it_holds": "\(buffer.replies)",
            "queries_in_flight_per_channel": "\(resolver.queryLimitPerChannel)",
        ]
        if resolver.queryLimitPerChannel < configured {
            logger.warning(
                "UDP receive buffer holds fewer replies than channels × max_in_flight_per_channel (\(resolver.configuration.channelCount) × \(configured)); queries in flight lowered to fit. Raise net.core.rmem_max or grant CAP_NET_ADMIN to lift it",
                metadata: metadata)
        } else {
            logger.info("UDP receive buffer", metadata: metadata)
        }
    }
}
