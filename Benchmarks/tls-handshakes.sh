#!/usr/bin/env bash
# Mutual-TLS handshake rate of `flotilla server` against nginx with the same certificates, measured the same way
# (openssl s_time: a full handshake per connection, no resumption), reported as a ratio.
#
#   swift build -c release && Benchmarks/tls-handshakes.sh [.build/release/flotilla] [seconds]
set -euo pipefail
flotilla=${1:-.build/release/flotilla}
seconds=${2:-10}
command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
work=$(mktemp -d)
cleanup() { kill "$server_pid" 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$flotilla" certs init "$work/certs" >/dev/null
"$flotilla" server init --data-dir "$work/data" --service-token-path "$work/service.token" --enrollment-token-path "$work/enrollment.token" >/dev/null
# s_time cannot read an encrypted key; the benchmark's own copy is decrypted.
openssl pkey -in "$work/certs/agent-cert.key" -passin "file:$work/certs/agent-cert.passphrase" -out "$work/agent.key"

"$flotilla" server --data-dir "$work/data" --fleet-server-service-token-path "$work/service.token" \
  --fleet-server-cert "$work/certs/fleet-cert.crt" --fleet-server-cert-key "$work/certs/fleet-cert.key" \
  --certificate-authorities "$work/certs/agent-ca.crt" --fleet-server-client-auth required \
  --fleet-server-host 127.0.0.1 --fleet-server-port 0 > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
until grep -q "listening on" "$work/server.out" 2>/dev/null; do kill -0 "$server_pid" || { cat "$work/server.err"; exit 1; }; sleep 0.1; done
flotilla_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/server.out" | head -1)

nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/certs/fleet-cert.crt;
    ssl_certificate_key $work/certs/fleet-cert.key;
    ssl_client_certificate $work/certs/agent-ca.crt;
    ssl_verify_client on;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { return 200 '{"name":"fleet-server","status":"HEALTHY"}'; }
  }
}
CONF
nginx -c "$work/nginx.conf"
until (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null; do sleep 0.1; done

rate() {
  openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" -CAfile "$work/certs/fleet-ca.crt" \
    -cert "$work/certs/agent-cert.crt" -key "$work/agent.key" 2>/dev/null \
    | python3 -c 'import re,sys; m=re.search(r"(\d+) connections in (\d+) real seconds", sys.stdin.read()); print(f"{int(m[1])/int(m[2]):.0f}" if m else "0")'
}
flotilla_rate=$(rate "$flotilla_port")
nginx_rate=$(rate "$nginx_port")
echo "mTLS full handshakes (openssl s_time -new, ${seconds}s each, ECDSA P-256, client auth required):"
echo "  flotilla server: ${flotilla_rate} connections/s"
echo "  nginx:           ${nginx_rate} connections/s"
python3 -c "print(f'  ratio flotilla/nginx: {float(\"$flotilla_rate\")/float(\"$nginx_rate\"):.2f}')"
