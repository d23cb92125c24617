#!/usr/bin/env bash
# Live capacity of `tonewatch serve` for rising numbers of concurrent calls.
#   benchmarks/serve_load.sh [BUILD_DIR] [SECONDS] [N...]      (default: build 60 100 200 400 700 1000)
# For each N: a fresh `tonewatch serve` on a free loopback port, then
# build/benchmarks/serve_load with N Twilio both-track calls at real-time pace
# for SECONDS (calls start over the first 10 s); the server and the load
# generator share this machine, as the target says. One table on stdout, each
# run's JSON in serve-load-N.json in the current folder, and the machine named.
# SERVE_ARGS adds options to each `tonewatch serve`, e.g. SERVE_ARGS="--io-threads 2".
# PROTOCOLS="twilio siprec" runs each N with Twilio calls, then with SIPREC calls (SIPp
# sets up the sessions with tests/siprec/scenarios/siprec_media_call.xml, serve_load sends
# each one's two PCMU RTP streams), side by side in one table (default: twilio). Each
# run's JSON: serve-load-N.json (Twilio), serve-load-siprec-N.json (SIPREC).
# PROTOCOLS="twilio twilio-bus": Twilio calls, then the same with the instance on the fleet's
# bus (a nats-server -js of its own, `--bus`: every event to JetStream, the calls message and
# heartbeat each second, the fleet subscriber), for the bus's cost per call-second (docs/fleet.md);
# a line after each twilio-bus run gives what went through the NATS server per call-second
# (its own /varz counts: messages and bytes in from the instance, out to subscribers).
# io_cores and work_cores: CPU cores of the network thread(s) and of the workers
# together over the steady window (the server's threads are named tw-io, tw-worker).
# fft_ns: the machine's speed just before the run, CPU ns of one 320-point KissFFT
# real transform (tw_bench's "KissFFT reference" unit), to compare runs across days.
set -euo pipefail

build=${1:-build}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))
counts=("$@")
[[ ${#counts[@]} -eq 0 ]] && counts=(100 200 400 700 1000)
tonewatch=$build/tonewatch
load=$build/benchmarks/serve_load
for f in "$tonewatch" "$load"; do
  [[ -x $f ]] || { echo "serve_load.sh: $f not built (cmake --build $build)" >&2; exit 2; }
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
echo "kernel: $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %6s %9s %9s %10s %10s %9s %9s %9s %12s %8s %8s %10s %7s\n' protocol calls connected lag_p50 lag_p99 alert_p50 \
  alert_p99 "KiB/call" "heap/call" "cpu_ms/call-s" dropped net_cores work_cores fft_ns

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for n in "${counts[@]}"; do
for protocol in ${PROTOCOLS:-twilio}; do
  port=$(free_port)
  json="serve-load-$n.json"
  ingest=() load_args=()
  if [[ $protocol == siprec ]]; then
    sip_port=$(free_port)
    json="serve-load-siprec-$n.json"
    # Four RTP/RTCP ports per call: a range for 2,500 calls.
    ingest=(--siprec "127.0.0.1:$sip_port" --rtp-ports 20000-29999)
    load_args=(--siprec-port "$sip_port" --serve-log "$out/serve-$protocol-$n.log")
  elif [[ $protocol == twilio-bus ]]; then
    nats_port=$(free_port)
    monitor_port=$(free_port)
    json="serve-load-bus-$n.json"
    nats=$(command -v nats-server || echo /usr/sbin/nats-server)
    "$nats" -js -a 127.0.0.1 -p "$nats_port" -m "$monitor_port" -sd "$out/nats-$n" > "$out/nats-$n.log" 2>&1 &
    nats_pid=$!
    nats_started=$SECONDS
    for _ in $(seq 50); do (exec 3<> "/dev/tcp/127.0.0.1/$nats_port") 2> /dev/null && break; sleep 0.1; done
    ingest=(--bus "nats://127.0.0.1:$nats_port" --instance-id bench)
    load_args=(--protocol-label twilio-bus)
  elif [[ $protocol != twilio ]]; then
    echo "serve_load.sh: PROTOCOLS: '$protocol' is not twilio, twilio-bus or siprec" >&2
    exit 2
  fi
  "$tonewatch" serve --listen "127.0.0.1:$port" --out "$out/calls-$protocol-$n" --quiet --max-calls 0 "${ingest[@]}" ${SERVE_ARGS:-} \
    2> "$out/serve-$protocol-$n.log" &
  server=$!
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
    sleep 0.1
  done
  "$load" --port "$port" --calls "$n" --seconds "$seconds" --server-pid "$server" --json "$json" "${load_args[@]}" \
    > "$out/load-$protocol-$n.log" 2>&1 || echo "serve_load exited $? for $protocol N=$n (see $json)" >&2
  varz=""
  if [[ $protocol == twilio-bus ]]; then
    varz="$out/varz-$n.json"
    curl -fs "http://127.0.0.1:$monitor_port/varz" > "$varz" || varz=""
    # nats-server's own CPU over its life (it shares this machine's cores with the instance).
    nats_cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$nats_pid/stat")
    nats_life_s=$(( SECONDS - nats_started ))
  fi
  kill -TERM "$server"
  wait "$server" || true
  if [[ $protocol == twilio-bus ]]; then
    kill -TERM "$nats_pid"
    wait "$nats_pid" || true
  fi
  python3 - "$json" "$varz" "$seconds" "${nats_cpu_s:-0}" "${nats_life_s:-1}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
dropped = sum(v for v in d["dropped_frames"].values()) + sum(d.get("rtp", {}).values())
threads = d.get("server_cpu_cores_by_thread", {})  # CPU cores by thread name: the network thread(s), the workers (together)
# The network side: tw-io (HTTP/WebSocket), and for SIPREC tw-rtp (RTP), tw-sip (libre) and tw-siprec.
net = sum(v for k, v in threads.items() if k in ("tw-io", "tw-rtp", "tw-sip", "tw-siprec"))
ms = lambda v: float("nan") if v is None else v  # no sample (JSON null): printed as nan, not a crash
print(f'{d.get("protocol", "twilio"):10s} {d["calls"]:6d} {d["connected"]:9d} {ms(d["analysis_lag_ms"]["p50"]):7.1f}ms {ms(d["analysis_lag_ms"]["p99"]):8.1f}ms '
      f'{ms(d["alert_latency_ms"]["p50"]):8.1f}ms {ms(d["alert_latency_ms"]["p99"]):7.1f}ms {d["memory_kib_per_call"]:9.0f} '
      f'{d["heap_kib_per_call"]:9.0f} {d["server_cpu_ms_per_call_second"]:12.2f} {dropped:8.0f} '
      f'{net:8.2f} {threads.get("tw-worker", float("nan")):10.2f} '
      f'{ms(d.get("reference_kiss_fftr_320_ns")):7.0f}')
if sys.argv[2]:
    # Everything through the bus during the run (startup and the ramp included), per call-second of load.
    v = json.load(open(sys.argv[2]))
    call_s = d["connected"] * float(sys.argv[3])
    print(f'{"":10s} bus per call-second: in {v["in_msgs"] / call_s:.2f} msgs {v["in_bytes"] / call_s:.0f} B, '
          f'out {v["out_msgs"] / call_s:.2f} msgs {v["out_bytes"] / call_s:.0f} B ({d["connected"]} calls x {sys.argv[3]} s); '
          f'nats-server itself {float(sys.argv[4]) / max(1.0, float(sys.argv[5])):.3f} cores')
EOF
done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
