# Sightline: `make run` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := pkg-config zlib1g-dev libpcre2-dev libsqlite3-dev libssl-dev libmimalloc-dev libfuzzy-dev libmaxminddb-dev libyara-dev python3-venv
VENV := .venv
PY_TEST_PACKAGES := stix2-validator stix2-matcher evtx pysigma pysigma-backend-sqlite pysigma-pipeline-sysmon \
  pysigma-pipeline-windows
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/sightline

.PHONY: run test deps venv build release bench clean

## Install the system packages that are missing (apt-get, when available).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing" >&2; exit 1; fi; \
	fi

## Python reference tools for interop tests, in a virtual environment.
venv: deps
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import stix2validator, stix2matcher, evtx, sigma.backends.sqlite, sigma.pipelines.sysmon, sigma.pipelines.windows" 2>/dev/null || \
	  $(VENV)/bin/pip install -q --disable-pip-version-check $(PY_TEST_PACKAGES)

release: deps
	SWIFT=$(SWIFT) scripts/release-build.sh

build: deps
	$(SWIFT) build

RUN_DB ?= $(CURDIR)/.build/run/knowledge.sqlite

## The main job on the example that ships with the project: the DarkSeoul wiper attack of March 2013,
## replayed in Sysmon and Security logs (scripts/make-darkseoul-example.py), hunted with Sightline's own
## Sigma rules, grouped into campaigns and attributed with the built-in knowledge.
run: release
	$(BIN) investigate --db $(RUN_DB) --victim-country KR --victim-sector 'financial services' --victim-sector media \
	  examples/darkseoul

test: deps venv
	@# Temporary files of the build and the tests go to one folder, removed afterwards (the tests make
	@# hundreds of scratch folders and files).
	scratch=$$(mktemp -d "$${TMPDIR:-/tmp}/sightline-tests.XXXXXX") && \
	TMPDIR=$$scratch SIGHTLINE_PYTHON=$(CURDIR)/$(VENV)/bin/python $(SWIFT) test; \
	status=$$?; rm -rf "$$scratch"; exit $$status

## Benchmarks (release builds, kept out of the default test run).
bench: release venv
	scripts/bench-knowledge.sh
	SIGHTLINE_PYTHON=$(CURDIR)/$(VENV)/bin/python scripts/bench-evtx.sh
	SIGHTLINE_PYTHON=$(CURDIR)/$(VENV)/bin/python scripts/bench-pattern.sh
	scripts/bench-indicators.sh
	$(BIN) evaluate attribution
	scripts/bench-hunt.sh
	scripts/bench-files.sh

clean:
	rm -rf .build $(VENV)
