#!/usr/bin/env bash
# bench/run.sh WORKLOAD — runs one benchmark workload against a release build
# and prints a Markdown table; the last line is `ratio=<number>`.
#   api         feed / post page / comment creation vs a bare axum endpoint
#   moderation  full rule evaluation vs a raw Aho-Corasick scan, one thread
#   assistant   welcome jobs for members joining in a burst; scheduler precision
#   analytics   the analytics engine vs DuckDB over the same 10M generated events
#   points      leaderboards and points pages over a 10M-row ledger and 1M members vs the raw query
#   gatherings  10,000 members registering at once for 1,000 seats, and booking contended rooms,
#               on SQLite and on PostgreSQL, vs bare inserts; overbookings and double bookings (must be 0)
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
  assistant)
    # 100,000 members joining within 60 s by default (--members N --secs S; --database-url for PostgreSQL).
    cargo build --release --quiet -p yaji-bench
    # --conns N runs N workers (several nodes on PostgreSQL); default one.
    if [ "$#" -eq 0 ]; then set -- --members 100000 --secs 60 --conns 1; fi
    exec target/release/yaji-bench assistant "$@"
    ;;
  analytics)
    # The engine vs DuckDB (PyPI) over the same generated events: 10,000,000 events
    # from 1,000,000 members over 90 days by default (--posts EVENTS --members N --secs DAYS).
    python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check duckdb
    cargo build --release --quiet -p yaji-bench
    if [ "$#" -eq 0 ]; then set -- --posts 10000000 --members 1000000 --secs 90; fi
    exec target/release/yaji-bench analytics "$@"
    ;;
  points)
    # 10,000,000 ledger rows for 1,000,000 members by default (--posts ROWS --members N;
    # --database-url for PostgreSQL).
    cargo build --release --quiet -p yaji-bench
    if [ "$#" -eq 0 ]; then set -- --posts 10000000 --members 1000000; fi
    exec target/release/yaji-bench points "$@"
    ;;
  gatherings)
    # --members N (default 10,000). SQLite, then PostgreSQL in a fresh database when
    # one is reachable (PGHOST/PGUSER, default 127.0.0.1 / postgres), unless --database-url names one.
    cargo build --release --quiet -p yaji-bench
    if [ "$#" -eq 0 ]; then set -- --members 10000; fi
    target/release/yaji-bench gatherings "$@"
    if [[ " $* " != *" --database-url "* ]] && command -v psql >/dev/null; then
      export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}"
      psql -qc 'DROP DATABASE IF EXISTS yaji_bench_gatherings' >/dev/null && psql -qc 'CREATE DATABASE yaji_bench_gatherings' >/dev/null
      target/release/yaji-bench gatherings "$@" --database-url "postgres://$PGUSER@$PGHOST/yaji_bench_gatherings"
      psql -qc 'DROP DATABASE IF EXISTS yaji_bench_gatherings' >/dev/null
    fi
    ;;
  -h|--help|help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "usage: bench/run.sh api|moderation|assistant|analytics|points|gatherings [options]" >&2
    exit 2
    ;;
esac
