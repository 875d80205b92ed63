#!/usr/bin/env bash
# Tests the desktop admin app headless, end to end:
#   Go unit tests of desktop/, codegen freshness, frontend build, Vitest, Playwright e2e
#   (Debian's Chromium against a real `tessera serve -memory`), and a smoke run of the
#   real Wails binary under Xvfb with a screenshot in artifacts/desktop-smoke.png.
#
# Then the management dashboard on the FULL retail file (stage retail-full): `tessera demo
# -rows 0` into a fresh data directory, a second `tessera serve` on it, and
# e2e/retail-full.e2e.test.mjs checking the figures against the CSV (about 3-4 minutes on
# two cores; skipped, with a message, when the retail file is missing).
#
# Env:
#   TESSERA_SERVER_BIN   server binary to use (default: go build -o bin/tessera ./server)
#   DESKTOP_SMOKE_SECS   how long to wait for the desktop window to render (default 60)
#   TESSERA_RETAIL_FILE  the UCI Online Retail file (default ../shared/data/retail/...csv.gz)
#   TESSERA_DESKTOP_ONLY=retail-full   run only that stage (with the frontend build it
#                        needs; node_modules installed if missing)
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
ONLY="${TESSERA_DESKTOP_ONLY:-}"
case "$ONLY" in "" | retail-full) ;; *) echo "desktop-test: TESSERA_DESKTOP_ONLY must be retail-full or unset" >&2; exit 2 ;; esac
RETAIL_FILE="${TESSERA_RETAIL_FILE:-$ROOT/../shared/data/retail/online_retail_2010-2011.csv.gz}"

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

if [ -z "$ONLY" ]; then
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
else
  cd "$FRONTEND"
  [ -d node_modules ] || { log "npm ci"; npm ci --no-audit --no-fund; }
  log "build"
  npm run -s build
  cd "$ROOT"
fi

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
new_key() { echo "tsk_desktoptest_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"; }

# ---- the management dashboard on the full retail file ---------------------------------
# A second server on a data directory `tessera demo -rows 0` filled; its e2e checks the
# dashboard's figures against the CSV.
retail_full() {
  if [ ! -f "$RETAIL_FILE" ]; then
    log "retail-full: SKIPPED: the retail file $RETAIL_FILE is missing (set TESSERA_RETAIL_FILE)"
    return 0
  fi
  local start=$SECONDS data="$TMP/retail-full-data" port key url pid quiet=()
  local srvlog="$ARTIFACTS/desktop-test-retail-full-server.log"
  [ -t 2 ] || quiet=(-quiet) # the progress bar only on a terminal
  log "retail-full: $SERVER_BIN demo -rows 0 (the whole file) into $data"
  "$SERVER_BIN" demo -rows 0 "${quiet[@]}" -file "$RETAIL_FILE" -data "$data" | tee "$ARTIFACTS/desktop-test-retail-full-demo.log"
  local loaded=$SECONDS
  port="$(free_port)"
  key="$(new_key)"
  url="http://127.0.0.1:$port"
  log "retail-full: serving $data on $url"
  "$SERVER_BIN" serve -addr "127.0.0.1:$port" -data "$data" -bootstrap-key "$key" >"$srvlog" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  # Ready to serve, then the report book read (every order, in the background).
  local i ready=""
  for i in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "desktop-test: the retail-full server exited; log:" >&2
      tail -50 "$srvlog" >&2
      return 1
    fi
    if curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then
      ready="$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $key" \
        -d '{"query":"{ reportsStatus { ready } }"}' "$url/query" 2>/dev/null || true)"
      case "$ready" in *'"ready":true'*) break ;; esac
    fi
    [ "$i" -eq 600 ] && { echo "desktop-test: retail-full reports not ready after 300s" >&2; tail -50 "$srvlog" >&2; return 1; }
    sleep 0.5
  done
  log "retail-full: e2e (loaded in $((loaded - start)) s, reports ready after $((SECONDS - loaded)) s)"
  (cd "$FRONTEND" && TESSERA_E2E_FULL_SERVER_URL="$url" TESSERA_E2E_FULL_API_KEY="$key" TESSERA_RETAIL_FILE="$RETAIL_FILE" \
    TESSERA_ARTIFACTS="$ARTIFACTS" node --test e2e/retail-full.e2e.test.mjs)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  log "retail-full: passed in $((SECONDS - start)) s (screenshots: artifacts/e2e-retail-full-*.png)"
}

if [ "$ONLY" = retail-full ]; then
  retail_full
  stage_ok
  echo "desktop-test: $PASSED passed, 0 failed (only retail-full)"
  exit 0
fi

PORT="$(free_port)"
KEY="$(new_key)"
SERVER_URL="http://127.0.0.1:$PORT"
log "starting $SERVER_BIN on $SERVER_URL"
# The e2e test sets a segment webhook to a loopback receiver: allowed explicitly, as the
# webhook address policy asks of operators (internal targets are refused by default).
# Campaign e-mail goes to a relay the marketing e2e runs on SMTP_PORT (plain SMTP on loopback).
SMTP_PORT="$(free_port)"
TESSERA_SMTP_HOST=127.0.0.1 TESSERA_SMTP_PORT="$SMTP_PORT" TESSERA_SMTP_TLS=none TESSERA_SMTP_FROM="Shop <news@shop.example>" \
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
(cd "$FRONTEND" && TESSERA_E2E_SERVER_URL="$SERVER_URL" TESSERA_E2E_API_KEY="$KEY" TESSERA_E2E_SMTP_PORT="$SMTP_PORT" TESSERA_ARTIFACTS="$ARTIFACTS" npm run -s e2e)
stage_ok

retail_full
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
