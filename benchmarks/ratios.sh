#!/usr/bin/env bash
# Issue 28's four targets, each a ratio of two figures measured in this one run on
# this machine (so that a slow day cannot turn one red, nor a fast day hide a
# regression), with the machine and its speed (fft_ns) named:
#   1. per hop: the stereo call's whole feature set in KissFFT-320 units per
#      channel-hop (tw_bench, in memory)                                  target <= 1.6
#   2. against the peer: tonewatch's whole feature set over aubio's yinfft pitch
#      tracker alone, x-realtime of whole processes on the same long 8 kHz file
#      (compare_aubio.sh)                                                target >= 2.0
#   3. live against batch on the same audio (the example call): the live workers'
#      CPU per call-second (serve_load, threads tw-worker) and the whole server's,
#      over batch's end to end from the file (tw_bench file, right before and right
#      after that live run: the guest's speed drifts)        targets <= 1.3 and <= 2.0
#   4. alert latency p99 at the number of calls that fills 70 % of the cores (the
#      server and the load generator beside it), found by serve_load runs, each one's
#      CPU per call-second giving the next count (then a line through the last two
#      runs), until one uses 65-75 % (at most four runs; else the closest is taken);
#      3. is measured in that run                                  target <= 100 ms
#      (from the packet that completes the decision's audio: a second is judged once the
#      40 ms after it have come; the latency from the moment itself is printed beside)
# Usage: benchmarks/ratios.sh [BUILD] [--aubio-minutes M] [--serve-seconds S] [--calibration-calls N]
#   BUILD                 a build with --bench (default: build)
#   --aubio-minutes M     the long file for compare_aubio.sh (default 20)
#   --serve-seconds S     each serve_load run (default 60)
#   --calibration-calls N the first serve_load run's calls (default 300)
# Besides the table, two lines that say where the live ratios come from: the server's
# kernel time (the sockets' receive path), and, with valgrind, the instructions of the
# live and batch paths on one call (the live path's own overhead, which the host's
# speed cannot move).
# Needs aubio-tools, curl, python3 and valgrind (tools/install-deps.sh --bench). Prints
# one table; exit 0 when all targets are met, 1 otherwise.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=build
aubio_minutes=20
serve_seconds=60
calibration_calls=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    --aubio-minutes) aubio_minutes=$2; shift 2 ;;
    --serve-seconds) serve_seconds=$2; shift 2 ;;
    --calibration-calls) calibration_calls=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ratios.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
build=$(cd "$build" && pwd)
for f in "$build/tonewatch" "$build/benchmarks/tw_bench" "$build/benchmarks/serve_load"; do
  [[ -x $f ]] || { echo "ratios.sh: $f not built (tools/build.sh --bench)" >&2; exit 2; }
done
command -v aubiopitch > /dev/null || { echo "ratios.sh: aubiopitch missing (tools/install-deps.sh --bench)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%FT%TZ);" \
     "commit $(git -C "$repo" rev-parse --short HEAD 2> /dev/null || echo '?'); load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "1/5 tw_bench --runs 3 --minutes 5 ..." >&2
"$build/benchmarks/tw_bench" --runs 3 --minutes 5 --json "$work/tw_bench.json" --quiet > "$work/tw_bench.txt"

echo "2/5 compare_aubio.sh --runs 3 --minutes $aubio_minutes --no-16k ..." >&2
"$repo/benchmarks/compare_aubio.sh" --build "$build" --runs 3 --minutes "$aubio_minutes" --no-16k > "$work/aubio.txt"

# The calls that fill 70 % of the cores: CPU per call grows with the number of calls
# (their state competes for the caches), so the count is found by steps, each run's
# own CPU per call-second giving the next count, until a run lands within 65-75 %.
# The cores are filled by the server and by the load generator that shares them here
# (about a fifth of the cores at these counts); a deployed server has the machine to
# itself, so at 70 % of its cores it has 30 % to spare. Counting the server alone put
# the machine at 86-89 % (2026-12-07), where queueing, not the server, sets the latency tail.
next_count() {  # next_count JSON...: prints "<next count> <fraction of the cores the last run used>"
  python3 - "$(nproc)" "$@" <<'EOF'
import json, math, sys
cores = int(sys.argv[1])
runs = []
for path in sys.argv[2:]:
    d = json.load(open(path))
    per_call_ms = d["server_cpu_ms_per_call_second"] + d["generator_cpu_cores"] * 1000.0 / d["calls"]
    runs.append((d["calls"], per_call_ms * d["calls"] / 1000.0 / cores))
n, used = runs[-1]
nxt = math.floor(0.7 * n / used)  # as if the CPU per call stayed what this run saw
if len(runs) >= 2:
    # Through the last two runs: the CPU per call grows with the calls (their state
    # competes for the caches), so a straight line through two runs lands closer.
    (n0, u0), (n1, u1) = runs[-2], runs[-1]
    if n1 != n0 and (u1 - u0) / (n1 - n0) > 0:
        nxt = math.floor(n1 + (0.7 - u1) * (n1 - n0) / (u1 - u0))
nxt = min(max(nxt, n // 2, 1), 2 * n)
print(nxt, f"{used:.3f}")
EOF
}
n=$calibration_calls
fill=""
runs=()     # each run's JSON, in order
best=""     # the run closest to 70 %, if none lands within 65-75 %
best_off=""
for step in 1 2 3 4; do
  echo "3/5 serve_load with $n calls for $serve_seconds s (step $step towards 70 % of the cores) ..." >&2
  # Batch on the same audio right before and right after the live run: the guest's
  # speed drifts by up to half within minutes, and live, which walks hundreds of
  # calls' state, feels a busy host more than the hot-cache reference transform that
  # would otherwise correct for it; the live figures are compared with these.
  "$build/benchmarks/tw_bench" --quiet --runs 5 --json "$work/batch-before-$n.json" file "$repo/examples/example_call.wav" > /dev/null
  (cd "$work" && "$repo/benchmarks/serve_load.sh" "$build" "$serve_seconds" "$n" >> serve.txt) &
  serve_pid=$!
  # Batch sampled during the live run too: from 16 s (every call started, as serve_load's
  # steady window) to 3 s before its end, one small tw_bench every 3 s (about 3 % of a
  # core). It feels the host's speed of those very minutes, and the live server's traffic
  # through the caches, where the bracket before and after sees a quiet machine. Shown
  # beside the verdicts, which keep to the bracket.
  (
    started=$SECONDS k=0
    sleep 16
    while kill -0 "$serve_pid" 2> /dev/null && (( SECONDS - started < serve_seconds - 3 )); do
      "$build/benchmarks/tw_bench" --quiet --runs 2 --warmup 1 --json "$work/batch-during-$n-$k.json" \
        file "$repo/examples/example_call.wav" > /dev/null 2>&1 || true
      k=$((k + 1))
      sleep 3
    done
  ) &
  sampler_pid=$!
  wait "$serve_pid"
  wait "$sampler_pid" || true
  "$build/benchmarks/tw_bench" --quiet --runs 5 --json "$work/batch-after-$n.json" file "$repo/examples/example_call.wav" > /dev/null
  runs+=("$work/serve-load-$n.json")
  read -r next used < <(next_count "${runs[@]}")
  p99=$(python3 -c "import json; print(round(json.load(open('$work/serve-load-$n.json'))['alert_latency_ms']['p99']))")
  echo "   $n calls used $(python3 -c "print(f'{100*$used:.0f}')") % of the cores; alert latency p99 $p99 ms" >&2
  if python3 -c "import sys; sys.exit(0 if 0.65 <= $used <= 0.75 else 1)"; then fill=$n; break; fi
  off=$(python3 -c "print(abs($used - 0.7))")
  if [[ -z $best ]] || python3 -c "import sys; sys.exit(0 if $off < $best_off else 1)"; then best=$n; best_off=$off; fi
  # A count already run (the steps can come back to one) is not run again.
  [[ -f $work/serve-load-$next.json ]] && break
  n=$next
done
[[ -n $fill ]] || fill=$best  # the run closest to 70 %, which says how far off it is
# The live path's own overhead, free of the host's swings: instructions (callgrind) of a
# worker's pumps of one call in 200 ms blocks (serve's default) against batch's analysis
# of the same call-seconds, both in one worker_bench run. What the timed ratio adds to
# this is how the server runs on the cores it shares (docs/performance.md, "What is left
# of the live ratios": less the workers' fixed polling, a live call costs the same at
# 100 calls as at 700, so it is not the number of calls' state).
if command -v valgrind > /dev/null; then
  echo "4/5 instructions of the live and batch paths (callgrind, worker_bench) ..." >&2
  valgrind --tool=callgrind --callgrind-out-file="$work/worker.callgrind" \
    "$build/benchmarks/worker_bench" --calls 1 --seconds 30 --pump-every 10 > /dev/null 2>&1 &&
    callgrind_annotate --inclusive=yes --tree=caller "$work/worker.callgrind" > "$work/worker.tree" 2> /dev/null ||
    echo "ratios.sh: the callgrind run of worker_bench failed; no instruction ratio" >&2
fi
echo "5/5 the ratios ..." >&2

python3 - "$work" "$fill" "$(nproc)" <<'EOF'
import glob, json, re, statistics, sys
work, fill, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tb = json.load(open(f"{work}/tw_bench.json"))
units = tb["targets"]["kissfft_units_per_channel_hop"]
fft_ns = tb["kissfft"][0]["ns_per_call_cpu"]["median"]
batch = next(p for p in tb["pipelines"] if p["call"].startswith("example") and p["path"] == "file")
batch_ms = 1000.0 / batch["call_xrt_cpu"]["median"]  # CPU ms per call-second, end to end from the file

aubio = None
for line in open(f"{work}/aubio.txt"):
    m = re.match(r"^(\S+min\S*)\s+([\d.]+)x", line)  # the long file's row of the ratio table: "vs yinfft" first
    if m:
        aubio = float(m.group(2))

def live(n):
    d = json.load(open(f"{work}/serve-load-{n}.json"))
    workers = d.get("server_cpu_cores_by_thread", {}).get("tw-worker", float("nan")) * 1000.0 / d["calls"]
    return d, workers, d["server_cpu_ms_per_call_second"]

full, workers, server = live(fill)
generator = full.get("generator_cpu_cores", float("nan")) / cores
server_share = server * fill / 1000.0 / cores
used = server_share + generator  # the cores' fill, as the steps found it
p99 = full["alert_latency_ms"]["p99"]
# Batch's CPU per call-second on the example end to end from its file, measured right
# before and right after that live run (the mean of the two medians): the live ratios
# compare work done in the same minutes. (Before 2026-12-06 they were put in KissFFT
# units of each side's own run, minutes apart; on a host whose speed halved between
# them that gave 2.2x where the bracketed figure was far lower.)
def batch_ms_in(path):  # a `tw_bench file` run's CPU ms per call-second
    f = next(p for p in json.load(open(path))["pipelines"] if p["path"] == "file")
    return 1000.0 / f["call_xrt_cpu"]["median"]
bracket = [batch_ms_in(f"{work}/{name}-{fill}.json") for name in ("batch-before", "batch-after")]
live_batch_ms = sum(bracket) / 2.0
speed = batch_ms / live_batch_ms  # as the 5-minute run saw it, over the bracket's
during = []
for path in sorted(glob.glob(f"{work}/batch-during-{fill}-*.json")):
    try:
        during.append(batch_ms_in(path))
    except (OSError, ValueError, KeyError, StopIteration):
        pass
serve_fft_ns = full.get("reference_kiss_fftr_320_ns") or fft_ns
rows = [
    ("whole feature set, KissFFT-320 units per channel-hop", units, "<=", 1.6),
    ("tonewatch over aubio yinfft, long 8 kHz file", aubio, ">=", 2.0),
    (f"live workers over batch, CPU per call-second ({fill} calls)", workers / live_batch_ms, "<=", 1.3),
    (f"whole server over batch, CPU per call-second ({fill} calls)", server / live_batch_ms, "<=", 2.0),
    (f"alert latency p99 ms at {fill} calls ({100 * used:.0f} % of the cores)", p99, "<=", 100.0),
]
print(f"fft_ns {fft_ns:.0f} (one 320-point kiss_fftr, tw_bench); serve_load's own before its run: {serve_fft_ns:.0f}")
print(f"batch: {batch_ms:.3f} ms CPU per call-second in the 5-minute tw_bench run (the example end to end "
      f"from its file); {bracket[0]:.3f} right before and {bracket[1]:.3f} right after the live run at {fill} calls, "
      f"where the workers took {workers:.3f} and the whole server {server:.3f} ms (the host ran "
      f"{speed:.2f}x as fast then as during the 5-minute run)")
if during:
    during_ms = statistics.median(during)
    print(f"batch sampled during the live run ({len(during)} runs, {min(during):.3f}-{max(during):.3f}): median "
          f"{during_ms:.3f} ms per call-second; against it the workers are {workers / during_ms:.2f}x and the whole "
          f"server {server / during_ms:.2f}x batch")
print(f"of the cores, the server took {100 * server_share:.0f} % and the load generator {100 * generator:.0f} % "
      f"during the serve run")
moment = full.get("alert_latency_from_moment_ms")
if moment:
    lookahead = full["alert_latency_ms"].get("lookahead_ms", float("nan"))
    print(f"alert latency counts from the packet that completes the decision's audio, {lookahead:.0f} ms past the "
          f"moment judged; from the moment itself p50 {moment['p50']:.0f} ms, p99 {moment['p99']:.0f} ms")
# The kernel's part of the server (system time of its threads, the sockets' receive path
# nearly all of it): what the server would cost with its own network code free. Shown
# beside the ratios so that a reader sees how much of "whole server" is not ours to cut.
# From worker_bench's call tree: the pumps' inclusive instructions, and batch's (the
# CallSession::process calls that main makes itself, beside those the live writer makes).
try:
    pump = batch_ir = None
    lines = open(f"{work}/worker.tree").read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+\*\s+\S*tw::server::LiveCall::pump\(", line)
        if m:
            pump = int(m.group(1).replace(",", ""))
        if re.match(r"^\s*[\d,]+ \([^)]*\)\s+\*\s+\S*tw::pipeline::CallSession::process\(", line):
            for caller in lines[max(0, i - 8):i]:
                c = re.match(r"^\s*([\d,]+) \([^)]*\)\s+<\s+\S*:main \(", caller)
                if c:
                    batch_ir = int(c.group(1).replace(",", ""))
    if pump and batch_ir:
        print(f"instructions (callgrind, worker_bench, one call, 200 ms blocks): the worker's pumps {pump / 1e6:.1f} M "
              f"against batch's {batch_ir / 1e6:.1f} M for the same 30 call-seconds, {pump / batch_ir:.2f}x")
except OSError:
    pass  # no valgrind: the line is left out
kernel = full.get("server_kernel_cpu_cores_by_thread")
if kernel:
    kernel_ms = sum(kernel.values()) * 1000.0 / fill
    io = full.get("server_cpu_cores_by_thread", {}).get("tw-io", float("nan")) * 1000.0 / fill
    io_kernel = kernel.get("tw-io", float("nan")) * 1000.0 / fill
    print(f"the network thread took {io:.3f} ms per call-second, {io_kernel:.3f} of it in the kernel; the server's "
          f"kernel time alone is {kernel_ms:.3f} ms, {kernel_ms / live_batch_ms:.2f}x batch")
print(f"{'ratio':64} {'value':>8}  target   verdict")
met_all = True
for name, value, op, target in rows:
    ok = value is not None and value == value and (value <= target if op == "<=" else value >= target)
    met_all &= ok
    shown = "n/a" if value is None else f"{value:8.2f}"
    print(f"{name:64} {shown:>8}  {op} {target:<5}  {'met' if ok else 'NOT MET'}")
sys.exit(0 if met_all else 1)
EOF
