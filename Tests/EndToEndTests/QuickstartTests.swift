import Foundation
import TestSupport
import Testing

/// The README's main command: a Fleet Server and one agent over mutual TLS, the command for a second host (run
/// here for real), a clean stop, and a second run that reuses everything.
@Suite(.timeLimit(.minutes(5))) struct QuickstartTests {
    @Test func quickstartBringsAnAgentOnlineAndItsPrintedCommandEnrollsAnother() async throws {
        let directory = TemporaryDirectory("flotilla-quickstart")
        let root = directory.file("quickstart")
        let first = try BackgroundProcess(ProcessRunner.flotillaBinary, ["quickstart", "--directory", root, "--port", "0"])
        _ = try await first.line(containing: "Press Ctrl-C to stop.")
        let printed = first.printed
        #expect(printed.contains("Made the seed's certificates"))
        #expect(printed.contains("policy:          default-policy, revision 1"), "\(printed)")
        #expect(printed.contains("mutual, client certificate flotilla-agent"))
        // Without an Elasticsearch, the agent's own metrics and the host's land in the file output.
        let events = root + "/agent/events/flotilla.ndjson"
        #expect(printed.contains(events))
        #expect(await eventually {
            let text = (try? String(contentsOfFile: events, encoding: .utf8)) ?? ""
            return text.contains(#""dataset":"elastic_agent.flotilla""#) && text.contains(#""system":{"memory""#)
        }, "no agent metrics in \(events)")

        // The printed command, as a user would paste it on another host (here: another base path).
        let lines = printed.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("flotilla install") })
        var command = ""
        for line in lines[start...] {
            command += line.replacingOccurrences(of: "\\", with: " ")
            if !line.hasSuffix("\\") { break }
        }
        let arguments = command.split(separator: " ").map(String.init).dropFirst()
        #expect(arguments.contains { $0.hasPrefix("--elastic-agent-cert-key-passphrase=") })
        let second = try await flotilla(Array(arguments) + ["--base-path", directory.file("second"), "--non-interactive"])
        #expect(second.status == 0, "\(second.output)")

        #expect(await first.terminate(signal: SIGTERM) == 0)
        #expect(first.printed.contains("Stopped."))
        #expect(!first.printed.contains("warning") && !first.printed.contains("error"), "\(first.printed)")

        let again = try BackgroundProcess(ProcessRunner.flotillaBinary, ["quickstart", "--directory", root, "--port", "0"])
        _ = try await again.line(containing: "Press Ctrl-C to stop.")
        #expect(again.printed.contains("Reusing the certificates"))
        #expect(again.printed.contains("Reusing agent"))
        #expect(await again.terminate(signal: SIGTERM) == 0)
    }
}
