#!/usr/bin/env bash
# The whole tickwire test suite, as README.md gives it: formatting, lints, the Rust unit, harness and end-to-end
# tests, a tiny run of the load-scenario script, the browser client's unit tests, the real-browser end-to-end
# tests (Playwright driving Chromium, puppeteer driving Firefox ESR) and the Autobahn conformance suite.
# Needs: the Rust toolchain, Node.js 20+ with npm, Debian's `chromium` and `firefox-esr`, and pyenv's Python 2.7
# (`.ci/run` installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "client-web: install npm packages"
(cd client-web && npm ci --no-audit --no-fund)

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, simulation harness, protocol fixtures, end-to-end over real sockets)"
cargo test --workspace

step "load scenario script: benches/scenario.sh crowd, 4 bots, 2 s window (a well-formed line; timing not asserted)"
# The debug binaries `cargo test` built (building them again with `cargo build -p ...` would compile the crates a
# second time: without the dev-dependencies, features unify differently), a 1 s settle, and --force: a loaded CI
# box may saturate the bots, which must not fail the build; only the line's shape is checked.
for bin in tickwire-server tickwire-bots tickwire-console; do
    [ -x "target/debug/$bin" ] || { echo "target/debug/$bin is missing after cargo test" >&2; exit 1; }
done
line=$(PROFILE=debug NO_BUILD=1 SETTLE=1 benches/scenario.sh --force crowd 4 2)
echo "$line"
echo "$line" | grep -Eq '^clients=4 tick_hz=30 server_cpu_us_per_client_tick=[0-9.]+ server_cpu_pct=[0-9.]+ bytes_per_client_s=[0-9]+ wire_bytes_per_client_s=[0-9]+ patches_per_client_s=[0-9.]+ min_client_patches_s=[0-9.]+ bots_cpu_pct=[0-9.]+ server_rss_mb=[0-9.]+ server_rss_idle_mb=[0-9.]+ rss_kb_per_client=-?[0-9.]+( forced=[a-z_,]+)?$' \
    || { echo "benches/scenario.sh printed a malformed line" >&2; exit 1; }

step "client-web unit tests"
(cd client-web && npm test)

step "browser end-to-end (Playwright + Chromium, then puppeteer + Firefox ESR, against the real server)"
(cd client-web && TICKWIRE_SERVER_BIN="$PWD/../target/debug/tickwire-server" \
    TICKWIRE_BOTS_BIN="$PWD/../target/debug/tickwire-bots" npm run e2e)

step "WebSocket conformance: Autobahn|Testsuite cases 1-10 against the server's transport (/echo)"
TICKWIRE_SERVER_BIN="$PWD/target/debug/tickwire-server" bash tests/autobahn/run.sh

printf '\nall test stages passed\n'
