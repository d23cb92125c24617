#!/usr/bin/env bash
# The Debian package, installed for real on this machine (CI's, as root), used, and
# removed: what a newcomer's `apt-get install ./tonewatch_*.deb` gives them.
#   tests/packaging/test_deb.sh build-deb/tonewatch_<version>_<arch>.deb
# Checks, each failing the script with what was found:
#   - it installs with its dependencies resolved by apt; tonewatch is on the PATH at
#     /usr/bin, with a man page per command and bash completion that completes options;
#   - the system user `tonewatch` and /var/lib/tonewatch (owned by it) exist; the unit is
#     installed and passes `systemd-analyze verify`, and is not enabled; serve.conf and
#     /etc/default/tonewatch are conffiles;
#   - /usr/bin/tonewatch analyze on the packaged example call prints its table, exit 0;
#   - the service's own command line (as the tonewatch user, with the packaged serve.conf)
#     starts, answers /healthz, and stops cleanly on SIGTERM;
#   - dpkg -r leaves only the conffiles and the data folder; dpkg --purge leaves only the
#     data folder (the operator's calls), and no system user;
#   - python3-tonewatch, when built beside it (python3-tonewatch_*.deb in the same folder),
#     installs with its dependencies, and Debian's /usr/bin/python3, with no PYTHONPATH,
#     imports tonewatch and analyses the packaged example as the binary does; purged, it
#     leaves nothing.
set -euo pipefail
deb=${1:?usage: $0 PACKAGE.deb}
[[ -f "$deb" ]] || { echo "test_deb: no such package: $deb" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "test_deb: installs a package: run as root" >&2; exit 2; }
if dpkg-query -W -f='${db:Status-Status}' tonewatch 2> /dev/null | grep -q installed; then
  echo "test_deb: a tonewatch package is installed already; remove it first (dpkg --purge tonewatch)" >&2
  exit 2
fi
fail() { echo "test_deb: FAILED: $*" >&2; exit 1; }
work=$(mktemp -d)
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2> /dev/null || true
  rm -rf "$work"
  # Never leave the package behind, whatever failed.
  for package in python3-tonewatch tonewatch; do
    if dpkg-query -W -f='${db:Status-Status}' $package 2> /dev/null | grep -q installed; then dpkg --purge $package > /dev/null || true; fi
  done
}
trap cleanup EXIT

echo "test_deb: installing $deb"
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$(realpath "$deb")" > "$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install"; }
dpkg-query -L tonewatch > "$work/files"

[[ "$(command -v tonewatch)" == /usr/bin/tonewatch ]] || fail "tonewatch is not /usr/bin/tonewatch on the PATH"
version=$(dpkg-query -W -f='${Version}' tonewatch)
[[ "$(tonewatch --version)" == "tonewatch $version" ]] || fail "tonewatch --version: $(tonewatch --version), package $version"
for page in tonewatch tonewatch-analyze tonewatch-serve tonewatch-live tonewatch-devices tonewatch-defaults; do
  [[ -f /usr/share/man/man1/$page.1 ]] || fail "no man page $page.1"
done
grep -q -- '\\-\\-options\\-file' /usr/share/man/man1/tonewatch-serve.1 || fail "tonewatch-serve.1 lacks --options-file"
completion=$(bash -c 'source /usr/share/bash-completion/completions/tonewatch
                      COMP_WORDS=(tonewatch serve --lis); COMP_CWORD=2; _tonewatch; echo "${COMPREPLY[*]}"')
[[ "$completion" == "--listen" ]] || fail "bash completion of 'tonewatch serve --lis' gave '$completion'"

getent passwd tonewatch > /dev/null || fail "no system user tonewatch"
[[ "$(stat -c %U /var/lib/tonewatch)" == tonewatch ]] || fail "/var/lib/tonewatch is not owned by tonewatch"
unit=/lib/systemd/system/tonewatch.service
[[ -f $unit ]] || fail "no $unit"
systemd-analyze verify "$unit" > "$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
[[ ! -e /etc/systemd/system/multi-user.target.wants/tonewatch.service ]] || fail "the unit was enabled by the package"
conffiles=$(dpkg-query -W -f='${Conffiles}' tonewatch)
for conf in /etc/tonewatch/serve.conf /etc/default/tonewatch; do
  grep -q " $conf " <<< "$conffiles" || fail "$conf is not a conffile: $conffiles"
done

(cd "$work" && /usr/bin/tonewatch analyze /usr/share/tonewatch/examples/example_call.wav --out out > analyze.out 2> analyze.err) ||
  { cat "$work/analyze.out" "$work/analyze.err" >&2; fail "tonewatch analyze on the packaged example"; }
grep -q "^example_call  *analysed" "$work/analyze.out" || fail "analyze printed no table: $(cat "$work/analyze.out")"
[[ -s "$work/out/example_call.summary.json" ]] || fail "analyze wrote no summary"

# The service's command line (tonewatch.service's ExecStart), as its user, on a free port.
port=$((20000 + RANDOM % 20000))
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ "$exec_start" == "/usr/bin/tonewatch serve --options-file /etc/tonewatch/serve.conf \$TONEWATCH_SERVE_ARGS" ]] ||
  fail "unexpected ExecStart: $exec_start"
(cd /var/lib/tonewatch && exec setpriv --reuid=tonewatch --regid=tonewatch --init-groups -- /usr/bin/tonewatch serve --options-file /etc/tonewatch/serve.conf \
  --listen "127.0.0.1:$port" --quiet > "$work/serve.log" 2>&1) &
serve_pid=$!
# GET /healthz's status line, in a subshell: a refused connection must not end this script.
healthz() {
  (exec 3<> "/dev/tcp/127.0.0.1/$port" &&
    printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 && head -1 <&3) 2> /dev/null || true
}
healthy=0
for _ in $(seq 1 100); do
  if [[ "$(healthz)" == *" 200 "* ]]; then healthy=1; break; fi
  sleep 0.1
done
[[ $healthy -eq 1 ]] || { cat "$work/serve.log" >&2; fail "serve with the packaged serve.conf did not answer /healthz"; }
kill -TERM "$serve_pid"
serve_status=0
wait "$serve_pid" || serve_status=$?
serve_pid=""
[[ $serve_status -eq 0 ]] || { cat "$work/serve.log" >&2; fail "serve exited $serve_status on SIGTERM"; }

# The Python package: Debian's interpreter imports it from dist-packages, nothing set.
python_deb=$(find "$(dirname "$(realpath "$deb")")" -maxdepth 1 -name 'python3-tonewatch_*.deb' | head -1)
python_checked=""
if [[ -n "$python_deb" ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$python_deb" > "$work/install-python.log" 2>&1 ||
    { cat "$work/install-python.log" >&2; fail "apt-get install $python_deb"; }
  dpkg-query -L python3-tonewatch > "$work/python-files"
  grep -q '^/usr/lib/python3/dist-packages/tonewatch/__init__.py$' "$work/python-files" || fail "python3-tonewatch has no /usr/lib/python3/dist-packages/tonewatch"
  detection=$(cd "$work" && env -u PYTHONPATH /usr/bin/python3 -c \
    "import json, tonewatch; print(json.dumps(tonewatch.analyze('/usr/share/tonewatch/examples/example_call.wav').summary['detection'], sort_keys=True))") ||
    fail "python3 -c 'import tonewatch; tonewatch.analyze(...)' with the packaged module"
  expected=$(/usr/bin/python3 -c "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))['detection'], sort_keys=True))" \
    "$work/out/example_call.summary.json")
  [[ "$detection" == "$expected" ]] || fail "the Python package's detection differs from the binary's: $detection"
  dpkg --purge python3-tonewatch > /dev/null
  while IFS= read -r path; do
    [[ -f "$path" ]] && fail "purging python3-tonewatch left $path"
  done < "$work/python-files"
  [[ ! -e /usr/lib/python3/dist-packages/tonewatch ]] || fail "purging python3-tonewatch left $(find /usr/lib/python3/dist-packages/tonewatch)"
  python_checked=", imported and used python3-tonewatch"
fi

# Removal: the files go, the conffiles stay until purge, the data folder always stays.
dpkg -r tonewatch > /dev/null
[[ ! -e /usr/bin/tonewatch ]] || fail "dpkg -r left /usr/bin/tonewatch"
[[ -f /etc/tonewatch/serve.conf ]] || fail "dpkg -r removed the conffile serve.conf"
dpkg --purge tonewatch > /dev/null
left=""
while IFS= read -r path; do
  [[ -f "$path" || ( -L "$path" && ! -d "$path" ) ]] && left+=" $path"
  [[ -d "$path" && "$path" == */tonewatch* ]] && left+=" $path/"
done < "$work/files"
[[ -z "$left" ]] || fail "purge left:$left"
[[ ! -e /etc/tonewatch ]] || fail "purge left /etc/tonewatch"
[[ -d /var/lib/tonewatch ]] || fail "the data folder /var/lib/tonewatch is gone"
! getent passwd tonewatch > /dev/null || fail "purge left the system user tonewatch"
echo "test_deb: passed (installed $version, analysed the example, served with serve.conf$python_checked, removed and purged)"
