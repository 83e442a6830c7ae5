#!/usr/bin/env bash
# The one test command (README, CI): formatting, lints, every Rust test on
# SQLite and PostgreSQL, and the browser test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

export YAJI_TEST_DATABASE_URL="${YAJI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scripts/ensure-postgres.sh "$YAJI_TEST_DATABASE_URL"
# The email tests talk to a real SMTP server on loopback (aiosmtpd, from PyPI).
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== import circles (files of a crate never import each other in a circle)"
python3 scripts/import-cycles.py crates/*/src
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test (SQLite + PostgreSQL at ${YAJI_TEST_DATABASE_URL%%@*}@…)"
cargo test --workspace --quiet
echo "== browser test (headless Chromium)"
tests/browser/run.sh
echo "== all tests passed"
