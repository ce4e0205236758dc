/// The management API's OpenAPI document, served at `/api/openapi.yaml` and checked by schemathesis in CI.
/// Kept in the source (not a resource bundle) so the single `flotilla` binary carries it wherever it is installed.
enum ConsoleOpenAPI {
    static let document = #"""
openapi: 3.0.3
info:
  title: Flotilla console management API
  version: 0.1.0
  description: >-
    The console's management API under /api/fleet, in Kibana Fleet's names and JSON shapes: Fleet Server hosts,
    outputs, proxies, agent policies, enrollment API keys, agents and their status counts, and the audit log.
    Every error, the framework's own included (unknown route, body over 1 MiB, body that does not decode),
    has the shape of components/schemas/error. Responses never carry stored secret values: a secret the store
    keeps sealed shows as a reference under `secrets` (for instance secrets.ssl.key.id).
tags:
  - name: Console
  - name: Fleet Server hosts
  - name: Outputs
  - name: Proxies
  - name: Agent policies
  - name: Enrollment API keys
  - name: Agents
  - name: Agent status
  - name: Audit log
security:
  - apiKey: []
paths:
  /api/status:
    get:
      summary: Console status
      description: >-
        Open to all. An Authorization header that is given is still checked, so a wrong key gets 401 here too.
      operationId: get-status
      tags:
        - Console
      security: []
      responses:
        '200':
          description: The console is up.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/status'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/openapi.yaml:
    get:
      summary: This document
      description: >-
        Open to all. An Authorization header that is given is still checked, so a wrong key gets 401 here too.
      operationId: get-openapi-document
      tags:
        - Console
      security: []
      responses:
        '200':
          description: The OpenAPI document of the management API.
          content:
            application/yaml:
              schema:
                type: string
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/fleet_server_hosts:
    get:
      summary: List Fleet Server hosts
      operationId: get-fleet-server-hosts
      tags:
        - Fleet Server hosts
      responses:
        '200':
          description: Every Fleet Server host, on one page.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/fleet_server_host_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
    post:
      summary: Create a Fleet Server host
      description: >-
        Checks the host (URLs, proxy, certificates, keys and CAs), then runs the pre-flight: when agents would lose
        their connection, nothing is saved and the answer is 409 with attributes.preflight, unless force=true.
        Making it the default clears is_default on the others. The agent policies it touches get new revisions.
      operationId: post-fleet-server-hosts
      tags:
        - Fleet Server hosts
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/fleet_server_host_create_request'
      responses:
        '200':
          description: The host as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/fleet_server_host_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/fleet_server_hosts/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get a Fleet Server host
      operationId: get-one-fleet-server-hosts
      tags:
        - Fleet Server hosts
      responses:
        '200':
          description: The host.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/fleet_server_host_response'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    put:
      summary: Update a Fleet Server host
      description: >-
        A partial update: the body is laid over the stored host (objects merge key by key, null removes a field),
        then checked and run through the pre-flight as on create.
      operationId: update-fleet-server-hosts
      tags:
        - Fleet Server hosts
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/fleet_server_host_update_request'
      responses:
        '200':
          description: The host as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/fleet_server_host_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
    delete:
      summary: Delete a Fleet Server host
      description: Refused (409) while an agent policy names it.
      operationId: delete-fleet-server-hosts
      tags:
        - Fleet Server hosts
      responses:
        '200':
          description: Deleted.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/deleted_id'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/outputs:
    get:
      summary: List outputs
      operationId: get-outputs
      tags:
        - Outputs
      responses:
        '200':
          description: Every output, on one page.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/output_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
    post:
      summary: Create an output
      description: >-
        Making it the default (or default monitoring) output clears that flag on the others. The agent policies it
        touches get new revisions. `force` is accepted and has no effect (there is no pre-flight for outputs).
      operationId: post-outputs
      tags:
        - Outputs
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/output_create_request'
      responses:
        '200':
          description: The output as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/output_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/outputs/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get an output
      operationId: get-output
      tags:
        - Outputs
      responses:
        '200':
          description: The output.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/output_response'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    put:
      summary: Update an output
      description: >-
        A partial update: the body is laid over the stored output (objects merge key by key, null removes a field).
        `force` is accepted and has no effect.
      operationId: update-output
      tags:
        - Outputs
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/output_update_request'
      responses:
        '200':
          description: The output as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/output_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
    delete:
      summary: Delete an output
      description: Refused (409) for the default output and while an agent policy names it.
      operationId: delete-output
      tags:
        - Outputs
      responses:
        '200':
          description: Deleted.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/deleted_id'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/proxies:
    get:
      summary: List proxies
      operationId: get-fleet-proxies
      tags:
        - Proxies
      responses:
        '200':
          description: Every proxy, on one page.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/proxy_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
    post:
      summary: Create a proxy
      description: "`force` is accepted and has no effect (there is no pre-flight for proxies)."
      operationId: post-fleet-proxies
      tags:
        - Proxies
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/proxy_create_request'
      responses:
        '200':
          description: The proxy as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/proxy_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/proxies/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get a proxy
      operationId: get-one-fleet-proxies
      tags:
        - Proxies
      responses:
        '200':
          description: The proxy.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/proxy_response'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    put:
      summary: Update a proxy
      description: >-
        A partial update: the body is laid over the stored proxy (objects merge key by key, null removes a field).
        `force` is accepted and has no effect.
      operationId: update-fleet-proxies
      tags:
        - Proxies
      parameters:
        - $ref: '#/components/parameters/force'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/proxy_update_request'
      responses:
        '200':
          description: The proxy as stored.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/proxy_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
    delete:
      summary: Delete a proxy
      description: Refused (409) while a Fleet Server host or an output uses it.
      operationId: delete-fleet-proxies
      tags:
        - Proxies
      responses:
        '200':
          description: Deleted.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/deleted_id'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/agent_policies:
    get:
      summary: List agent policies
      operationId: agent-policy-list
      tags:
        - Agent policies
      responses:
        '200':
          description: Every agent policy, on one page.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_policy_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
    post:
      summary: Create an agent policy
      description: Names are unique (409 for a name or an id already taken).
      operationId: create-agent-policy
      tags:
        - Agent policies
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/agent_policy_create_request'
      responses:
        '200':
          description: The policy.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_policy_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agent_policies/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get an agent policy
      operationId: agent-policy-info
      tags:
        - Agent policies
      responses:
        '200':
          description: The policy.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_policy_response'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    put:
      summary: Update an agent policy
      description: >-
        A partial update: the body is laid over the policy (objects merge key by key, null removes a field); id,
        agents, revision, updated_at and status in the body are ignored.
      operationId: update-agent-policy
      tags:
        - Agent policies
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/agent_policy_update_request'
      responses:
        '200':
          description: The policy.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_policy_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agent_policies/{id}/full:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get the full agent policy
      description: >-
        The policy body agents on it receive, with its id and revision. It is what agents are sent, so it carries
        the TLS keys and output API keys it names in clear: admins only.
      operationId: agent-policy-full
      tags:
        - Agent policies
      responses:
        '200':
          description: The full policy.
          content:
            application/json:
              schema:
                type: object
                required:
                  - item
                additionalProperties: false
                properties:
                  item:
                    $ref: '#/components/schemas/agent_policy_full'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agent_policies/delete:
    post:
      summary: Delete an agent policy
      description: >-
        Refused (409) while agents that are not unenrolled use it. Deletes its enrollment API keys and its
        unenrolled agents with it.
      operationId: delete-agent-policy
      tags:
        - Agent policies
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              required:
                - agentPolicyId
              properties:
                agentPolicyId:
                  type: string
      responses:
        '200':
          description: Deleted.
          content:
            application/json:
              schema:
                type: object
                required:
                  - id
                  - name
                additionalProperties: false
                properties:
                  id:
                    type: string
                  name:
                    type: string
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/enrollment_api_keys:
    get:
      summary: List enrollment API keys
      description: Newest first; revoked, expired and used-up keys included (active false).
      operationId: get-enrollment-api-keys
      tags:
        - Enrollment API keys
      responses:
        '200':
          description: Every enrollment API key, on one page.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/enrollment_api_key_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
    post:
      summary: Create an enrollment API key
      description: The key's secret (api_key) is in this answer only; the store keeps its hash.
      operationId: create-enrollment-api-keys
      tags:
        - Enrollment API keys
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/enrollment_api_key_create_request'
      responses:
        '200':
          description: The new key, with its secret.
          content:
            application/json:
              schema:
                type: object
                required:
                  - item
                  - action
                additionalProperties: false
                properties:
                  item:
                    $ref: '#/components/schemas/enrollment_api_key'
                  action:
                    type: string
                    enum:
                      - created
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/service_tokens:
    post:
      summary: Create a service token
      description: >-
        A token a Fleet Server presents to the store (--fleet-server-service-token-path). Its value is in this
        answer only; the store keeps its hash.
      operationId: generate-service-token
      tags:
        - Service tokens
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              properties:
                name:
                  type: string
                  description: Letters, digits, - _ and ., at most 100; made up when left out.
      responses:
        '200':
          description: The new token.
          content:
            application/json:
              schema:
                type: object
                required:
                  - name
                  - value
                additionalProperties: false
                properties:
                  name:
                    type: string
                  value:
                    type: string
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '409':
          $ref: '#/components/responses/conflict'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/enrollment_api_keys/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get an enrollment API key
      operationId: get-enrollment-api-key
      tags:
        - Enrollment API keys
      responses:
        '200':
          description: The key, without its secret.
          content:
            application/json:
              schema:
                type: object
                required:
                  - item
                additionalProperties: false
                properties:
                  item:
                    $ref: '#/components/schemas/enrollment_api_key'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    delete:
      summary: Revoke an enrollment API key
      description: The key stays listed, with active false; revoking it again answers the same.
      operationId: delete-enrollment-api-key
      tags:
        - Enrollment API keys
      responses:
        '200':
          description: Revoked.
          content:
            application/json:
              schema:
                type: object
                required:
                  - action
                additionalProperties: false
                properties:
                  action:
                    type: string
                    enum:
                      - deleted
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/agents:
    get:
      summary: List agents
      operationId: get-agents
      tags:
        - Agents
      parameters:
        - name: page
          in: query
          required: false
          description: The page, from 1 (the default); values below 1 count as 1, one that is not a number is ignored.
          schema:
            type: integer
        - name: perPage
          in: query
          required: false
          description: Agents per page, 20 by default, kept within 1...10000; a value that is not a number is ignored.
          schema:
            type: integer
        - name: kuery
          in: query
          required: false
          description: >-
            A filter in Kibana's style: terms joined by `and` that must all hold, each `status:<status>`,
            `policy_id:<id>`, `tags:<tag>`, `local_metadata.host.hostname:<name>` (or `host:<name>`), with an
            optional `fleet-agents.` prefix, or free text found in the agent's id or host name.
          schema:
            type: string
        - name: showInactive
          in: query
          required: false
          description: true to list unenrolled agents too; any other value counts as false.
          schema:
            type: string
            enum:
              - 'true'
              - 'false'
      responses:
        '200':
          description: One page of agents.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_list'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: Get an agent
      operationId: get-agent
      tags:
        - Agents
      responses:
        '200':
          description: The agent.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_response'
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
    put:
      summary: Update an agent's tags
      description: Replaces the agent's tags; other fields of the body are ignored.
      operationId: update-agent
      tags:
        - Agents
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              required:
                - tags
              properties:
                tags:
                  type: array
                  description: Elements that are not strings are dropped.
                  items:
                    type: string
      responses:
        '200':
          description: The agent.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/agent_response'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}/reassign:
    parameters:
      - $ref: '#/components/parameters/id'
    post:
      summary: Reassign an agent to another policy
      description: >-
        Sends the agent a POLICY_REASSIGN action; the new policy follows on its next check-in. An unenrolled agent
        or an unknown policy is a 400.
      operationId: reassign-agent
      tags:
        - Agents
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              required:
                - policy_id
              properties:
                policy_id:
                  type: string
      responses:
        '200':
          description: Reassigned.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/empty_object'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}/unenroll:
    parameters:
      - $ref: '#/components/parameters/id'
    post:
      summary: Unenroll an agent
      description: >-
        Sends the agent an UNENROLL action. With revoke (or force) true, the agent's API key is revoked now and it
        counts as unenrolled at once. An agent already unenrolled is a 400. The body may be left out.
      operationId: unenroll-agent
      tags:
        - Agents
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              properties:
                revoke:
                  type: boolean
                  nullable: true
                force:
                  type: boolean
                  nullable: true
      responses:
        '200':
          description: Unenrolled.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/empty_object'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}/upgrade:
    parameters:
      - $ref: '#/components/parameters/id'
    post:
      summary: Upgrade an agent
      description: >-
        Sends the agent an UPGRADE action to a version added with flotilla server artifacts add; the action carries
        the binary's SHA-256, its minisign signature and the release key. An unknown version, a fleet without a
        release key or an unenrolled agent is a 400.
      operationId: upgrade-agent
      tags:
        - Agents
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              required:
                - version
              properties:
                version:
                  type: string
                source_uri:
                  type: string
                source_ssl:
                  type: object
                  additionalProperties: true
                force:
                  type: boolean
      responses:
        '200':
          description: Sent.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/empty_object'
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/bulk_upgrade:
    post:
      summary: Upgrade many agents in a rollout
      description: >-
        Upgrades the agents named (a list of ids, or a kuery; "" for all) a few at a time: spread over
        rollout_duration_seconds from start_time, and never more than max_concurrent (Flotilla's) between their
        UPGRADE action and its acknowledgement. The answer's actionId is the rollout's id.
      operationId: bulk-upgrade-agents
      tags:
        - Agents
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
              required:
                - version
                - agents
              properties:
                version:
                  type: string
                agents:
                  oneOf:
                    - type: string
                    - type: array
                      items:
                        type: string
                rollout_duration_seconds:
                  type: number
                start_time:
                  type: string
                max_concurrent:
                  type: integer
                source_uri:
                  type: string
                source_ssl:
                  type: object
                  additionalProperties: true
                force:
                  type: boolean
      responses:
        '200':
          description: The rollout was started.
          content:
            application/json:
              schema:
                type: object
                required:
                  - actionId
                properties:
                  actionId:
                    type: string
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/upgrade_rollouts:
    get:
      summary: Upgrade rollouts and how far they got
      operationId: list-upgrade-rollouts
      tags:
        - Agents
      responses:
        '200':
          description: Every rollout, newest first.
          content:
            application/json:
              schema:
                type: object
                required:
                  - items
                  - total
                properties:
                  items:
                    type: array
                    items:
                      type: object
                      required:
                        - id
                        - version
                        - total
                        - sent
                        - finished
                        - done
                      properties:
                        id:
                          type: string
                        version:
                          type: string
                        total:
                          type: number
                        sent:
                          type: number
                        finished:
                          type: number
                        max_concurrent:
                          type: number
                        rollout_duration_seconds:
                          type: number
                        start_time:
                          type: string
                        done:
                          type: boolean
                  total:
                    type: number
                  page:
                    type: number
                  perPage:
                    type: number
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}/request_diagnostics:
    parameters:
      - $ref: '#/components/parameters/id'
    post:
      summary: Ask an agent for a diagnostics bundle
      description: >-
        Sends REQUEST_DIAGNOSTICS; the agent zips its status, configuration (secrets taken out), recent logs,
        certificates and queue and output figures and uploads them to its Fleet Server. The body may be left out.
      operationId: request-diagnostics
      tags:
        - Agents
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              additionalProperties: true
      responses:
        '200':
          description: Asked.
          content:
            application/json:
              schema:
                type: object
                required:
                  - actionId
                properties:
                  actionId:
                    type: string
        '400':
          $ref: '#/components/responses/badRequest'
        '401':
          $ref: '#/components/responses/unauthorized'
        '403':
          $ref: '#/components/responses/forbidden'
        '404':
          $ref: '#/components/responses/notFound'
        '413':
          $ref: '#/components/responses/contentTooLarge'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/{id}/uploads:
    parameters:
      - $ref: '#/components/parameters/id'
    get:
      summary: An agent's diagnostics bundles
      operationId: list-agent-uploads
      tags:
        - Agents
      responses:
        '200':
          description: Newest first; filePath downloads a ready one.
          content:
            application/json:
              schema:
                type: object
                required:
                  - items
                properties:
                  items:
                    type: array
                    items:
                      type: object
                      required:
                        - id
                        - name
                        - status
                      properties:
                        id:
                          type: string
                        name:
                          type: string
                        actionId:
                          type: string
                        createTime:
                          type: string
                        status:
                          type: string
                        filePath:
                          type: string
                        size:
                          type: number
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agents/files/{fileId}/{fileName}:
    parameters:
      - name: fileId
        in: path
        required: true
        schema:
          type: string
      - name: fileName
        in: path
        required: true
        schema:
          type: string
    get:
      summary: Download a diagnostics bundle
      operationId: get-agent-upload-file
      tags:
        - Agents
      responses:
        '200':
          description: The file.
          content:
            application/zip:
              schema:
                type: string
                format: binary
        '401':
          $ref: '#/components/responses/unauthorized'
        '404':
          $ref: '#/components/responses/notFound'
        '503':
          $ref: '#/components/responses/unavailable'
  /api/fleet/agent_status:
    get:
      summary: Agent status counts
      operationId: get-agent-status
      tags:
        - Agent status
      parameters:
        - name: policyId
          in: query
          required: false
          description: Count only the agents of this policy.
          schema:
            type: string
      responses:
        '200':
          description: >-
            How many agents are in each status. total counts the agents that are not unenrolled; updating includes
            enrolling agents; inactive, other and events are always 0.
          content:
            application/json:
              schema:
                type: object
                required:
                  - results
                additionalProperties: false
                properties:
                  results:
                    $ref: '#/components/schemas/agent_status'
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'

  /api/fleet/audit_log:
    get:
      summary: Read the audit log
      description: The latest changes, newest first; total is the number of entries returned.
      operationId: get-audit-log
      tags:
        - Audit log
      parameters:
        - name: perPage
          in: query
          required: false
          description: How many entries, 100 by default, kept within 1...1000; a value that is not a number is ignored.
          schema:
            type: integer
      responses:
        '200':
          description: The latest entries.
          content:
            application/json:
              schema:
                type: object
                required:
                  - items
                  - total
                additionalProperties: false
                properties:
                  items:
                    type: array
                    items:
                      $ref: '#/components/schemas/audit_entry'
                  total:
                    type: integer
        '401':
          $ref: '#/components/responses/unauthorized'
        '503':
          $ref: '#/components/responses/unavailable'

components:
  securitySchemes:
    apiKey:
      type: apiKey
      in: header
      name: Authorization
      description: >-
        `Authorization: ApiKey <base64(id:key)>`, with a key made by `flotilla console api-keys create`. A key with
        the viewer role may only read (403 on any change). The web UI's session cookie (flotilla_session) is
        accepted too; a change made with it needs the session's X-CSRF-Token header (403 without it).

  parameters:
    id:
      name: id
      in: path
      required: true
      schema:
        type: string
    force:
      name: force
      in: query
      required: false
      description: >-
        true saves a Fleet Server host even when the pre-flight finds agents that would lose their connection; any
        other value counts as false.
      schema:
        type: string
        enum:
          - 'true'
          - 'false'

  responses:
    badRequest:
      description: The request is not valid (no body, not JSON, not an object, or a field the message names).
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    unauthorized:
      description: No credentials, or an API key or session the console does not know.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    forbidden:
      description: A viewer may not change anything; a cookie-authenticated change needs the session's CSRF token.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    notFound:
      description: There is no such item.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    conflict:
      description: >-
        The change conflicts with what is stored: an id or name already taken, an item still in use, or (Fleet
        Server hosts) a pre-flight that finds agents would lose their connection, detailed in attributes.preflight.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    contentTooLarge:
      description: The body is over 1 MiB.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'
    unavailable:
      description: The store could not be read or written; try again.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/error'

  schemas:
    error:
      type: object
      description: Kibana's error shape.
      required:
        - statusCode
        - error
        - message
      additionalProperties: false
      properties:
        statusCode:
          type: integer
          description: The HTTP status code.
        error:
          type: string
          description: The status's reason phrase (Bad Request, Conflict...).
        message:
          type: string
          description: One sentence that says what is wrong, naming the field when there is one.
        attributes:
          type: object
          description: More to say; the pre-flight's findings on a 409 for a Fleet Server host.
          additionalProperties: true
          properties:
            preflight:
              $ref: '#/components/schemas/preflight'
    preflight:
      type: object
      required:
        - affected_agents
        - disconnected_agents
        - summary
        - agents
      additionalProperties: false
      properties:
        affected_agents:
          type: integer
          description: The agents that use the host.
        disconnected_agents:
          type: integer
          description: Those that would lose their connection.
        summary:
          type: string
        agents:
          type: array
          description: The first 100 of those, with why.
          items:
            type: object
            required:
              - id
              - reason
            additionalProperties: false
            properties:
              id:
                type: string
              reason:
                type: string
    status:
      type: object
      required:
        - name
        - status
      additionalProperties: false
      properties:
        name:
          type: string
          enum:
            - flotilla-console
        status:
          type: string
          enum:
            - HEALTHY
    empty_object:
      type: object
      additionalProperties: false
    deleted_id:
      type: object
      required:
        - id
      additionalProperties: false
      properties:
        id:
          type: string
    secret_reference:
      type: object
      description: A secret the store keeps sealed; id is its field's path (ssl.key, api_key...).
      required:
        - id
      additionalProperties: false
      properties:
        id:
          type: string

    fleet_server_host:
      type: object
      description: >-
        A Fleet Server host as stored. A key field holding inline PEM is not shown; secrets says it is stored. A key
        given as a path stays in its field.
      required:
        - id
        - name
        - host_urls
        - is_default
      properties:
        id:
          type: string
        name:
          type: string
        host_urls:
          type: array
          items:
            type: string
        is_default:
          type: boolean
        proxy_id:
          type: string
        ssl:
          $ref: '#/components/schemas/fleet_server_host_ssl'
        secrets:
          type: object
          properties:
            ssl:
              type: object
              properties:
                key:
                  $ref: '#/components/schemas/secret_reference'
                es_key:
                  $ref: '#/components/schemas/secret_reference'
                agent_key:
                  $ref: '#/components/schemas/secret_reference'
    fleet_server_host_ssl:
      type: object
      description: Each value is a path on the host that uses it, or inline PEM.
      properties:
        certificate_authorities:
          type: array
          description: CAs the Fleet Server checks agents' certificates with.
          items:
            type: string
        certificate:
          type: string
          description: The certificate the Fleet Server presents to agents.
        key:
          type: string
          description: Its key.
        client_auth:
          type: string
          enum:
            - none
            - optional
            - required
        es_certificate_authorities:
          type: array
          description: CAs the Fleet Server checks the store's certificate with.
          items:
            type: string
        es_certificate:
          type: string
          description: The Fleet Server's certificate towards the store.
        es_key:
          type: string
          description: Its key.
        agent_certificate_authorities:
          type: array
          description: CAs agents check the Fleet Server's certificate with.
          items:
            type: string
        agent_certificate:
          type: string
          description: The certificate agents present to the Fleet Server.
        agent_key:
          type: string
          description: Its key.
    fleet_server_host_response:
      type: object
      required:
        - item
      additionalProperties: false
      properties:
        item:
          $ref: '#/components/schemas/fleet_server_host'
    fleet_server_host_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/fleet_server_host'
        total:
          type: integer
        page:
          type: integer
        perPage:
          type: integer
    fleet_server_host_update_request:
      type: object
      description: >-
        Laid over the stored host: a field left out keeps its value (a stored secret included), null removes it.
      additionalProperties: true
      properties:
        id:
          type: string
          description: >-
            On create, the new host's id (letters, digits, - _ and ., at most 100); a new UUID when left out.
            Ignored on update.
        name:
          type: string
          minLength: 1
        host_urls:
          type: array
          description: http:// or https:// URLs agents reach Fleet Server at.
          minItems: 1
          maxItems: 10
          items:
            type: string
        is_default:
          type: boolean
          nullable: true
        proxy_id:
          type: string
          nullable: true
        ssl:
          type: object
          nullable: true
          additionalProperties: true
          properties:
            certificate_authorities:
              type: array
              nullable: true
              items:
                type: string
            certificate:
              type: string
              nullable: true
            key:
              type: string
              nullable: true
            client_auth:
              type: string
              nullable: true
              enum:
                - none
                - optional
                - required
                - null
            es_certificate_authorities:
              type: array
              nullable: true
              items:
                type: string
            es_certificate:
              type: string
              nullable: true
            es_key:
              type: string
              nullable: true
            agent_certificate_authorities:
              type: array
              nullable: true
              items:
                type: string
            agent_certificate:
              type: string
              nullable: true
            agent_key:
              type: string
              nullable: true
        secrets:
          type: object
          nullable: true
          additionalProperties: true
          description: The references a GET shows; sending them back changes nothing.
    fleet_server_host_create_request:
      allOf:
        - $ref: '#/components/schemas/fleet_server_host_update_request'
        - type: object
          required:
            - name
            - host_urls

    output:
      type: object
      description: >-
        An output as stored. The API key and an inline PEM key are not shown; secrets says they are stored. A key
        given as a path stays in its field.
      required:
        - id
        - name
        - type
        - hosts
        - is_default
        - is_default_monitoring
      properties:
        id:
          type: string
        name:
          type: string
        type:
          type: string
          description: elasticsearch, remote_elasticsearch or file.
        hosts:
          type: array
          items:
            type: string
        path:
          type: string
          description: The file output's directory on the agents' hosts.
        is_default:
          type: boolean
        is_default_monitoring:
          type: boolean
        ca_sha256:
          type: string
        ca_trusted_fingerprint:
          type: string
        proxy_id:
          type: string
        ssl:
          $ref: '#/components/schemas/output_ssl'
        secrets:
          type: object
          properties:
            ssl:
              type: object
              properties:
                key:
                  $ref: '#/components/schemas/secret_reference'
            api_key:
              $ref: '#/components/schemas/secret_reference'
            service_token:
              $ref: '#/components/schemas/secret_reference'
    output_ssl:
      type: object
      properties:
        certificate_authorities:
          type: array
          items:
            type: string
        certificate:
          type: string
        key:
          type: string
        verification_mode:
          type: string
          enum:
            - full
            - certificate
            - none
    output_response:
      type: object
      required:
        - item
      additionalProperties: false
      properties:
        item:
          $ref: '#/components/schemas/output'
    output_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/output'
        total:
          type: integer
        page:
          type: integer
        perPage:
          type: integer
    output_update_request:
      type: object
      description: >-
        Laid over the stored output: a field left out keeps its value (a stored secret included), null removes it.
      additionalProperties: true
      properties:
        id:
          type: string
          description: >-
            On create, the new output's id (letters, digits, - _ and ., at most 100); a new UUID when left out.
            Ignored on update.
        name:
          type: string
          minLength: 1
        type:
          type: string
          nullable: true
          enum:
            - elasticsearch
            - remote_elasticsearch
            - file
            - null
        hosts:
          type: array
          description: http:// or https:// URLs; at least one, except for a file output.
          items:
            type: string
        path:
          type: string
          nullable: true
          description: A file output's absolute directory on the agents' hosts.
        is_default:
          type: boolean
          nullable: true
        is_default_monitoring:
          type: boolean
          nullable: true
        ca_sha256:
          type: string
          nullable: true
          description: Base64 SHA-256 of a CA's public key.
        ca_trusted_fingerprint:
          type: string
          nullable: true
          description: Hex SHA-256 of a CA certificate (64 hex digits, colons allowed).
        proxy_id:
          type: string
          nullable: true
        ssl:
          type: object
          nullable: true
          additionalProperties: true
          properties:
            certificate_authorities:
              type: array
              nullable: true
              items:
                type: string
            certificate:
              type: string
              nullable: true
            key:
              type: string
              nullable: true
            verification_mode:
              type: string
              nullable: true
              enum:
                - full
                - certificate
                - none
                - null
        api_key:
          type: string
          nullable: true
          description: id:key or its base64 form; stored sealed and never shown.
        service_token:
          type: string
          nullable: true
          description: A remote Elasticsearch cluster's service token; stored sealed and never shown.
        secrets:
          type: object
          nullable: true
          additionalProperties: true
          description: The references a GET shows; sending them back changes nothing.
    output_create_request:
      allOf:
        - $ref: '#/components/schemas/output_update_request'
        - type: object
          required:
            - name

    proxy:
      type: object
      description: A proxy as stored. An inline PEM certificate_key is not shown; secrets says it is stored.
      required:
        - id
        - name
        - url
      properties:
        id:
          type: string
        name:
          type: string
        url:
          type: string
        proxy_headers:
          type: object
          additionalProperties:
            type: string
        certificate_authorities:
          type: string
        certificate:
          type: string
        certificate_key:
          type: string
        secrets:
          type: object
          properties:
            certificate_key:
              $ref: '#/components/schemas/secret_reference'
    proxy_response:
      type: object
      required:
        - item
      additionalProperties: false
      properties:
        item:
          $ref: '#/components/schemas/proxy'
    proxy_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/proxy'
        total:
          type: integer
        page:
          type: integer
        perPage:
          type: integer
    proxy_update_request:
      type: object
      description: >-
        Laid over the stored proxy: a field left out keeps its value (a stored secret included), null removes it.
      additionalProperties: true
      properties:
        id:
          type: string
          description: >-
            On create, the new proxy's id (letters, digits, - _ and ., at most 100); a new UUID when left out.
            Ignored on update.
        name:
          type: string
          minLength: 1
        url:
          type: string
          description: An http://, https:// or socks5:// URL.
        proxy_headers:
          type: object
          nullable: true
          description: Sent to the proxy only; names and values without line breaks.
          additionalProperties:
            type: string
        certificate_authorities:
          type: string
          nullable: true
        certificate:
          type: string
          nullable: true
        certificate_key:
          type: string
          nullable: true
        secrets:
          type: object
          nullable: true
          additionalProperties: true
          description: The references a GET shows; sending them back changes nothing.
    proxy_create_request:
      allOf:
        - $ref: '#/components/schemas/proxy_update_request'
        - type: object
          required:
            - name
            - url

    agent_policy:
      type: object
      description: The console's settings of an agent policy, with the policy's revision and agent count.
      required:
        - id
        - name
        - namespace
        - inactivity_timeout
        - has_fleet_server
        - monitoring_enabled
        - inputs
        - revision
        - agents
        - status
      properties:
        id:
          type: string
        name:
          type: string
        namespace:
          type: string
        description:
          type: string
        fleet_server_host_id:
          type: string
          description: Left out, the default Fleet Server host.
        data_output_id:
          type: string
          description: Left out, the default output.
        monitoring_output_id:
          type: string
          description: Left out, the default monitoring output.
        inactivity_timeout:
          type: integer
          description: Seconds.
        has_fleet_server:
          type: boolean
        monitoring_enabled:
          type: array
          items:
            type: string
            enum:
              - logs
              - metrics
        inputs:
          type: array
          description: The policy's inputs, as agents receive them.
          items: {}
        revision:
          type: integer
        updated_at:
          type: string
          format: date-time
        agents:
          type: integer
          description: The agents on it that are not unenrolled.
        status:
          type: string
          enum:
            - active
    agent_policy_response:
      type: object
      required:
        - item
      additionalProperties: false
      properties:
        item:
          $ref: '#/components/schemas/agent_policy'
    agent_policy_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/agent_policy'
        total:
          type: integer
        page:
          type: integer
        perPage:
          type: integer
    agent_policy_update_request:
      type: object
      description: >-
        Laid over the policy: a field left out keeps its value, null removes it (back to its default); agents,
        revision, updated_at and status are ignored.
      additionalProperties: true
      properties:
        id:
          type: string
          description: >-
            On create, the new policy's id (letters, digits, - _ and ., at most 100); a new UUID when left out.
            Ignored on update.
        name:
          type: string
          minLength: 1
          description: Unique among the agent policies.
        namespace:
          type: string
          nullable: true
          pattern: '^[a-z0-9_]{1,100}$'
          description: default when left out.
        description:
          type: string
          nullable: true
        fleet_server_host_id:
          type: string
          nullable: true
        data_output_id:
          type: string
          nullable: true
        monitoring_output_id:
          type: string
          nullable: true
        inactivity_timeout:
          type: integer
          nullable: true
          minimum: 1
          description: Seconds; 1209600 when left out.
        has_fleet_server:
          type: boolean
          nullable: true
        monitoring_enabled:
          type: array
          nullable: true
          items:
            type: string
            enum:
              - logs
              - metrics
        inputs:
          type: array
          nullable: true
          items: {}
    agent_policy_create_request:
      allOf:
        - $ref: '#/components/schemas/agent_policy_update_request'
        - type: object
          required:
            - name
    agent_policy_full:
      type: object
      description: >-
        The policy agents receive: outputs, inputs, fleet and agent as composed from the console's settings, with
        id and revision.
      required:
        - id
        - revision
      additionalProperties: true
      properties:
        id:
          type: string
        revision:
          type: integer
        outputs:
          type: object
          additionalProperties: true
        inputs:
          type: array
          items: {}
        fleet:
          type: object
          additionalProperties: true
        agent:
          type: object
          additionalProperties: true

    enrollment_api_key:
      type: object
      required:
        - id
        - api_key_id
        - name
        - policy_id
        - active
        - created_at
        - uses
      additionalProperties: false
      properties:
        id:
          type: string
        api_key_id:
          type: string
          description: The same as id.
        api_key:
          type: string
          description: The secret agents enroll with; only in the answer to its creation.
        name:
          type: string
        policy_id:
          type: string
        active:
          type: boolean
          description: Not revoked, not expired and not used up.
        created_at:
          type: string
          format: date-time
        expires_at:
          type: string
          format: date-time
        uses:
          type: integer
        max_uses:
          type: integer
    enrollment_api_key_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/enrollment_api_key'
        total:
          type: integer
        page:
          type: integer
        perPage:
          type: integer
    enrollment_api_key_create_request:
      type: object
      additionalProperties: true
      required:
        - policy_id
      properties:
        policy_id:
          type: string
          description: An existing agent policy (400 otherwise).
        name:
          type: string
          nullable: true
          description: token-<time> when left out or not a string.
        expiration:
          type: string
          nullable: true
          description: How long the key works, as a Go duration (24h, 30m); no expiry when left out.
        max_uses:
          type: integer
          nullable: true
          minimum: 1
          description: How many enrollments the key allows; no limit when left out.

    agent:
      type: object
      description: Kibana's agent object, with the client certificate the agent last presented.
      required:
        - id
        - type
        - active
        - policy_id
        - status
        - tags
        - enrolled_at
        - local_metadata
        - outdated
      additionalProperties: false
      properties:
        id:
          type: string
        type:
          type: string
          description: PERMANENT or EPHEMERAL.
        active:
          type: boolean
          description: false once unenrolled.
        policy_id:
          type: string
        policy_revision:
          type: integer
          description: The revision the agent last said it runs.
        status:
          type: string
          description: >-
            offline after five minutes without a check-in; enrolling before the first one; updating while it runs
            an older revision than the policy's.
          enum:
            - healthy
            - unhealthy
            - updating
            - enrolling
            - offline
            - unenrolled
        outdated:
          type: boolean
          description: It runs an older revision than the policy's.
        tags:
          type: array
          items:
            type: string
        enrolled_at:
          type: string
          format: date-time
        last_checkin:
          type: string
          format: date-time
        last_checkin_status:
          type: string
          description: What the agent last reported (online, error, degraded, starting...).
        last_checkin_message:
          type: string
        unenrolled_at:
          type: string
          format: date-time
        local_metadata:
          description: What the agent said about itself (host, elastic.agent...), as it sent it; normally an object.
          nullable: true
        components:
          type: array
          description: >-
            The inputs and outputs the agent runs, as it last reported them: one component per input type and
            output, each with units for its inputs and its output.
          items:
            type: object
            properties:
              id:
                type: string
              type:
                type: string
              status:
                type: string
              message:
                type: string
              units:
                type: array
                items:
                  type: object
                  properties:
                    id:
                      type: string
                    type:
                      type: string
                    status:
                      type: string
                    message:
                      type: string
        client_certificate:
          type: object
          required:
            - subject
          additionalProperties: false
          properties:
            subject:
              type: string
            sha256:
              type: string
            issuer:
              type: string
            not_after:
              type: string
              format: date-time
    agent_response:
      type: object
      required:
        - item
      additionalProperties: false
      properties:
        item:
          $ref: '#/components/schemas/agent'
    agent_list:
      type: object
      required:
        - items
        - total
        - page
        - perPage
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/agent'
        total:
          type: integer
          description: The agents that pass the filter, on all pages.
        page:
          type: integer
        perPage:
          type: integer
    agent_status:
      type: object
      required:
        - total
        - online
        - error
        - offline
        - updating
        - inactive
        - unenrolled
        - other
        - events
      additionalProperties: false
      properties:
        total:
          type: integer
        online:
          type: integer
        error:
          type: integer
        offline:
          type: integer
        updating:
          type: integer
        inactive:
          type: integer
        unenrolled:
          type: integer
        other:
          type: integer
        events:
          type: integer

    audit_entry:
      type: object
      required:
        - sequence
        - '@timestamp'
        - actor
        - action
        - target
        - detail
      additionalProperties: false
      properties:
        sequence:
          type: integer
        '@timestamp':
          type: string
          format: date-time
        actor:
          type: string
          description: user:<name> or api_key:<name>.
        action:
          type: string
          description: <resource>.<create|update|delete...>, for instance outputs.update or agents.reassign.
        target:
          type: string
          description: The id of what changed.
        detail:
          type: string
"""#
}
