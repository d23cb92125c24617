#!/usr/bin/env bash
# Writes the seed corpus of fuzz_audio_file: 0.3 s of a voiced, two-tone signal
# in every encoding tonewatch reads (needs sox: tools/install-deps.sh --tests),
# and the deep and large seeds of the JSON targets (at the end).
#   fuzz/make_corpus.sh           both
#   fuzz/make_corpus.sh --json    the JSON seeds only (no sox needed)
# Raw seeds start with the format byte fuzz_audio_file.cpp reads (bits 0-3 the
# encoding, 9+ big-endian; bit 4 stereo at 16 kHz).
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" != --json ]]; then
out=corpus/fuzz_audio_file
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The source: a 180 Hz voice-like complex with a 2nd and 3rd harmonic, caller left, agent right.
sox -n -r 8000 -c 2 -b 16 "$tmp/voice.wav" synth 0.3 sine 180 sine 120 remix 1 2 gain -6
sox "$tmp/voice.wav" "$tmp/mono.wav" remix 1

wav() {  # name, sox output options...
  local name=$1; shift
  sox "$tmp/voice.wav" "$@" "$out/$name"
}
wav wav_u8.wav -e unsigned-integer -b 8
wav wav_s16_stereo.wav -e signed-integer -b 16
wav wav_s24.wav -e signed-integer -b 24
wav wav_s32.wav -e signed-integer -b 32
wav wav_float32.wav -e floating-point -b 32
wav wav_float64.wav -e floating-point -b 64
wav wav_ulaw.wav -e u-law
wav wav_alaw.wav -e a-law
wav wav_s16_16k.wav -r 16000
# (0.1 s at the high rates: the largest seed sets libFuzzer's input size limit)
sox "$tmp/voice.wav" -r 44100 "$out/wav_s16_44k1.wav" trim 0 0.1
sox "$tmp/voice.wav" -r 48000 "$out/wav_s16_48k.wav" trim 0 0.1
wav flac_16.flac -b 16
wav flac_24_16k.flac -b 24 -r 16000
wav aiff_s16.aiff -b 16
wav au_ulaw.au -e u-law
sox "$tmp/mono.wav" -e signed-integer -b 16 "$out/wav_s16_mono.wav"

# A float WAV with a NaN and an infinity in it (the samples the guard replaces):
# sox writes a 58-byte header, so samples start at byte 58 + 4k.
cp "$out/wav_float32.wav" "$out/wav_float32_nan.wav"
printf '\x00\x00\xc0\x7f' | dd of="$out/wav_float32_nan.wav" bs=1 seek=402 conv=notrunc status=none
printf '\x00\x00\x80\x7f' | dd of="$out/wav_float32_nan.wav" bs=1 seek=806 conv=notrunc status=none

# Raw: one format byte, then the samples.
raw() {  # format byte (hex), source, sox encoding options...
  local byte=$1 source=$2; shift 2
  { printf "\\x$byte"; sox "$tmp/$source" -t raw "$@" -; } > "$out/raw_$byte.raw"
}
raw 00 mono.wav -e signed-integer -b 8
raw 01 mono.wav -e unsigned-integer -b 8
raw 02 mono.wav -e signed-integer -b 16 -L
raw 03 mono.wav -e signed-integer -b 24 -L
raw 04 mono.wav -e signed-integer -b 32 -L
raw 05 mono.wav -e floating-point -b 32 -L
raw 06 mono.wav -e floating-point -b 64 -L
raw 07 mono.wav -e u-law
raw 08 mono.wav -e a-law
raw 0b mono.wav -e signed-integer -b 16 -B
raw 0e mono.wav -e floating-point -b 32 -B
raw 12 voice.wav -e signed-integer -b 16 -L -r 16000
ls "$out" | wc -l
fi

# The JSON targets' deep and large seeds (issue 22): the message that crashed
# serve — metadata nesting 100,000 arrays, 200 KB — and valid messages of about
# 200 KB (thousands of keys). tools/run-fuzzers.sh gives these targets a
# -max_len of 256 KiB so that mutations of them stay in reach.
repeat() {  # character, count
  head -c "$2" /dev/zero | tr '\0' "$1"
}
many_keys() {  # count: "k0":"vvvv...", "k1":... (each 40 characters of value)
  local i
  for ((i = 0; i < $1; i++)); do
    ((i > 0)) && printf ','
    printf '"k%d":"%s"' "$i" vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv
  done
}
deep() {  # n nested empty arrays
  repeat '[' "$1"
  repeat ']' "$1"
}
rs=$'\x1e'
audiohook_open() {  # customConfig value
  printf '{"version":"2","id":"e160e428-53e2-487c-977d-96989bf5c99d","type":"open","seq":1,"serverseq":0,"position":"PT0S","parameters":{"organizationId":"d7934305-0972-4844-938e-9060eef73d05","conversationId":"090eaa2f-72fa-480a-83e0-8667ff89c0ec","participant":{"id":"883efee8-3d6c-4537-b500-6d7ca4b92fa0"},"media":[{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}],"language":"en-US","customConfig":%s}}' "$1"
}
twilio_start() {  # customParameters value
  printf '{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound","outbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":%s},"streamSid":"MZ1"}' "$1"
}
for target in fuzz_generic_stream fuzz_twilio fuzz_audiohook fuzz_json_scan; do
  rm -f "corpus/$target/deep_100000" "corpus/$target/large_200k"
done
printf '{"call_id":"c","sample_rate":8000,"x":%s}' "$(deep 100000)" > corpus/fuzz_generic_stream/deep_100000
{ printf '{"call_id":"c","sample_rate":8000,"channels":2,%s}%s' "$(many_keys 4000)" "$rs"; repeat 'A' 320; } \
  > corpus/fuzz_generic_stream/large_200k
cp corpus/fuzz_generic_stream/deep_100000 corpus/fuzz_json_scan/deep_100000
printf '{%s}' "$(many_keys 4000)" > corpus/fuzz_json_scan/large_200k
twilio_start "{\"x\":$(deep 100000)}" > corpus/fuzz_twilio/deep_100000
twilio_start "{$(many_keys 4000)}" > corpus/fuzz_twilio/large_200k
audiohook_open "{\"x\":$(deep 100000)}" > corpus/fuzz_audiohook/deep_100000
audiohook_open "{$(many_keys 4000)}" > corpus/fuzz_audiohook/large_200k
