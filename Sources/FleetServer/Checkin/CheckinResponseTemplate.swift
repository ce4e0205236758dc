import FleetProtocol
import Foundation
import Hummingbird
import NIOCore

/// A check-in response that carries one POLICY_CHANGE, encoded once per policy revision and filled in per agent.
///
/// When a policy changes, every agent on it gets the same response but for its agent id and ack token. Encoding the
/// policy (often several KiB of JSON) once per agent is most of a fan-out's CPU, so the response is encoded once
/// with unique placeholders in those two places, split there, and each agent's copy is the pieces joined around
/// its own values. `CheckinResponse`'s Codable stays the only description of the shape.
struct CheckinResponseTemplate: Sendable {
    /// The encoded response cut at each placeholder; `holes[i]` follows `pieces[i]`.
    let pieces: [[UInt8]]
    let holes: [Hole]

    enum Hole: Sendable {
        case agentId
        case ackToken
    }

    /// Encodes `action` (its `agentID` is replaced per agent) in a response with or without an ack token.
    init(action: Action, withAckToken: Bool) throws {
        // Random per template, so no policy body can contain them by chance.
        let marker = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let agentMarker = "agent\(marker)", ackMarker = "ack\(marker)"
        var action = action
        action.agentID = agentMarker
        let response = CheckinResponse(ackToken: withAckToken ? ackMarker : nil, actions: [action])
        let encoded = Array(try Response.jsonEncoder().encode(response))
        var pieces: [[UInt8]] = [], holes: [Hole] = []
        var rest = encoded[...]
        let markers: [(bytes: [UInt8], hole: Hole)] = [(Array(agentMarker.utf8), .agentId), (Array(ackMarker.utf8), .ackToken)]
        while let (range, hole) = markers.compactMap({ marker in rest.firstRange(of: marker.bytes).map { ($0, marker.hole) } })
            .min(by: { $0.0.lowerBound < $1.0.lowerBound })
        {
            pieces.append(Array(rest[..<range.lowerBound]))
            holes.append(hole)
            rest = rest[range.upperBound...]
        }
        pieces.append(Array(rest))
        self.pieces = pieces
        self.holes = holes
    }

    /// The response for one agent, as the body of its HTTP answer.
    func render(agentId: String, ackToken: String?) -> ByteBuffer {
        let values = [Self.escaped(agentId), Self.escaped(ackToken ?? "")]
        var buffer = ByteBuffer()
        buffer.reserveCapacity(pieces.reduce(0) { $0 + $1.count } + values[0].count * holes.count + values[1].count)
        for (index, piece) in pieces.enumerated() {
            buffer.writeBytes(piece)
            guard index < holes.count else { break }
            switch holes[index] {
            case .agentId: buffer.writeBytes(values[0])
            case .ackToken: buffer.writeBytes(values[1])
            }
        }
        return buffer
    }

    /// A string's bytes as they go between the quotes of a JSON string.
    static func escaped(_ value: String) -> [UInt8] {
        // Agent ids and ack tokens are UUIDs and numbers: nothing to escape, so the common case skips the encoder.
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain { return Array(value.utf8) }
        let quoted = (try? Response.jsonEncoder().encode(value)).map(Array.init) ?? Array("\"\"".utf8)
        return Array(quoted.dropFirst().dropLast())
    }
}
