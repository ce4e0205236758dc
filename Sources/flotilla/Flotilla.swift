import ArgumentParser
import FleetTLS

@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Fleet management: a Fleet Server, its agents, and the PKI that secures every link.",
        subcommands: [Quickstart.self, Install.self, Enroll.self, Run.self, Standalone.self, Status.self, Inspect.self, Uninstall.self, Server.self, Console.self, Certs.self]
    )
}

extension KeyAlgorithmOption: ExpressibleByArgument {}
extension CertificatePurposeOption: ExpressibleByArgument {}
