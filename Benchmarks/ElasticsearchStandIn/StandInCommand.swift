import ArgumentParser
import FleetTLS
import Foundation
import TestSupport

/// `es-standin`: the stand-in Elasticsearch `_bulk` endpoint as a process, for the data-path benchmark, where the
/// agent and rsyslog ship to the same endpoint. It counts documents (`GET /_standin/stats`) and keeps none.
@main
struct StandInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "es-standin",
        abstract: "A stand-in for Elasticsearch's _bulk endpoint (not Elasticsearch): checks requests, counts documents."
    )

    @Option(help: "The port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Option(help: "The server certificate (PEM); without it the stand-in speaks plain HTTP.")
    var certificate: String?

    @Option(help: "Its key.")
    var key: String?

    @Option(help: "Client CAs: when given, a client certificate from them is required.")
    var clientCA: String?

    @Option(help: "Append every accepted document to this file, one per line, before answering (the fault soak).")
    var record: String?

    func run() async throws {
        var behaviour = ElasticsearchStandIn.Behaviour()
        behaviour.parseDocuments = false
        behaviour.keepDocuments = false
        behaviour.recordPath = record
        let tls = certificate.map { certificate in
            TLSSettings(
                certificateAuthorities: clientCA.map { [$0] } ?? [], certificate: certificate, key: key,
                clientAuth: clientCA == nil ? .none : .required
            )
        }
        let standIn = try await ElasticsearchStandIn.start(tls, behaviour: behaviour, port: port)
        // Written unbuffered: the benchmark waits for this line.
        FileHandle.standardOutput.write(Data("Elasticsearch stand-in listening on \(tls == nil ? "http" : "https")://127.0.0.1:\(standIn.port)\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
