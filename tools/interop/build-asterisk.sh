#!/usr/bin/env bash
# Builds Asterisk from its public source with only the modules the AudioSocket recipe
# (docs/live-ingest.md) and tools/interop/asterisk-recipe.sh need, and installs it
# under PREFIX. Debian 12 has no Asterisk package; this is how the recipe is checked.
#
#   tools/interop/build-asterisk.sh ASTERISK_SOURCE_DIR PREFIX
#
# ASTERISK_SOURCE_DIR: a checkout or release tarball of github.com/asterisk/asterisk
# (checked with 22.10.1). Asterisk is GPL-2: it runs beside tonewatch as a separate
# program and nothing of it is linked into or copied to this repository.
set -euo pipefail
if [[ $# -ne 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
src=$(cd "$1" && pwd) prefix=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
"$here/tools/install-deps.sh" --asterisk
cd "$src"
# No SIP stack: the recipe's calls are Local channels, and the bundled pjproject
# would be downloaded at build time.
./configure --prefix="$prefix" --without-pjproject-bundled --with-jansson-bundled=no > configure.log
make menuselect.makeopts > /dev/null
# res_timing_timerfd: ChanSpy sends what it hears only with a timing source; app_stack
# (Gosub) needs res_agi, which needs res_speech.
modules=(app_audiosocket app_chanspy app_originate app_stack app_dial app_playback chan_audiosocket
  res_audiosocket func_shell func_channel format_wav codec_ulaw codec_resample bridge_simple
  bridge_softmix pbx_config res_clioriginate res_agi res_speech res_timing_timerfd)
menuselect/menuselect --disable-all $(printf -- '--enable %s ' "${modules[@]}") menuselect.makeopts
make -j"$(nproc)" > build.log
make install > install.log
echo "Asterisk installed in $prefix ($("$prefix/sbin/asterisk" -V))"
