# Sentinelle: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

EVAL_VENV := .venv-eval
EVAL_STAMP := $(EVAL_VENV)/.installed-$(shell cat evaluation/requirements-presidio.txt | cksum | cut -d' ' -f1)

E2E_VENV := .venv-e2e
SAM_VENV := .venv-sam
# Python 3.12 for the emulator's functions (the Lambda runtime's version) and for `sam build`.
# A pyenv shim answers `command -v` even when it cannot run, so each candidate is tried.
E2E_PYTHON ?= $(or $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
                 $$p -c '' 2>/dev/null && { echo $$p; break; }; done),$(PYTHON))

.PHONY: run test eval bench lint cfn-lint install clean build eval-env e2e e2e-env

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The local OCR engine (RapidOCR on onnxruntime, about 400 MB): for `make run`, not for `make test`.
OCR_STAMP := $(VENV)/.ocr-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
$(OCR_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,ocr]'
	rm -f $(VENV)/.ocr-installed-* && touch $(OCR_STAMP)

## Scan the demo (recorded feeds, offline) into the embedded store and print incidents.
run: $(STAMP) $(OCR_STAMP)
	$(BIN)/sentinelle run
	$(BIN)/sentinelle incidents

## The whole test suite (unit, functional against moto, SQLite, a real local HTTP server), after
## the linter and the type checker (configured in pyproject.toml).
test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# Microsoft Presidio, for side-by-side figures only: its own venv, never the project's or the layer.
$(EVAL_STAMP): evaluation/requirements-presidio.txt
	test -x $(EVAL_VENV)/bin/python || $(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/python -m pip install -q -r evaluation/requirements-presidio.txt
	rm -f $(EVAL_VENV)/.installed-* && touch $(EVAL_STAMP)

eval-env: $(EVAL_STAMP)

## Detection quality over ../shared/data and the detectors' own fixtures (docs/evaluation.md).
eval: $(STAMP) $(EVAL_STAMP)
	$(BIN)/python -m evaluation

## Speed and memory (docs/benchmarks.md). Not part of `make test`.
bench: $(STAMP) $(EVAL_STAMP)
	$(BIN)/python -m benchmarks

# MiniStack (a local AWS emulator; it pins botocore exactly) and the SAM CLI, each in its own
# environment: never in the project's .venv or the Lambda layer.
$(E2E_VENV)/.installed:
	test -x $(E2E_VENV)/bin/python || $(E2E_PYTHON) -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/python -m pip install -q --upgrade pip
	$(E2E_VENV)/bin/python -m pip install -q ministack aws-sam-translator boto3
	touch $@

$(SAM_VENV)/.installed:
	test -x $(SAM_VENV)/bin/python || $(E2E_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli
	touch $@

e2e-env: $(E2E_VENV)/.installed $(SAM_VENV)/.installed

## The real stack on an emulator: sam build, sam deploy, scans, alerts, API (docs/deploy.md). Minutes; not in `make test`.
e2e: $(STAMP) e2e-env
	$(BIN)/python -m e2e

## ruff (pycodestyle, pyflakes, bugbear) and mypy (the package; the core strict). cfn-lint on the
## template runs inside the suite (tests/unit/test_template.py), and alone with `make cfn-lint`.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

build:
	sam build

clean:
	rm -rf $(VENV) $(EVAL_VENV) $(E2E_VENV) $(SAM_VENV) .sentinelle .aws-sam .e2e
