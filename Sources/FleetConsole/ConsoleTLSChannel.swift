import FleetTLS
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel behind Flotilla's TLS, so the console's listener loads, checks and explains its
/// certificate like every other link. Unlike the Fleet Server's it keeps no client certificates: people log in.
struct ConsoleTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    let base: BaseChannel
    let tls: TLSServerContext
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
            try channel.pipeline.syncOperations.addHandler(TLSEventLogger(logger: self.logger, server: tls))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ConsoleTLSChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}
