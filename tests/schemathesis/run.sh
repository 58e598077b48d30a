#!/usr/bin/env bash
# The API document and the code, held to each other by schemathesis (PyPI,
# pinned in requirements.txt beside this file) with all its checks: the
# local server on STORE (sqlite, or dynamo with DYNAMODB_ENDPOINT set) is
# started from BIN on a fresh store, with a fresh admin key, and the run
# must find nothing. SEED fixes the generated cases (default 1) so a run
# can be repeated exactly; MAX_EXAMPLES bounds them per operation. Requests
# may take up to the local server's 30 s deadline (a batch of 500
# invitations on DynamoDB Local). use_after_free is off: DELETE of a rep
# archives it and DELETE of a customer erases their personal data, both
# staying readable by design; the one real delete (a webhook) is tested in
# tests/api/.
#
#   tests/schemathesis/run.sh target/debug/feedback sqlite
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:?usage: run.sh BIN sqlite|dynamo}"
store="${2:?usage: run.sh BIN sqlite|dynamo}"
seed="${SEED:-1}"
max_examples="${MAX_EXAMPLES:-50}"

venv="$root/target/schemathesis"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"

work="$(mktemp -d)"
server_pid=""
stop() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap stop EXIT

export FEEDBACK_DATA="$work/data"
case "$store" in
  sqlite) unset DYNAMODB_ENDPOINT DYNAMODB_TABLE ;;
  dynamo)
    [ -n "${DYNAMODB_ENDPOINT:-}" ] || { echo "run.sh: dynamo needs DYNAMODB_ENDPOINT" >&2; exit 2; }
    export DYNAMODB_TABLE="schemathesis-$(date +%s)-$$"
    ;;
  *) echo "run.sh: store is sqlite or dynamo, not $store" >&2; exit 2 ;;
esac

key="$("$bin" keys create --scope admin --name schemathesis 2>/dev/null)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FEEDBACK_ADDR="127.0.0.1:$port" "$bin" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.2
done

cd "$work"
# One worker: with two threads, Hypothesis parsing lambdas' source while the
# other thread does the same trips CPython 3.11's ast module (not thread
# safe until 3.12: "SystemError: AST constructor recursion depth
# mismatch"), a crash of the tool that fails the run.
"$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
  "http://127.0.0.1:$port/v1/openapi.json" \
  --checks all \
  --exclude-checks use_after_free \
  --header "Authorization: Bearer $key" \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 35 \
  --generation-database none \
  --no-color \
  --wait-for-schema 30
