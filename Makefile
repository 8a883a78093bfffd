# The README's two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := data/sample.xlsx

.PHONY: run test lint bench clean

$(BIN)/cii-sheets: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Write the sample workbook, sync it into the store, print its figures and problems, then serve
# the dashboard on it at http://localhost:8501 (Ctrl+C stops it).
# The sample holds deliberate mistakes, so the sync exits 1 (data errors): that is expected here.
run: $(BIN)/cii-sheets
	$(BIN)/cii-sheets demo --force $(SAMPLE)
	$(BIN)/cii-sheets sync --workbook $(SAMPLE) || [ $$? -eq 1 ]
	@echo "Dashboard: open http://localhost:8501 (Ctrl+C to stop)"
	CII_WORKBOOK=$(SAMPLE) $(BIN)/streamlit run dashboard/app.py --server.port 8501

test: $(BIN)/cii-sheets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(BIN)/cii-sheets
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/readers.py
	$(BIN)/python benchmarks/google_requests.py
	$(BIN)/python benchmarks/watch_requests.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/board_pack.py
	$(BIN)/python benchmarks/giving360.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
