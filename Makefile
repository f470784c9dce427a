# Piazza — moderation and citizen-request routing for Italian Comuni.
#
# Quick start
#   make run     # the whole system in one process with the demo (embedded NATS; Redis from
#                # REDIS_URL, 127.0.0.1:6379, or a child redis-server under ./var)
#   make test    # every module's tests against real NATS (in-process) and a private redis-server
#   make lint    # gofmt, go vet, buf lint
#   make help    # every target
#
# Targets loop over the workspace's modules: `go test ./...` does not cross modules at the root.

SHELL := /bin/bash
MODULES := proto pkg deploy services/classifier services/ingest services/sanctions services/routing services/piazza
BIN := $(CURDIR)/bin
GO ?= go

# Pinned code generators (make proto installs them under ./bin).
BUF_VERSION := v1.50.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1

TEST_FLAGS ?= -count=1 -timeout 10m
BENCH ?= .
PIPELINE_COMMENTS ?= 20000
PIPELINE_RUNS ?= 3

.PHONY: help run build test lint fmt vet buf-lint proto proto-check tools bench eval chaos clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: build ## Start everything in one process and replay the demo comments (Ctrl-C stops)
	$(BIN)/piazza up --demo

build: ## Build the piazza binary into ./bin
	$(GO) build -o $(BIN)/piazza ./services/piazza/cmd/piazza

test: fmt ## Run every module's tests (needs redis-server in PATH, or REDIS_URL)
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test $(TEST_FLAGS) ./...); done

lint: fmt vet buf-lint ## gofmt, go vet and buf lint

fmt: ## Fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet every module
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done

buf-lint: tools ## Lint the protobuf contracts
	cd proto && $(BIN)/buf lint

tools: $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc

$(BIN)/buf:
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(BIN)/protoc-gen-go-grpc:
	GOBIN=$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto: tools ## Regenerate the Go code of proto/ with the pinned generators
	cd proto && $(BIN)/buf lint && $(BIN)/buf generate

proto-check: proto ## Fail when regenerating changes the committed code
	@git diff --exit-code -- proto/gen && test -z "$$(git status --porcelain -- proto/gen)" \
		|| (echo "proto/gen is out of date: run make proto and commit"; exit 1)

bench: ## Every benchmark; the pipeline ones (raw JetStream, piazza up, one process per service) also update docs/benchmarks.md
	@mkdir -p var; set -eo pipefail; { \
	  for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -skip 'Pipeline' -bench '$(BENCH)' -benchmem ./...); done; \
	  cd services/piazza && $(GO) test -run '^$$' -bench 'Pipeline' -benchtime $(PIPELINE_COMMENTS)x -count $(PIPELINE_RUNS) ./loadgen/ ./chaos/; \
	} | tee var/bench.txt
	$(GO) run ./services/piazza/cmd/benchdoc -in var/bench.txt -doc docs/benchmarks.md

chaos: ## Only the fault test: services killed and restarted, NATS and Redis restarted (also part of make test)
	cd services/piazza && $(GO) test -count=1 -v -run TestFaults ./chaos/

eval: build ## Evaluate the classifier on ../shared/eval and the public data sets (table; JSON in var/eval.json)
	$(BIN)/piazza eval --eval ../shared/eval --datasets ../shared/datasets --json var/eval.json

clean: ## Remove ./bin and ./var
	rm -rf $(BIN) var
