# The two commands the README promises: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench bench-segment bench-derender bench-gui eval bundle smoke clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

run: $(VENV)/.runtime
	$(PY) -m desktop.run_sample

test: $(VENV)/.dev
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check inference desktop training tests packaging
	$(VENV)/bin/lint-imports

clean:
	rm -rf build dist .pytest_cache
