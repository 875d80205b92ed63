# Shared helpers for the test scripts: free ports, starting servers, cleanup.
# shellcheck shell=bash

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

LIB_PIDS=()
lib_cleanup() {
  local pid
  for pid in "${LIB_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${LIB_PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
}

# start_server BIN LOG ARGS... : starts `BIN serve ARGS`, waits for /readyz, sets SERVER_URL.
start_server() {
  local bin="$1" log="$2"; shift 2
  local port; port="$(free_port)"
  "$bin" serve -addr "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  LIB_PIDS+=($!)
  SERVER_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do
    if curl -fsS "$SERVER_URL/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "server did not become ready; log:" >&2
  cat "$log" >&2
  return 1
}

# conformance_dir: a private copy of ../shared/conformance with its npm packages
# installed (shared/ is read-only in CI).
conformance_dir() {
  local src="$1" dst="$2"
  mkdir -p "$dst"
  cp "$src"/*.mjs "$src"/package.json "$src"/package-lock.json "$dst"/
  (cd "$dst" && npm ci --no-audit --no-fund --silent)
}
