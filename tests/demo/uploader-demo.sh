#!/usr/bin/env bash
# The uploader part of ./build.sh demo: usage uploader-demo.sh BIN_DIR CORE_ROOT
# CORE_ROOT/core holds what cdm captured. 1) the embedded default: no server configured, the report goes to an
# outbox under CORE_ROOT; 2) the same archive (a copy of the corepath) delivered over HTTP to a small receiver
# on 127.0.0.1 (python3), which prints what it got.
set -euo pipefail
BIN=${1:?usage: uploader-demo.sh BIN_DIR CORE_ROOT}
R=${2:?usage: uploader-demo.sh BIN_DIR CORE_ROOT}
U=$R/uploader-demo
rm -rf "$U" && mkdir -p "$U"
cp -a "$R/core" "$U/core-http"   # an untouched copy for the HTTP half

cat >"$U/outbox.toml" <<TOML
corepath = "$R/core"
outbox = "$U/outbox"
state_dir = "$U/state"
log_file = "$U/uploader.log"
gdb_timeout_seconds = 30
run_timeout_seconds = 60
TOML

echo "\$ uploader --config outbox.toml run      (no [[server]]: deliver into the outbox)"
"$BIN/uploader" --config "$U/outbox.toml" run
echo; echo "\$ uploader list"
"$BIN/uploader" --config "$U/outbox.toml" list
report=$(ls "$R"/core/*/*.core.tar.gz.report | head -n 1)
echo; echo "report $(basename "$report") (head, backtrace):"
sed -n '1,/^--- backtrace ---$/p' "$report" | grep -E '^(executable|time|signal|release|Signature|signature-frames):'
sed -n '/^--- backtrace ---$/,/^$/p' "$report"
echo "delivered: $(ls "$U"/outbox/*.report)"

echo; echo "== delivery over HTTP to a receiver on 127.0.0.1"
cat >"$U/receiver.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key")
        crash = b'name="crash"' in body
        sig = [l for l in body.decode("utf-8", "replace").splitlines() if l.startswith("Signature: ")]
        print(f"receiver: POST {self.path} Idempotency-Key={key} {len(body)} bytes, field crash={crash}, {sig[0] if sig else ''}", flush=True)
        self.send_response(201); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
python3 "$U/receiver.py" "$U/port" &
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$U/port" ] && break; sleep 0.05; done
port=$(cat "$U/port")
cat >"$U/http.toml" <<TOML
corepath = "$U/core-http"
outbox = "$U/outbox-unused"
state_dir = "$U/state-http"
log_file = "$U/uploader-http.log"
gdb_timeout_seconds = 30
run_timeout_seconds = 60
allow_http_hosts = ["127.0.0.1"]   # plain http is refused unless allowed per host

[[server]]
url = "http://127.0.0.1:$port/submit"
timeout_seconds = 10
TOML
echo "\$ uploader --config http.toml run      ([[server]] url = http://127.0.0.1:$port/submit)"
"$BIN/uploader" --config "$U/http.toml" run
"$BIN/uploader" --config "$U/http.toml" list --state submitted
kill $receiver 2>/dev/null || true
