import FleetTLS
import Foundation

/// A loopback port nothing listens on now, for a server whose port must be known before it starts (it goes into
/// policies as `fleet.hosts`). Another process could take it in between; callers that can bind to 0 should.
public enum FreePort {
    public static func onLoopback() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw FlotillaError("Cannot find a free port on 127.0.0.1", hint: "pass a port explicitly") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
