import NIOCore

/// A SOCKS5 CONNECT (RFC 1928), with user and password (RFC 1929) when the proxy headers carry them.
///
/// Written here because NIOSOCKS's client handler offers no authentication method but "none", and proxies in
/// real networks want a user and password. The target's name is sent as a name, so the proxy resolves it (as Go's
/// dialer, and so Elastic's agent, does).
struct SOCKS5Negotiation: TunnelNegotiation {
    let targetHost: String
    let targetPort: Int
    let proxy: ForwardProxy
    var stage = Stage.greeting

    enum Stage { case greeting, authentication, request }

    var target: String { targetHost.contains(":") ? "[\(targetHost)]:\(targetPort)" : "\(targetHost):\(targetPort)" }

    mutating func start() -> ByteBuffer {
        // Version 5; "no authentication", and "user and password" when there are credentials to offer.
        ByteBuffer(bytes: proxy.socksCredentials == nil ? [5, 1, 0] : [5, 2, 0, 2])
    }

    mutating func receive(_ buffer: inout ByteBuffer) throws(ProxyTunnelError) -> TunnelStep {
        switch stage {
        case .greeting:
            guard let answer = buffer.readBytes(length: 2) else { return .needMore }
            guard answer[0] == 5 else { throw .notSOCKS(proxy: proxy.display) }
            switch answer[1] {
            case 0:
                stage = .request
                return .send(connectRequest())
            case 2:
                guard let credentials = proxy.socksCredentials else { throw .credentials(proxy: proxy.display, sent: false) }
                stage = .authentication
                var message = ByteBuffer(bytes: [1])
                for field in [credentials.user, credentials.password] {
                    let bytes = Array(field.utf8.prefix(255))
                    message.writeInteger(UInt8(bytes.count))
                    message.writeBytes(bytes)
                }
                return .send(message)
            default:
                throw .credentials(proxy: proxy.display, sent: proxy.socksCredentials != nil)
            }
        case .authentication:
            guard let answer = buffer.readBytes(length: 2) else { return .needMore }
            guard answer[1] == 0 else { throw .credentials(proxy: proxy.display, sent: true) }
            stage = .request
            return .send(connectRequest())
        case .request:
            // VER REP RSV ATYP, then an address whose length depends on ATYP, then a port.
            guard buffer.readableBytes >= 5, let head = buffer.getBytes(at: buffer.readerIndex, length: 5) else { return .needMore }
            guard head[0] == 5 else { throw .notSOCKS(proxy: proxy.display) }
            guard head[1] == 0 else { throw .socksRefused(proxy: proxy.display, target: target, code: head[1]) }
            let addressLength: Int = switch head[3] {
            case 1: 4
            case 4: 16
            case 3: 1 + Int(head[4])
            default: throw .notSOCKS(proxy: proxy.display)
            }
            guard buffer.readableBytes >= 4 + addressLength + 2 else { return .needMore }
            buffer.moveReaderIndex(forwardBy: 4 + addressLength + 2)
            return .open
        }
    }

    func connectRequest() -> ByteBuffer {
        var request = ByteBuffer(bytes: [5, 1, 0])
        if let address = IPAddressText.parse(targetHost) {
            request.writeInteger(UInt8(address.count == 4 ? 1 : 4))
            request.writeBytes(address)
        } else {
            let name = Array(targetHost.utf8.prefix(255))
            request.writeInteger(UInt8(3))
            request.writeInteger(UInt8(name.count))
            request.writeBytes(name)
        }
        request.writeInteger(UInt16(targetPort))
        return request
    }
}
