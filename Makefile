# One-command entry points. Only Python 3.11 and git are assumed; everything else is installed into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lab bench screenshot clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## report: set up .venv and build reports/latest/index.html from the committed data (no network)
report: $(STAMP)
	$(BIN)/lsr build

## test: run the test suite (unit, integration and browser tests)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lab: install JupyterLab into .venv and open the notebooks with the project's environment as the kernel
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[lab,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (review)"
	cd notebooks && ../$(BIN)/jupyter lab

## bench: run the benchmarks and write bench/RESULTS.md
bench: $(STAMP)
	$(BIN)/python -m bench

## screenshot: render the top of the report to docs/report-top.png (needs Debian's chromium)
screenshot: $(STAMP)
	$(BIN)/python -m pipeline.report.screenshot reports/latest/index.html docs/report-top.png

clean-venv:
	rm -rf $(VENV)
