#!/usr/bin/env python3
"""Validates JSON bodies against schemas of an OpenAPI 3.0 file.

usage: validate-openapi.py SPEC.yml SCHEMA=FILE.json [SCHEMA=FILE.json ...]

Fields the contract types as `type: string, format: application/json` are embedded JSON objects on the wire
(Go's json.RawMessage), so for them any JSON value is accepted. An action's `data` is a `oneOf` whose branches
overlap (none requires a field the others lack), so it is checked against the branch its action `type` names.
Prints one line per failure; exits 1 on any.
"""
import json
import sys

import yaml
from openapi_schema_validator import OAS30Validator


def relax_raw_json(node):
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "application/json":
            node.pop("type")
            node.pop("format")
        for value in node.values():
            relax_raw_json(value)
    elif isinstance(node, list):
        for value in node:
            relax_raw_json(value)


ACTION_DATA = {
    "POLICY_CHANGE": "actionPolicyChange", "UNENROLL": "actionUnenroll", "SETTINGS": "actionSettings",
    "UPGRADE": "actionUpgrade", "POLICY_REASSIGN": "actionPolicyReassign", "CANCEL": "actionCancel",
    "REQUEST_DIAGNOSTICS": "actionRequestDiagnostics", "INPUT_ACTION": "actionInputAction",
    "MIGRATE": "actionMigrate", "PRIVILEGE_LEVEL_CHANGE": "actionPrivilegeLevelChange",
}


def errors(spec, name, instance):
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return list(OAS30Validator(schema).iter_errors(instance))


def action_data_errors(spec, instance):
    """Each action's data against the schema of its type."""
    found = []
    actions = instance.get("actions") if isinstance(instance, dict) else None
    for index, action in enumerate(actions or []):
        branch = ACTION_DATA.get(action.get("type"))
        if branch is None:
            found.append(f"actions/{index}/type: unknown action type {action.get('type')!r}")
            continue
        for error in errors(spec, branch, action.get("data")):
            found.append(f"actions/{index}/data: {error.message}")
    return found


def main():
    with open(sys.argv[1]) as f:
        spec = yaml.safe_load(f)
    relax_raw_json(spec)
    spec["components"]["schemas"]["action"]["properties"]["data"] = {}
    failures = 0
    for argument in sys.argv[2:]:
        name, path = argument.split("=", 1)
        with open(path) as f:
            instance = json.load(f)
        for error in errors(spec, name, instance):
            failures += 1
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{name} ({path}): {where}: {error.message}")
        for message in action_data_errors(spec, instance):
            failures += 1
            print(f"{name} ({path}): {message}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
