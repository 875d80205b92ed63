#!/usr/bin/env bash
# Fails when `go generate ./...` would change generated code (graph/, resolvers/): it
# compares the tree before and after generating, so it holds on a clean checkout (CI)
# and on a working tree with changes not yet committed alike.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
cp -R graph resolvers "$before/"
go generate ./...
stale=0
for d in graph resolvers; do
  if ! diff -r "$before/$d" "$d" >"$before/$d.diff"; then
    grep -E '^(Only in|diff )' "$before/$d.diff" >&2 || true
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "check-generate: generated code is stale (go generate changed or created the files above): run 'make generate' and commit" >&2
  exit 1
fi
echo "check-generate: ok"
