#!/usr/bin/env bash
# Runs the independent checks of ../shared/conformance against live servers:
#   gqlsec (GraphQL security probe) against a production-mode server: 0 HIGH findings;
#   audit (GraphQL-over-HTTP) against a development-mode server (introspection on, as the
#   audit queries __type): error=0;
#   subscribe: ticketUpdated events on one instance for changes made through another
#   instance on the same database.
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
# Ticket subscriptions across two instances on one database: A runs the embedded
# FerretDB on a known port, B connects to it as to any MongoDB. subscribe.mjs passes the
# key in the URL (graphql-ws createClient({url}) sends no connection params).
DBPORT="$(free_port)"
start_server "$BIN" "$TMP/a.log" -memory -embedded-addr "127.0.0.1:$DBPORT" -bootstrap-key "$KEY"
A="$SERVER_URL"
start_server "$BIN" "$TMP/b.log" -mongodb-uri "mongodb://127.0.0.1:$DBPORT/"
B="$SERVER_URL"
gql() { # gql URL QUERY: POSTs a query with the admin key, fails on GraphQL errors
  local out
  out="$(curl -fsS "$1/query" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    --data "$(jq -cn --arg q "$2" '{query: $q}')")"
  if jq -e '.errors' >/dev/null <<<"$out"; then echo "$out" >&2; return 1; fi
  printf '%s' "$out"
}
TICKET="$(gql "$A" 'mutation { createTicket(input: {subject: "Conformance", body: "hi", email: "conformance@example.com"}) { id } }' | jq -r .data.createTicket.id)"
for via in A B; do
  target="$A"; [ "$via" = B ] && target="$B"
  echo "== ticketUpdated subscription on A, three mutations through $via"
  node "$TMP/conf/subscribe.mjs" "ws://${A#http://}/query?access_token=$KEY" 'subscription { ticketUpdated { id status } }' 3 >"$TMP/sub-$via.log" 2>&1 &
  SUB=$!
  sleep 1.5 # connect and subscribe before the first change
  for i in 1 2 3; do
    gql "$target" "mutation { setTicketTags(id: \"$TICKET\", add: [\"$via-$i\"]) { id } }" >/dev/null
  done
  if ! wait "$SUB"; then
    echo "subscription through $via failed:" >&2; cat "$TMP/sub-$via.log" >&2; exit 1
  fi
  tail -1 "$TMP/sub-$via.log"
done
echo "conformance: ok"
