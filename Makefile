# Tessera: `make run` serves GraphQL on the embedded database; `make test` runs everything
# CI runs. Both install what they need.
.PHONY: run dev test test-go generate check-generate lint conformance desktop-test bench-ingest build

build:
	go build -o bin/tessera ./server

run:
	go run ./server serve -dev

test:
	bash scripts/test.sh

test-go:
	go test ./...

generate:
	go generate ./...

check-generate:
	bash scripts/check-generate.sh

lint:
	bash scripts/lint.sh

conformance: build
	bash scripts/conformance.sh bin/tessera

desktop-test: build
	TESSERA_SERVER_BIN=bin/tessera bash scripts/desktop-test.sh

bench-ingest: build
	bin/tessera bench ingest
