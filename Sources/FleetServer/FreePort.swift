import FleetStore
import FleetTLS
import Foundation

/// A port nothing listens on now, for a server whose port must be known before it starts (it goes into policies
/// as `fleet.hosts`). Another process could take it in between; callers that can bind to 0 should.
///
/// Ports come from below Linux's ephemeral range (32768 and up), where the kernel never hands out ports on its own
/// (bind to 0, outgoing connections), picked at random and never twice in one process: parallel tests that each
/// need a fixed port do not collide.
public enum FreePort {
    static let handedOut = LockedBox<Set<Int>>([])

    public static func onLoopback() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            let isNew = handedOut.withLock { $0.insert(port).inserted }
            if isNew, isFree(port) { return port }
        }
        throw FlotillaError("Cannot find a free port between 20000 and 32000", hint: "pass a port explicitly")
    }

    /// Whether a listener could bind `port` on every address (0.0.0.0 covers loopback too).
    static func isFree(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
