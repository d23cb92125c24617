#!/usr/bin/env bash
# A tonewatch fleet on this machine, on loopback ports (docs/fleet.md): a NATS server with
# JetStream (a temporary store), N `tonewatch serve` instances on the bus, and HAProxy in
# front of them with deploy/haproxy.cfg.
#
#   deploy/local-fleet.sh start [N]    start N instances (default 3) and print the addresses
#   deploy/local-fleet.sh stop         stop exactly what `start` started
#   deploy/local-fleet.sh status       what runs
#   deploy/local-fleet.sh bus-stop     stop the NATS server alone (an outage: the instances
#                                      buffer what they publish, docs/fleet.md)
#   deploy/local-fleet.sh bus-start    start it again, on the same port and store
#
# Needs the build (tools/build.sh: build/tonewatch), nats-server and haproxy
# (tools/install-deps.sh --fleet). TONEWATCH_FLEET_DIR (default /tmp/tonewatch-fleet) holds
# the state: the pids, the generated HAProxy configuration, the logs, each instance's calls.
# TONEWATCH_BINARY overrides the tonewatch program; TONEWATCH_SERVE_ARGS adds options to each
# instance's `serve` (e.g. "--audiohook-key KEY:SECRET --leg-buffer-s 8").
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${TONEWATCH_FLEET_DIR:-/tmp/tonewatch-fleet}"
binary="${TONEWATCH_BINARY:-build/tonewatch}"

usage() {
  echo "usage: $0 start [N] | stop | status | bus-stop | bus-start" >&2
  exit 2
}

find_program() {  # find_program NAME: on PATH or in /usr/sbin (not on every user's PATH)
  if command -v "$1" > /dev/null; then command -v "$1"; return; fi
  if [[ -x "/usr/sbin/$1" ]]; then echo "/usr/sbin/$1"; return; fi
  echo "$0: $1 is not installed (tools/install-deps.sh --fleet)" >&2
  exit 1
}

free_ports() {  # free_ports COUNT: that many distinct free loopback TCP ports
  python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

wait_for_port() {  # wait_for_port PORT WHAT PID: until something accepts on it (10 s)
  local port=$1 what=$2 pid=$3
  for _ in $(seq 1 200); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then return 0; fi
    if ! kill -0 "$pid" 2> /dev/null; then
      echo "$0: $what exited at start; its log is in $dir/logs:" >&2
      tail -n 5 "$dir/logs/"* 2> /dev/null | sed 's/^/  /' >&2
      return 1
    fi
    sleep 0.05
  done
  echo "$0: $what does not listen on port $port after 10 s" >&2
  return 1
}

# deploy/haproxy.cfg with this fleet's ports and its own `server` lines.
write_haproxy_config() {
  local http_port=$1 caller_port=$2 agent_port=$3
  shift 3
  python3 - deploy/haproxy.cfg "$http_port" "$caller_port" "$agent_port" "$@" > "$dir/haproxy.cfg" <<'EOF'
import re, sys
http_port, caller_port, agent_port = sys.argv[2:5]
instances = [tuple(x.split(",")) for x in sys.argv[5:]]  # "index,http,caller,agent"
text = open(sys.argv[1]).read()
def servers(kind):
    lines = []
    for index, http, caller, agent in instances:
        port = {"http": http, "audiosocket-caller": caller, "audiosocket-agent": agent}[kind]
        check = "check" if kind == "http" else f"check port {http}"
        lines.append(f"    server instance-{index} 127.0.0.1:{port} id {index} {check}")
    if kind != "http":
        # Both legs of an AudioSocket call to one instance: by the UUID's CRC-32 (haproxy.cfg).
        for n, (index, *_rest) in enumerate(instances):
            lines.append(f"    use-server instance-{index} if {{ req.payload(3,16),crc32,mod({len(instances)}) -m int {n} }}")
    return "\n".join(lines)
for kind in ("http", "audiosocket-caller", "audiosocket-agent"):
    text = re.sub(rf"    # BEGIN servers-{kind}\n.*?    # END servers-{kind}\n",
                  f"    # BEGIN servers-{kind}\n{servers(kind)}\n    # END servers-{kind}\n", text, flags=re.S)
text = text.replace("bind :8080", f"bind 127.0.0.1:{http_port}")
# A development fleet needs no 20,000 connections (HAProxy would want 40,000 descriptors).
text = text.replace("maxconn 20000", "maxconn 2000")
text = text.replace("bind :9092", f"bind 127.0.0.1:{caller_port}").replace("bind :9093", f"bind 127.0.0.1:{agent_port}")
sys.stdout.write(text)
EOF
}

# start_nats PROGRAM PORT: the bus, JetStream's store in $dir/nats (kept by bus-stop, so
# that bus-start finds the stream and the fleet's webhook consumer where they were).
start_nats() {
  local program=$1 port=$2 pid
  "$program" -js -a 127.0.0.1 -p "$port" -sd "$dir/nats" >> "$dir/logs/nats.log" 2>&1 &
  pid=$!
  echo "nats $pid $port" >> "$dir/pids"
  wait_for_port "$port" nats-server "$pid"
}

# bus-stop / bus-start: a bus outage on purpose, to watch the fleet ride it out.
nats_entry() {  # the pids file's nats line: "nats PID PORT"
  [[ -f "$dir/pids" ]] || { echo "$0: no fleet started from $dir" >&2; exit 1; }
  grep "^nats " "$dir/pids" || { echo "$0: this fleet has no bus" >&2; exit 1; }
}

bus_stop() {
  local _ pid port
  read -r _ pid port < <(nats_entry)
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "the bus is not running"
    return
  fi
  grep -qa -- nats-server "/proc/$pid/cmdline" 2> /dev/null || { echo "$0: pid $pid is no longer the bus" >&2; exit 1; }
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2> /dev/null && kill -KILL "$pid" 2> /dev/null || true
  echo "bus stopped (nats://127.0.0.1:$port); start it again with: $0 bus-start"
}

bus_start() {
  local _ pid port
  read -r _ pid port < <(nats_entry)
  if kill -0 "$pid" 2> /dev/null && grep -qa -- nats-server "/proc/$pid/cmdline" 2> /dev/null; then
    echo "the bus runs already (pid $pid)"
    return
  fi
  local others
  others=$(grep -v "^nats " "$dir/pids" || true)
  printf '%s\n' "$others" | sed '/^$/d' > "$dir/pids"
  start_nats "$(find_program nats-server)" "$port" || exit 1
  read -r _ pid port < <(nats_entry)
  echo "bus nats://127.0.0.1:$port pid $pid"
}

# A start that fails half way stops what it started.
failed_start() {
  trap - ERR INT TERM
  stop > /dev/null 2>&1 || true
  exit 1
}

start() {
  local count=${1:-3}
  [[ "$count" =~ ^[1-9][0-9]?$ ]] || usage
  if [[ -f "$dir/pids" ]]; then
    echo "$0: a fleet runs already (stop it first: $0 stop); its state: $dir" >&2
    exit 1
  fi
  [[ -x "$binary" ]] || { echo "$0: $binary not found: build first (tools/build.sh)" >&2; exit 1; }
  local nats haproxy
  nats=$(find_program nats-server)
  haproxy=$(find_program haproxy)
  mkdir -p "$dir/logs"
  rm -rf "$dir/nats"
  : > "$dir/pids"
  # Whatever goes wrong from here (or Ctrl-C), what was started is stopped.
  trap failed_start ERR INT TERM

  # Ports: NATS, the front end's three, and three per instance.
  local -a ports
  read -r -a ports <<< "$(free_ports $((4 + 3 * count)))"
  local nats_port=${ports[0]} front_http=${ports[1]} front_caller=${ports[2]} front_agent=${ports[3]}

  local pid
  start_nats "$nats" "$nats_port" || failed_start

  local -a servers=()
  local i http caller agent
  for ((i = 1; i <= count; i++)); do
    http=${ports[$((1 + 3 * i))]}
    caller=${ports[$((2 + 3 * i))]}
    agent=${ports[$((3 + 3 * i))]}
    "$binary" serve --listen "127.0.0.1:$http" --audiosocket "127.0.0.1:$caller" --audiosocket-agent "127.0.0.1:$agent" \
      --bus "nats://127.0.0.1:$nats_port" --instance-id "instance-$i" --out "$dir/calls-$i" --quiet ${TONEWATCH_SERVE_ARGS:-} \
      > "$dir/logs/instance-$i.out" 2> "$dir/logs/instance-$i.log" &
    pid=$!
    echo "instance-$i $pid $http" >> "$dir/pids"
    servers+=("$i,$http,$caller,$agent")
  done
  for ((i = 1; i <= count; i++)); do
    read -r _ pid http < <(grep "^instance-$i " "$dir/pids")
    wait_for_port "$http" "instance $i" "$pid" || failed_start
  done

  write_haproxy_config "$front_http" "$front_caller" "$front_agent" "${servers[@]}"
  "$haproxy" -f "$dir/haproxy.cfg" -db > "$dir/logs/haproxy.log" 2>&1 &
  pid=$!
  echo "haproxy $pid" >> "$dir/pids"
  wait_for_port "$front_http" haproxy "$pid" || failed_start

  echo "front end http://127.0.0.1:$front_http (/twilio, /stream, /audiohook, the dashboard), AudioSocket callers 127.0.0.1:$front_caller, agents 127.0.0.1:$front_agent"
  echo "bus nats://127.0.0.1:$nats_port"
  while read -r name pid http; do
    [[ "$name" == instance-* ]] || continue
    echo "instance ${name#instance-} http://127.0.0.1:$http pid $pid"
  done < "$dir/pids"
  echo "state, logs and calls in $dir; stop with: $0 stop"
  trap - ERR INT TERM
}

stop() {
  if [[ ! -f "$dir/pids" ]]; then
    echo "$0: no fleet started from $dir" >&2
    exit 0
  fi
  # HAProxy first (no new calls), then the instances (SIGTERM: each finishes its calls and
  # sends what waits for the bus), the bus last.
  local name pid rest
  for group in haproxy instance nats; do
    local -a pids=()
    while read -r name pid rest; do
      [[ "$name" == "$group"* ]] || continue
      # Only a process that is still what was started (a pid may have been reused since).
      local program=${group/instance/tonewatch}
      [[ "$program" == nats ]] && program=nats-server
      grep -qa -- "$program" "/proc/$pid/cmdline" 2> /dev/null || continue
      if kill -0 "$pid" 2> /dev/null; then
        kill -TERM "$pid"
        pids+=("$pid")
      fi
    done < "$dir/pids"
    for pid in "${pids[@]}"; do
      for _ in $(seq 1 600); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2> /dev/null && kill -KILL "$pid" 2> /dev/null || true
    done
  done
  rm -f "$dir/pids"
  echo "stopped; logs and calls stay in $dir"
}

status() {
  if [[ ! -f "$dir/pids" ]]; then
    echo "no fleet started from $dir"
    return
  fi
  local name pid rest
  while read -r name pid rest; do
    if kill -0 "$pid" 2> /dev/null; then echo "$name pid $pid running"; else echo "$name pid $pid not running"; fi
  done < "$dir/pids"
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  stop) stop ;;
  status) status ;;
  bus-stop) bus_stop ;;
  bus-start) bus_start ;;
  *) usage ;;
esac
