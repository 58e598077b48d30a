# moto's server for the scripts that need one (sourced, not run): defines
# install_moto (the pinned moto, into target/moto), start_moto (a new
# server on a free loopback port, MOTO_ENDPOINT pointed at it) and
# stop_moto. Expects $root, log and die from the script that sources it.

# shellcheck source=tests/background.sh
. "$root/tests/background.sh"

moto_venv="$root/target/moto"
install_moto() {
  [ -x "$moto_venv/bin/pip" ] || python3 -m venv "$moto_venv"
  # A no-op when the pin is already installed.
  "$moto_venv/bin/pip" install -q --disable-pip-version-check -r "$root/tests/moto/requirements.txt"
}

moto_pid=""
stop_moto() {
  stop_pid "$moto_pid"
  moto_pid=""
}

start_moto() {
  local port
  port=$(free_port)
  log "starting moto's server (SES and SNS) on 127.0.0.1:$port"
  "$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$root/target/moto.log" 2>&1 &
  moto_pid=$!
  await_http "$moto_pid" "http://127.0.0.1:$port/moto-api/data.json" "$root/target/moto.log" "moto's server"
  export MOTO_ENDPOINT="http://127.0.0.1:$port"
}
