#!/usr/bin/env bash
# Installs what the tests need when it is missing, builds, and runs the whole suite.
# The tests use real peers: curl and openssl (s_client, s_server, verify, pkey), tinyproxy, squid and dante as the
# proxies agents tunnel through, nginx terminating their mutual TLS, PostgreSQL (each test run starts its own servers, with TLS, as the postgres user), and for
# the console headless Chromium driven by selenium, and schemathesis against its OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v tinyproxy >/dev/null || missing+=(tinyproxy)
# Forward proxies beyond plain HTTP: squid as an HTTPS proxy (with a client certificate), dante for SOCKS5, and
# nginx as the reverse proxy that terminates the agents' mutual TLS; ss shows where an agent's connections go.
[ -x /usr/sbin/squid ] || missing+=(squid-openssl)
[ -x /usr/sbin/danted ] || missing+=(dante-server)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v ss >/dev/null || missing+=(iproute2)
# The PostgreSQL store is tested against real servers that the tests start in temporary directories.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
# The agent gzips output requests with zlib (the Swift toolchain's own dependencies include it).
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# Release signatures are minisign's format: Debian's minisign cross-checks ours in both directions.
command -v minisign >/dev/null || missing+=(minisign)
# The upgrade tests strip a copy of the binary (objcopy) and stop the agent a rollback restarted (pkill).
command -v objcopy >/dev/null || missing+=(binutils)
command -v pkill >/dev/null || missing+=(procps)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" ca-certificates >/dev/null
fi
# dante checks SOCKS5 users against the system's accounts: one without a shell or home, for the credentials test.
if [ "$(id -u)" = 0 ] && ! id flotilla-socks >/dev/null 2>&1; then
  useradd -M -s /usr/sbin/nologin flotilla-socks && echo 'flotilla-socks:socks-test-password' | chpasswd
fi
# The contract check validates responses with openapi-schema-validator; the console's tests use pytest, selenium
# and schemathesis.
if ! python3 -c "import openapi_schema_validator, yaml, pytest, selenium, schemathesis" 2>/dev/null; then
  echo "Installing openapi-schema-validator, PyYAML, pytest, selenium and schemathesis..."
  python3 -m pip install --quiet openapi-schema-validator pyyaml pytest selenium schemathesis 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openapi-schema-validator pyyaml pytest selenium schemathesis
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first." >&2; exit 1; }

swift build --build-tests
# At most eight tests at once: two cores cannot start forty Fleet Servers, proxies and PostgreSQL servers together
# without the in-process tests' time limits running out.
swift test --skip-build --experimental-maximum-parallelization-width 8 "$@"
# The console as a person and as a fuzzer meet it: real Chromium, and schemathesis. Screenshots are kept in
# $FLOTILLA_SCREENSHOTS (a temporary directory unless given). Skipped when only some Swift tests were asked for.
if [ $# -eq 0 ]; then
  export FLOTILLA_SCREENSHOTS=${FLOTILLA_SCREENSHOTS:-$(mktemp -d -t flotilla-screens-XXXXXX)}
  python3 -m pytest Tests/ConsoleUITests -q -p no:cacheprovider
  echo "Console screenshots: $FLOTILLA_SCREENSHOTS"
fi
