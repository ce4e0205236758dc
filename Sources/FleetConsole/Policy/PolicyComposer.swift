import FleetProtocol

/// Composes the policy agents receive from the console's settings, with Kibana's mapping: the Fleet Server host's
/// `agent_*` fields become `fleet.ssl`, its own `certificate`, `key`, `client_auth` and `certificate_authorities`
/// the Fleet Server's listener (`inputs[fleet-server].server.ssl`), its `es_*` fields the Fleet Server's store
/// link (`inputs[fleet-server].server.store.ssl`), and each output's `ssl` the agents' `outputs`.
struct PolicyComposer {
    var hosts: [FleetServerHost]
    var outputs: [Output]
    var proxies: [FleetProxy]

    /// The Fleet Server host a policy uses: the one it names, else the default one.
    func host(for policy: AgentPolicySettings) -> FleetServerHost? {
        if let id = policy.fleetServerHostId { return hosts.first { $0.id == id } }
        return hosts.first(where: \.isDefault)
    }

    func dataOutput(for policy: AgentPolicySettings) -> Output? {
        if let id = policy.dataOutputId { return outputs.first { $0.id == id } }
        return outputs.first(where: \.isDefault)
    }

    func monitoringOutput(for policy: AgentPolicySettings) -> Output? {
        if let id = policy.monitoringOutputId { return outputs.first { $0.id == id } }
        return outputs.first(where: \.isDefaultMonitoring) ?? dataOutput(for: policy)
    }

    /// The policy body (less id and revision, which the Fleet Server adds).
    func body(for policy: AgentPolicySettings) -> JSONValue {
        var body: JSONValue = .object([:])
        var outputs: [String: JSONValue] = [:]
        let data = dataOutput(for: policy), monitoring = monitoringOutput(for: policy)
        for output in [data, monitoring].compactMap({ $0 }) { outputs[output.id] = outputSection(output) }
        body["outputs"] = .object(outputs)
        var inputs = policy.inputs.map { input -> JSONValue in
            var input = input
            // As in Kibana, a policy's inputs go to its data output.
            if let data { input["use_output"] = .string(data.id) }
            if input[["data_stream", "namespace"]] == nil { input[["data_stream", "namespace"]] = .string(policy.namespace) }
            return input
        }
        let host = host(for: policy)
        if policy.hasFleetServer { inputs.insert(fleetServerInput(host), at: 0) }
        body["inputs"] = .array(inputs)
        if let host { body["fleet"] = fleetSection(host) }
        var monitoringSection: JSONValue = [
            "enabled": .bool(!policy.monitoringEnabled.isEmpty), "namespace": .string(policy.namespace),
            "logs": .bool(policy.monitoringEnabled.contains("logs")), "metrics": .bool(policy.monitoringEnabled.contains("metrics")),
        ]
        if let monitoring { monitoringSection["use_output"] = .string(monitoring.id) }
        body["agent"] = ["monitoring": monitoringSection]
        return body
    }

    func fleetSection(_ host: FleetServerHost) -> JSONValue {
        var fleet: JSONValue = ["hosts": .array(host.hostURLs.map { .string($0) })]
        var ssl: JSONValue = .object([:])
        if let cas = host.ssl?.agentCertificateAuthorities, !cas.isEmpty { ssl["certificate_authorities"] = .array(cas.map { .string($0) }) }
        if let certificate = host.ssl?.agentCertificate { ssl["certificate"] = .string(certificate) }
        if let key = host.ssl?.agentKey { ssl["key"] = .string(key) }
        fleet["ssl"] = ssl
        if let proxy = proxy(host.proxyId) { addProxy(proxy, to: &fleet) }
        return fleet
    }

    func outputSection(_ output: Output) -> JSONValue {
        var section: JSONValue = ["type": .string(output.type), "hosts": .array(output.hosts.map { .string($0) })]
        var ssl: JSONValue = .object([:])
        if let cas = output.ssl?.certificateAuthorities, !cas.isEmpty { ssl["certificate_authorities"] = .array(cas.map { .string($0) }) }
        if let certificate = output.ssl?.certificate { ssl["certificate"] = .string(certificate) }
        if let key = output.ssl?.key { ssl["key"] = .string(key) }
        if let mode = output.ssl?.verificationMode { ssl["verification_mode"] = .string(mode) }
        if let pin = output.caSha256 { ssl["ca_sha256"] = .array([.string(pin)]) }
        if let fingerprint = output.caTrustedFingerprint { ssl["ca_trusted_fingerprint"] = .string(fingerprint) }
        if ssl.objectValue?.isEmpty == false { section["ssl"] = ssl }
        if let apiKey = output.apiKey { section["api_key"] = .string(apiKey) }
        if let token = output.serviceToken { section["service_token"] = .string(token) }
        if let path = output.path { section["path"] = .string(path) }
        if let proxy = proxy(output.proxyId) { addProxy(proxy, to: &section) }
        return section
    }

    /// The Fleet Server's own settings, for the Fleet Servers that serve this host.
    func fleetServerInput(_ host: FleetServerHost?) -> JSONValue {
        var input: JSONValue = ["type": "fleet-server", "id": "fleet-server"]
        guard let ssl = host?.ssl else { return input }
        var server: JSONValue = .object([:])
        if let cas = ssl.certificateAuthorities, !cas.isEmpty { server[["ssl", "certificate_authorities"]] = .array(cas.map { .string($0) }) }
        if let certificate = ssl.certificate { server[["ssl", "certificate"]] = .string(certificate) }
        if let key = ssl.key { server[["ssl", "key"]] = .string(key) }
        if let clientAuth = ssl.clientAuth { server[["ssl", "client_authentication"]] = .string(clientAuth) }
        if let cas = ssl.esCertificateAuthorities, !cas.isEmpty { server[["store", "ssl", "certificate_authorities"]] = .array(cas.map { .string($0) }) }
        if let certificate = ssl.esCertificate { server[["store", "ssl", "certificate"]] = .string(certificate) }
        if let key = ssl.esKey { server[["store", "ssl", "key"]] = .string(key) }
        if server.objectValue?.isEmpty == false { input["server"] = server }
        return input
    }

    func proxy(_ id: String?) -> FleetProxy? {
        id.flatMap { id in proxies.first { $0.id == id } }
    }

    /// A proxy's own TLS stays in `proxy_ssl`: it never replaces the TLS of the link it carries.
    func addProxy(_ proxy: FleetProxy, to section: inout JSONValue) {
        section["proxy_url"] = .string(proxy.url)
        if let headers = proxy.proxyHeaders, !headers.isEmpty { section["proxy_headers"] = .object(headers.mapValues { .string($0) }) }
        var ssl: JSONValue = .object([:])
        if let cas = proxy.certificateAuthorities { ssl["certificate_authorities"] = .array([.string(cas)]) }
        if let certificate = proxy.certificate { ssl["certificate"] = .string(certificate) }
        if let key = proxy.certificateKey { ssl["key"] = .string(key) }
        if ssl.objectValue?.isEmpty == false { section["proxy_ssl"] = ssl }
    }
}
