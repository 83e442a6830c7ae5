#!/usr/bin/env bash
# Browser test: installs what it needs (Debian chromium + CJK fonts, npm
# playwright-core), starts `yaji serve --demo` on a fresh data dir and a free
# port, and runs e2e.mjs against it. Screenshots land in tests/browser/out/.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || ! fc-list 2>/dev/null | grep -qi "color emoji"; then
  echo "installing chromium, fonts-noto-cjk and fonts-noto-color-emoji"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null
fi
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent

cargo build --quiet --manifest-path "$root/Cargo.toml" -p yaji
bin="${CARGO_TARGET_DIR:-$root/target}/debug/yaji"
data=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" serve --data-dir "$data/data" --listen "127.0.0.1:$port" --demo >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$data/serve.log"; exit 1; }
  sleep 0.5
done
mkdir -p out
YAJI_URL="http://127.0.0.1:$port" node e2e.mjs
