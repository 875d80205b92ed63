#!/usr/bin/env bash
# go vet, gofmt and staticcheck (installed at a pinned version when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
GOBIN="$(go env GOPATH)/bin"
if ! [ -x "$GOBIN/staticcheck" ] || ! "$GOBIN/staticcheck" -version | grep -q 2026.1; then
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
unformatted="$(gofmt -l $(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go'))"
if [ -n "$unformatted" ]; then
  echo "lint: not gofmt-ed:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
"$GOBIN/staticcheck" ./...
echo "lint: ok"
