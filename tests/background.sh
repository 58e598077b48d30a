# What the test scripts need to run a server in the background (sourced,
# not run). Expects die from the script that sources it.

# A free loopback port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# await_http PID URL LOG NAME: waits up to 60 s for any HTTP answer at URL
# (even a 400 means it is listening) while process PID lives; dies with
# LOG's content if it exits, or when the time is up.
await_http() {
  local pid="$1" url="$2" log="$3" name="$4"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$name exited at start"; }
    curl -s -o /dev/null "$url" && return 0
    sleep 0.5
  done
  die "$name did not start within 60 s (see $log)"
}

# stop_pid PID: stops the process, if there is one, and waits for it.
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
