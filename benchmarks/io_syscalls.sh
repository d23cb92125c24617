#!/usr/bin/env bash
# What `tonewatch serve`'s network thread does per WebSocket message under load: its
# CPU (user and kernel) beside the workers', and its system calls, counted by the
# kernel's syscall tracepoints (perf stat; root, or kernel.perf_event_paranoid <= 1).
#
#   benchmarks/io_syscalls.sh [BUILD] [CALLS] [SECONDS]      (defaults: build 600 40)
#   SERVE_ARGS="--io-threads 2" benchmarks/io_syscalls.sh    (extra serve options)
#
# serve_load streams CALLS Twilio calls (both tracks in one socket write per 20 ms,
# 100 messages per call-second); the counts are taken over 10 s in the middle of the
# run, the CPU over 15 s. "EAGAIN" reads are the ones that found the socket empty:
# Asio tries a read before it waits for the socket (a speculative read).
set -euo pipefail

build=${1:-build}
calls=${2:-600}
seconds=${3:-40}
tonewatch=$build/tonewatch
load=$build/benchmarks/serve_load
for f in "$tonewatch" "$load"; do
  [[ -x $f ]] || { echo "io_syscalls.sh: $f not built (cmake --build $build)" >&2; exit 2; }
done
command -v perf > /dev/null || { echo "io_syscalls.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
(( seconds >= 30 )) || { echo "io_syscalls.sh: SECONDS must be at least 30 (10 s ramp, 15 s measured)" >&2; exit 2; }

work=$(mktemp -d)
cleanup() {
  for p in ${loader:-} ${server:-}; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086  # SERVE_ARGS is a list of options
"$tonewatch" serve --listen "127.0.0.1:$port" --out "$work/calls" --quiet --max-calls 0 ${SERVE_ARGS:-} 2> "$work/serve.log" &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
"$load" --port "$port" --calls "$calls" --seconds "$seconds" --server-pid "$server" --json "$work/load.json" > "$work/load.log" 2>&1 &
loader=$!
sleep $(( seconds / 2 - 5 ))

hz=$(getconf CLK_TCK)
# user and system clock ticks of each thread, summed by thread name
cpu_by_name() {
  for task in /proc/"$server"/task/*; do
    awk '{ sub(/^[^(]*\(/, ""); name = $0; sub(/\).*/, "", name); sub(/^[^)]*\) /, ""); print name, $12, $13 }' "$task/stat"
  done | awk '{ u[$1] += $2; s[$1] += $3 } END { for (k in u) print k, u[k], s[k] }' | sort
}
cpu_by_name > "$work/cpu0"
io=$(grep -lx tw-io /proc/"$server"/task/*/comm | head -1 | cut -d/ -f5)
[[ -n $io ]] || { echo "io_syscalls.sh: serve has no tw-io thread" >&2; exit 1; }
perf stat -x, -t "$io" -e syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_sendmsg \
  -- sleep 10 2> "$work/enter.csv"
perf stat -x, -t "$io" -e syscalls:sys_exit_recvmsg --filter 'ret == -11' -- sleep 5 2> "$work/eagain.csv"
cpu_by_name > "$work/cpu1"
wait "$loader" || echo "io_syscalls.sh: serve_load exited $? (see its log below)" >&2
loader=
kill -TERM "$server"
wait "$server" || true
server=

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; kernel $(uname -r)"
echo "serve ${SERVE_ARGS:-} with $calls Twilio calls (100 messages per call-second), CPU over 15 s in the steady state:"
join "$work/cpu0" "$work/cpu1" | awk -v hz="$hz" '($4 - $2) + ($5 - $3) > 0 {
  printf "  %-13s user %.3f cores, kernel %.3f cores\n", $1, ($4 - $2) / hz / 15, ($5 - $3) / hz / 15 }'
python3 - "$work/enter.csv" "$work/eagain.csv" "$work/load.json" "$calls" <<'EOF'
import json, sys
def counts(path, seconds):
    out = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 2 and f[2].startswith("syscalls:") and f[0].isdigit():
            out[f[2].split(":")[1]] = int(f[0]) / seconds
    return out
enter = counts(sys.argv[1], 10.0)
eagain = counts(sys.argv[2], 5.0).get("sys_exit_recvmsg", 0.0)
load = json.load(open(sys.argv[3]))
messages = load["connected"] * 100.0
recv = enter.get("sys_enter_recvmsg", 0.0)
print(f"network thread, per second: recvmsg {recv:,.0f} (found nothing: {eagain:,.0f}), "
      f"epoll_wait {enter.get('sys_enter_epoll_wait', 0):,.0f}, sendmsg {enter.get('sys_enter_sendmsg', 0):,.0f}")
print(f"per message ({load['connected']} calls connected, {messages:,.0f} messages a second): "
      f"recvmsg {recv / messages:.2f}, of them empty {eagain / messages:.2f}")
p99 = load["alert_latency_ms"]["p99"]
print(f"alert latency p99 {p99:.1f} ms; server CPU {load['server_cpu_ms_per_call_second']:.3f} ms per call-second")
EOF
