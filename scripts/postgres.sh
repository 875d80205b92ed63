#!/usr/bin/env bash
# Starts a private PostgreSQL (Debian's package, installed if missing) for the tests of
# FerretDB's PostgreSQL backend, and prints its URL (over the Unix socket). Idempotent: a cluster already
# running from an earlier call is reused. Usage: URL=$(bash scripts/postgres.sh)
set -euo pipefail
PGDIR="${TESSERA_PG_DIR:-/tmp/tessera-pg}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user (or nobody).
RUNAS=postgres
id "$RUNAS" >/dev/null 2>&1 || RUNAS=nobody
as() { if [ "$(id -u)" = 0 ]; then runuser -u "$RUNAS" -- "$@"; else "$@"; fi; }
if [ -f "$PGDIR/port" ] && as "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
  echo "postgres://$RUNAS@/postgres?host=$PGDIR&port=$(cat "$PGDIR/port")&sslmode=disable"
  exit 0
fi
rm -rf "$PGDIR"
mkdir -p "$PGDIR"
[ "$(id -u)" = 0 ] && chown "$RUNAS" "$PGDIR"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
as "$BIN/initdb" -D "$PGDIR/data" -U "$RUNAS" --auth=trust -E UTF8 >/dev/null
# Throw-away test data: no fsync.
as "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
echo "$PORT" >"$PGDIR/port.tmp" && mv "$PGDIR/port.tmp" "$PGDIR/port"
# The URL names the Unix socket: a local PostgreSQL is reached faster through it than
# through TCP (FerretDB makes a round trip per statement).
echo "postgres://$RUNAS@/postgres?host=$PGDIR&port=$PORT&sslmode=disable"
