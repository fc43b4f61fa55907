# Custos developer targets. `make test` is what CI runs (through .ci/run).

DATA ?= ./custos-data
ADDR ?= localhost:8443
# Set DEMO=1 to load demo data on first start: make run DEMO=1
DEMO ?=
# Time per fuzz target for `make fuzz` (scripts/test.sh uses 5s).
FUZZTIME ?= 30s

.PHONY: all build run test lint fuzz attack clean

all: build

build:
	go build -o bin/custos ./cmd/custos

# --init sets up DATA on first start (keys, database, administrator).
run: build
	./bin/custos serve --data $(DATA) --addr $(ADDR) --init $(if $(DEMO),--demo,)

test:
	scripts/test.sh

lint:
	scripts/lint.sh

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The attack suite, full budget (docs/security-testing.md); CI uses
# scripts/attack.sh --budget ci. Needs root.
attack:
	scripts/attack.sh --budget full

# Removes build and test output only; never the data directory (DATA holds
# the master key and the database).
clean:
	rm -rf bin/ coverage.out coverage.html *.coverprofile
