import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz input, replayed through its target in the ordinary build: the seeds (each target must
/// accept some, or it fuzzes nothing but its own refusals) and every crash scripts/fuzz.sh has found, which must
/// now end in a sentence instead.
@Suite(.timeLimit(.minutes(5))) struct FuzzCorpusTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTargets.all.map(\.name)) func seedsAreAcceptedAndCrashesAreRefusedWithASentence(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = Self.inputs("corpus", name)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(name) holds no seeds")
        let accepted = try seeds.filter { try target.run(Data(contentsOf: $0)) == .accepted }
        #expect(!accepted.isEmpty, "none of the seeds of \(name) is accepted")
        for input in Self.inputs("crashes", name) {
            #expect(target.run(try Data(contentsOf: input)) != .accepted, "\(input.lastPathComponent) crashed once and is now accepted")
        }
        for input in Self.inputs("corpus", name) + Self.inputs("crashes", name) {
            if case .refused(let reason) = target.run(try Data(contentsOf: input)) {
                #expect(!reason.isEmpty, "\(input.lastPathComponent): refused without a reason")
                // BoringSSL's codes ("error:0900006e:PEM routines...") never reach a user.
                #expect(!reason.contains("error:0"), "\(input.lastPathComponent): \(reason)")
            }
        }
    }

    /// Known bad inputs, each refused (not accepted, not a crash).
    @Test func brokenInputsAreRefused() throws {
        let broken: [(String, Data)] = [
            ("agent-api-bodies", Data("\u{0}{\"type\":1}".utf8)),
            ("agent-api-bodies", Data("\u{1}[".utf8)),
            ("pem", Data("\u{0}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)),
            ("pem", Data("\u{2}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n".utf8)),
            ("pem", Data("\u{3}-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n".utf8)),
            ("yaml-config", Data("port: [".utf8)),
            ("agent-policy", Data(#"{"outputs":{"default":{"type":"kafka"}}}"#.utf8)),
            ("http-response", Data("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".utf8)),
            ("http-response", Data("NOT HTTP AT ALL\r\n\r\n".utf8)),
        ]
        for (name, data) in broken {
            let target = try #require(FuzzTargets.named(name))
            guard case .refused = target.run(data) else {
                Issue.record("\(name) accepted \(String(decoding: data, as: UTF8.self).debugDescription)")
                continue
            }
        }
    }
}
