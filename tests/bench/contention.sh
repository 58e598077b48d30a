#!/usr/bin/env bash
# Bursts for one tenant, straight to DynamoDB Local and through the
# contention proxy (tests/tools/ddb-contention-proxy) in the same run: 1,500
# invitations in batches of 500, then every customer answering, 48 at once;
# and 48 customers answering one reusable link at once. Checks that every
# one counted exactly once and prints the table BENCHMARKS.md records
# (ratings/s, latency, refusals, and what the proxy cancelled or
# throttled). Release build of the end-to-end crate, on a new DynamoDB
# Local each. Usage: tests/bench/contention.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'contention: %s\n' "$*" >&2; exit 1; }

log "building the end-to-end crate (release)"
cargo test --quiet --release -p feedback-e2e --test contention --test stream --no-run

# shellcheck source=tests/dynamodb-local.sh
. tests/dynamodb-local.sh
install_npm_tools
trap stop_dynamodb EXIT

echo "| burst | DynamoDB Local | invitations s | ratings/s | requests per rating | p50 ms | p99 ms | refused | proxy: cancelled, throttled |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
for burst in link invitations; do
  for via in straight proxy pass-through; do
    # A new DynamoDB Local for each: it slows down as tables pile up.
    start_dynamodb
    log "$burst, $via"
    BURST=$burst VIA=$via cargo test --quiet --release -p feedback-e2e --test contention -- \
      --ignored --nocapture --exact on_dynamo_bench_burst 2>&1 | grep -E '^\|'
    stop_dynamodb
  done
done

echo
echo "| freshness | p50 ms | p99 ms | max ms |"
echo "|---|---:|---:|---:|"
start_dynamodb
cargo test --quiet --release -p feedback-e2e --test stream -- \
  --ignored --nocapture --exact on_dynamo_bench_freshness 2>&1 | grep -E '^\|'
stop_dynamodb
