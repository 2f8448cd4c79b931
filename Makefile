# Every target bootstraps .venv first: on a fresh machine with Python 3.11+ and make,
# `make serve` and `make test` just work.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
ARGS   ?=

.PHONY: install serve serve-deterministic test test-fast lint contract bench bench-long bench-ab clean chromium image

# uv installs (and caches) the packages: the wheel test in `make test` builds its throwaway
# virtualenv from the same cache instead of downloading everything a second time.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "stagemock needs Python 3.11+")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/stagemock serve --host $(HOST) --port $(PORT) $(ARGS)

serve-deterministic: $(STAMP)
	$(BIN)/stagemock serve --host $(HOST) --port $(PORT) --deterministic $(ARGS)

# The dashboard's browser tests drive Debian's Chromium (Playwright's own download cannot work
# offline); install it when missing (as root, or through sudo). apt waits up to two minutes
# for a dpkg lock another apt holds, then the step fails with one line saying what to do.
APT := apt-get -o DPkg::Lock::Timeout=120
CHROMIUM_INSTALL := $(APT) update -qq && $(APT) install -y -qq chromium >/dev/null
CHROMIUM_FAILED := make: could not install chromium for the browser tests (apt-get waited up to 120 s for the dpkg lock, or needs root): run "sudo apt-get install chromium" and retry

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(CHROMIUM_INSTALL); } 2>/dev/null \
		|| sudo sh -c '$(CHROMIUM_INSTALL)' 2>/dev/null \
		|| { echo '$(CHROMIUM_FAILED)' >&2; exit 1; }

# Three workers on a two-core machine: a test spends about 40% of its time waiting on a
# subprocess, a socket or a job's clock, and the third worker's tests run in those waits
# (14.7 min with two workers, 12.0 with three, one after the other on the same busy machine).
test: $(STAMP) chromium
	$(BIN)/ruff check mock_server contract_tests tests bench fixtures
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 3 --dist loadgroup tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x tests $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mock_server contract_tests tests bench fixtures
	$(BIN)/mypy
	$(BIN)/python -m pytest -q tests/test_imports.py

contract: $(STAMP)
	$(BIN)/stagemock check stagepro --max-examples 200 $(ARGS)
	$(BIN)/stagemock check stagerai --max-examples 200 $(ARGS)

bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk
	$(BIN)/python bench/run.py $(ARGS)

# One key's store grown to 250,000 jobs, then GET/POST job against a fresh store
# (bench/LONG-RUN.md); bounded by --long-limit (900 s by default). Not part of `make bench`.
bench-long: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk
	$(BIN)/python bench/run.py --long-run $(ARGS)

# Interleaved A/B of two revisions against the same round's ceiling (docs/benchmarks.md):
# make bench-ab ARGS="2aeb626 HEAD --rounds 6"
bench-ab: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk
	$(BIN)/python bench/ab.py $(ARGS)

# The container image (Dockerfile, docs/container.md) with whichever builder works here:
# docker (when its daemon answers), else podman, else buildah. BASE_IMAGE overrides the
# Dockerfile's python:3.12-slim; IMAGE names the result.
# (read when `make image` runs, not on every make: `=`, not `:=`)
IMAGE_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE   ?= stagemock:$(IMAGE_VERSION)
SOURCE  ?= $(shell git config --get remote.origin.url 2>/dev/null || echo unknown)
IMAGE_ARGS = --build-arg VERSION=$(IMAGE_VERSION) --build-arg SOURCE=$(SOURCE) \
	$(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t $(IMAGE) -t stagemock:latest

image:
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then \
		echo "building $(IMAGE) with docker"; docker build $(IMAGE_ARGS) .; \
	elif command -v podman >/dev/null 2>&1; then \
		echo "building $(IMAGE) with podman"; podman build --format docker $(IMAGE_ARGS) .; \
	elif command -v buildah >/dev/null 2>&1; then \
		echo "building $(IMAGE) with buildah"; \
		buildah bud --isolation chroot --format docker --layers $(IMAGE_ARGS) .; \
	else \
		echo "make image needs docker (with its daemon), podman or buildah" >&2; exit 2; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .schemathesis .ruff_cache reports
