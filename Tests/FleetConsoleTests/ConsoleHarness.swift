import FleetConsole
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TestSupport
import Testing

/// A console on a real SQLite store made by `flotilla server init`'s code, with an admin and a viewer API key,
/// driven through its router.
struct ConsoleHarness {
    let directory = TemporaryDirectory("flotilla-console")
    let store: SQLiteStore
    let console: FleetConsole
    let adminKey: String
    let viewerKey: String
    let certificates = CertificateFixtures.shared

    init() async throws {
        store = try SQLiteStore(path: directory.file("fleet.sqlite"))
        _ = try await StoreSetup.initialize(store)
        var configuration = ConsoleConfiguration()
        configuration.insecureHTTP = true
        configuration.secretsKeyPath = directory.file("console-secrets.key")
        console = try await FleetConsole(configuration: configuration, store: store, logger: Logger(label: "console-test"))
        adminKey = try await console.accounts.createAPIKey(name: "admin-key", role: .admin).encoded
        viewerKey = try await console.accounts.createAPIKey(name: "viewer-key", role: .viewer).encoded
    }

    /// Runs `body` with a client of the console's router.
    func run(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await Self.run(console, apiKey: adminKey, body)
    }

    /// Runs `body` with a client of any console's router, as `apiKey`.
    static func run(_ console: FleetConsole, apiKey: String, _ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let app = Application(router: console.router())
        try await app.test(.router) { client in try await body(Client(client: client, adminKey: apiKey)) }
    }

    struct Client {
        let client: any TestClientProtocol
        let adminKey: String

        struct Answer {
            var status: HTTPResponse.Status
            var json: JSONValue
            var text: String
            var headers: HTTPFields
        }

        /// A JSON request as the admin API key, unless `key` or `headers` say otherwise.
        @discardableResult
        func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, key: String? = nil, headers: HTTPFields = [:]) async throws -> Answer {
            var fields = headers
            if headers[.authorization] == nil, headers[.cookie] == nil { fields[.authorization] = "ApiKey \(key ?? adminKey)" }
            if let _ = body { fields[.contentType] = "application/json" }
            let buffer = try body.map { ByteBuffer(data: try $0.jsonData()) }
            return try await client.execute(uri: path, method: method, headers: fields, body: buffer) { response in
                let text = String(buffer: response.body)
                return Answer(status: response.status, json: (try? JSONValue(data: Data(text.utf8))) ?? .null, text: text, headers: response.headers)
            }
        }

        /// A form post, as a browser sends it.
        func form(_ path: String, _ fields: [String: String], cookie: String?) async throws -> Answer {
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            if let cookie { headers[.cookie] = cookie }
            let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                Answer(status: response.status, json: .null, text: String(buffer: response.body), headers: response.headers)
            }
        }
    }

    /// The CSRF token a page's forms carry.
    static func csrfToken(in page: String) throws -> String {
        let field = try #require(page.range(of: #"name="_csrf" value="[^"]+""#, options: .regularExpression))
        return String(page[field].dropFirst(#"name="_csrf" value=""#.count).dropLast())
    }

    /// The policy agents on `id` receive now.
    func policy(_ id: String) async throws -> JSONValue {
        let record = try #require(try await store.policy(id: id))
        var body = try JSONValue(data: Data(record.body.utf8))
        body["revision"] = .number(Double(record.revision))
        return body
    }
}
