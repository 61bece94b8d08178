# The README's two commands: `make run` (set up + run the assistant) and `make test` (set up + run all tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: setup run test system-deps docs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e '.[test]'
	@touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/voiceshop serve --host 127.0.0.1 --port 8000

system-deps:
	bash scripts/install-system-deps.sh

test: setup system-deps
	$(PY) -m pytest

docs: setup
	$(PY) -m tools.docs > docs/actions.md
