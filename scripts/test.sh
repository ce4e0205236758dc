#!/usr/bin/env bash
# Installs what the tests need when it is missing, builds, and runs the whole suite.
# The tests use real peers: curl and openssl (s_client, s_server, verify, pkey).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" ca-certificates >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first." >&2; exit 1; }

swift build --build-tests
swift test --skip-build "$@"
