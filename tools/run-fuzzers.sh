#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang-14, ASan + UBSan, build-fuzz/) and
# runs each for SECONDS (default 60) from its seed corpus fuzz/corpus/<name>/.
#   tools/run-fuzzers.sh [SECONDS]
# New inputs go to build-fuzz/corpus/<name>/ (the committed seeds are not
# touched); a crash is saved in build-fuzz/artifacts/<name>/ and the script
# exits non-zero. Each run's libFuzzer log is build-fuzz/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

tools/install-deps.sh --fuzz
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
      -DTW_FUZZ=ON -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCHMARKS=OFF
targets=()
for source in fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp)"); done
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

status=0
for target in "${targets[@]}"; do
  name=${target#fuzz_}
  mkdir -p "build-fuzz/corpus/$name" "build-fuzz/artifacts/$name"
  echo "== $target: ${seconds} s"
  if ! "build-fuzz/fuzz/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/artifacts/$name/" "build-fuzz/corpus/$name" "fuzz/corpus/$name" \
        > "build-fuzz/$target.log" 2>&1; then
    status=1
    echo "$target FOUND A PROBLEM (build-fuzz/$target.log, build-fuzz/artifacts/$name/):"
  fi
  grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|ERROR|SUMMARY" \
       "build-fuzz/$target.log" || tail -n 20 "build-fuzz/$target.log"
done
exit $status
