#!/usr/bin/env bash
# Tests the desktop admin app headless, end to end:
#   Go unit tests of desktop/, codegen freshness, frontend build, Vitest, Playwright e2e
#   (Debian's Chromium against a real `tessera serve -memory`), and a smoke run of the
#   real Wails binary under Xvfb with a screenshot in artifacts/desktop-smoke.png.
#
# Env:
#   TESSERA_SERVER_BIN   server binary to use (default: go build -o bin/tessera ./server)
#   DESKTOP_SMOKE_SECS   how long to wait for the desktop window to render (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FRONTEND="$ROOT/desktop/frontend"
ARTIFACTS="$ROOT/artifacts"
mkdir -p "$ARTIFACTS" "$ROOT/bin"
[ -f "$ARTIFACTS/.gitignore" ] || echo '*' >"$ARTIFACTS/.gitignore" # never committed

log() { printf '\n== desktop-test: %s\n' "$*"; }
PASSED=0
stage_ok() { PASSED=$((PASSED + 1)); }

# ---- cleanup: only what this script started -------------------------------------------
PIDS=()
TMP="$(mktemp -d)"
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- system packages ------------------------------------------------------------------
# imagemagick: screenshot + pixel check.
APT_PKGS=(libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config xvfb chromium imagemagick)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
fi

# ---- Go side (no webkit, no tags: what `go test ./...` at the root does) ---------------
log "go vet + go test ./desktop"
go vet ./desktop
go test ./desktop
stage_ok

# ---- frontend -------------------------------------------------------------------------
cd "$FRONTEND"
log "npm ci"
npm ci --no-audit --no-fund
log "codegen up to date"
npm run -s codegen:check
stage_ok
log "build"
npm run -s build
stage_ok
log "vitest"
npm test
stage_ok
cd "$ROOT"

# ---- server ---------------------------------------------------------------------------
SERVER_BIN="${TESSERA_SERVER_BIN:-}"
if [ -z "$SERVER_BIN" ]; then
  if ! ls server/*.go >/dev/null 2>&1; then
    echo "desktop-test: ./server has no Go files yet; set TESSERA_SERVER_BIN or build the server first" >&2
    exit 1
  fi
  log "go build -o bin/tessera ./server"
  go build -o bin/tessera ./server
  SERVER_BIN="$ROOT/bin/tessera"
fi

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT="$(free_port)"
KEY="tsk_desktoptest_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SERVER_URL="http://127.0.0.1:$PORT"
log "starting $SERVER_BIN on $SERVER_URL"
# The e2e test sets a segment webhook to a loopback receiver: allowed explicitly, as the
# webhook address policy asks of operators (internal targets are refused by default).
"$SERVER_BIN" serve -addr "127.0.0.1:$PORT" -memory -dev -webhook-allow 127.0.0.1/32 -bootstrap-key "$KEY" >"$ARTIFACTS/desktop-test-server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for i in $(seq 1 180); do
  if curl -fsS -o /dev/null "$SERVER_URL/readyz" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "desktop-test: server exited; log:" >&2
    cat "$ARTIFACTS/desktop-test-server.log" >&2
    exit 1
  fi
  [ "$i" -eq 180 ] && { echo "desktop-test: server not ready after 90s" >&2; tail -50 "$ARTIFACTS/desktop-test-server.log" >&2; exit 1; }
  sleep 0.5
done

# ---- e2e in Chromium ------------------------------------------------------------------
log "e2e (playwright-core + /usr/bin/chromium)"
(cd "$FRONTEND" && TESSERA_E2E_SERVER_URL="$SERVER_URL" TESSERA_E2E_API_KEY="$KEY" TESSERA_ARTIFACTS="$ARTIFACTS" npm run -s e2e)
stage_ok

# ---- desktop smoke: the real Wails binary under Xvfb ----------------------------------
log "go build -tags desktop,production,webkit2_41 ./desktop"
go build -tags desktop,production,webkit2_41 -o bin/tessera-desktop ./desktop

log "smoke run under Xvfb"
# Fresh HOME/XDG dirs: the app must not read or write the user's real settings.
export HOME_SMOKE="$TMP/home"
mkdir -p "$HOME_SMOKE/.config" "$TMP/runtime"
chmod 700 "$TMP/runtime"
Xvfb -displayfd 3 -screen 0 1280x860x24 -nolisten tcp 3>"$TMP/display" 2>"$TMP/xvfb.log" &
PIDS+=("$!")
for _ in $(seq 1 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
DISPLAY_NUM=":$(cat "$TMP/display")"

APP_LOG="$ARTIFACTS/desktop-smoke.log"
env HOME="$HOME_SMOKE" XDG_CONFIG_HOME="$HOME_SMOKE/.config" XDG_RUNTIME_DIR="$TMP/runtime" DISPLAY="$DISPLAY_NUM" \
  TESSERA_SERVER_URL="$SERVER_URL" TESSERA_API_KEY="$KEY" \
  "$ROOT/bin/tessera-desktop" >"$APP_LOG" 2>&1 &
APP_PID=$!
PIDS+=("$APP_PID")

deadline=$((SECONDS + ${DESKTOP_SMOKE_SECS:-60}))
until grep -q '^desktop: rendered ' "$APP_LOG"; do
  if ! kill -0 "$APP_PID" 2>/dev/null; then
    echo "desktop-test: desktop app exited early; log:" >&2
    cat "$APP_LOG" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "desktop-test: the app did not report a rendered page in time; log:" >&2
    cat "$APP_LOG" >&2
    exit 1
  fi
  sleep 0.5
done
sleep 2 # the inbox (tickets seeded by the e2e run) loads after the first paint
DISPLAY="$DISPLAY_NUM" import -window root "$ARTIFACTS/desktop-smoke.png"
RENDERED="$(grep -m1 '^desktop: rendered ' "$APP_LOG")"
echo "$RENDERED"
# The env-provided key must have connected from inside the webview (CORS, wails:// origin).
case "$RENDERED" in
  *"connected as "*) ;;
  *) echo "desktop-test: the app rendered but did not connect to $SERVER_URL" >&2; exit 1 ;;
esac
# A blank or crashed webview is a uniform image.
STDDEV="$(convert "$ARTIFACTS/desktop-smoke.png" -format '%[fx:standard_deviation]' info:)"
echo "screenshot standard deviation: $STDDEV"
awk -v s="$STDDEV" 'BEGIN { exit !(s > 0.05) }' || { echo "desktop-test: screenshot looks blank" >&2; exit 1; }
# Env settings are not persisted: nothing written to the fresh config dir.
if [ -e "$HOME_SMOKE/.config/tessera/desktop.json" ]; then
  echo "desktop-test: env settings were written to disk" >&2
  exit 1
fi
stage_ok

log "all stages passed (screenshot: artifacts/desktop-smoke.png)"
echo "desktop-test: $PASSED passed, 0 failed"
