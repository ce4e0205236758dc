import NIOCore

/// `CONNECT host:port` to an HTTP proxy (plain or over TLS), with the proxy headers.
struct ConnectNegotiation: TunnelNegotiation {
    let target: String
    let proxy: ForwardProxy

    mutating func start() -> ByteBuffer {
        var request = "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n"
        for (name, value) in proxy.headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        return ByteBuffer(string: request)
    }

    mutating func receive(_ buffer: inout ByteBuffer) throws(ProxyTunnelError) -> TunnelStep {
        // The end of the proxy's head is found in the bytes, not in a decoded string: a proxy may send any bytes.
        let bytes = buffer.readableBytesView
        guard let end = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8]) else {
            if buffer.readableBytes > 16_384 { throw .refused(proxy: proxy.display, target: target, statusLine: "an answer with no end") }
            return .needMore
        }
        let firstLine = bytes[..<(bytes.firstRange(of: [13, 10] as [UInt8])?.lowerBound ?? end.lowerBound)]
        let statusLine = String(decoding: firstLine, as: UTF8.self)
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        switch status {
        case 200:
            buffer.moveReaderIndex(to: end.upperBound)
            return .open
        case 407, 401:  // tinyproxy, for one, answers wrong credentials with 401
            throw .credentials(
                proxy: proxy.display, sent: proxy.headers.keys.contains { $0.lowercased() == "proxy-authorization" },
                answer: statusLine
            )
        default:
            throw .refused(proxy: proxy.display, target: target, statusLine: statusLine)
        }
    }
}
