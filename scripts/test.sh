#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test`). Installs what it needs, idempotently:
# Debian packages for the desktop build and browser tests, npm packages, staticcheck.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
PASSED=0
FAILED=0
stage() {
  local name="$1"; shift
  echo
  echo "==== test: $name"
  if "$@"; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
    echo "==== test: $name FAILED" >&2
  fi
}

stage "generated code is current" bash scripts/check-generate.sh
stage "lint (gofmt, go vet, staticcheck)" bash scripts/lint.sh
# The tracking API's SDK tests run the real @segment/analytics-node and
# @rudderstack/rudder-sdk-node (exact versions, lockfile).
tracking_sdk() {
  local d=server/trackinghttp/testdata/sdk
  [ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ] || (cd "$d" && npm ci --silent --no-audit --no-fund)
}
stage "tracking SDK (npm ci)" tracking_sdk
stage "go test ./..." go test -count=1 -timeout 20m ./...
# The database packages again on FerretDB's PostgreSQL backend (PostgreSQL from Debian,
# started privately by scripts/postgres.sh): the embedded default and the bigger local
# option must both hold.
postgres_suite() {
  local url
  url="$(bash scripts/postgres.sh)" || return 1
  TESSERA_TEST_POSTGRESQL_URL="$url" go test -count=1 -timeout 20m ./internal/embeddb/ ./internal/store/... ./internal/identity/
}
stage "store and identity on PostgreSQL" postgres_suite
stage "server binary" go build -o bin/tessera ./server
stage "conformance (gqlsec, GraphQL-over-HTTP audit)" bash scripts/conformance.sh bin/tessera
stage "desktop (vitest, e2e in Chromium, Wails smoke under Xvfb)" env TESSERA_SERVER_BIN=bin/tessera bash scripts/desktop-test.sh

echo
echo "test: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
