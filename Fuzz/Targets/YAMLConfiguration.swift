import FleetServer
import Foundation
import Yams

/// The Fleet Server's YAML configuration file (`flotilla server --config`), decoded as the server decodes it.
struct YAMLConfiguration: FuzzTarget {
    let name = "yaml-config"

    func run(_ data: Data) -> FuzzOutcome {
        do {
            _ = try YAMLDecoder().decode(FleetServerConfiguration.self, from: String(decoding: data, as: UTF8.self))
            return .accepted
        } catch {
            return .refused("\(error)")
        }
    }
}
