#!/usr/bin/env bash
# Times aubio's pitch trackers (aubiopitch, from Debian's aubio-tools; GPL, run
# here, never copied) and tonewatch's whole per-hop feature set on the same mono
# files, on the same machine, in one run, and prints the x-realtime ratio.
#
# Files: the example call's caller channel as a mono 16-bit WAV at 8 kHz, the
# same channel repeated to a long call (default 60 minutes), and both at 16 kHz.
# Geometry matches tonewatch: 10 ms hop, 40 ms buffer (-H 80 -B 320 at 8 kHz,
# -H 160 -B 640 at 16 kHz).
#
# Both tools are timed the same way: the whole process, output discarded, by
# bash's `time` (wall, user, sys); one warm-up run of each command, then N rounds
# in which every command runs once (so drift in the machine's speed hits all of
# them alike); the median over the rounds is reported. x-realtime = audio seconds / (user + sys) CPU seconds, which is what
# a core does when it is not shared; wall figures are printed too. Process
# timing includes start-up, file decoding and, for aubiopitch, printing one line
# per hop; the long file makes start-up negligible. tonewatch's process is
# `tw_bench file F --once` (open, decode, resample if needed, CallAnalyzer with
# pitch, loudness, VAD, syllables, vocal effort, window summaries); its
# in-process figures (`tw_bench file F`) are listed as well.
#
# Usage: benchmarks/compare_aubio.sh [--build DIR] [--runs N] [--minutes M] [--work DIR] [--no-16k] [--keep]
#   --build DIR   build tree holding benchmarks/tw_bench (default: build-bench next to this checkout)
#   --runs N      timed runs per figure, after one warm-up (default 5)
#   --minutes M   length of the long file (default 60)
#   --work DIR    where the WAVs go (default: a temporary directory, removed at the end)
#   --no-16k      skip the 16 kHz files
#   --keep        keep the temporary directory
# TW_BENCH_COMMIT, when set, names the commit in the report (for a tree without .git).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$repo/build-bench"
runs=5
minutes=60
work=""
with_16k=1
keep=0

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "compare_aubio.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    --work) work=${2:?--work needs a directory}; shift 2 ;;
    --no-16k) with_16k=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive whole number, got '$runs'"

command -v aubiopitch >/dev/null 2>&1 ||
  die "aubiopitch not found: install it with 'apt-get install -y aubio-tools' (the comparison needs it)"
tw_bench="$build/benchmarks/tw_bench"
[ -x "$tw_bench" ] || die "$tw_bench not found: build it with
  cmake -S '$repo' -B '$build' -DCMAKE_BUILD_TYPE=Release && cmake --build '$build' -j2 --target tw_bench"

if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/tw_compare_aubio.XXXXXX")
  [ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
else
  mkdir -p "$work"
fi

# --- machine and versions
echo "tonewatch vs aubio, pitch on one channel"
echo "date      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tonewatch ${TW_BENCH_COMMIT:-$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)} ($tw_bench)"
echo "aubio     aubio-tools $(dpkg-query -W -f='${Version}' aubio-tools 2>/dev/null || echo '(version unknown)'), $(command -v aubiopitch)"
echo "timing    1 warm-up, then $runs rounds running every command once, median; x-RT = audio s / (user + sys) CPU s"
echo

# --- input files (the caller channel = channel 0 in the default layout)
echo "making the mono files in $work ..."
"$tw_bench" mono-wav --out "$work/caller_8k.wav" >/dev/null
"$tw_bench" mono-wav --out "$work/caller_${minutes}min_8k.wav" --minutes "$minutes" >/dev/null
if [ "$with_16k" = 1 ]; then
  "$tw_bench" mono-wav --out "$work/caller_16k.wav" --rate 16000 >/dev/null
  "$tw_bench" mono-wav --out "$work/caller_${minutes}min_16k.wav" --rate 16000 --minutes "$minutes" >/dev/null
fi

# Seconds of audio in a file, from tonewatch's own decoder (one quick run).
seconds_of() {
  "$tw_bench" file "$1" --runs 1 --warmup 0 --quiet | awk '/^result path=memory/ { for (i = 1; i <= NF; ++i) if ($i ~ /^audio_s=/) { sub("audio_s=", "", $i); print $i } }'
}

# Times one run of a command (a string made with printf %q), output discarded;
# prints "wall cpu" where cpu = user + sys of the process.
time_once() {
  local t
  t=$( { TIMEFORMAT='%3R %3U %3S'; time eval "$1" >/dev/null 2>&1; } 2>&1 ) || die "command failed: $1"
  awk '{ print $1, $2 + $3 }' <<<"$t"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

results="$work/results.tsv"
: >"$results"
# record LABEL FILE SECONDS WALL CPU: prints a table row and keeps it (tab-separated) for the ratios.
record() {
  printf "%s\t%s\t%s\t%s\t%s\n" "$1" "$(basename "$2")" "$3" "$4" "$5" >>"$results"
  awk -v label="$1" -v file="$(basename "$2")" -v s="$3" -v wall="$4" -v cpu="$5" 'BEGIN {
    printf "%-46s %-26s %9.2f %9.3f %9.3f %10.0f %10.0f\n", label, file, s, wall, cpu, s / cpu, s / wall
  }'
}
header() {
  printf "%-46s %-26s %9s %9s %9s %10s %10s\n" "tool" "file" "audio s" "wall s" "cpu s" "x-RT cpu" "x-RT wall"
}

# compare_file FILE RATE BUFFER HOP [yin]: times the trackers and tonewatch on FILE
# (plain YIN, O(buffer^2) per hop, only when asked: it takes minutes on a long 16 kHz file).
compare_file() {
  local file=$1 rate=$2 buffer=$3 hop=$4 with_yin=${5:-}
  local seconds
  seconds=$(seconds_of "$file")
  [ -n "$seconds" ] || die "could not read $file with tw_bench"
  local -a labels=() commands=()
  add() { labels+=("$1"); shift; commands+=("$(printf '%q ' "$@")"); }
  add "aubiopitch -p yinfft -B $buffer -H $hop" aubiopitch -i "$file" -r "$rate" -B "$buffer" -H "$hop" -p yinfft
  add "aubiopitch -p yinfast -B $buffer -H $hop" aubiopitch -i "$file" -r "$rate" -B "$buffer" -H "$hop" -p yinfast
  [ "$with_yin" = yin ] && add "aubiopitch -p yin -B $buffer -H $hop" aubiopitch -i "$file" -r "$rate" -B "$buffer" -H "$hop" -p yin
  add "tonewatch all features (tw_bench file --once)" "$tw_bench" file "$file" --once
  # One warm-up each, then rounds in which every command runs once: interleaving
  # spreads any drift in the machine's speed over all commands alike.
  local i round samples="$work/samples.tsv"
  : >"$samples"
  for i in "${!commands[@]}"; do time_once "${commands[$i]}" >/dev/null; done
  for ((round = 0; round < runs; ++round)); do
    for i in "${!commands[@]}"; do echo "$i $(time_once "${commands[$i]}")" >>"$samples"; done
  done
  for i in "${!commands[@]}"; do
    record "${labels[$i]}" "$file" "$seconds" "$(awk -v i="$i" '$1 == i { print $2 }' "$samples" | median)" \
      "$(awk -v i="$i" '$1 == i { print $3 }' "$samples" | median)"
  done
  # In-process figures: CPU time of the analysis thread alone, from the file and from memory.
  local line
  while read -r line; do
    local path cpu wall
    path=$(sed -n 's/.*path=\([a-z_]*\).*/\1/p' <<<"$line")
    cpu=$(sed -n 's/.* call_xrt_cpu=\([0-9.]*\).*/\1/p' <<<"$line")
    wall=$(sed -n 's/.* call_xrt_wall=\([0-9.]*\).*/\1/p' <<<"$line")
    [ "$path" = memory ] && path="decoded to memory" || path="from the file"
    record "tonewatch in-process, $path" "$file" "$seconds" \
      "$(awk -v s="$seconds" -v x="$wall" 'BEGIN { print s / x }')" "$(awk -v s="$seconds" -v x="$cpu" 'BEGIN { print s / x }')"
  done < <("$tw_bench" file "$file" --runs "$runs" --warmup 1 --quiet | grep '^result ')
}

echo
header
compare_file "$work/caller_8k.wav" 8000 320 80 yin
compare_file "$work/caller_${minutes}min_8k.wav" 8000 320 80 yin
if [ "$with_16k" = 1 ]; then
  compare_file "$work/caller_16k.wav" 16000 640 160 yin
  compare_file "$work/caller_${minutes}min_16k.wav" 16000 640 160
fi

# --- ratios: tonewatch (whole feature set) over aubio (pitch only), same file, same method.
echo
echo "ratio = tonewatch x-RT / aubio x-RT (CPU), whole processes timed the same way on the same file"
awk -F'\t' '
  { xrt = $3 / $5 }
  $1 ~ /^aubiopitch -p yinfft/  { yinfft[$2] = xrt }
  $1 ~ /^aubiopitch -p yinfast/ { yinfast[$2] = xrt }
  $1 ~ /^aubiopitch -p yin -/   { yin[$2] = xrt }
  $1 ~ /^tonewatch all features/ { tw[$2] = xrt; order[++n] = $2 }
  $1 == "tonewatch in-process, from the file" { inproc[$2] = xrt }
  END {
    printf "%-26s %12s %12s %12s %22s\n", "file", "vs yinfft", "vs yinfast", "vs yin", "in-process vs yinfft"
    for (i = 1; i <= n; ++i) {
      k = order[i]
      vs_yin = (k in yin) ? sprintf("%11.2fx", tw[k] / yin[k]) : sprintf("%12s", "-")
      printf "%-26s %11.2fx %11.2fx %s %21.2fx\n", k, tw[k] / yinfft[k], tw[k] / yinfast[k], vs_yin, inproc[k] / yinfft[k]
    }
  }' "$results"
echo
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$keep" = 1 ] && echo "files kept in $work"
exit 0
