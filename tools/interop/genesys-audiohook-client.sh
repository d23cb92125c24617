#!/usr/bin/env bash
# Runs Genesys' own AudioHook client (the sample client of
# github.com/purecloudlabs/audiohook-reference-implementation, `client/`) against a
# real `tonewatch serve`: a call of 10 s (the client's tone), the example call streamed
# whole from its WAV file, a call the server pauses for 10 s (TW_INTEROP_PAUSE_S) and
# resumes, and a connection probe. Each must end on the client's side with `closed`
# in state CLOSING and close code 1000; the 10 s call is written with its 10 s, the
# example call with analyze's events, the paused call with its pause as paused time
# (nothing lost, no dead air), and the probe as no call. About 3 min.
#
#   tools/interop/genesys-audiohook-client.sh CLIENT_DIR [TONEWATCH_BINARY]
#
# CLIENT_DIR: that repository's client/ folder with its packages installed:
#   cd client && rm package-lock.json && npm install   (its lock file names a private registry)
#   ln -s "$PWD/node_modules" ../node_modules          (app/audiohook resolves its imports there)
# The client is not on npm and is read, never copied, here; the test suite runs this
# script when TW_AUDIOHOOK_CLIENT_DIR names such a folder, and skips it (exit 77) when not.
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
client=${1:-${TW_AUDIOHOOK_CLIENT_DIR:-}}
if [[ -z $client ]]; then
  echo "skipped: no Genesys AudioHook client (set TW_AUDIOHOOK_CLIENT_DIR; see $0 --help)"
  exit 77
fi
[[ -f $client/src/index.ts && -d $client/node_modules ]] || { echo "$client: no client/src/index.ts with node_modules" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
tonewatch=$(realpath "${2:-$repo/build/tonewatch}")
for tool in npx script jq curl; do command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 2; }; done

work=$(mktemp -d /tmp/tw-genesys.XXXXXX)
tw_pid=""
trap '[[ -n $tw_pid ]] && kill "$tw_pid" 2> /dev/null; wait 2> /dev/null || true' EXIT
fail() { echo "FAIL: $*" >&2; echo "(everything is in $work)" >&2; exit 1; }
key=key-1 secret=c2VjcmV0LXNlY3JldC1zZWNyZXQ=  # base64 of "secret-secret-secret"
"$tonewatch" serve --listen 127.0.0.1:0 --audiohook-key "$key:$secret" --out "$work/out" --quiet 2> "$work/serve.log" &
tw_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/serve.log" 2> /dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/serve.log" | head -1)
[[ -n $port ]] || fail "tonewatch serve did not start: $(cat "$work/serve.log")"

# The client reads keys from a terminal: script(1) gives it one.
pause_s=${TW_INTEROP_PAUSE_S:-10}
run_client() {  # run_client LOG ARGS...: one client run, its output in LOG
  local log=$1
  shift
  # Its stdin must be a terminal (it reads keys); its output goes straight to LOG, not
  # through script(1), which can lose the last lines when the client exits.
  (cd "$client" && timeout $((pause_s + 200)) script -qec "npx ts-node src/index.ts --uri ws://127.0.0.1:$port/audiohook \
    --api-key $key --client-secret $secret $* > '$log' 2>&1" /dev/null) > /dev/null 2>&1 || true
  sed -i 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log"  # its colours
}
clean_close() {  # clean_close LOG WHAT: the client saw `closed` while closing, then code 1000
  grep -q "onClosedMessage - Session closed (state: CLOSING)" "$1" || fail "$2: no closed reply seen by the client"
  grep -q "Websocket close - Code: 1000" "$1" || fail "$2: the client's close code is not 1000"
  ! grep -qi "unexpectedly\|error" "$1" || fail "$2: the client reports: $(grep -i -m3 'unexpectedly\|error' "$1")"
}

run_client "$work/call.log" --max-stream-duration PT10S
clean_close "$work/call.log" "the call"
summary=$(ls "$work"/out/*.summary.json 2> /dev/null | head -1 || true)
for _ in $(seq 50); do [[ -n $summary ]] && break; sleep 0.2; summary=$(ls "$work"/out/*.summary.json 2> /dev/null | head -1 || true); done
[[ -n $summary ]] || fail "the call was not written"
jq -e '.duration_s > 9.9 and .duration_s < 10.1' "$summary" > /dev/null || fail "the call lasted $(jq .duration_s "$summary") s, not 10"
jq -e '.input.overflowed_frames == 0 and .input.lost_frames == 0' "$summary" > /dev/null || fail "frames lost: $(jq -c .input "$summary")"
echo "call: closed cleanly on the client's side, $(jq .duration_s "$summary") s written"

# The example call, whole, streamed by the client in real time (80 s): its events
# must be analyze's.
run_client "$work/example.log" --wavfile "$repo/examples/example_call.wav"
clean_close "$work/example.log" "the example call"
for _ in $(seq 50); do [[ $(ls "$work"/out/*.summary.json | wc -l) -ge 2 ]] && break; sleep 0.2; done
example=$(ls -t "$work"/out/*.summary.json | head -1)
[[ $example != "$summary" ]] || fail "the example call was not written"
"$tonewatch" analyze "$repo/examples/example_call.wav" --out "$work/batch" > /dev/null 2>&1
echo "example call, events batch | live:"
"$repo/tools/interop/same-events.sh" "$work/batch/example_call.events.jsonl" "${example%.summary.json}.events.jsonl" ||
  fail "the example call's events differ from analyze's"

# A pause the server asks for (POST /api/calls/{call}/pause, then /resume): the
# client's tone source keeps its clock through it, so the stream is PAUSE_S + 20 s
# long with PAUSE_S of it paused. TW_INTEROP_PAUSE_S: 10 by default; 600 for the
# ten-minute hold of issue 21 (then the run takes 11 min).
run_client "$work/pause.log" --max-stream-duration "PT$((pause_s + 20))S" &
client_pid=$!
call=""
for _ in $(seq 100); do
  call=$(curl -fs "http://127.0.0.1:$port/api/calls" | jq -r '.calls[0].call // empty')
  [[ -n $call ]] && break
  sleep 0.1
done
[[ -n $call ]] || fail "the pause call never showed in /api/calls"
sleep 5
curl -fs -X POST "http://127.0.0.1:$port/api/calls/$call/pause?user=interop" > /dev/null || fail "pause refused"
sleep "$pause_s"
curl -fs -X POST "http://127.0.0.1:$port/api/calls/$call/resume?user=interop" > /dev/null || fail "resume refused"
wait "$client_pid"
clean_close "$work/pause.log" "the paused call"
grep -q "onPauseMessage - Pausing media source" "$work/pause.log" || fail "the client did not pause"
grep -q "onResumeMessage - Resuming media source" "$work/pause.log" || fail "the client did not resume"
for _ in $(seq 50); do [[ -f $work/out/$call.summary.json ]] && break; sleep 0.2; done
paused=$work/out/$call.summary.json
[[ -f $paused ]] || fail "the paused call was not written"
jq -e --argjson t $((pause_s + 20)) '.duration_s > $t - 0.2 and .duration_s < $t + 0.2' "$paused" > /dev/null ||
  fail "the paused call lasted $(jq .duration_s "$paused") s, not $((pause_s + 20))"
# The client declares the pause on its own clock, a 20 ms Node timer that runs a little
# late (598.0 s declared for a 600 s pause, 2026-12-05): within 0.3 s + 0.5 %.
jq -e --argjson p "$pause_s" '(.gaps.paused_s - $p | fabs) <= 0.3 + 0.005 * $p and .gaps.lost_s == 0' "$paused" > /dev/null ||
  fail "paused $(jq -c .gaps "$paused"), not ${pause_s} s"
jq -e '.input.overflowed_frames == 0' "$paused" > /dev/null || fail "frames dropped: $(jq -c .input "$paused")"
! jq -e --argjson p "$pause_s" 'select(.type == "dead_air" and .time_s > 5.5 and .time_s < 5 + $p)' \
  "$work/out/$call.events.jsonl" > /dev/null || fail "dead air inside the pause"
echo "pause: $(jq .gaps.paused_s "$paused") s paused in a $(jq .duration_s "$paused") s call, closed cleanly, nothing lost"

calls_before=$(ls "$work"/out/*.summary.json | wc -l)
run_client "$work/probe.log" --connection-probe
clean_close "$work/probe.log" "the connection probe"
sleep 1
[[ $(ls "$work"/out/*.summary.json | wc -l) -eq $calls_before ]] || fail "the probe was written as a call"
echo "probe: closed cleanly on the client's side, no call written"
! grep -q "1002\|protocol error" "$work/serve.log" || fail "the server logged: $(grep -m2 '1002\|protocol error' "$work/serve.log")"
echo "PASS: Genesys' AudioHook client completes a call, the example call, a server pause of ${pause_s} s and a probe against tonewatch serve"
