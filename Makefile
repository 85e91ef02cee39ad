# Two commands do all the set-up on a new machine:
#   make demo   - create .venv, install, run the whole demo on the embedded default
#   make test   - create .venv with the test extras and run the full test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

# Offline machines: no telemetry, no update checks.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test test-fast lint install system-packages clean-var

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smewg-cycle needs Python >= 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# A migrated, empty Prefect database kept in ~/.cache/smewg: a new PREFECT_HOME starts from a copy (~5 s saved on each).
	$(BIN)/python -m smewg.cli.prefect_database
	@touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/smewg demo

lint: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check smewg flows tasks tests bench
	$(BIN)/ruff format --check smewg flows tasks tests bench
	$(BIN)/mypy

# The report tests look at the reviews in headless Chromium (Debian's package).
system-packages:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing Debian's chromium (headless browser for the report tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

test: lint system-packages
	$(BIN)/python -m pytest

# Everything but the slow end-to-end demo test.
test-fast: lint system-packages
	$(BIN)/python -m pytest -m "not slow"

clean-var:
	rm -rf var
