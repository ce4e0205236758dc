import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// `flotilla standalone`: the agent's data path without Fleet, from a policy file written by hand, as Elastic
/// Agent's standalone mode. The file has the policy's `outputs`, `inputs` and `agent.monitoring`, in YAML or JSON.
struct Standalone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run inputs and outputs from a policy file, without Fleet (Elastic Agent's standalone mode)."
    )

    @OptionGroup var location: AgentLocation

    @Option(help: "The policy file (YAML or JSON): outputs, inputs and agent.monitoring as Fleet would send them.")
    var policy: String

    func run() async throws {
        let path = absolutePath(policy)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FlotillaError("The policy file \(path) given with --policy does not exist or cannot be read", hint: "check the path and its permissions")
        }
        let body: JSONValue
        do {
            body = try YAMLDecoder().decode(JSONValue.self, from: String(decoding: data, as: UTF8.self))
        } catch {
            throw FlotillaError("The policy file \(path) given with --policy is not YAML or JSON (\(error))", hint: "write outputs: and inputs: as in a Fleet policy")
        }
        guard body["outputs"]?.objectValue?.isEmpty == false else {
            throw FlotillaError("The policy file \(path) names no outputs", hint: "add outputs:, like default: {type: file, path: /var/lib/flotilla/events}")
        }
        let tap = AgentLogTap()
        LogSettings.current.bootstrap { tap.handler(label: $0, upstream: $1) }
        let pipeline = try DataPipeline(directory: location.path + "/data", agentID: try standaloneID(), logTap: tap, logger: Logger(label: "data"))
        await pipeline.apply(body)
        for component in await pipeline.components().arrayValue ?? [] {
            for unit in component["units"]?.arrayValue ?? [] where unit["status"] == "FAILED" {
                say("\(unit["type"]?.stringValue ?? "unit") \(unit["id"]?.stringValue ?? ""): \(unit["message"]?.stringValue ?? "")")
            }
        }
        say("Running standalone from \(path); data under \(location.path)/data. Stop with Ctrl-C.")
        await Self.waitForStopSignal()
        await pipeline.stop()
        say("Stopped; what was read and not yet delivered is kept in the queue for the next start.")
    }

    /// The agent id events carry, made once and kept under the base path.
    func standaloneID() throws(FlotillaError) -> String {
        let file = location.path + "/standalone.id"
        if let text = try? String(contentsOfFile: file, encoding: .utf8), !text.isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = UUID().uuidString.lowercased()
        try SecureFileWriter.write(id + "\n", to: file, secret: true)
        return id
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForStopSignal() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
