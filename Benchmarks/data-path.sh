#!/usr/bin/env bash
# Data-path benchmark: one shipper tails a file of 200-byte lines and ships it over TLS to the stand-in
# Elasticsearch _bulk endpoint (es-standin, not Elasticsearch). Flotilla's agent (`flotilla standalone`, with and
# without gzip) and rsyslog (imfile into omelasticsearch, Debian's packages) read the same file and ship to the same
# endpoint in the same run; reported: events/s, MiB/s, the shipper's CPU seconds and peak RSS, and the ratios.
#
#   swift build -c release --product flotilla && swift build -c release --product es-standin
#   Benchmarks/data-path.sh [.build/release/flotilla] [.build/release/es-standin] [lines]
set -euo pipefail
flotilla=$(realpath "${1:-.build/release/flotilla}")
standin=$(realpath "${2:-.build/release/es-standin}")
lines=${3:-500000}
if ! ls /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1 || ! command -v bc >/dev/null || ! command -v curl >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog rsyslog-elasticsearch bc curl >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$flotilla" certs init "$work/certs" >/dev/null
python3 - "$work/app.log" "$lines" <<'PY'
import sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    for n in range(count):
        head = f"2026-12-01T18:00:00.000Z bench-host app[4242]: request id={n} status=200 path=/api/items"
        out.write(head + " " + "x" * (199 - len(head) - 1) + "\n")
PY
bytes=$(stat -c %s "$work/app.log")

"$standin" --port 0 --certificate "$work/certs/fleet-cert.crt" --key "$work/certs/fleet-cert.key" > "$work/standin.out" &
pids+=($!)
until grep -q "listening on" "$work/standin.out" 2>/dev/null; do sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/standin.out" | head -1)
count() { curl -sf --cacert "$work/certs/fleet-ca.crt" "https://localhost:$port/_standin/stats" | sed 's/.*"count":\([0-9]*\).*/\1/'; }

# Runs "$@" until the stand-in has counted $lines more documents; prints seconds, CPU seconds, peak RSS in KiB.
measure() {
  local base start pid ticks cpu rss now
  base=$(count)
  start=$(date +%s.%N)
  "$@" > "$work/shipper.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  local deadline=$((SECONDS + 600))
  while [ "$(( $(count) - base ))" -lt "$lines" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "the shipper stopped:" >&2; cat "$work/shipper.log" >&2; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out" >&2; cat "$work/shipper.log" >&2; exit 1; }
    sleep 0.1
  done
  now=$(date +%s.%N)
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  cpu=$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)
  echo "$(echo "$now - $start" | bc -l) $cpu $rss"
}

policy() {  # $1: gzip level
  cat > "$work/policy-$1.yml" <<YAML
outputs:
  default:
    type: elasticsearch
    hosts: ["https://localhost:$port"]
    ssl: {certificate_authorities: ["$work/certs/fleet-ca.crt"]}
    compression_level: $1
inputs:
  - id: bench
    type: logfile
    use_output: default
    streams: [{paths: ["$work/app.log"], data_stream: {dataset: bench}}]
YAML
  echo "$work/policy-$1.yml"
}

mkdir -p "$work/rsyslog"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog" maxMessageSize="8k")
module(load="imfile")
module(load="omelasticsearch")
template(name="ecs" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  constant(outname="log.file.path" value="$work/app.log" format="jsonf")
  property(outname="host.name" name="hostname" format="jsonf")
}
input(type="imfile" File="$work/app.log" Tag="bench" ruleset="ship" freshStartTail="off")
ruleset(name="ship" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="1600") {
  action(type="omelasticsearch" server="localhost" serverport="$port" usehttps="on" tls.cacert="$work/certs/fleet-ca.crt"
         esVersion.major="8" template="ecs" searchIndex="logs-bench-default" bulkmode="on" maxbytes="10m"
         queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="1600" action.resumeRetryCount="-1")
}
CONF

rm -rf "$work/agent-gzip"; read -r f_s f_cpu f_rss < <(measure "$flotilla" standalone --base-path "$work/agent-gzip" --policy "$(policy 1)")
rm -rf "$work/agent-plain"; read -r p_s p_cpu p_rss < <(measure "$flotilla" standalone --base-path "$work/agent-plain" --policy "$(policy 0)")
read -r r_s r_cpu r_rss < <(measure rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid")

row() {  # name seconds cpu rss
  printf "| %-26s | %9.0f | %6.1f | %8.2f | %6.0f |\n" "$1" "$(echo "$lines / $2" | bc -l)" "$(echo "$bytes / $2 / 1048576" | bc -l)" "$3" "$(echo "$4 / 1024" | bc -l)"
}
echo "$lines lines of 200 bytes ($(echo "$bytes / 1048576" | bc) MiB) over TLS to the stand-in _bulk endpoint, $(nproc) cores"
echo "| shipper                    |  events/s |  MiB/s | CPU s    | RSS MiB |"
echo "|----------------------------|-----------|--------|----------|---------|"
row "flotilla (gzip level 1)" "$f_s" "$f_cpu" "$f_rss"
row "flotilla (no compression)" "$p_s" "$p_cpu" "$p_rss"
row "rsyslog imfile→omelasticsearch" "$r_s" "$r_cpu" "$r_rss"
printf "throughput vs rsyslog: %.2fx (gzip), %.2fx (plain); CPU vs rsyslog: %.2fx (gzip), %.2fx (plain)\n" \
  "$(echo "$r_s / $f_s" | bc -l)" "$(echo "$r_s / $p_s" | bc -l)" "$(echo "$f_cpu / $r_cpu" | bc -l)" "$(echo "$p_cpu / $r_cpu" | bc -l)"
