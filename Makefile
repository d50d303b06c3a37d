# The contract: `make run` and `make test` work on a fresh machine with nothing installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SAMPLE := sample_data/members.xlsx
OUT    := out/members

.PHONY: setup run test lint bench sample clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cleanse run $(SAMPLE) --out $(OUT)
	@echo "Results are in $(OUT)/ (open $(OUT)/report.html)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests sample_data bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Re-make the shipped sample from its seeded generator (the committed file is its output).
sample: $(STAMP)
	$(BIN)/python -m sample_data.generate --rows 2000 --seed 7 --out $(SAMPLE)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
