#!/usr/bin/env bash
# Installs the dependencies (Debian 12, apt-get) and builds tonewatch.
#   tools/build.sh                      the release binary, build/tonewatch (nothing else is compiled)
#   tools/build.sh --tests              ... and the test suite with the tools it drives (then: ctest --test-dir build)
#   tools/build.sh --bench              ... and the benchmarks (benchmarks/README.md)
#   tools/build.sh --tests --sanitize   ASan + UBSan build of the suite in build-sanitize/
#   tools/build.sh --deb                the Debian package, build-deb/tonewatch_<version>_<arch>.deb (CPack)
# Options combine (--tests --bench builds both). The build goes through ccache when it
# is installed (install-deps installs it): a rebuild of the same tree, in any folder, is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
# The plain build (README command 1: a new user's first run) compiles each library as
# a few unity files (CMake's UNITY_BUILD, eight sources in each): the same headers
# are parsed once per eight files instead of once per file, which halves a cold build
# on two cores (145 s against 280-300 s for the binary). Every other build compiles
# file by file: fast to rebuild after an edit, and cached by ccache across clones
# (a unity file names its sources by absolute path, so another clone's never hits).
unity=ON
deps=()
# The binary, and its man pages, completion and serve.conf (generated from its --help),
# and the Python package (build/python/tonewatch: PYTHONPATH=build/python python3 -c 'import tonewatch').
targets=(tonewatch tonewatch_docs tw_python)
deb=0
for option in "$@"; do
  case "$option" in
    --tests) deps+=(--tests); cmake_args+=(-DTW_BUILD_TESTS=ON); targets=(all); unity=OFF ;;
    --bench) deps+=(--bench); cmake_args+=(-DTW_BUILD_BENCHMARKS=ON); targets=(all); unity=OFF ;;
    --deb) deb=1; deps+=(--deb); build_dir=build-deb; cmake_args+=(-DCMAKE_INSTALL_PREFIX=/usr); unity=OFF ;;
    --sanitize)
      build_dir=build-sanitize
      unity=OFF
      deps+=(--fuzz)  # clang-14 and its sanitizer runtimes
      # -O1 -g1: what the sanitizers' own docs suggest for usable speed, with line
      # tables for the reports. No benchmarks: no test runs them. clang-14, as the fuzz
      # build uses: it compiles this tree's sanitized objects in about 60 % of g++ 12's
      # time (measured on dashboard_feed.cpp, test_cli.cpp and http_server.cpp: 18 / 14 /
      # 276 s of CPU against 28 / 24 / 353 s), and the sanitized build is CI's longest.
      cmake_args+=(-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo
                   "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DTW_SANITIZE=ON -DTW_BUILD_BENCHMARKS=OFF) ;;
    -h|--help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *)
      echo "usage: $0 [--tests] [--bench] [--sanitize] [--deb] (--help for what each builds)" >&2
      exit 2 ;;
  esac
done

step_start=$SECONDS
tools/install-deps.sh "${deps[@]}"
echo "build.sh: dependencies ready in $((SECONDS - step_start)) s" >&2
step_start=$SECONDS
# The package installs under /usr (its own folder, build-deb/); cmake --install of
# build/ under /usr/local, as CMake's default has it.
cmake -S . -B "$build_dir" "${cmake_args[@]}" -DCMAKE_UNITY_BUILD="$unity"
if [[ "${targets[*]}" == all ]]; then
  cmake --build "$build_dir" -j"$(nproc)"
else
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"
fi
if [[ -f "$build_dir/python/tonewatch/__init__.py" ]]; then
  # From the clone's root, `python3 -c 'import tonewatch'` finds build/'s package through
  # ./tonewatch (Python looks in the current folder first); anywhere else, PYTHONPATH.
  if [[ "$build_dir" == build && ( ! -e tonewatch || -L tonewatch ) ]]; then ln -sfn build/python/tonewatch tonewatch; fi
  echo "build.sh: the Python package is in $build_dir/python (from here: python3 -c 'import tonewatch';" \
       "elsewhere PYTHONPATH=$PWD/$build_dir/python)" >&2
fi
if [[ $deb -eq 1 ]]; then
  (cd "$build_dir" && cpack -G DEB)
fi
echo "build.sh: built in $((SECONDS - step_start)) s ($build_dir/)" >&2
