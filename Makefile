# Every target builds its own virtualenv first, so a fresh clone needs nothing but python3.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin

.PHONY: test demo simulate bench lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(BIN)/.installed
	$(BIN)/ruff check bot handlers tests bench
	$(BIN)/pytest

demo: $(BIN)/.installed
	$(BIN)/deskbot demo

simulate: $(BIN)/.installed
	$(BIN)/deskbot simulate

bench: $(BIN)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check bot handlers tests bench
	$(BIN)/ruff format --check bot handlers tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
