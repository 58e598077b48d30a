#!/usr/bin/env bash
# Cold starts, measured from outside: builds each Lambda bootstrap and the
# two baselines (a hello-world lambda_http function and a minimal DynamoDB
# function) with the Lambda profile for this machine (x86_64), starts a
# fresh DynamoDB Local, and runs the harness (tests/bench/coldstart), which
# starts each binary under its own Lambda Runtime API emulator. Prints the
# table BENCHMARKS.md records. Usage: tests/bench/coldstart.sh [runs] [warm]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
runs="${1:-7}"
warm="${2:-20}"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'coldstart: %s\n' "$*" >&2; exit 1; }

# One package at a time, as `sam build` builds them, so that each links what
# its own features need.
for function in collect manage scores authorizer notify; do
  log "building $function (profile lambda)"
  cargo build --quiet --profile lambda -p "$function"
done
log "building the baselines (profile lambda)"
cargo build --quiet --profile lambda -p coldstart --bin hello-baseline --bin dynamo-baseline
log "building the local server (which seeds the table) and the harness"
cargo build --quiet --release -p feedback-local -p coldstart --bin feedback --bin coldstart

# shellcheck source=tests/dynamodb-local.sh
. tests/dynamodb-local.sh
trap stop_dynamodb EXIT
start_dynamodb

log "measuring ($runs starts per function, $warm warm invocations each)"
target/release/coldstart --bin-dir target/lambda --local-server target/release/feedback \
  --endpoint "$DYNAMODB_ENDPOINT" --runs "$runs" --warm "$warm"
