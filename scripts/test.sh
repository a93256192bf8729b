#!/usr/bin/env bash
# The whole tickwire test suite, as README.md gives it: formatting, lints, the Rust unit, harness and end-to-end
# tests, the browser client's unit tests, and the real-browser end-to-end test (Playwright driving Chromium).
# Needs: the Rust toolchain, Node.js 20+ with npm, and Debian's `chromium` and `firefox-esr`
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

step "client-web unit tests"
(cd client-web && npm test)

step "browser end-to-end (Playwright + Chromium, then puppeteer + Firefox ESR, against the real server)"
cargo build -p tickwire-server
(cd client-web && TICKWIRE_SERVER_BIN="$PWD/../target/debug/tickwire-server" npm run e2e)

step "WebSocket conformance: Autobahn|Testsuite cases 1-10 against the server's transport (/echo)"
TICKWIRE_SERVER_BIN="$PWD/target/debug/tickwire-server" bash tests/autobahn/run.sh

printf '\nall test stages passed\n'
