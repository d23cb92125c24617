#!/usr/bin/env bash
# The README's hand measurement of live capture: the example call played by paplay into
# a PulseAudio null sink of a private server (own HOME, runtime dir and socket), and
# captured from its monitor by `tonewatch live` under /usr/bin/time -v. Needs the
# --tests packages of tools/install-deps.sh and a build (build/tonewatch).
# Results: $D/out/live.err (time -v, the summary table) and $D/out/tap.summary.json.
set -u
cd "$(dirname "$0")/.."
D=${TMPDIR:-/tmp}/tw-live-measure; TW=$PWD/build/tonewatch; CALL=$PWD/examples/example_call.wav
rm -rf $D/run $D/out; mkdir -p $D/run $D/out
cat > $D/tw.pa <<PA
load-module module-native-protocol-unix auth-anonymous=1 socket=$D/native
load-module module-null-sink sink_name=tw_tap rate=8000 channels=2
PA
printf 'pcm.tw_tap { type pulse; device "tw_tap.monitor" }\n' > $D/.asoundrc
export HOME=$D XDG_RUNTIME_DIR=$D/run PULSE_RUNTIME_PATH=$D/run PULSE_SERVER=unix:$D/native JACK_DEFAULT_SERVER=none
pulseaudio -n -F $D/tw.pa --daemonize=no --exit-idle-time=-1 --use-pid-file=no 2>$D/pulse.log &
PA_PID=$!
for i in $(seq 100); do [ -S $D/native ] && break; sleep 0.1; done; sleep 1
$TW devices
/usr/bin/time -v $TW live --device tw_tap --out $D/out --call-id tap --record $D/out/tap.wav > $D/out/events.jsonl 2> $D/out/live.err &
LIVE_PID=$!
sleep 2
paplay --device=tw_tap $CALL
sleep 1
TW_PID=$(pgrep -P $LIVE_PID); kill -INT $TW_PID; wait $LIVE_PID; echo "live exit $?"
kill $PA_PID; wait $PA_PID 2>/dev/null
