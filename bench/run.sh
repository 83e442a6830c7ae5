#!/usr/bin/env bash
# bench/run.sh WORKLOAD — runs one benchmark workload against a release build
# and prints a Markdown table; the last line is `ratio=<number>`.
#   api   feed / post page / comment creation vs a bare axum endpoint
# Extra arguments go to the workload, e.g. `bench/run.sh api --posts 100000`.
set -euo pipefail
cd "$(dirname "$0")/.."
workload="${1:-}"; shift || true
case "$workload" in
  api)
    cargo build --release --quiet -p yaji -p yaji-bench
    exec target/release/yaji-bench api --yaji target/release/yaji "$@"
    ;;
  *)
    echo "usage: bench/run.sh api [options]" >&2
    exit 2
    ;;
esac
