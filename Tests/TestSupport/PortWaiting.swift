import Foundation

/// Waits (bounded) until something accepts TCP connections on `127.0.0.1:port`: readiness for servers that print
/// nothing when they are ready (nginx).
public func waitForListener(port: Int, within seconds: Double = 30) async -> Bool {
    await eventually(within: seconds) {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
