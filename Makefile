# paddles-go. `make run` serves the API, `make test` runs the whole suite; `make help` lists the rest.
GO   ?= go
TOOL := $(GO) tool -modfile=tools/go.mod

.DEFAULT_GOAL := help
.PHONY: help run build test generate check fmt vet check-generated check-tidy lint-spec bench bench-migrate bench-events
.PHONY: reliability reliability-short

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

bench-migrate: ## by hand, not in CI: apply the migrations under job writes on BENCH_MIGRATE_JOBS (8.5M; 200000 for a quick run) jobs, write bench/results/migrate-*.md (docs/deploy.md)
	$(GO) build -o bin/paddles-migrate-bench ./bench/cmd/paddles-migrate-bench
	./bin/paddles-migrate-bench

bench-events: build ## by hand, not in CI: GET /events/ across two replicas at 500 job writes/s, and 1,000 idle subscribers' RSS and write cost; writes bench/results/events.md (docs/performance.md)
	$(GO) build -o bin/paddles-events-bench ./bench/cmd/paddles-events-bench
	./bin/paddles-events-bench

generate: ## regenerate gen/ from api/openapi.yaml and db/ (job keys first: internal/jobkeys)
	$(GO) run ./internal/jobkeys
	$(TOOL) oapi-codegen -config oapi-codegen.yaml api/openapi.yaml
	$(TOOL) oapi-codegen -config oapi-codegen-spec.yaml api/openapi.yaml
	$(TOOL) oapi-codegen -config oapi-codegen-client.yaml api/openapi.yaml
	$(TOOL) sqlc generate

check: fmt vet check-tidy check-generated lint-spec ## every check CI runs besides the tests

fmt: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

check-tidy: ## fail when go.mod or go.sum (main or tools module) are not tidy
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff
	cd tools/oasdiff && $(GO) mod tidy -diff
	cd tools/ogen && $(GO) mod tidy -diff

GENERATED := gen api/openapi.yaml db internal/paddles/job_keys.gen.go internal/store/job_keys.gen.go
check-generated: generate ## fail when gen/ (or another generated file) differs from what the sources generate
	@git add -N $(GENERATED) && git diff --exit-code --stat -- $(GENERATED) || { echo "generated files are stale: run make generate and commit"; exit 1; }

lint-spec: ## lint api/openapi.yaml with redocly (pinned in package.json)
	npm ci --silent --no-audit --no-fund
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint --format=stylish api/openapi.yaml

# --- The contract as a product: Swagger UI, clients, breaking-change check (README "The contract as a product").
.PHONY: swagger-ui check-swagger-ui
check: check-swagger-ui

# Swagger UI's files served at /docs/, vendored from swagger-ui-dist (pinned in package.json).
SWAGGER_UI_FILES := LICENSE NOTICE package.json favicon-16x16.png favicon-32x32.png swagger-ui.css swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt

swagger-ui: ## copy Swagger UI (swagger-ui-dist, pinned in package.json) into internal/swaggerui/dist
	npm ci --silent --no-audit --no-fund
	rm -rf internal/swaggerui/dist && mkdir -p internal/swaggerui/dist
	cd node_modules/swagger-ui-dist && cp $(SWAGGER_UI_FILES) ../../internal/swaggerui/dist/

check-swagger-ui: swagger-ui ## fail when internal/swaggerui/dist differs from the pinned swagger-ui-dist
	@git add -N internal/swaggerui/dist && git diff --exit-code --stat -- internal/swaggerui/dist || { echo "internal/swaggerui/dist is stale: run make swagger-ui and commit"; exit 1; }

.PHONY: check-ts-client
check: check-ts-client

check-ts-client: ## generate the TypeScript client types (openapi-typescript) and type-check sdk/typescript/example.ts (tsc)
	npm ci --silent --no-audit --no-fund
	npx --no-install openapi-typescript api/openapi.yaml -o sdk/typescript/generated/paddles.ts
	npx --no-install tsc -p sdk/typescript

.PHONY: check-clients
check: check-clients

check-clients: ## generate clients from the served spec with six generators, compile them, check their request bodies are typed, drive the server through two (.ci/check-clients)
	npm ci --silent --no-audit --no-fund
	.ci/check-clients

.PHONY: check-dashboard
check-dashboard: ## parse every query of deploy/grafana/paddles.json with Prometheus' promtool (apt-get install prometheus); make test checks the rest
	.ci/check-dashboard

.PHONY: check-breaking
check: check-breaking

check-breaking: ## fail when api/openapi.yaml breaks the spec it replaces (oasdiff; base: the fork point from main, or HEAD~1 on main)
	.ci/check-breaking
# Reliability (docs/reliability.md). The fuzz targets: go test -fuzz takes one target at a time.
# Budgets are execution counts: a duration races Go 1.26's fuzz coordinator at its deadline and
# fails with a bare "context deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 10000x
SERVER_FUZZTIME ?= 200x
PADDLES_FUZZ := FuzzJobBody FuzzRunBody FuzzNodeBody FuzzLockMany FuzzNormalizeKey FuzzParseRunName FuzzParseRunQuery FuzzAppendString
SERVER_FUZZ := FuzzServerJobBody FuzzServerRequests
RELIABILITY_TESTS := TestRandomRequests|TestRaces|TestDeleteRunWhilePosting|TestNodeRaces|TestModel|TestDatabaseFaults|TestDatabaseOutage|TestDatabaseFailover|TestLostAnswers|TestSIGTERM

reliability-short: ## fuzz every target: FUZZTIME (10000x) for the parsers, SERVER_FUZZTIME (200x) over HTTP; CI runs this after make test
	@set -e; for f in $(PADDLES_FUZZ); do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x ./internal/paddles; done
	@set -e; for f in $(SERVER_FUZZ); do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(SERVER_FUZZTIME) -fuzzminimizetime 10x -parallel 1 ./internal/httpapi; done

reliability: ## the long run: bigger races, more faults, 2000 model sequences, 20,000 random requests, then every fuzz target for LONG_FUZZTIME (1500000x) or LONG_SERVER_FUZZTIME (20000x)
	PADDLES_RELIABILITY=long PADDLES_RELIABILITY_SEED=$${PADDLES_RELIABILITY_SEED:-$$(date +%s)} RAPID_CHECKS=$${RAPID_CHECKS:-2000} \
		$(GO) test -count=1 -v -timeout 60m -run '$(RELIABILITY_TESTS)' ./internal/httpapi ./cmd/paddles
	$(MAKE) reliability-short FUZZTIME=$${LONG_FUZZTIME:-1500000x} SERVER_FUZZTIME=$${LONG_SERVER_FUZZTIME:-20000x}
