#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang-14, ASan + UBSan) and runs each for
# a bounded time, starting from the committed seed corpus.
#   tools/run-fuzzers.sh SECONDS [TARGET...]
# New inputs the fuzzer finds go to build-fuzz/corpus/<target>/ (not committed);
# a crash leaves build-fuzz/artifacts/<target>/crash-* and makes the script fail.
# Needs: tools/install-deps.sh --fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(fuzz_twilio fuzz_audiosocket fuzz_generic_stream fuzz_audiohook fuzz_http_signature fuzz_json_scan fuzz_base64)
fi

build=build-fuzz
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DTW_FUZZ=ON \
  -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCHMARKS=OFF > "$build.configure.log"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  artifacts="$build/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  echo "== $target: ${seconds}s"
  # -max_len: adapter messages of a few KiB cover every code path; the seeds are shorter.
  if ! "$build/fuzz/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" "fuzz/corpus/$target" \
       > "$build/$target.log" 2>&1; then
    echo "   FAILED: see $build/$target.log and $artifacts"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$build/$target.log" | tail -3 | sed "s/^/   /" || true
done
exit $status
