import FleetTLS
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOTLS
import PostgresNIO

/// Where a PostgreSQL store is and how to reach it: `postgres://user@host:port/database`, TLS settings from the
/// `--fleet-server-es-*` flags, and a password from a file or `PGPASSWORD` (never from the URL or a flag).
public struct PostgresLink: Sendable {
    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    public private(set) var tls: TLSSettings
    /// Built once: its CA, certificate and key files are read when the link is made, not per connection.
    private(set) var client: TLSClientContext
    let password: String?

    /// "postgres://flotilla@db.example.com:5432/fleet", for messages: never a password.
    public var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    public init(url: String, tls: TLSSettings?, passwordFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(FlotillaError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty else {
            throw FlotillaError("--fleet-server-es=\(redactedURL(url)) is not a PostgreSQL URL", hint: "write it like postgres://user@db.example.com:5432/fleet")
        }
        guard components.password == nil else {
            throw FlotillaError("--fleet-server-es carries a password in its URL, where any user of this host can read it", hint: "put the password in a file given with --fleet-server-es-password-file, or in PGPASSWORD")
        }
        guard components.query == nil else {
            throw FlotillaError("--fleet-server-es=\(redactedURL(url)) carries options after '?', which Flotilla does not read", hint: "give TLS settings with the --fleet-server-es-* flags instead")
        }
        guard let user = components.user, !user.isEmpty else {
            throw FlotillaError("--fleet-server-es=\(url) names no user", hint: "write it like postgres://user@\(host):\(components.port ?? 5432)/fleet")
        }
        let database = String(components.path.drop { $0 == "/" })
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.database = database.isEmpty ? user : database
        // Secure by default: with no --fleet-server-es-* flag the store's certificate is still verified, against
        // the system's CAs.
        self.tls = tls ?? TLSSettings()
        client = try TLSClientContext(settings: self.tls, role: "store", fields: .store)
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw FlotillaError("The store password file \(passwordFile) cannot be read", hint: "check --fleet-server-es-password-file")
            }
            password = text.trimmingCharacters(in: .newlines)
        } else {
            password = environment["PGPASSWORD"]
        }
    }

    /// The same store reached with other TLS settings (the console's `es_*` fields); fails with the loading sentence.
    public func with(tls: TLSSettings) throws(FlotillaError) -> PostgresLink {
        var changed = self
        changed.tls = tls
        changed.client = try TLSClientContext(settings: tls, role: "store", fields: TLSFieldNames(
            certificateAuthorities: "ssl.es_certificate_authorities", certificate: "ssl.es_certificate", key: "ssl.es_key",
            keyPassphrase: nil
        ))
        return changed
    }

    /// One connection: TCP, PostgreSQL's SSLRequest, then Flotilla's own TLS client (so a refusal is explained the
    /// way every other link explains it), then the PostgreSQL protocol over it. Fails with one sentence.
    func connect(id: Int, logger: Logger) async throws(FlotillaError) -> PostgresConnection {
        let client = self.client
        let server = "store at \(host):\(port)"
        let report = HandshakeReport()
        let tlsError = LockedBox<(any Error)?>(nil)
        do {
            let answer = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: UInt8.self)
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(10))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SSLRequestHandler(answer: answer)) }
                    }
                    .connect(host: host, port: port).get()
            } catch {
                answer.fail(error)
                throw error
            }
            // A store that accepts the connection and then says nothing must not hold it: ten seconds to be ready.
            let deadline = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
            defer { deadline.cancel() }
            channel.writeAndFlush(ByteBuffer(bytes: SSLRequestHandler.request), promise: nil)
            guard try await answer.futureResult.get() == UInt8(ascii: "S") else {
                channel.close(promise: nil)
                throw FlotillaError("The \(server) does not accept TLS connections", hint: "turn ssl on in its postgresql.conf; Flotilla never sends the store's data in clear")
            }
            let host = self.host
            let handshake = channel.eventLoop.makePromise(of: Void.self)
            // Under TLS 1.3 the store refuses a client certificate after the handshake, while PostgresNIO reads:
            // the TLS error is kept here, since PostgresNIO reports only that the connection closed.
            do {
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(client.makeHandler(host: host, report: report))
                    try channel.pipeline.syncOperations.addHandler(TLSErrorRecorder(box: tlsError))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(done: handshake))
                }.get()
            } catch {
                handshake.fail(error)
                throw error
            }
            // PostgresNIO is handed a channel whose TLS is already up, so it never sees the handshake's event.
            try await handshake.futureResult.get()
            let configuration = PostgresConnection.Configuration(establishedChannel: channel, tls: .disable, username: user, password: password, database: database)
            return try await PostgresConnection.connect(on: channel.eventLoop, configuration: configuration, id: id, logger: logger)
        } catch let error as FlotillaError {
            throw error
        } catch {
            throw explain(tlsError.withLock { $0 } ?? error, server: server, report: report, client: client)
        }
    }

    /// A PostgreSQL or TLS failure as one sentence.
    func explain(_ error: any Error, server: String, report: HandshakeReport, client: TLSClientContext) -> FlotillaError {
        guard let failure = error as? PSQLError else {
            return HandshakeDiagnosis.clientFailure(error, server: server, report: report, client: client)
        }
        if failure.code == .server, let state = failure.serverInfo?[.sqlState] {
            let message = failure.serverInfo?[.message] ?? ""
            switch state {
            case "28P01":
                return FlotillaError("The \(server) refused the password of user \(user)", hint: "check the password in --fleet-server-es-password-file or PGPASSWORD")
            case "3D000":
                return FlotillaError("The database \(database) does not exist on the \(server)", hint: "create it (createdb \(database)) or fix the URL in --fleet-server-es")
            case "28000" where message.contains("requires a valid client certificate"):
                return FlotillaError("The \(server) requires a client certificate and none was given", hint: "give --fleet-server-es-cert and --fleet-server-es-cert-key")
            case "28000" where message.contains("certificate authentication failed"):
                return FlotillaError("The \(server) refused the client certificate for user \(user): its common name is not \(user)", hint: "issue the certificate with common name \(user), or map it in pg_ident.conf")
            case "28000":
                return FlotillaError("The \(server) does not let user \(user) in from this host (\(message))", hint: "check its pg_hba.conf")
            default:
                return FlotillaError("The \(server) refused the connection (\(state): \(message))", hint: "look at the store's log")
            }
        }
        if failure.code == .authMechanismRequiresPassword {
            return FlotillaError("The \(server) asks user \(user) for a password and none was given", hint: "give --fleet-server-es-password-file or set PGPASSWORD")
        }
        if let underlying = failure.underlying {
            return HandshakeDiagnosis.clientFailure(underlying, server: server, report: report, client: client)
        }
        return HandshakeDiagnosis.clientFailure(error, server: server, report: report, client: client)
    }
}

/// Sends nothing itself; catches the one-byte answer to PostgreSQL's SSLRequest ('S' or 'N') and steps aside.
final class SSLRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    /// Length 8, then the SSLRequest code 80877103.
    static let request: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
    let answer: EventLoopPromise<UInt8>
    var answered = false

    init(answer: EventLoopPromise<UInt8>) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !answered, let byte = bytes.readInteger(as: UInt8.self) else { return }
        guard bytes.readableBytes == 0 else {
            // Bytes after the answer and before TLS would be read as if encrypted (CVE-2021-23222): refuse.
            fail(FlotillaError("The store sent data before TLS was set up", hint: "check that the address is a PostgreSQL server"))
            context.close(promise: nil)
            return
        }
        answered = true
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        answer.succeed(byte)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.alreadyClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func fail(_ error: any Error) {
        guard !answered else { return }
        answered = true
        answer.fail(error)
    }
}

/// Waits for the TLS handshake to finish, keeps its event to itself, and steps aside.
final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<Void>
    var finished = false

    init(done: EventLoopPromise<Void>) { self.done = done }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        finish(nil)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(ChannelError.alreadyClosed)
        context.fireChannelInactive()
    }

    func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error { done.fail(error) } else { done.succeed() }
    }
}

/// Keeps the first error the TLS layer raises, and passes it on.
final class TLSErrorRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let box: LockedBox<(any Error)?>

    init(box: LockedBox<(any Error)?>) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        box.withLock { if $0 == nil { $0 = error } }
        context.fireErrorCaught(error)
    }
}
