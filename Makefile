# Every target creates .venv itself on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REPORTS := reports

.PHONY: venv run test test-fast bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## The main job on embedded defaults: the default simulation scenario (every SLO decided: a failing or an
## inconclusive one, exit 1 or 3, stops the job); sample messages of every operation and
## version, signed, checked against the rule catalogue and verified; then the provider suite against the reference
## participant (the harness starts it). Reports go under reports/.
run: $(STAMP)
	@mkdir -p $(REPORTS)
	$(BIN)/smev-sim run scenarios/national-working-day.yaml --workers 2 --out $(REPORTS)/sim/national-working-day \
		--junit $(REPORTS)/sim/national-working-day.junit.xml
	$(BIN)/smev-conformance sample --all --output $(REPORTS)/samples
	$(BIN)/smev-conformance check $(REPORTS)/samples --format junit --output $(REPORTS)/check.junit.xml
	$(BIN)/smev-conformance check $(REPORTS)/samples --format html --output $(REPORTS)/check.html
	$(BIN)/smev-conformance verify $(REPORTS)/samples --trust conformance/crypto/testdata/ca.cert.pem --format html --output $(REPORTS)/verify.html
	$(BIN)/smev-conformance check $(REPORTS)/samples
	$(BIN)/smev-conformance run --suite provider \
		--participant conformance/reference/participants/reference.provider.yaml --report-dir $(REPORTS)/live/provider

## The whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest -q

## The fast lane: every test not marked slow (under 3 minutes on 2 cores).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

## Benchmarks: figures as ratios to a baseline measured in the same run.
bench: $(STAMP)
	@mkdir -p $(REPORTS)/bench
	$(BIN)/python tests/bench/run.py

## Ruff, and the import contract of pyproject.toml (layers that only point down; docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check conformance sim tests
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .import_linter_cache
