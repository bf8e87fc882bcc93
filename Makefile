# paddles-go. `make run` serves the API, `make test` runs the whole suite; `make help` lists the rest.
GO   ?= go
TOOL := $(GO) tool -modfile=tools/go.mod

.DEFAULT_GOAL := help
.PHONY: help run build test generate check fmt vet check-generated check-tidy lint-spec bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: build ## serve the API on 127.0.0.1:8080 (a local PostgreSQL under .paddles/ unless PADDLES_DATABASE_URL is set)
	./bin/paddles serve

build: ## build bin/paddles
	$(GO) build -o bin/paddles ./cmd/paddles

test: ## run every test (a throwaway PostgreSQL unless PADDLES_TEST_DATABASE_URL is set)
	$(GO) test -count=1 ./...

bench: build ## benchmark: seed BENCH_SIZE (tiny, 10k, 100k, 1m) jobs, load the API and the SQL floor, write bench/results/ (docs/performance.md)
	$(GO) build -o bin/paddles-bench ./bench/cmd/paddles-bench
	./bin/paddles-bench

generate: ## regenerate gen/ from api/openapi.yaml and db/
	$(TOOL) oapi-codegen -config oapi-codegen.yaml api/openapi.yaml
	$(TOOL) sqlc generate

check: fmt vet check-tidy check-generated lint-spec ## every check CI runs besides the tests

fmt: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

check-tidy: ## fail when go.mod or go.sum (main or tools module) are not tidy
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff

check-generated: generate ## fail when gen/ differs from what the sources generate
	@git add -N gen && git diff --exit-code --stat -- gen || { echo "gen/ is stale: run make generate and commit"; exit 1; }

lint-spec: ## lint api/openapi.yaml with redocly (pinned in package.json)
	npm ci --silent --no-audit --no-fund
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint --format=stylish api/openapi.yaml
