#!/usr/bin/env bash
# Fails unless the PostgreSQL at URL ($1) answers; starts the local cluster
# first if it is installed but stopped. The PostgreSQL tests are never skipped.
set -uo pipefail
url="$1"
ok() { python3 - "$url" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=3).close()
except OSError:
    sys.exit(1)
PY
}
ok && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do ok && exit 0; sleep 0.5; done
fi
echo "PostgreSQL is not reachable at ${url%%@*}@… (set YAJI_TEST_DATABASE_URL)" >&2
exit 1
