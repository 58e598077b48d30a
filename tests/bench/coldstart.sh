#!/usr/bin/env bash
# Cold starts, measured from outside: builds each Lambda bootstrap and the
# two baselines (a hello-world lambda_http function and a minimal DynamoDB
# function) as `sam build` does, for this machine (x86_64), starts a
# fresh DynamoDB Local, and runs the harness (tests/bench/coldstart), which
# starts each binary under its own Lambda Runtime API emulator. Prints the
# table BENCHMARKS.md records. Usage: tests/bench/coldstart.sh [runs] [warm]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# 21 starts: on two cores shared with DynamoDB Local, medians of 7 moved
# by a third from one run to the next.
runs="${1:-21}"
warm="${2:-20}"
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
trap stop_dynamodb EXIT
start_dynamodb

log "measuring ($runs starts per function, $warm warm invocations each)"
target/release/coldstart --bin-dir target/lambda-x86_64/release --local-server target/release/feedback \
  --endpoint "$DYNAMODB_ENDPOINT" --runs "$runs" --warm "$warm"
