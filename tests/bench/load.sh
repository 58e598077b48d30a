#!/usr/bin/env bash
# Load test of the local server on loopback, bounded in time: submits (each
# a transaction with its rollups) and a year of scores. Starts the release
# binary on a fresh SQLite folder, creates invitations through the API, runs
# wrk, and stops the server. Usage: tests/bench/load.sh [seconds per run]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
duration="${1:-20}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -p feedback-local --quiet

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The submit run names a client per request in X-Forwarded-For (submit.lua).
TRUST_X_FORWARDED_FOR=1 FEEDBACK_DATA="$work/data" FEEDBACK_ADDR="127.0.0.1:$port" target/release/feedback >"$work/out.log" 2>"$work/err.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "Serving on" "$work/out.log" 2>/dev/null && break; sleep 0.1; done
key=$(grep -o 'fbk_[A-Za-z0-9]*' "$work/out.log")
base="http://127.0.0.1:$port"

echo "creating 20000 invitations in batches of 500"
python3 - "$base" "$key" "$work/codes.txt" <<'PY'
import json, sys, urllib.request
base, key, out = sys.argv[1:]
channels = ["receipt", "sms", "email", "qr"]
with open(out, "w") as f:
    for b in range(40):
        batch = [{"order_id": f"load-{b}-{i}", "channel": channels[i % 4], "location": f"store-{i % 3}"} for i in range(500)]
        req = urllib.request.Request(f"{base}/v1/invitations", json.dumps({"invitations": batch}).encode(),
                                     {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        for inv in json.load(urllib.request.urlopen(req))["invitations"]:
            f.write(inv["code"] + "\n")
PY

echo; echo "== POST /r/{code}: ${duration}s, 2 threads, 32 connections"
wrk -t2 -c32 -d"${duration}s" --latency -s tests/bench/submit.lua "$base" -- "$work/codes.txt"

today=$(date -u +%F)
year_ago=$(date -u -d '364 days ago' +%F)
echo; echo "== GET /v1/scores (365 days, weekly series): ${duration}s, 2 threads, 32 connections"
wrk -t2 -c32 -d"${duration}s" --latency -H "Authorization: Bearer $key" \
  "$base/v1/scores?from=$year_ago&to=$today&granularity=week"
