#!/usr/bin/env bash
# Installs what tonewatch needs on Debian 12, with apt-get. Idempotent.
#   tools/install-deps.sh            to build and run tonewatch
#   tools/install-deps.sh --tests    ... and to run the test suite (sox, ffmpeg, Chromium)
#   tools/install-deps.sh --bench    ... and the benchmark's reference (aubio-tools)
#   tools/install-deps.sh --fuzz     ... and clang-14 with libFuzzer (tools/run-fuzzers.sh)
#   tools/install-deps.sh --deb      ... and what CPack needs for the Debian package
#   tools/install-deps.sh --asterisk ... and what building Asterisk needs (tools/interop)
#   tools/install-deps.sh --fleet    ... and NATS and HAProxy for deploy/local-fleet.sh
# Run as root (or with sudo).
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config
  # compiler cache: CI rebuilds in a fresh clone what the session built (see CMakeLists.txt)
  ccache
  # required libraries
  portaudio19-dev libkissfft-dev libeigen3-dev catch2
  # ALSA and JACK headers: only to keep their device-probing chatter off stderr
  # when PortAudio starts (tonewatch devices / live); PortAudio pulls them in anyway
  libasound2-dev libjack-jackd2-dev
  # decoding, resampling, JSON, CLI parsing
  libsndfile1-dev libsoxr-dev nlohmann-json3-dev libcli11-dev
  # SIPREC (issue 24): libre (BSD-3) for SIP transactions, dialogs and SDP (src/siprec);
  # pugixml (MIT) for the RFC 7865 recording metadata XML (src/sip); libsrtp2 (BSD-3) for
  # SRTP streams keyed with SDES (src/telephony/srtp_receiver)
  libre-dev libpugixml-dev libsrtp2-dev
  # the fleet's bus (issue 25): the NATS C client (Apache-2.0) for JetStream (src/bus)
  libnats-dev
  # libcrypto: HMAC-SHA256 for AudioHook's HTTP message signatures
  libssl-dev
  # Boost.Beast/Asio (header-only): the server and the stream player (HTTP, WebSocket, TCP); zlib for deflate
  libboost-dev zlib1g-dev
  # webhooks: HTTP(S) client (libcurl, OpenSSL flavour)
  libcurl4-openssl-dev
  # the Python package (import tonewatch): pybind11 and the interpreter's headers to
  # build it; NumPy for arrays, pandas for the tables, at run time
  pybind11-dev python3-dev python3-numpy python3-pandas
)
for option in "$@"; do
  case "$option" in
    --tests)
      # sox makes telephone and time-scaled versions of test speech; headless
      # Chromium renders the HTML call report ([browser] tests). The [device] tests
      # start their own virtual sound devices: a PulseAudio server with null sinks
      # (pulseaudio, paplay from pulseaudio-utils, and ALSA's pulse plugin from
      # libasound2-plugins, through which PortAudio reaches it) and a JACK server
      # with the dummy driver (jackd2); script(1) (bsdutils) gives the live view a pty.
      # pytest runs the Python package's suite; Dask's distributed its cluster tests;
      # matplotlib the plot of docs/python.md's walk-through, which the suite runs.
      # ffmpeg is the reference G.722 encoder and decoder the [g722] tests check ours
      # against (a test tool only: tonewatch never links or runs it). SIPp (sip-tester)
      # is the SIP client the [siprec] tests drive the recorder's signalling with; nats-server
      # (JetStream) the bus the [bus] tests run instances against, and haproxy the balancer
      # in front of deploy/local-fleet.sh's fleet ([deploy]).
      packages+=(sox chromium openssl pulseaudio pulseaudio-utils libasound2-plugins jackd2 bsdutils
        python3-pytest python3-dask python3-distributed python3-matplotlib ffmpeg sip-tester nats-server haproxy) ;;
    --fleet)
      # deploy/local-fleet.sh: the bus (JetStream) and the balancer in front of the instances
      packages+=(nats-server haproxy python3) ;;
    --bench)
      # aubio-tools: the reference pitch tracker the benchmark compares against;
      # curl and python3: benchmarks/serve_load.sh (health probe, the table); valgrind:
      # ratios.sh's instruction counts of the live and batch paths (callgrind)
      packages+=(aubio-tools curl python3 valgrind) ;;
    --deb)
      # dpkg-shlibdeps (dpkg-dev) finds the package's library dependencies for CPack
      packages+=(dpkg-dev) ;;
    --fuzz)
      packages+=(clang-14 libclang-rt-14-dev) ;;  # libFuzzer and the sanitizer runtimes for clang-14
    --asterisk)
      # tools/interop: what Asterisk's own build needs (it has no Debian package), and
      # jq and sox for the recipe check
      packages+=(build-essential pkg-config libedit-dev libjansson-dev libxml2-dev libsqlite3-dev uuid-dev
        libssl-dev jq sox) ;;
    *)
      echo "usage: $0 [--tests] [--bench] [--fuzz] [--deb] [--asterisk] [--fleet]" >&2
      exit 2 ;;
  esac
done

# Nothing to do when every package is installed already (CI calls this once per
# step; a rebuild should not wait for the package lists).
missing=()
for package in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]]; then missing+=("$package"); fi
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt-get or unattended-upgrades holding the dpkg lock (a fresh
# machine often runs one at boot) instead of failing at once with exit 100.
apt_wait=(-o DPkg::Lock::Timeout=600)
echo "install-deps.sh: installing ${missing[*]}" >&2
$SUDO apt-get "${apt_wait[@]}" update -qq
$SUDO apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "${missing[@]}"
