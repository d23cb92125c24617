#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang-14, ASan + UBSan, build-fuzz/) and
# runs each for a bounded time, starting from its committed seed corpus
# fuzz/corpus/<target>/.
#   tools/run-fuzzers.sh [SECONDS [TARGET...]]     (default: 60 s, every fuzz/fuzz_*.cpp)
# New inputs the fuzzer finds go to build-fuzz/corpus/<target>/ (not committed);
# a crash leaves build-fuzz/artifacts/<target>/crash-* and makes the script fail.
# Each run's libFuzzer log is build-fuzz/<target>.log. Runs nproc targets side by side
# (TW_FUZZ_JOBS=N to change).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if [[ ! "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS [TARGET...]]" >&2
  exit 2
fi
[[ $# -gt 0 ]] && shift
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for source in fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp)"); done
fi

tools/install-deps.sh --fuzz
build=build-fuzz
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DTW_FUZZ=ON \
  -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCHMARKS=OFF > "$build/configure.log"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# One fuzzer per core at a time (TW_FUZZ_JOBS to change): libFuzzer runs on one
# thread, so one after the other left the other core idle for half of CI's
# fuzzing time. Each target still gets its SECONDS of a whole core.
parallel=${TW_FUZZ_JOBS:-$(nproc)}
rm -f "$build"/*.failed

fuzz_one() {
  local target=$1
  local corpus="$build/corpus/$target"
  local artifacts="$build/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  # Protocol messages of a few KiB reach most code paths; audio files need
  # their own length (the seeds are 0.3 s of every encoding), so libFuzzer's
  # default (the longest seed) stays for them. The JSON targets get 256 KiB:
  # nesting deeper than the 32-level limit, and the 100,000 levels that crashed
  # serve (issue 22, 200 KB), are out of reach at 8 KiB; their corpora hold a
  # deep and a large seed (fuzz/make_corpus.sh).
  local max_len=(-max_len=8192)
  case "$target" in
    fuzz_audio_file) max_len=() ;;
    fuzz_generic_stream | fuzz_audiohook | fuzz_twilio | fuzz_json_scan) max_len=(-max_len=262144) ;;
  esac
  local report="== $target: ${seconds} s"$'\n'
  if ! "$build/fuzz/$target" -max_total_time="$seconds" "${max_len[@]}" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" "fuzz/corpus/$target" \
       > "$build/$target.log" 2>&1; then
    report+="   FAILED: see $build/$target.log and $artifacts"$'\n'
    touch "$build/$target.failed"
  fi
  report+=$(grep -E "stat::number_of_executed_units|stat::peak_rss_mb|^SUMMARY|ERROR" "$build/$target.log" | tail -4 | sed "s/^/   /" || true)
  # One write per target, so reports of fuzzers running side by side do not interleave.
  printf '%s\n' "$report"
}

for target in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  fuzz_one "$target" &
done
wait

status=0
for target in "${targets[@]}"; do
  [[ -e "$build/$target.failed" ]] && { echo "FAILED: $target" >&2; status=1; }
done
exit $status
