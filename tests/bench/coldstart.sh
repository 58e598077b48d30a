#!/usr/bin/env bash
# Cold starts, measured from outside: builds each Lambda bootstrap and the
# two baselines (a hello-world lambda_http function and a minimal DynamoDB
# function) as `sam build` does, for this machine (x86_64), and runs the
# harness (tests/bench/coldstart), which starts each binary under its own
# Lambda Runtime API emulator, twice, each time on a new DynamoDB Local:
# straight to it, then through the contention proxy with ROUND_TRIP_MS
# (default 4) added to every request. Prints the two tables BENCHMARKS.md
# records. Usage: [ROUND_TRIP_MS=n] tests/bench/coldstart.sh [runs] [warm]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# 21 starts: on two cores shared with DynamoDB Local, medians of 7 moved
# by a third from one run to the next.
runs="${1:-21}"
warm="${2:-20}"
round_trip="${ROUND_TRIP_MS:-4}"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'coldstart: %s\n' "$*" >&2; exit 1; }

# As `sam build` builds them (the Makefile): the release profile with the
# entries of Cargo.toml's [workspace.metadata.lambda.build] config, all
# seven functions in one invocation, so with the same features; in a target
# directory of their own, so the local server's release build stays.
lambda_config=()
while IFS= read -r entry; do lambda_config+=(--config "$entry"); done < <(python3 -c '
import tomllib
for entry in tomllib.load(open("Cargo.toml", "rb"))["workspace"]["metadata"]["lambda"]["build"]["config"]:
    print(entry)')
lambda_build() { cargo build --quiet --release --target-dir target/lambda-x86_64 "${lambda_config[@]}" "$@"; }
log "building the functions"
packages=()
for function in $(sed -n 's/^functions := //p' Makefile); do packages+=(-p "$function"); done
[ "${#packages[@]}" -gt 0 ] || die "the Makefile's list of functions was not found"
lambda_build "${packages[@]}"
log "building the baselines"
lambda_build -p coldstart --bin hello-baseline --bin dynamo-baseline
log "building the local server (which seeds the table) and the harness"
cargo build --quiet --release -p feedback-local -p coldstart --features feedback-local/dynamo \
  --bin feedback --bin coldstart

# shellcheck source=tests/dynamodb-local.sh
. tests/dynamodb-local.sh
install_npm_tools
proxy_pid=""
trap 'stop_pid "$proxy_pid"; stop_dynamodb' EXIT
measure() {
  target/release/coldstart --bin-dir target/lambda-x86_64/release --local-server target/release/feedback \
    --endpoint "$1" --runs "$runs" --warm "$warm"
}

# A new DynamoDB Local for each table: it slows down as tables pile up, and
# a second run on the same one was up to 3 times slower.
start_dynamodb
log "measuring on DynamoDB Local ($runs starts per function, $warm warm invocations each)"
measure "$DYNAMODB_ENDPOINT"
stop_dynamodb

# DynamoDB Local answers on loopback in about a millisecond, DynamoDB in a
# region in a few: with a delay on every request, requests made one after
# another add up as they would in AWS, and requests made side by side do not.
start_dynamodb
port=$(free_port)
ROUND_TRIP_MS="$round_trip" python3 tests/tools/ddb-contention-proxy "$port" "$DYNAMODB_ENDPOINT" \
  >target/coldstart-proxy.log 2>&1 &
proxy_pid=$!
await_http "$proxy_pid" "http://127.0.0.1:$port/" target/coldstart-proxy.log "the contention proxy"
log "measuring through the contention proxy, $round_trip ms added to every DynamoDB request"
echo
measure "http://127.0.0.1:$port"
