#!/usr/bin/env bash
# Installs everything tonewatch needs to build, test and benchmark on Debian 12.
# Idempotent: apt-get skips what is already installed. Run as root (or with sudo).
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config
  # required libraries
  portaudio19-dev libkissfft-dev libeigen3-dev catch2
  # decoding, resampling, JSON, CLI parsing
  libsndfile1-dev libsoxr-dev nlohmann-json3-dev libcli11-dev
  # tests: sox time-scales speech for the speaking-rate test
  sox
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(aubio-tools)   # the reference pitch tracker the benchmark compares against
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
