#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get) and builds tonewatch.
#   tools/build.sh                      release build in build/
#   tools/build.sh --tests              ... with what the test suite needs installed too
#   tools/build.sh --tests --sanitize   ASan + UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
deps=()
for option in "$@"; do
  case "$option" in
    --tests) deps+=(--tests) ;;
    --bench) deps+=(--bench) ;;
    --sanitize)
      build_dir=build-sanitize
      # -O1 -g1: what the sanitizers' own docs suggest for usable speed, with line
      # tables for the reports; meant to shorten CI's longest build (not yet timed).
      # No benchmarks: no test runs them, and the release build already compiles them.
      cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DTW_SANITIZE=ON
                  -DTW_BUILD_BENCHMARKS=OFF) ;;
    *)
      echo "usage: $0 [--tests] [--bench] [--sanitize]" >&2
      exit 2 ;;
  esac
done

tools/install-deps.sh "${deps[@]}"
cmake -S . -B "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j"$(nproc)"
