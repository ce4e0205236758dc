import FleetProtocol
import Foundation
import Hummingbird

extension WebUI {
    /// A form field with the seed's label, the CLI flag it stands for, and its purpose.
    struct Field {
        var name: String
        var label: String
        var flag: String?
        var purpose: String
        var multiline = false
        var secret = false

        /// Certificates, keys and CAs: a path or inline PEM.
        var pem: Bool { multiline && (name.contains("certificate") || name.hasSuffix("key")) }

        func values(_ item: JSONValue?, path: [String]) -> [String: Any] {
            let stored = item?[path]
            let text = stored?.arrayValue?.compactMap(\.stringValue).joined(separator: "\n") ?? stored?.stringValue ?? ""
            var values: [String: Any] = [
                "name": name, "label": label, "purpose": purpose, "multiline": multiline,
                "value": secret && SecretFields.isSecret(text, path: path) ? "" : text, "stored": secret && item?[["secrets"] + path] != nil,
                "placeholder": pem ? "a path on the host that uses it, or inline PEM" : "",
                // A key typed into a form that was refused is not sent back: say so, rather than lose it quietly.
                "retype": secret && SecretFields.isSecret(text, path: path),
            ]
            // Mustache treats an empty string as a value, so a field without a flag has no `flag` key at all.
            if let flag { values["flag"] = flag }
            return values
        }
    }

    static let hostGeneral = [
        Field(name: "name", label: "Name", purpose: "How the console and policies call this host"),
        Field(name: "host_urls", label: "URLs", flag: "--url", purpose: "Where agents reach Fleet Server, one per line (up to 10)", multiline: true),
    ]
    /// The seed's table for Fleet Server hosts, plus the agent side of the same link.
    static let hostSSL: [(Field, [String])] = [
        (Field(name: "certificate_authorities", label: "Server SSL certificate authorities", flag: "--certificate-authorities", purpose: "CA to validate agent certificates (Fleet Server authenticates agent)", multiline: true), ["ssl", "certificate_authorities"]),
        (Field(name: "certificate", label: "Client SSL certificate", flag: "--fleet-server-cert", purpose: "TLS certificate Fleet Server presents to agent (agent validates it)", multiline: true), ["ssl", "certificate"]),
        (Field(name: "key", label: "Client SSL certificate key", flag: "--fleet-server-cert-key", purpose: "Key paired with the Fleet Server client certificate", multiline: true, secret: true), ["ssl", "key"]),
        (Field(name: "es_certificate_authorities", label: "Elasticsearch certificate authorities", flag: "--fleet-server-es-ca", purpose: "CA Fleet Server uses to validate Elasticsearch cert", multiline: true), ["ssl", "es_certificate_authorities"]),
        (Field(name: "es_certificate", label: "SSL certificate for Elasticsearch", flag: "--fleet-server-es-cert", purpose: "Fleet Server’s mTLS certificate for Elasticsearch", multiline: true), ["ssl", "es_certificate"]),
        (Field(name: "es_key", label: "SSL certificate key for Elasticsearch", flag: "--fleet-server-es-cert-key", purpose: "Key paired with the Fleet Server’s Elasticsearch certificate", multiline: true, secret: true), ["ssl", "es_key"]),
        (Field(name: "agent_certificate_authorities", label: "Agent certificate authorities", flag: "--certificate-authorities", purpose: "CA agents use to validate the Fleet Server certificate (pushed to agents as fleet.ssl)", multiline: true), ["ssl", "agent_certificate_authorities"]),
        (Field(name: "agent_certificate", label: "Agent SSL certificate", flag: "--elastic-agent-cert", purpose: "Certificate agents present to Fleet Server under mutual TLS", multiline: true), ["ssl", "agent_certificate"]),
        (Field(name: "agent_key", label: "Agent SSL certificate key", flag: "--elastic-agent-cert-key", purpose: "Key paired with the agent certificate", multiline: true, secret: true), ["ssl", "agent_key"]),
    ]
    static let outputGeneral = [
        Field(name: "name", label: "Name", purpose: "How policies call this output"),
        Field(name: "hosts", label: "Hosts", purpose: "Elasticsearch URLs, one per line (not for a file output)", multiline: true),
        Field(name: "path", label: "Directory", purpose: "File output only: the absolute directory each agent writes its events to"),
        Field(name: "ca_trusted_fingerprint", label: "Elasticsearch CA trusted fingerprint", purpose: "Hex SHA-256 of a CA certificate in the output's chain, trusted besides the CAs"),
        Field(name: "api_key", label: "API key", purpose: "id:key the agents send to the output", secret: true),
        Field(name: "service_token", label: "Service token", purpose: "Remote Elasticsearch only: the remote cluster's service token", secret: true),
    ]
    /// The seed's table for outputs.
    static let outputSSL: [(Field, [String])] = [
        (Field(name: "certificate_authorities", label: "Server SSL certificate authorities", flag: "--certificate-authorities", purpose: "CA the agent uses to verify the output’s TLS certificate", multiline: true), ["ssl", "certificate_authorities"]),
        (Field(name: "certificate", label: "Client SSL certificate", flag: "--elastic-agent-cert", purpose: "Certificate used by agent to authenticate with output (for mTLS)", multiline: true), ["ssl", "certificate"]),
        (Field(name: "key", label: "Client SSL certificate key", flag: "--elastic-agent-cert-key", purpose: "Key paired with agent mTLS certificate; an encrypted key opens with each agent's own passphrase file", multiline: true, secret: true), ["ssl", "key"]),
    ]
    static let proxyFields: [(Field, [String])] = [
        (Field(name: "name", label: "Name", purpose: "How hosts and outputs call this proxy"), ["name"]),
        (Field(name: "url", label: "Proxy URL", flag: "--proxy-url", purpose: "http://, https:// or socks5:// address of the proxy"), ["url"]),
        (Field(name: "proxy_headers", label: "Proxy headers", flag: "--proxy-header", purpose: "Name: value per line, sent to the proxy only", multiline: true), ["proxy_headers"]),
        (Field(name: "certificate_authorities", label: "Proxy certificate authorities", purpose: "CA that checks an https:// proxy's certificate", multiline: true), ["certificate_authorities"]),
        (Field(name: "certificate", label: "Proxy client certificate", purpose: "Certificate presented to a proxy that asks for one", multiline: true), ["certificate"]),
        (Field(name: "certificate_key", label: "Proxy client certificate key", purpose: "Key paired with the proxy client certificate", multiline: true, secret: true), ["certificate_key"]),
    ]

    func addSettingsPages(to router: Router<ConsoleRequestContext>) {
        router.get("settings") { request, context in
            let proxies = try await api.settings.proxies()
            let names = Dictionary(uniqueKeysWithValues: proxies.map { ($0.id, $0.name) })
            let values: [String: Any] = [
                "hosts": try await api.settings.fleetServerHosts().map { host in
                    ["id": host.id, "name": host.name, "isDefault": host.isDefault, "urls": host.hostURLs.joined(separator: ", "),
                     "clientAuth": host.ssl?.clientAuth ?? "none", "proxy": host.proxyId.flatMap { names[$0] } ?? "—"] as [String: Any]
                },
                "outputs": try await api.settings.outputs().map { output in
                    // A file output has a directory on each agent's host, and no TLS.
                    let isFile = output.type == "file"
                    let tls = output.ssl?.certificate != nil ? "mutual" : output.ssl?.certificateAuthorities != nil ? "custom CA" : "system CAs"
                    return ["id": output.id, "name": output.name, "type": output.type,
                            "urls": isFile ? output.path ?? "" : output.hosts.joined(separator: ", "),
                            "isDefault": output.isDefault, "isDefaultMonitoring": output.isDefaultMonitoring,
                            "tls": isFile ? "—" : tls] as [String: Any]
                },
                "proxies": proxies.map { ["id": $0.id, "name": $0.name, "url": $0.url] },
                "flash": request.uri.queryParameters.get("flash") ?? "", "nav": ["settings": true],
            ]
            return try await page("settings", title: "Settings", values, context: context)
        }
        addSettingForm(FleetServerHost.self, path: "fleet-server-hosts", template: "hostForm", router: router)
        addSettingForm(Output.self, path: "outputs", template: "outputForm", router: router)
        addSettingForm(FleetProxy.self, path: "proxies", template: "proxyForm", router: router)
    }

    func addSettingForm<T: ConsoleSetting>(_ type: T.Type, path: String, template: String, router: Router<ConsoleRequestContext>) {
        router.get("settings/\(path)/:id") { _, context in
            let id = try context.parameters.require("id")
            let item = id == "new" ? nil : try await api.settings.item(T.kind, id: id)
            if id != "new", item == nil { throw ConsoleError.notFound("The \(T.label) \(id)") }
            return try await form(T.self, path: path, template: template, id: id, item: item, context: context)
        }
        router.post("settings/\(path)/:id") { request, context in
            let id = try context.parameters.require("id")
            let fields = try await Self.formBody(request, context: context)
            let changes = Self.changes(T.self, from: fields)
            do {
                _ = try await api.save(T.self, id: id == "new" ? nil : id, changes: changes, by: try context.requireIdentity(), force: fields["force"] == "true")
                return Self.redirect("/settings", flash: "The \(T.label) was saved; the policies that use it have new revisions.")
            } catch let error as ConsoleError {
                let shown = Self.merge(changes, kept: id == "new" ? nil : try await api.settings.item(T.kind, id: id))
                return try await form(T.self, path: path, template: template, id: id, item: shown, context: context, error: error)
            }
        }
        router.post("settings/\(path)/:id/delete") { _, context in
            let id = try context.parameters.require("id")
            do {
                try await api.delete(T.self, id: id, by: try context.requireIdentity())
            } catch let error as ConsoleError {
                return try await form(T.self, path: path, template: template, id: id, item: try await api.settings.item(T.kind, id: id), context: context, error: error)
            }
            return Self.redirect("/settings", flash: "The \(T.label) was deleted.")
        }
    }

    /// What the user typed, shown again after an error, with the stored secrets still marked as stored.
    static func merge(_ changes: JSONValue, kept: JSONValue?) -> JSONValue {
        var shown = ManagementAPI.merge(changes, over: kept ?? .object([:]))
        if let secrets = kept?["secrets"] { shown["secrets"] = secrets }
        return shown
    }

    func form<T: ConsoleSetting>(
        _ type: T.Type, path: String, template: String, id: String, item: JSONValue?, context: ConsoleRequestContext, error: ConsoleError? = nil
    ) async throws -> Response {
        let label = T.label
        var values: [String: Any] = [
            "title": id == "new" ? "Add \(label)" : "Edit \(label) \(item?["name"]?.stringValue ?? id)",
            "action": "/settings/\(path)/\(id)", "deletable": id != "new", "nav": ["settings": true],
            "isDefault": item?["is_default"]?.boolValue ?? false, "isDefaultMonitoring": item?["is_default_monitoring"]?.boolValue ?? false,
        ]
        let proxyId = item?["proxy_id"]?.stringValue
        values["proxyOptions"] = try await api.settings.proxies().map { ["id": $0.id, "name": $0.name, "selected": $0.id == proxyId] }
        switch T.kind {
        case .fleetServerHost:
            values["fields"] = [
                "general": Self.hostGeneral.map { $0.values(item, path: [$0.name]) },
                "ssl": Self.hostSSL.map { $0.0.values(item, path: $0.1) },
            ]
            let clientAuth = item?[["ssl", "client_auth"]]?.stringValue ?? "none"
            values["clientAuthOptions"] = ["none", "optional", "required"].map { ["value": $0, "selected": $0 == clientAuth] }
        case .output:
            values["fields"] = [
                "general": Self.outputGeneral.map { $0.values(item, path: [$0.name]) },
                "ssl": Self.outputSSL.map { $0.0.values(item, path: $0.1) },
            ]
            let mode = item?[["ssl", "verification_mode"]]?.stringValue ?? "full"
            values["modeOptions"] = ["full", "certificate", "none"].map { ["value": $0, "selected": $0 == mode] }
            let type = item?["type"]?.stringValue ?? "elasticsearch"
            let labels = ["elasticsearch": "Elasticsearch", "remote_elasticsearch": "Remote Elasticsearch", "file": "File (NDJSON on the agent's host)"]
            values["typeOptions"] = Output.types.map { ["value": $0, "label": labels[$0] ?? $0, "selected": $0 == type] }
        default:
            var shown = item
            if let headers = item?["proxy_headers"]?.objectValue {
                shown?["proxy_headers"] = .string(headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.stringValue ?? "")" }.joined(separator: "\n"))
            }
            values["fields"] = ["general": Self.proxyFields.map { $0.0.values(shown, path: $0.1) }]
        }
        if let error {
            values["error"] = error.message
            if let preflight = error.attributes?["preflight"] {
                values["preflight"] = [
                    "summary": preflight["summary"]?.stringValue ?? "",
                    "agents": (preflight["agents"]?.arrayValue ?? []).map { ["id": $0["id"]?.stringValue ?? "", "reason": $0["reason"]?.stringValue ?? ""] },
                ]
            }
        }
        let title = values["title"] as? String ?? label
        return try await page(template, title: title, values, context: context, status: error.map { $0.status } ?? .ok)
    }

    /// The JSON changes a submitted form stands for. An empty secret field keeps the stored secret.
    static func changes<T: ConsoleSetting>(_ type: T.Type, from form: FormFields) -> JSONValue {
        var changes: JSONValue = .object([:])
        func put(_ path: [String], _ value: JSONValue?) { changes[path] = value ?? .null }
        switch T.kind {
        case .fleetServerHost:
            put(["name"], form.text("name").map { .string($0) })
            put(["host_urls"], .array((form.list("host_urls") ?? []).map { .string($0) }))
            put(["is_default"], .bool(form["is_default"] == "true"))
            put(["proxy_id"], form.text("proxy_id").map { .string($0) })
            put(["ssl", "client_auth"], .string(form.text("client_auth") ?? "none"))
            for (field, path) in hostSSL { putField(field, path, form, &changes) }
        case .output:
            put(["name"], form.text("name").map { .string($0) })
            put(["type"], .string(form.text("type") ?? "elasticsearch"))
            put(["hosts"], .array((form.list("hosts") ?? []).map { .string($0) }))
            put(["path"], form.text("path").map { .string($0) })
            if let token = form.text("service_token") { put(["service_token"], .string(token)) }
            put(["is_default"], .bool(form["is_default"] == "true"))
            put(["is_default_monitoring"], .bool(form["is_default_monitoring"] == "true"))
            put(["proxy_id"], form.text("proxy_id").map { .string($0) })
            put(["ca_trusted_fingerprint"], form.text("ca_trusted_fingerprint").map { .string($0) })
            if let apiKey = form.text("api_key") { put(["api_key"], .string(apiKey)) }
            put(["ssl", "verification_mode"], .string(form.text("verification_mode") ?? "full"))
            for (field, path) in outputSSL { putField(field, path, form, &changes) }
        default:
            for (field, path) in proxyFields where field.name != "proxy_headers" { putField(field, path, form, &changes) }
            var headers: [String: JSONValue] = [:]
            // Browsers send a text area's lines with CRLF, which Swift reads as one Character: split on any line end.
            for line in (form.text("proxy_headers") ?? "").split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if parts.count == 2 { headers[parts[0]] = .string(parts[1]) }
            }
            put(["proxy_headers"], .object(headers))
        }
        return changes
    }

    static func putField(_ field: Field, _ path: [String], _ form: FormFields, _ changes: inout JSONValue) {
        let isList = field.name.hasSuffix("certificate_authorities") && path.first == "ssl"
        if field.secret {
            if let value = form.text(field.name) { changes[path] = .string(value) }
        } else if isList {
            changes[path] = form.list(field.name).map { .array($0.map { .string($0) }) } ?? .null
        } else {
            changes[path] = form.text(field.name).map { .string($0) } ?? .null
        }
    }
}
