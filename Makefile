# The whole set-up on a fresh machine is two commands:
#   make lab    create .venv, install shadowmmu with JupyterLab, open the notebooks
#   make test   create .venv, install the test extras, run every test
# Both create their own environment; nothing outside .venv is touched.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test wheel-check app notebooks site benchmark capture-guest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One environment and one stamp for every target (lab, app, test, site...), rebuilt when
# pyproject.toml changes: `make test` after `make lab` installs nothing again.
STAMP = $(VENV)/.installed
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab,test]'  # lab pulls the explorers and fast extras
	touch $@

# The old per-extra stamps, kept as names for the one above.
$(VENV)/.test-installed $(VENV)/.lab-installed: $(STAMP)
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=$(HOST) $(ROOT_FLAG) --ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/01-start-here.ipynb

app: $(STAMP)
	$(BIN)/voila --Voila.ip=$(HOST) notebooks/

# The site is built first (its pages are under test). Its build executes every notebook anyway,
# so it also runs each one a second time in the same kernel for the run-twice check
# (--run-twice; tests/notebooks/test_run_twice.py reads the record).
test: $(STAMP) node_modules/.package-lock.json
	$(BIN)/python tools/build_site.py --run-twice
	$(BIN)/python -m pytest

# Build a wheel, install it (not editable) with the extras the smoke test imports
# (explorers) into a fresh venv outside the checkout and run tools/wheel_smoke.py from
# there: every real-guest snapshot loads from the package data and notebook 10's scenarios
# run. CI runs it after `make test`.
wheel-check: $(STAMP)
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir "$$tmp/dist" . ; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	whl=$$(ls "$$tmp"/dist/shadowmmu-*.whl); "$$tmp/venv/bin/python" -m pip install --quiet "$$whl[explorers]"; \
	cd "$$tmp" && "$$tmp/venv/bin/python" $(CURDIR)/tools/wheel_smoke.py

# The static site: every notebook executed with its widget state kept, exported with
# nbconvert, the scripts its pages load vendored from npm at the versions package-lock.json
# pins. site/ is git-ignored; publish it as it is (README: "The static site").
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

site: $(STAMP) node_modules/.package-lock.json
	$(BIN)/python tools/build_site.py

# Rebuild every notebook from its jupytext twin (the .py is the source), execute
# it in a fresh kernel and keep the outputs, widget state stripped: commit-ready.
notebooks: $(STAMP)
	$(BIN)/python tools/build_notebooks.py

benchmark: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

capture-guest: $(STAMP)
	$(BIN)/python tools/capture_guest.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis site node_modules
