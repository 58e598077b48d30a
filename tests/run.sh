#!/usr/bin/env bash
# The one test command: installs the test tools this project pins, starts
# AWS's DynamoDB Local and moto's server (standing in for SES and SNS) on
# free loopback ports, runs every test of the workspace against them and
# the embedded store, then the browser suite in Debian's Chromium, and
# stops the servers and its background steps on every exit path. It fails,
# never skips, when the DynamoDB suite did not run. `sam build` runs beside
# the tests, at the lowest CPU priority: the tests mostly wait on their
# servers, and the build's seven fat-LTO links take the cores they leave
# idle.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p target
# Each step says when it started, in seconds since this script did, so a
# slow run shows which step took the time.
log() { printf '\n==> [%4d s] %s\n' "$SECONDS" "$*"; }
die() { printf 'tests/run.sh: %s\n' "$*" >&2; exit 1; }

# --- Java 17+; DynamoDB Local's and moto's install, start and stop.
# shellcheck source=tests/dynamodb-local.sh
. tests/dynamodb-local.sh
# shellcheck source=tests/moto/server.sh
. tests/moto/server.sh

# --- Debian's Chromium and fonts for Urdu and Devanagari, for the browser suite.
# The fonts are pinned; Chromium is not, because Debian's security updates
# replace old browser builds and a pinned version would vanish from the mirror.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
# (Not `fc-list | grep -q`: with pipefail, grep's early exit fails the pipe.)
fonts=$(fc-list 2>/dev/null || true)
grep -q "Noto Naskh Arabic" <<<"$fonts" || missing="$missing fonts-noto-core=20201225-1"
[ -z "$missing" ] || [ "$(id -u)" -eq 0 ] || die "the browser suite needs:$missing (apt-get install$missing, as root)"

# --- The pinned tools install while the test binaries build ---------------------
# SAM's tools (cfn-lint, sam, cargo-lambda and zig) go into target/tools.
tools="$root/target/tools"
export PATH="$tools/bin:$PATH" SAM_CLI_TELEMETRY=0
# Downloading and unpacking leave the cores to the compiler. Each exit path
# waits for the installs rather than leave them half done; Ctrl-C reaches
# them with the rest of the foreground process group.
log "installing the pinned test tools in the background, log in target/install.log"
(
  install_npm_tools
  install_moto
  [ -x "$tools/bin/pip" ] || python3 -m venv "$tools"
  # A no-op when the pins are already installed.
  "$tools/bin/pip" install -q --disable-pip-version-check -r infra/requirements.txt
  if [ -n "$missing" ]; then
    log "installing$missing (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
) >target/install.log 2>&1 &
installs_pid=$!

# Waits for the background step PID, shows its log, and fails the run if
# the step failed: await_background PID LOG WHAT.
await_background() {
  local status=0
  wait "$1" || status=$?
  cat "$2"
  [ "$status" -eq 0 ] || die "$3 failed (exit $status)"
}

# `sam build` in its own process group, so that every exit path can stop
# the whole tree (make, cargo, rustc, the linker).
sam_pid=""
stop_sam_build() {
  [ -n "$sam_pid" ] || return 0
  kill -- "-$sam_pid" 2>/dev/null || true
  wait "$sam_pid" 2>/dev/null || true
  sam_pid=""
}
trap 'stop_sam_build; [ -z "$installs_pid" ] || wait "$installs_pid" || true; stop_dynamodb; stop_moto' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The test binaries, then the Lambda functions beside the tests -------------
log "cargo test --workspace --all-targets --no-run"
cargo test --workspace --all-targets --no-run
log "waiting for the test tools' installs"
await_background "$installs_pid" target/install.log "installing the test tools"
installs_pid=""
# Not beside the build above: rustup would write into the toolchain rustc runs from.
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
log "sam build (arm64, every function) started in the background, log in target/sam-build.log"
# As a deployment builds them, without the lints CI adds to the build above
# (.ci/run): clippy's wrapper also changes the code rustc generates. The
# build does not share cargo's lock with the tests: its profile and target
# have their own directories under target/.
setsid -w env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS nice -n 19 sam build >target/sam-build.log 2>&1 &
sam_pid=$!

start_dynamodb
start_moto

# --- Every test of the workspace --------------------------------------------
log "cargo test --workspace (DYNAMODB_ENDPOINT=$DYNAMODB_ENDPOINT)"
# The gateway suites record each function's DynamoDB calls here; once every
# suite has run, each IAM grant of the template must have been needed.
export IAM_CALLS_DIR="$root/target/iam-calls"
rm -rf "$IAM_CALLS_DIR"
cargo test --workspace --all-targets 2>&1 | tee target/test-output.log
stop_moto
log "every IAM grant of template.yaml was needed by some call"
cargo test --workspace --test template -- --ignored every_iam_grant_is_used

# The DynamoDB half of the store contract and end-to-end suites must have run,
# as fully as the SQLite half. A suite case is `dynamo::<case>`; the store's
# own unit tests (`dynamo::keys::tests::…`) are not counted.
dynamo_ok=$(grep -c '^test dynamo::[a-z0-9_]* \.\.\. ok$' target/test-output.log || true)
sqlite_ok=$(grep -c '^test sqlite::[a-z0-9_]* \.\.\. ok$' target/test-output.log || true)
[ "$dynamo_ok" -gt 0 ] || die "the DynamoDB suites did not run"
[ "$dynamo_ok" -eq "$sqlite_ok" ] ||
  die "store suites differ: $dynamo_ok DynamoDB cases passed, $sqlite_ok SQLite cases"
log "contract and end-to-end suites passed on both stores ($sqlite_ok cases on each)"

# --- The API document against the code, by schemathesis, on both stores -------
# On a new DynamoDB Local: the suites above leave hundreds of tables in it,
# which slow it down several times over.
log "schemathesis: the OpenAPI document and the code agree (SQLite, then DynamoDB Local)"
tests/schemathesis/run.sh target/debug/feedback sqlite
stop_dynamodb
start_dynamodb
tests/schemathesis/run.sh target/debug/feedback dynamo
stop_dynamodb

# --- The SAM template and the deploy script ----------------------------------
log "cfn-lint, sam validate --lint"
cfn-lint template.yaml
sam validate --lint --region eu-west-1
log "infra/deploy: dry runs and refusals"
python3 -m unittest discover -s infra -p 'test_*.py'
infra/deploy acme --dry-run

# --- The customer pages in a real browser -------------------------------------
log "browser suite (Chromium); screenshots in target/screenshots/"
FEEDBACK_BIN="$root/target/debug/feedback" SCREENSHOT_DIR="$root/target/screenshots" \
  node --test tests/browser/

# --- The Lambda functions' build, and their sizes ------------------------------
log "waiting for sam build"
await_background "$sam_pid" target/sam-build.log "sam build"
sam_pid=""
# Each bootstrap stays under its limit: today's size and a little room, so a
# change that adds weight is seen (BENCHMARKS.md, "Lean Lambdas", has the
# sizes, and why they stay above the 6 MB and 4 MB once aimed at).
limit() {
  case "$1" in
    AuthorizerFunction) echo 5700000 ;;
    NotifyFunction) echo 6500000 ;;
    AggregateFunction) echo 5500000 ;;
    SendFunction) echo 7800000 ;;
    *) echo 8300000 ;;
  esac
}
# The Makefile's functions, which tests/template.rs holds to the template's;
# each one's logical id is its name capitalised, then "Function".
for function in $(sed -n 's/^functions := //p' Makefile); do
  fn="${function^}Function"
  bootstrap=".aws-sam/build/$fn/bootstrap"
  file "$bootstrap" | grep -q "ARM aarch64" || die "$bootstrap is not an arm64 binary"
  size=$(stat -c %s "$bootstrap")
  printf '%-20s %10s bytes (limit %s)\n' "$fn" "$size" "$(limit "$fn")"
  [ "$size" -le "$(limit "$fn")" ] || die "$fn's bootstrap is $size bytes, over its limit of $(limit "$fn")"
done
log "every test passed"
