#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzing client (cases 1–10) against tickwire's conformance echo endpoint, which
# uses the server's own listener, handshake, limits and close-code mapping (`tickwire-server --conformance-echo`).
# Autobahn is Python 2: it is installed with pip into the image's pyenv Python 2.7, under target/autobahn-py.
# Fails when any case is not OK / NON-STRICT / INFORMATIONAL, except those listed in expected.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/autobahn"
site="$root/target/autobahn-py"
mkdir -p "$out"

py2=""
for candidate in "$(pyenv root 2>/dev/null)/versions/2.7.18/bin/python" /root/.pyenv/versions/2.7.18/bin/python "$(command -v python2.7 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then py2="$candidate"; break; fi
done
[ -n "$py2" ] || { echo "autobahn: no Python 2.7 found (pyenv 2.7.18 expected)"; exit 1; }

if [ ! -f "$site/.installed" ]; then
  echo "autobahn: installing autobahntestsuite into $site"
  "$py2" -m pip install -q --disable-pip-version-check --target "$site" autobahntestsuite==25.10.1 2>&1 | grep -v DEPRECATION || true
  touch "$site/.installed"
fi

server_bin="${TICKWIRE_SERVER_BIN:-$root/target/debug/tickwire-server}"
[ -x "$server_bin" ] || { echo "autobahn: build the server first ($server_bin missing)"; exit 1; }
log="$out/server.log"
"$server_bin" --bind 127.0.0.1:0 --conformance-echo > "$log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 100); do
  port="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' | head -n1 || true)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "autobahn: the server did not start"; cat "$log"; exit 1; }

cat > "$out/spec.json" <<SPEC
{
  "outdir": "$out/report",
  "servers": [{"agent": "tickwire", "url": "ws://127.0.0.1:$port/echo"}],
  "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"],
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
SPEC
rm -rf "$out/report"
echo "autobahn: running cases 1–10 against ws://127.0.0.1:$port/echo"
(cd "$out" && "$py2" -c "import site, sys; site.addsitedir('$site'); sys.argv = ['wstest', '-m', 'fuzzingclient', '-s', '$out/spec.json']; from autobahntestsuite.wstest import run; run()" > "$out/wstest.log" 2>&1) || {
  echo "autobahn: wstest failed"; tail -20 "$out/wstest.log"; exit 1; }

python3 "$here/check.py" "$out/report/index.json" "$here/expected.json"
