#!/usr/bin/env bash
# Runs the Asterisk AudioSocket recipe of docs/live-ingest.md, exactly as written
# there, against a real Asterisk and a real `tonewatch serve`, and checks what
# tonewatch made of the call against `tonewatch analyze` of the same audio.
#
#   tools/interop/asterisk-recipe.sh ASTERISK_PREFIX [TONEWATCH_BINARY]
#
# ASTERISK_PREFIX: an Asterisk install (tools/interop/build-asterisk.sh makes one).
# TONEWATCH_BINARY: default build/tonewatch.
#
# The call: the example call's two voices played by two Local channels, as the
# caller's and the agent's phones, bridged by Dial as a PBX bridges a call. Once the
# agent answers, the recipe's Gosub(tonewatch-start,...) forks each party's voice
# (ChanSpy option o) to tonewatch over AudioSocket. The dialplan fragment is cut
# from the docs' recipe block, so what is documented is what ran.
#
# Passes when: one call with both legs paired by UUID; each party's voice on its own
# leg (no channels_identical warning, each voice's median pitch within 3 Hz of
# analyze's); the events those of analyze within 0.5 s; each hangup logged as a
# hangup, not a lost connection. Takes about 90 s
# (the call plays in real time).
set -euo pipefail
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(cd "$1" && pwd)
tonewatch=$(realpath "${2:-$repo/build/tonewatch}")
asterisk=$prefix/sbin/asterisk
[[ -x $asterisk ]] || { echo "no Asterisk at $asterisk" >&2; exit 2; }
[[ -x $tonewatch ]] || { echo "no tonewatch at $tonewatch (tools/build.sh)" >&2; exit 2; }
for tool in jq sox; do command -v $tool > /dev/null || { echo "needs $tool: tools/install-deps.sh --asterisk" >&2; exit 2; }; done

work=$(mktemp -d /tmp/tw-asterisk.XXXXXX)
ast_pid="" tw_pid=""
cleanup() {
  [[ -n $ast_pid ]] && kill "$ast_pid" 2> /dev/null || true
  [[ -n $tw_pid ]] && kill "$tw_pid" 2> /dev/null || true
  wait 2> /dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "(everything is in $work)" >&2; exit 1; }
echo "working in $work"

# The two voices, as the phones play them (Asterisk's wav: 8 kHz 16-bit mono).
sox "$repo/examples/example_call.wav" -b 16 -e signed-integer "$work/caller.wav" remix 1
sox "$repo/examples/example_call.wav" -b 16 -e signed-integer "$work/agent.wav" remix 2

# The recipe as documented: the first ``` block after its heading, the tonewatch
# host being this machine.
recipe=$(awk '/^## Asterisk \(AudioSocket\) recipe/{inside=1} inside && /^```/{n++; next} inside && n==1{print}' \
  "$repo/docs/live-ingest.md")
[[ -n $recipe ]] || fail "no recipe block found in docs/live-ingest.md"
printf '%s\n' "$recipe" | sed 's/tonewatch-host/127.0.0.1/g' > "$work/recipe.conf"
serve_line=$(grep -m1 '^; tonewatch serve ' "$work/recipe.conf" | sed 's/^; //')
[[ -n $serve_line ]] || fail "the recipe does not say how to start tonewatch serve"

mkdir -p "$work"/{etc,run,log,spool,lib,out}
cat > "$work/etc/asterisk.conf" << CONF
[directories]
astetcdir => $work/etc
astmoddir => $prefix/lib/asterisk/modules
astvarlibdir => $work/lib
astdbdir => $work/lib
astkeydir => $work/lib
astdatadir => $prefix/var/lib/asterisk
astagidir => $work/lib
astspooldir => $work/spool
astrundir => $work/run
astlogdir => $work/log
[options]
verbose = 3
CONF
cat > "$work/etc/modules.conf" << CONF
[modules]
autoload = no
$(for m in pbx_config app_audiosocket app_chanspy app_originate app_stack app_dial app_playback chan_audiosocket \
  res_audiosocket func_shell func_channel format_wav codec_ulaw codec_resample bridge_simple bridge_softmix res_clioriginate res_speech res_agi res_timing_timerfd; do
  echo "load = $m.so"; done)
CONF
printf '[general]\n[logfiles]\nmessages.log => notice,warning,error,verbose\n' > "$work/etc/logger.conf"
cat > "$work/etc/extensions.conf" << CONF
[general]
[globals]

; The call: the caller's phone (Local ;2 plays the caller's voice), the PBX's caller
; channel (;1, which hears it) dialling the agent, whose phone plays the agent's voice.
[callsim]
exten => callerphone,1,Answer()
 same => n,Playback($work/caller)
 same => n,Hangup()
exten => pbx,1,Set(__TW_CALLER_CHANNEL=\${CHANNEL})
 same => n,Dial(Local/agentphone@callsim/n,,U(tw-answered))
 same => n,Hangup()
exten => agentphone,1,Answer()
 same => n,Playback($work/agent)
 same => n,Hangup()

; Run on the agent's channel when it answers: the recipe's Gosub, with both channels.
[tw-answered]
exten => s,1,Gosub(tonewatch-start,s,1(\${TW_CALLER_CHANNEL},\${CHANNEL}))
 same => n,Return()

$(cat "$work/recipe.conf")
CONF

# tonewatch serve as the recipe says, on this machine's loopback.
read -r -a serve_args <<< "$(sed 's/0\.0\.0\.0/127.0.0.1/g; s/^tonewatch //' <<< "$serve_line")"
"$tonewatch" "${serve_args[@]}" --listen 127.0.0.1:0 --out "$work/out" --quiet 2> "$work/serve.log" &
tw_pid=$!
for _ in $(seq 50); do grep -q "listening" "$work/serve.log" 2> /dev/null && break; sleep 0.1; done

"$asterisk" -C "$work/etc/asterisk.conf" -f -n > "$work/asterisk.out" 2>&1 &
ast_pid=$!
for _ in $(seq 100); do
  "$asterisk" -C "$work/etc/asterisk.conf" -rx "core waitfullybooted" > /dev/null 2>&1 && break
  sleep 0.2
done
for m in chan_audiosocket app_chanspy app_originate app_stack func_shell; do
  "$asterisk" -C "$work/etc/asterisk.conf" -rx "module show like $m" | grep -q "$m" || fail "Asterisk did not load $m"
done
echo "Asterisk $("$asterisk" -V | sed 's/Asterisk //') up; placing the call (79 s, real time)"
"$asterisk" -C "$work/etc/asterisk.conf" -rx "channel originate Local/callerphone@callsim/n extension pbx@callsim"

# The call ends when both parties have hung up and tonewatch has written it.
for _ in $(seq 240); do
  summary=$(ls "$work"/out/*.summary.json 2> /dev/null | head -1 || true)
  [[ -n $summary ]] && break
  sleep 0.5
done
[[ -n $summary ]] || fail "tonewatch wrote no call in 120 s (serve.log, asterisk.out)"
sleep 1
call=$(basename "$summary" .summary.json)
echo "call $call written; analysing the same audio in batch"
"$tonewatch" analyze "$repo/examples/example_call.wav" --out "$work/batch" > /dev/null 2>&1
batch=$work/batch/example_call

# Both legs in one call, each carrying its own party.
[[ $(ls "$work"/out/*.summary.json | wc -l) -eq 1 ]] || fail "more than one call: the legs did not pair"
jq -e '[.speakers[].role] | sort == ["agent", "caller"]' "$summary" > /dev/null || fail "not both parties in $summary"
jq -e '[.warnings[] | select(test("identical"))] | length == 0' "$summary" > /dev/null ||
  fail "the two legs carry the same audio: $(jq -c .warnings "$summary")"
for role in caller agent; do
  live=$(jq -r --arg r $role '.speakers[] | select(.role == $r) | .f0_median_hz' "$summary")
  ref=$(jq -r --arg r $role '.speakers[] | select(.role == $r) | .f0_median_hz' "$batch.summary.json")
  awk -v a="$live" -v b="$ref" 'BEGIN { exit !(a - b < 3 && b - a < 3) }' ||
    fail "$role's median pitch $live Hz live against $ref Hz in batch: not that party's voice"
  echo "  $role: median pitch $live Hz live, $ref Hz in batch"
done
# Every event of batch the same in live, in order, each within 0.5 s.
echo "events, batch | live:"
"$repo/tools/interop/same-events.sh" "$batch.events.jsonl" "$work/out/$call.events.jsonl" ||
  fail "the live call's events differ from analyze's"
# Hangups: both parties hang up as the audio ends (so the call ends with them, and
# nobody left early: no party_left event); each leg's end is logged as a hangup,
# never as a lost connection; the log's call duration is the summary's.
[[ $(grep -c "stream for call $call .* ended (stop: hangup" "$work/serve.log") -eq 2 ]] ||
  fail "two hangups expected in the server's log: $(grep "ended (" "$work/serve.log")"
! grep -q "connection_lost" "$work/serve.log" || fail "a hangup was logged as a lost connection: $(grep connection_lost "$work/serve.log")"
logged=$(sed -n "s/.*call $call ended: duration_s=\([0-9.]*\).*/\1/p" "$work/serve.log")
[[ $logged == $(jq -r '.duration_s | tostring' "$summary" | awk '{printf "%.2f", $1}') ]] ||
  fail "the log says duration_s=$logged, the summary $(jq .duration_s "$summary")"
echo "PASS: the documented Asterisk recipe ran as written (Asterisk $("$asterisk" -V | sed 's/Asterisk //'))"
