# One-command entry points. Only Python 3.11 and git are assumed; everything else is installed into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lab lab-install bench screenshot clean-venv

# uv installs the same packages several times faster when it is on PATH (`make UV=` forces plain pip).
UV ?= $(shell command -v uv 2>/dev/null)
ifneq ($(UV),)
PIP := $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python
MAKE_VENV := $(UV) venv --quiet --python $(PYTHON) $(VENV)
else
# pip's -qq: errors only (one -q still relays setuptools' notice about editable installs).
PIP := $(BIN)/python -m pip install -qq --disable-pip-version-check
MAKE_VENV := $(PYTHON) -m venv $(VENV)
endif

$(BIN)/python:
	@echo "setup: creating $(VENV) with $(PYTHON)$(if $(UV), (uv))"
	@$(MAKE_VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "setup: installing the project and its test tools into $(VENV) (first run: a few minutes)"
	@$(PIP) -e ".[test]"
	@touch $(STAMP)

LAB_STAMP := $(VENV)/.installed-lab

$(LAB_STAMP): $(STAMP)
	@echo "setup: installing JupyterLab (the [lab] extra) into $(VENV)"
	@$(PIP) -e ".[lab,test]"
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (review)" >/dev/null
	@touch $(LAB_STAMP)

## report: set up .venv and build reports/latest/index.html from the committed data (no network)
report: $(STAMP)
	$(BIN)/lsr build

## test: run the test suite (unit, integration and browser tests)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lab: install JupyterLab into .venv and open the notebooks with the project's environment as the kernel
lab: $(LAB_STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

## lab-install: install the [lab] extra only (CI does, so the JupyterLab test runs instead of skipping)
lab-install: $(LAB_STAMP)

## bench: run the benchmarks and write bench/RESULTS.md
bench: $(STAMP)
	$(BIN)/python -m bench

## screenshot: render the top of the report to reports/report-top.png (needs Debian's chromium);
##             make screenshot OUT=docs/report-top.png refreshes the README's picture on purpose
OUT ?= reports/report-top.png
screenshot: $(STAMP)
	$(BIN)/python -m pipeline.report.screenshot reports/latest/index.html $(OUT)

clean-venv:
	rm -rf $(VENV)
