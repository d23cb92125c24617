#!/usr/bin/env bash
# Writes the seed corpus of fuzz_audio_file: 0.3 s of a voiced, two-tone signal
# in every encoding tonewatch reads (needs sox: tools/install-deps.sh --tests).
#   fuzz/make_corpus.sh
# Raw seeds start with the format byte fuzz_audio_file.cpp reads (bits 0-3 the
# encoding, 9+ big-endian; bit 4 stereo at 16 kHz).
set -euo pipefail
cd "$(dirname "$0")"
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
