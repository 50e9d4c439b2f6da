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

## The whole test suite (what CI runs): spread over every core (pytest-xdist; JOBS=0 runs it in one process), then
## the tests marked `serial` (wall-clock bounds) alone; each pass lists its 25 slowest tests. Both passes run; the
## target fails if either did (exit 5, "no test selected", is not a failure).
JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -q --durations=25
define two_passes
	@status=0; \
	$(PYTEST) -n $(JOBS) -m "not serial$(1)" || status=$$?; \
	$(PYTEST) -n 0 -m "serial$(1)" || { code=$$?; [ $$code -eq 5 ] || status=$$code; }; \
	exit $$status
endef

test: $(STAMP)
	$(call two_passes,)

## The fast lane: every test not marked slow (under 3 minutes on 2 cores).
test-fast: $(STAMP)
	$(call two_passes, and not slow)

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
