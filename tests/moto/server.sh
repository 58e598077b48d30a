# moto's server for the scripts that need one (sourced, not run): installs
# the pinned moto into target/moto when missing, and defines start_moto (a
# new server on a free loopback port, MOTO_ENDPOINT pointed at it) and
# stop_moto. Expects $root, log and die from the script that sources it.

moto_venv="$root/target/moto"
[ -x "$moto_venv/bin/pip" ] || python3 -m venv "$moto_venv"
# A no-op when the pin is already installed.
"$moto_venv/bin/pip" install -q --disable-pip-version-check -r "$root/tests/moto/requirements.txt"

moto_pid=""
stop_moto() {
  [ -n "$moto_pid" ] || return 0
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  moto_pid=""
}

start_moto() {
  local port ready=""
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log "starting moto's server (SES and SNS) on 127.0.0.1:$port"
  "$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$root/target/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 60); do
    kill -0 "$moto_pid" 2>/dev/null || { cat "$root/target/moto.log" >&2; die "moto's server exited at start"; }
    if curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/data.json"; then ready=1; break; fi
    sleep 0.5
  done
  [ -n "$ready" ] || die "moto's server did not start within 30 s (see target/moto.log)"
  export MOTO_ENDPOINT="http://127.0.0.1:$port"
}
