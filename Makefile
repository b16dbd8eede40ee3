# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test venv bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## solve the showcase set in instances/ and print a table
demo: $(STAMP)
	$(PY) -m allotment.solvers.demo

## the whole test suite: unit, property, doctests, notebooks
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

## regenerate the shipped JSON Schemas of the instance files
schemas: $(STAMP)
	$(PY) -m allotment.models.schemas

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
