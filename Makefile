# The two commands the README promises: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench bench-segment bench-tracer bench-derender bench-gui bench-model bench-batch screenshots \
	eval-trajectories eval-real train sample bundle smoke packages clean

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

$(VENV)/.eval: $(VENV)/.dev
	$(PY) -m pip install -q -e ".[eval]"
	touch $@

$(VENV)/.train: $(VENV)/.dev
	$(PY) -m pip install -q -e ".[train]"
	touch $@

$(VENV)/.bundle: $(VENV)/.dev
	$(PY) -m pip install -q -e ".[bundle]"
	touch $@

# --- benchmarks: each prints a table (speed and memory targets are checked here, never in tests) ---------
bench: bench-segment bench-tracer bench-derender

bench-segment: $(VENV)/.dev
	$(PY) -m benchmarks.bench_segment

bench-tracer: $(VENV)/.dev
	$(PY) -m benchmarks.bench_tracer --page

bench-derender: $(VENV)/.train
	$(PY) -m benchmarks.bench_derender

bench-gui: $(VENV)/.dev
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks.bench_gui

bench-batch: $(VENV)/.dev
	$(PY) -m benchmarks.bench_batch --pages 20

bench-model: $(VENV)/.train
	$(PY) -m training.bench

screenshots: $(VENV)/.dev
	$(PY) scripts/screenshots.py

# --- quality evaluation (needs ../shared) ------------------------------------------------------------
eval-trajectories: $(VENV)/.eval
	$(PY) -m training.evaluate trajectories --n 200 --readback --out reports/eval

eval-real: $(VENV)/.eval
	$(PY) -m training.evaluate real ../shared/eval/real --out reports/eval

# --- training (CPU 2 threads here; CUDA when present) ------------------------------------------------
train: $(VENV)/.train
	$(PY) -m training.train --out runs/main --resume --batch 16 --coord-sigma 1.0

sample: $(VENV)/.dev
	$(PY) -m benchmarks.make_sample_page

# --- standalone app (see packaging/README.md) ---------------------------------------------------------
bundle: $(VENV)/.bundle
	rm -rf dist/InkLift
	nice -n 10 $(PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/inklift.spec

smoke:
	bash packaging/smoke_frozen.sh

packages:
	nice -n 10 bash packaging/linux/build_packages.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check inference desktop training tests packaging
	$(VENV)/bin/lint-imports

clean:
	rm -rf build dist .pytest_cache
