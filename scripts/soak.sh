#!/usr/bin/env bash
# The fault soak, on loopback: two Fleet Servers on one PostgreSQL, simulated agents and real agent processes
# shipping growing log files to the stand-in Elasticsearch endpoint, with kill -9 of a Fleet Server, an agent,
# PostgreSQL or the output at random moments. It ends with one line of figures and fails when anything was lost.
#   scripts/soak.sh [SECONDS] [fault-soak options...]     (default: 300 seconds; --help lists the options)
# Needs what scripts/test.sh installs (PostgreSQL above all); builds the debug binaries it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
for product in flotilla es-standin fault-soak; do
  swift build --product "$product" > /tmp/flotilla-soak-build.log 2>&1 || { cat /tmp/flotilla-soak-build.log >&2; exit 1; }
done
bin=$(swift build --show-bin-path)
exec "$bin/fault-soak" --duration "$seconds" --flotilla "$bin/flotilla" --stand-in "$bin/es-standin" "$@"
