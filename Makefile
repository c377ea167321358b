# nextbest: build, run locally, test.
# The two commands a newcomer needs are `make demo` and `make test`; see README.md.

SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CACHE := $(ROOT)/.cache
FUNCTIONS := decide record-response score-batch send-message
HOST_ARCH := $(shell go env GOARCH)
GOBUILD := CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags='-s -w'

include infra/tools.mk

.PHONY: demo up test lint unit eval cli

# The datasets the measurements read (make eval, make simulate-*).
DATASETS ?= ../shared/datasets

## cli: the operator CLI, bin/nextbest, for this machine (`bin/nextbest --help`; docs/cli.md).
cli:
	go build -trimpath -o bin/nextbest ./infra/cmd/nextbest

## demo: the main job, locally: install what is missing, start the stack, seed it, serve
## the API, make decisions, learn from responses, run a batch, deliver it, report, stop.
demo: tools build cli
	go run ./infra/cmd/local demo

## up: start and seed the local stack and serve the API on 127.0.0.1:3000 until Ctrl-C.
up: tools build cli
	go run ./infra/cmd/local up

## test: every check CI runs: formatting, vet, staticcheck, the template linters, the unit
## tests (the OpenAPI document's validation among them), the tests against the local
## stack (DynamoDB Local, the SQS server and the built bootstraps under the Lambda
## Runtime Interface Emulator: hostile requests, outages, the API contract) and a short
## fuzz pass.
test: lint build
	go test -race -count=1 -shuffle=on -tags integration ./...
	@$(MAKE) --no-print-directory fuzz

## fuzz: a short pass of each fuzz target beyond its committed corpus (which every
## `go test` replays): request decoding and catalog rules. FUZZTIME sets each pass;
## a failing input is written under the package's testdata/fuzz/ to be committed.
FUZZTIME ?= 15s
.PHONY: fuzz
fuzz:
	go test -run='^$$' -fuzz='^FuzzDecodeJSON$$' -fuzztime=$(FUZZTIME) ./shared/httpapi
	go test -run='^$$' -fuzz='^FuzzRule$$' -fuzztime=$(FUZZTIME) ./shared/decision

## unit: the unit tests alone; they need no tools.
unit:
	go test -race -shuffle=on ./...

lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go vet -tags integration ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags integration ./...
	$(CFN_LINT) template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint --template template.yaml

## eval: the models' quality on ../shared/datasets beside Vowpal Wabbit (installs it with
## `make peers`; a few minutes; not part of test): docs/model-quality.md.
eval: peers
	go run ./infra/evaluate -datasets $(DATASETS) -python $(PEERS_PYTHON) -out docs/model-quality.md

# The simulations of docs/results.md, one command per dataset; another copy of a log can
# be given, e.g. `make simulate-hillstrom HILLSTROM=my.csv`. Reports go to results/.
HILLSTROM ?= $(DATASETS)/hillstrom/hillstrom-dev.csv
OBD_MEN ?= $(DATASETS)/obd-men
RESULTS := $(ROOT)/results

.PHONY: simulate-hillstrom simulate-obd
## simulate-hillstrom: the engine's uplift targeting on the Hillstrom e-mail test, valued
## on the held-out half beside the usual uplift models (results/hillstrom.{txt,json,html}).
simulate-hillstrom: peers cli
	@mkdir -p $(RESULTS)
	$(PEERS_PYTHON) infra/peers/uplift.py --mapping docs/simulate/hillstrom.mapping.yaml --log $(HILLSTROM) --out $(RESULTS)/hillstrom-peers
	bin/nextbest simulate --mapping docs/simulate/hillstrom.mapping.yaml --catalog docs/simulate/hillstrom.catalog.yaml \
	  --ranking "two-model logistic regression=$(RESULTS)/hillstrom-peers/two-model-logistic-regression.csv" \
	  --ranking "two-model LightGBM=$(RESULTS)/hillstrom-peers/two-model-LightGBM.csv" \
	  --ranking "class transformation=$(RESULTS)/hillstrom-peers/class-transformation.csv" \
	  --json-out $(RESULTS)/hillstrom.json --html $(RESULTS)/hillstrom.html $(HILLSTROM) | tee $(RESULTS)/hillstrom.txt

## simulate-obd: the engine's policy on the Open Bandit men campaign's random log, beside
## the production Thompson sampling policy's own log (results/obd-men.{txt,json,html}).
simulate-obd: cli
	@mkdir -p $(RESULTS)
	bin/nextbest simulate --mapping docs/simulate/obd-men.mapping.yaml --catalog docs/simulate/obd-men.catalog.yaml \
	  --logged "production Thompson sampling=$(OBD_MEN)/bts.csv" \
	  --json-out $(RESULTS)/obd-men.json --html $(RESULTS)/obd-men.html $(OBD_MEN)/random.csv | tee $(RESULTS)/obd-men.txt

.PHONY: build
## build: the four bootstrap binaries for this host, for the local emulator (bin/<function>/bootstrap).
build:
	@for fn in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=$(HOST_ARCH) $(GOBUILD) -o bin/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# sam build uses the makefile build method: one target per function logical id, building
# for arm64 (the architecture template.yaml declares) into the folder sam hands us.
build-DecideFunction:
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/decide
build-RecordResponseFunction:
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/record-response
build-ScoreBatchFunction:
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/score-batch
build-SendMessageFunction:
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/send-message
