#!/usr/bin/env bash
# Runs the independent checks of ../shared/conformance against live servers:
#   gqlsec (GraphQL security probe) against a production-mode server: 0 HIGH findings;
#   audit (GraphQL-over-HTTP) against a development-mode server (introspection on, as the
#   audit queries __type): error=0.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. scripts/lib.sh
BIN="${1:-bin/tessera}"
SHARED="${TESSERA_SHARED:-$ROOT/../shared}"
TMP="$(mktemp -d)"
trap 'lib_cleanup; rm -rf "$TMP"' EXIT
conformance_dir "$SHARED/conformance" "$TMP/conf"

KEY="conformance-admin-key-$RANDOM$RANDOM"
start_server "$BIN" "$TMP/prod.log" -memory -bootstrap-key "$KEY"
PROD="$SERVER_URL"
echo "== gqlsec against production server $PROD"
node "$TMP/conf/gqlsec.mjs" "$PROD/query"
echo "== gqlsec with an admin key"
node "$TMP/conf/gqlsec.mjs" "$PROD/query" "{\"Authorization\":\"Bearer $KEY\"}"

start_server "$BIN" "$TMP/dev.log" -memory -dev -bootstrap-key "$KEY"
echo "== GraphQL-over-HTTP audit against development server $SERVER_URL"
node "$TMP/conf/audit.mjs" "$SERVER_URL/query"
echo "conformance: ok"
