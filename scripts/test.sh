#!/usr/bin/env bash
# Installs what the tests need when it is missing, builds, and runs the whole suite.
# The tests use real peers: curl and openssl (s_client, s_server, verify, pkey), tinyproxy as the HTTP proxy
# agents tunnel through, and PostgreSQL (each test run starts its own servers, with TLS, as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v tinyproxy >/dev/null || missing+=(tinyproxy)
# The PostgreSQL store is tested against real servers that the tests start in temporary directories.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v setpriv >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" ca-certificates >/dev/null
fi
# The contract check validates responses with openapi-schema-validator.
if ! python3 -c "import openapi_schema_validator, yaml" 2>/dev/null; then
  echo "Installing openapi-schema-validator and PyYAML..."
  python3 -m pip install --quiet openapi-schema-validator pyyaml 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openapi-schema-validator pyyaml
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first." >&2; exit 1; }

swift build --build-tests
swift test --skip-build "$@"
