# nqpf — `make demo` and `make test` work on a fresh machine: they create .venv/ when missing.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench browser-deps latex-deps datasets clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python scripts/fetch_assets.py
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/nqpf demo --out out/demo

test: $(STAMP) browser-deps latex-deps
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run_all.py

# Debian's pdfLaTeX with booktabs, to compile every to_latex() table in the tests; skipped when present.
latex-deps:
	@command -v pdflatex >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends texlive-latex-base texlive-latex-recommended >/dev/null) \
	      || echo "warning: could not install pdflatex; the LaTeX compile tests will fail in CI"; \
	  else echo "warning: pdflatex not found and cannot install it; the LaTeX compile tests will be skipped"; fi; }

# Debian's chromium for the browser tests (reports and dashboard); skipped when already present.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium not found and cannot install it; browser tests will be skipped"; fi; }

# Rebuild the embedded datasets from ../shared/data/raw (maintainers only; the product never needs it).
datasets: $(STAMP)
	$(BIN)/python scripts/build_datasets.py --raw ../shared/data/raw

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
