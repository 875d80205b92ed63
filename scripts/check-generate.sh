#!/usr/bin/env bash
# Fails when `go generate ./...` would change committed generated code.
set -euo pipefail
cd "$(dirname "$0")/.."
go generate ./...
if ! git diff --exit-code --stat -- graph resolvers; then
  echo "check-generate: generated code is stale: run 'make generate' and commit" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- graph resolvers)" ]; then
  git status --porcelain -- graph resolvers
  echo "check-generate: go generate created untracked files" >&2
  exit 1
fi
echo "check-generate: ok"
