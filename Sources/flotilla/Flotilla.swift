import ArgumentParser
import FleetTLS

@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Fleet management: a Fleet Server, its agents, and the PKI that secures every link.",
        subcommands: [Quickstart.self, Install.self, Enroll.self, Run.self, Standalone.self, Status.self, Inspect.self, Uninstall.self, Server.self, Console.self, Certs.self]
    )

    /// Parses a copy of the arguments, after hiding the secrets among them from other users' `ps`.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        ProcessArguments.hideSecrets()
        await main(arguments)
    }
}

extension KeyAlgorithmOption: ExpressibleByArgument {}
extension CertificatePurposeOption: ExpressibleByArgument {}
