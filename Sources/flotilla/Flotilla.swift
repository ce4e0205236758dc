import ArgumentParser
import FleetTLS
import Foundation

@main
struct Flotilla: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Fleet management: a Fleet Server, its agents, and the PKI that secures every link.",
        discussion: "Every command takes --log-level (trace, debug, info, notice, warning, error, critical) and --log-format (text or json: one JSON object per line on standard error).",
        subcommands: [
            Quickstart.self, Install.self, Enroll.self, Run.self, Standalone.self, Status.self, Inspect.self, Uninstall.self,
            Server.self, Console.self, Certs.self, WatchUpgrade.self,
        ]
    )

    /// Parses a copy of the arguments, after hiding the secrets among them from other users' `ps` and taking out
    /// the logging options every command shares.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        ProcessArguments.hideSecrets()
        do {
            LogSettings.current = try LogSettings.extract(&arguments)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            Glibc.exit(64)
        }
        await main(arguments)
    }
}

extension KeyAlgorithmOption: ExpressibleByArgument {}
extension CertificatePurposeOption: ExpressibleByArgument {}
