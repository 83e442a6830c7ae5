#!/usr/bin/env bash
# bench/run.sh WORKLOAD — runs one benchmark workload against a release build
# and prints a Markdown table; the last line is `ratio=<number>`.
#   api         feed / post page / comment creation vs a bare axum endpoint
#   moderation  full rule evaluation vs a raw Aho-Corasick scan, one thread
# Extra arguments go to the workload, e.g. `bench/run.sh api --posts 100000`.
set -euo pipefail
cd "$(dirname "$0")/.."
workload="${1:-}"; shift || true
case "$workload" in
  api)
    cargo build --release --quiet -p yaji -p yaji-bench
    exec target/release/yaji-bench api --yaji target/release/yaji "$@"
    ;;
  moderation)
    # One thread; --posts N sets the number of messages (default 1,000,000).
    cargo build --release --quiet -p yaji-bench
    if [ "$#" -eq 0 ]; then set -- --posts 1000000; fi
    exec target/release/yaji-bench moderation "$@"
    ;;
  *)
    echo "usage: bench/run.sh api|moderation [options]" >&2
    exit 2
    ;;
esac
