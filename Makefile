# Sentinelle: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test eval bench lint install clean build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Scan the demo (recorded feeds, offline) into the embedded store and print incidents.
run: $(STAMP)
	$(BIN)/sentinelle run
	$(BIN)/sentinelle incidents

## The whole test suite (unit, functional against moto, SQLite, a real local HTTP server).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## Detection quality over ../shared/data and the detectors' own fixtures (docs/evaluation.md).
eval: $(STAMP)
	$(BIN)/python -m evaluation

## Speed and memory (docs/benchmarks.md). Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

build:
	sam build

clean:
	rm -rf $(VENV) .sentinelle .aws-sam
