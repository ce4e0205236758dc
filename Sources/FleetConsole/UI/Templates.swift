/// The web UI's Mustache templates. They live in the source, not in a resource bundle, so the single `flotilla`
/// binary carries them wherever it is installed.
enum Templates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "agents": agents, "agent": agent, "policies": policies, "tokens": tokens,
        "settings": settings, "hostForm": hostForm, "outputForm": outputForm, "proxyForm": proxyForm, "addAgent": addAgent,
        "addFleetServer": addFleetServer, "policyForm": policyForm, "audit": audit, "certificates": certificates,
    ]

    static let layout = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · Flotilla</title><link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script></head>
    <body>
    <header class="top"><a class="brand" href="/agents">Flotilla</a>
    {{#user}}<nav>
    <a href="/agents" class="{{#nav.agents}}on{{/nav.agents}}">Agents</a>
    <a href="/policies" class="{{#nav.policies}}on{{/nav.policies}}">Agent policies</a>
    <a href="/enrollment-tokens" class="{{#nav.tokens}}on{{/nav.tokens}}">Enrollment tokens</a>
    <a href="/certificates" class="{{#nav.certificates}}on{{/nav.certificates}}">Certificates</a>
    <a href="/settings" class="{{#nav.settings}}on{{/nav.settings}}">Settings</a>
    <a href="/audit" class="{{#nav.audit}}on{{/nav.audit}}">Audit log</a>
    </nav>
    <form class="who" method="post" action="/logout"><input type="hidden" name="_csrf" value="{{csrf}}">
    <span>{{user}} <em>{{role}}</em></span><button class="link">Log out</button></form>{{/user}}
    </header>
    <main>
    {{#banner}}<div class="banner {{banner.level}}" role="alert">{{banner.text}} <a href="/certificates">Certificates</a></div>{{/banner}}
    {{#flash}}<div class="flash ok">{{flash}}</div>{{/flash}}
    {{{body}}}
    </main></body></html>
    """

    static let login = """
    <section class="card narrow"><h1>Log in to Flotilla</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <form method="post" action="/login">
    <label>User <input name="user" autocomplete="username" value="{{name}}" required autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button class="primary">Log in</button></form>
    <p class="hint">Add users with <code>flotilla console users add NAME</code>.</p></section>
    """

    static let agents = """
    <div class="heading"><h1>Agents</h1>{{#admin}}<a class="button primary" href="/add-agent">Add agent</a>{{/admin}}</div>
    <div class="counts">{{#counts}}<a href="/agents?status={{key}}" class="count {{key}}"><b>{{value}}</b> {{label}}</a>{{/counts}}</div>
    <form class="filters" method="get" action="/agents">
    <input name="q" placeholder="Search host name or id" value="{{q}}">
    <select name="status"><option value="">Any status</option>{{#statuses}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
    <select name="policy"><option value="">Any policy</option>{{#policyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/policyOptions}}</select>
    <input name="tag" placeholder="Tag" value="{{tag}}"><button>Filter</button></form>
    <table class="grid" id="agents-table" data-refresh="/agents?{{query}}"><thead><tr><th>Status</th><th>Host</th><th>Policy</th><th>Version</th>
    <th>Last check-in</th><th>Client certificate</th><th>Tags</th></tr></thead><tbody>
    {{#agents}}<tr><td><span class="badge {{status}}">{{statusLabel}}</span></td>
    <td><a href="/agents/{{id}}">{{host}}</a><div class="sub mono">{{shortId}}</div></td>
    <td>{{policyName}} <span class="sub">rev. {{revision}}</span>{{#outdated}} <span class="tag warn">outdated</span>{{/outdated}}</td>
    <td>{{version}}{{#upgrade}}<div class="sub {{upgradeClass}}">{{upgrade}}</div>{{/upgrade}}</td><td title="{{lastCheckin}}">{{lastCheckinRelative}}</td>
    <td>{{#certificate}}{{certificate}}<div class="sub {{certificateClass}}">{{certificateExpiry}}</div>{{/certificate}}{{^certificate}}<span class="sub">none</span>{{/certificate}}</td>
    <td>{{#tags}}<span class="tag">{{.}}</span>{{/tags}}</td></tr>{{/agents}}
    {{^agents}}<tr><td colspan="7" class="empty">No agents match. <a href="/add-agent">Add an agent</a> to see it here.</td></tr>{{/agents}}
    </tbody></table>
    """

    static let agent = """
    <p class="crumbs"><a href="/agents">Agents</a> › {{host}}</p>
    <div class="heading"><h1>{{host}} <span class="badge {{status}}">{{statusLabel}}</span></h1></div>
    {{#message}}<p class="{{#unhealthy}}error{{/unhealthy}}{{^unhealthy}}hint{{/unhealthy}}">{{message}}</p>{{/message}}
    <section class="card"><dl class="facts">
    <dt>Agent id</dt><dd class="mono">{{id}}</dd><dt>Policy</dt><dd>{{policyName}} (revision {{revision}}{{#outdated}}, outdated: {{latest}} is out{{/outdated}})</dd>
    <dt>Version</dt><dd>{{version}}{{#upgrade}}<div class="sub {{upgradeClass}}">{{upgrade}}</div>{{/upgrade}}</dd><dt>Enrolled</dt><dd>{{enrolled}}</dd><dt>Last check-in</dt><dd>{{lastCheckinRelative}} ({{lastCheckin}})</dd>
    <dt>Client certificate</dt><dd>{{#certificate}}{{certificate}}, issued by {{issuer}}; {{certificateExpiry}}<div class="sub mono">SHA-256 {{fingerprint}}</div>{{/certificate}}{{^certificate}}none presented{{/certificate}}</dd>
    <dt>Tags</dt><dd>{{#tags}}<span class="tag">{{.}}</span>{{/tags}}</dd></dl></section>
    <section class="card"><h2>Inputs and outputs</h2>
    {{#hasUnits}}<table class="grid"><thead><tr><th>Component</th><th>Unit</th><th>Status</th><th>Message</th></tr></thead><tbody>
    {{#units}}<tr><td class="mono">{{component}}</td><td>{{kind}} <span class="sub mono">{{unit}}</span></td>
    <td><span class="badge {{class}}">{{status}}</span></td><td>{{message}}</td></tr>{{/units}}
    </tbody></table>{{/hasUnits}}{{^hasUnits}}<p class="hint">The agent has reported no inputs or outputs yet.</p>{{/hasUnits}}</section>
    {{#admin}}{{#active}}<section class="card"><h2>Reassign to another policy</h2>
    <form method="post" action="/agents/{{id}}/reassign"><input type="hidden" name="_csrf" value="{{csrf}}">
    <select name="policy_id">{{#policyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/policyOptions}}</select>
    <button>Reassign</button></form></section>
    <section class="card"><h2>Upgrade</h2>
    {{#hasVersions}}<p class="hint">The agent downloads the binary from its Fleet Server, checks its SHA-256 and its signature by the release key, and restarts into it; if the new version does not check in, the old one is put back.</p>
    <form method="post" action="/agents/{{id}}/upgrade"><input type="hidden" name="_csrf" value="{{csrf}}">
    <select name="version">{{#versions}}<option value="{{.}}">{{.}}</option>{{/versions}}</select>
    <button>Upgrade</button></form>{{/hasVersions}}
    {{^hasVersions}}<p class="hint">No agent binary was added yet: <code>flotilla server artifacts add FILE --version V</code>, signed with the release key.</p>{{/hasVersions}}</section>
    <section class="card"><h2>Diagnostics</h2>
    {{#hasDiagnostics}}<table class="grid"><thead><tr><th>Bundle</th><th>Size</th><th>Status</th><th>Requested</th></tr></thead><tbody>
    {{#diagnostics}}<tr><td>{{#ready}}<a href="/api/fleet/agents/files/{{id}}/{{name}}">{{name}}</a>{{/ready}}{{^ready}}{{name}}{{/ready}}</td>
    <td>{{size}}</td><td>{{status}}</td><td>{{created}}</td></tr>{{/diagnostics}}
    </tbody></table>{{/hasDiagnostics}}{{^hasDiagnostics}}<p class="hint">No diagnostics yet. The agent zips its status, its configuration (secrets taken out), its recent logs, its certificates and its queue and output figures.</p>{{/hasDiagnostics}}
    <form method="post" action="/agents/{{id}}/request_diagnostics"><input type="hidden" name="_csrf" value="{{csrf}}"><button>Request diagnostics</button></form></section>
    <section class="card danger"><h2>Unenroll</h2><p>The agent is told to stop and forget its keys. Revoking also refuses its key at once, even if it never hears.</p>
    <form method="post" action="/agents/{{id}}/unenroll"><input type="hidden" name="_csrf" value="{{csrf}}">
    <label class="inline"><input type="checkbox" name="revoke" value="true"> Revoke its key now</label>
    <button class="danger">Unenroll</button></form></section>{{/active}}{{/admin}}
    """

    static let policies = """
    <div class="heading"><h1>Agent policies</h1>{{#admin}}<a class="button primary" href="/policies/new">Create policy</a>{{/admin}}</div>
    <table class="grid"><thead><tr><th>Name</th><th>Revision</th><th>Agents</th><th>Fleet Server host</th><th>Output</th><th>Updated</th></tr></thead><tbody>
    {{#policies}}<tr><td><a href="/policies/{{id}}"><b>{{name}}</b></a>{{#fleetServer}} <span class="tag">Fleet Server</span>{{/fleetServer}}<div class="sub">{{description}}</div></td><td>{{revision}}</td>
    <td><a href="/agents?policy={{id}}">{{agents}}</a></td><td>{{host}}</td><td>{{output}}</td><td>{{updated}}</td></tr>{{/policies}}
    </tbody></table>
    <p class="hint">The full policy an agent receives: <code>GET /api/fleet/agent_policies/ID/full</code>.</p>
    """

    static let tokens = """
    <div class="heading"><h1>Enrollment tokens</h1></div>
    {{#secret}}<section class="card ok"><h2>Token {{secretName}} created</h2><p>Copy it now: it is not shown again.</p>
    <div class="copy"><code id="new-token">{{secret}}</code><button type="button" data-copy="new-token">Copy</button></div></section>{{/secret}}
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#admin}}<section class="card"><h2>Create a token</h2><form method="post" action="/enrollment-tokens" class="row">
    <input type="hidden" name="_csrf" value="{{csrf}}"><label>Name <input name="name" required></label>
    <label>Policy <select name="policy_id">{{#policyOptions}}<option value="{{id}}">{{name}}</option>{{/policyOptions}}</select></label>
    <label>Expires after <input name="expiration" placeholder="e.g. 24h (never when empty)"></label>
    <label>Uses <input name="max_uses" type="number" min="1" placeholder="unlimited"></label><button class="primary">Create token</button></form></section>{{/admin}}
    <table class="grid"><thead><tr><th>Name</th><th>Policy</th><th>Created</th><th>Uses</th><th>Expires</th><th>Status</th><th></th></tr></thead><tbody>
    {{#tokens}}<tr><td>{{name}}</td><td>{{policyName}}</td><td>{{created}}</td><td>{{uses}}</td><td>{{expires}}</td>
    <td><span class="badge {{#active}}healthy{{/active}}{{^active}}offline{{/active}}">{{#active}}Active{{/active}}{{^active}}Inactive{{/active}}</span></td>
    <td>{{#admin}}{{#active}}<form method="post" action="/enrollment-tokens/{{id}}/revoke"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="link danger">Revoke</button></form>{{/active}}{{/admin}}</td></tr>{{/tokens}}
    </tbody></table>
    """

    static let settings = """
    <div class="heading"><h1>Settings</h1></div>
    <section class="card"><div class="heading"><h2>Fleet Server hosts</h2>{{#admin}}<a class="button" href="/settings/fleet-server-hosts/new">Add host</a>{{/admin}}</div>
    <p class="hint">The URLs agents reach Fleet Server at, and the TLS of every link around it.</p>
    <table class="grid"><thead><tr><th>Name</th><th>URLs</th><th>Client auth</th><th>Proxy</th><th></th></tr></thead><tbody>
    {{#hosts}}<tr><td><a href="/settings/fleet-server-hosts/{{id}}">{{name}}</a>{{#isDefault}} <span class="tag">default</span>{{/isDefault}}</td><td class="mono">{{urls}}</td><td>{{clientAuth}}</td><td>{{proxy}}</td>
    <td>{{#admin}}<a href="/add-fleet-server?host={{id}}">Add Fleet Server</a>{{/admin}}</td></tr>{{/hosts}}
    {{^hosts}}<tr><td colspan="5" class="empty">None yet: agents use the URLs their Fleet Server was started with.</td></tr>{{/hosts}}</tbody></table></section>
    <section class="card"><div class="heading"><h2>Outputs</h2>{{#admin}}<a class="button" href="/settings/outputs/new">Add output</a>{{/admin}}</div>
    <table class="grid"><thead><tr><th>Name</th><th>Type</th><th>Hosts or directory</th><th>TLS</th></tr></thead><tbody>
    {{#outputs}}<tr><td><a href="/settings/outputs/{{id}}">{{name}}</a>{{#isDefault}} <span class="tag">default</span>{{/isDefault}}{{#isDefaultMonitoring}} <span class="tag">monitoring</span>{{/isDefaultMonitoring}}</td>
    <td>{{type}}</td><td class="mono">{{urls}}</td><td>{{tls}}</td></tr>{{/outputs}}</tbody></table></section>
    <section class="card"><div class="heading"><h2>Proxies</h2>{{#admin}}<a class="button" href="/settings/proxies/new">Add proxy</a>{{/admin}}</div>
    <table class="grid"><thead><tr><th>Name</th><th>URL</th></tr></thead><tbody>
    {{#proxies}}<tr><td><a href="/settings/proxies/{{id}}">{{name}}</a></td><td class="mono">{{url}}</td></tr>{{/proxies}}
    {{^proxies}}<tr><td colspan="2" class="empty">No proxies.</td></tr>{{/proxies}}</tbody></table></section>
    """

    /// One labelled field with the CLI flag it stands for and its purpose, as the seed's tables give them.
    static let field = """
    <div class="field"><label for="{{name}}">{{label}}</label>
    {{#multiline}}<textarea id="{{name}}" name="{{name}}" rows="3" placeholder="{{placeholder}}" {{^admin}}readonly{{/admin}}>{{value}}</textarea>{{/multiline}}
    {{^multiline}}<input id="{{name}}" name="{{name}}" value="{{value}}" placeholder="{{placeholder}}" {{^admin}}readonly{{/admin}}>{{/multiline}}
    <div class="help">{{#flag}}<code>{{flag}}</code> · {{/flag}}{{purpose}}{{#stored}} <span class="tag">stored</span> leave empty to keep it{{/stored}}{{#retype}} <span class="tag warn">paste it again</span> keys are never sent back to the browser{{/retype}}</div></div>
    """

    static let formHead = """
    <p class="crumbs"><a href="/settings">Settings</a> › {{title}}</p><h1>{{title}}</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#preflight}}<section class="card danger"><h2>Pre-flight check</h2><p>{{summary}}</p><ul>{{#agents}}<li><span class="mono">{{id}}</span>: {{reason}}</li>{{/agents}}</ul>
    <label class="inline"><input type="checkbox" name="force" value="true" form="setting-form"> Save anyway: I accept that these agents lose their connection</label></section>{{/preflight}}
    <form id="setting-form" method="post" action="{{action}}" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
    """

    static let formFoot = """
    {{#admin}}<div class="actions"><button class="primary">Save</button> <a href="/settings">Cancel</a></div>{{/admin}}</form>
    {{#deletable}}{{#admin}}<form method="post" action="{{action}}/delete" class="inline-danger"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="link danger">Delete</button></form>{{/admin}}{{/deletable}}
    """

    static let hostForm = formHead + """
    {{#fields.general}}\(field){{/fields.general}}
    <label class="inline"><input type="checkbox" name="is_default" value="true" {{#isDefault}}checked{{/isDefault}}> Make this the default Fleet Server host</label>
    <div class="field"><label for="proxy_id">Proxy</label><select id="proxy_id" name="proxy_id"><option value="">None</option>{{#proxyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/proxyOptions}}</select></div>
    <details open><summary>SSL options</summary>
    <div class="field"><label for="client_auth">Enable client authentication</label><select id="client_auth" name="client_auth">{{#clientAuthOptions}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{value}}</option>{{/clientAuthOptions}}</select>
    <div class="help"><code>--fleet-server-client-auth</code> · Require agents to present client certificates (mTLS only)</div></div>
    {{#fields.ssl}}\(field){{/fields.ssl}}</details>
    """ + formFoot

    static let outputForm = formHead + """
    <div class="field"><label for="type">Type</label><select id="type" name="type">{{#typeOptions}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/typeOptions}}</select>
    <div class="help">Elasticsearch, a remote Elasticsearch cluster (with its service token), or NDJSON files on each agent's host</div></div>
    {{#fields.general}}\(field){{/fields.general}}
    <label class="inline"><input type="checkbox" name="is_default" value="true" {{#isDefault}}checked{{/isDefault}}> Default output for agent data</label>
    <label class="inline"><input type="checkbox" name="is_default_monitoring" value="true" {{#isDefaultMonitoring}}checked{{/isDefaultMonitoring}}> Default output for agent monitoring</label>
    <div class="field"><label for="proxy_id">Proxy</label><select id="proxy_id" name="proxy_id"><option value="">None</option>{{#proxyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/proxyOptions}}</select></div>
    <details open><summary>SSL options</summary><p class="hint">These apply to Elasticsearch outputs and are only necessary for mutual TLS.</p>
    <div class="field"><label for="verification_mode">Verification mode</label><select id="verification_mode" name="verification_mode">{{#modeOptions}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{value}}</option>{{/modeOptions}}</select>
    <div class="help">How the agent checks the output's certificate: full (CA and host name), certificate (CA only), none</div></div>
    {{#fields.ssl}}\(field){{/fields.ssl}}</details>
    """ + formFoot

    static let proxyForm = formHead + "{{#fields.general}}\(field){{/fields.general}}" + formFoot

    static let addAgent = """
    <h1>Add agent</h1>
    <form method="get" action="/add-agent" class="card row">
    <label>Agent policy <select name="policy">{{#policyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/policyOptions}}</select></label>
    <label>Fleet Server host <select name="host">{{#hostOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/hostOptions}}</select></label>
    <button>Show the command</button></form>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#command}}<section class="card"><h2>Run this on the host</h2>
    <p>It enrolls with a new one-use token for <b>{{policyName}}</b>{{#mutual}}, presenting the agent certificate, since this Fleet Server requires client certificates{{/mutual}}. Replace the file paths with where the files are on that host.</p>
    <div class="copy"><pre id="install-command">{{command}}</pre><button type="button" data-copy="install-command">Copy</button></div>
    <p class="waiting" data-wait-agents="{{policyId}}" data-known="{{known}}">Waiting for the new agent to check in…</p></section>{{/command}}
    """

    static let addFleetServer = """
    <p class="crumbs"><a href="/settings">Settings</a> › Add Fleet Server</p><h1>Add Fleet Server</h1>
    <section class="card"><p>Run a Fleet Server for <b>{{hostName}}</b> ({{url}}), {{#mutual}}with mutual TLS: agents must present certificates{{/mutual}}{{^mutual}}with one-way TLS{{/mutual}}.
    The command is the one of Elastic's TLS guide, filled in from the host's SSL options; it needs a service token.</p>
    {{^token}}{{#admin}}<form method="post" action="/add-fleet-server?host={{hostId}}"><input type="hidden" name="_csrf" value="{{csrf}}">
    <button class="primary">Create a service token and show the command</button></form>{{/admin}}{{/token}}</section>
    {{#token}}<section class="card ok"><h2>Service token {{tokenName}}</h2>
    <p>Save it on the Fleet Server's host in a file only its owner can read (<code>chmod 600</code>), at the path the command names. It is not shown again.</p>
    <div class="copy"><code id="service-token">{{token}}</code><button type="button" data-copy="service-token">Copy</button></div></section>
    <section class="card"><h2>Run this on the Fleet Server's host</h2><p>Replace any <code>/path/to/…</code> with where the file is on that host.</p>
    <div class="copy"><pre id="fleet-server-command">{{command}}</pre><button type="button" data-copy="fleet-server-command">Copy</button></div></section>{{/token}}
    """

    static let policyForm = """
    <p class="crumbs"><a href="/policies">Agent policies</a> › {{title}}</p><h1>{{title}}</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <form id="setting-form" method="post" action="{{action}}" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
    <div class="field"><label for="name">Name</label><input id="name" name="name" value="{{name}}" {{^admin}}readonly{{/admin}}></div>
    <div class="field"><label for="description">Description</label><input id="description" name="description" value="{{description}}" {{^admin}}readonly{{/admin}}></div>
    <div class="field"><label for="namespace">Namespace</label><input id="namespace" name="namespace" value="{{namespace}}" {{^admin}}readonly{{/admin}}>
    <div class="help">Where the agents' data goes: <code>logs-*-NAMESPACE</code>; lowercase letters, digits and _</div></div>
    <div class="field"><label for="fleet_server_host_id">Fleet Server host</label><select id="fleet_server_host_id" name="fleet_server_host_id"><option value="">The default host</option>{{#hostOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/hostOptions}}</select>
    <div class="help">Its URLs and agent TLS settings are pushed to the agents as <code>fleet.hosts</code> and <code>fleet.ssl</code></div></div>
    <div class="field"><label for="data_output_id">Output for agent data</label><select id="data_output_id" name="data_output_id"><option value="">The default output</option>{{#dataOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/dataOptions}}</select></div>
    <div class="field"><label for="monitoring_output_id">Output for agent monitoring</label><select id="monitoring_output_id" name="monitoring_output_id"><option value="">The default monitoring output</option>{{#monitoringOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/monitoringOptions}}</select></div>
    <label class="inline"><input type="checkbox" name="monitor_logs" value="true" {{#logs}}checked{{/logs}}> Collect the agents' own logs</label>
    <label class="inline"><input type="checkbox" name="monitor_metrics" value="true" {{#metrics}}checked{{/metrics}}> Collect the agents' own metrics</label>
    {{#admin}}<div class="actions"><button class="primary">Save</button> <a href="/policies">Cancel</a></div>{{/admin}}</form>
    """

    static let certificates = """
    <div class="heading"><h1>Certificates</h1></div>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <section class="card"><h2>Agent CA rotation</h2>
    {{#rotation}}<ol class="phases">{{#phases}}<li class="{{#done}}done{{/done}}{{#current}}current{{/current}}"><b>{{number}}. {{name}}</b><span class="sub">{{summary}}</span></li>{{/phases}}</ol>
    <dl class="facts"><dt>Active agents</dt><dd>{{active}}</dd><dt>On the new CA</dt><dd>{{onNew}}</dd><dt>On the old CA</dt><dd>{{onOld}}</dd>
    <dt>Without a valid certificate</dt><dd>{{without}} <span class="sub">switched off past its end: they renew with their API key within the grace, or must be enrolled again</span></dd>
    <dt>Started</dt><dd>{{started}}, last step {{changed}}</dd></dl>
    {{#admin}}<div class="actions">
    {{#canAdvance}}<form method="post" action="/certificates/rotation/next" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="primary">Next phase</button></form>{{/canAdvance}}
    {{#retiresNext}}<form method="post" action="/certificates/rotation/next" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="force" value="true"><button class="danger">Retire anyway</button></form>{{/retiresNext}}
    {{#issuing}}<form method="post" action="/certificates/rotation/renew-all" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button>Renew every agent now</button></form>{{/issuing}}
    <form method="post" action="/certificates/rotation/rollback" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="link">Roll back one phase</button></form>
    </div>{{/admin}}{{/rotation}}
    {{^rotation}}<p class="hint">No rotation in progress: each Fleet Server's agent CA (<code>--agent-ca</code>) issues agents' certificates.
    Start one with <code>flotilla server ca rotate start</code>; its phases can then be moved on and rolled back here.</p>{{/rotation}}</section>
    <section class="card"><h2>Fleet Servers' certificates</h2><p class="hint">As each Fleet Server published them at start and after each reload; the files live on its host.</p>
    <table class="grid"><thead><tr><th>Fleet Server</th><th>Use</th><th>Subject</th><th>Issuer</th><th>SHA-256</th><th>Until</th><th>Left</th></tr></thead><tbody>
    {{#servers}}<tr><td class="mono">{{host}}</td><td>{{use}}</td><td class="mono">{{subject}}</td><td>{{issuer}}</td><td class="mono" title="{{fullFingerprint}}">{{fingerprint}}…</td><td>{{until}}</td><td><span class="badge {{state}}">{{label}}</span></td></tr>{{/servers}}
    {{^servers}}<tr><td colspan="7" class="empty">No Fleet Server on this store has published its certificates yet.</td></tr>{{/servers}}</tbody></table></section>
    <section class="card"><h2>Issued agent certificates</h2><p class="hint">Made from each agent's own key and renewed by the agent after two thirds of their life.</p>
    <table class="grid"><thead><tr><th>Agent</th><th>Subject</th><th>Issuer</th><th>SHA-256</th><th>Until</th><th>Left</th></tr></thead><tbody>
    {{#issued}}<tr><td><a href="/agents/{{agentId}}">{{host}}</a></td><td class="mono">{{subject}}</td><td>{{issuer}}</td><td class="mono" title="{{fullFingerprint}}">{{fingerprint}}…</td><td>{{until}}</td><td><span class="badge {{state}}">{{label}}</span></td></tr>{{/issued}}
    {{^issued}}<tr><td colspan="6" class="empty">None: no Fleet Server on this store has an agent CA, or no agent asked yet.</td></tr>{{/issued}}</tbody></table></section>
    <section class="card"><h2>Client certificates made by hand</h2><p class="hint">Presented by agents, not renewed by Flotilla: replace them before they end.</p>
    <table class="grid"><thead><tr><th>Agent</th><th>Subject</th><th>Issuer</th><th>SHA-256</th><th>Until</th><th>Left</th></tr></thead><tbody>
    {{#presented}}<tr><td><a href="/agents/{{agentId}}">{{host}}</a></td><td class="mono">{{subject}}</td><td class="sub">{{issuer}}</td><td class="mono" title="{{fullFingerprint}}">{{fingerprint}}…</td><td>{{until}}</td><td><span class="badge {{state}}">{{label}}</span></td></tr>{{/presented}}
    {{^presented}}<tr><td colspan="6" class="empty">None.</td></tr>{{/presented}}</tbody></table></section>
    """

    static let audit = """
    <h1>Audit log</h1>
    <table class="grid"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Detail</th></tr></thead><tbody>
    {{#entries}}<tr><td title="{{at}}" class="nowrap">{{relative}}</td><td>{{actor}}</td><td class="mono">{{action}}</td><td class="mono">{{target}}</td><td>{{detail}}</td></tr>{{/entries}}
    {{^entries}}<tr><td colspan="5" class="empty">No changes yet.</td></tr>{{/entries}}</tbody></table>
    """
}
