# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck arch unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the bot: SQLite file + local playground on http://127.0.0.1:3000/playground
run: $(STAMP)
	$(BIN)/animateur db upgrade
	$(BIN)/animateur serve

## Every check: ruff, mypy, import contracts, then all tests (SQLite; PostgreSQL too when
## ANIMATEUR_TEST_DATABASE_URL is set; the browser test when Chromium is installed).
test: lint typecheck arch unit

lint: $(STAMP)
	$(BIN)/ruff check bot adapters playbooks storage tests bench
	$(BIN)/ruff format --check bot adapters playbooks storage tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

arch: $(STAMP)
	$(BIN)/lint-imports

## Tests run in $(TEST_WORKERS) processes (pytest-xdist; each its own PostgreSQL database), then
## those marked `alone` (wall-clock bounds, several processes) by themselves. TEST_WORKERS=0: serial.
TEST_WORKERS ?= 4
unit: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not alone"
	$(BIN)/pytest -q -m alone

## Every benchmark at the issue's sizes (about half an hour; PostgreSQL too when
## ANIMATEUR_BENCH_DATABASE_URL is set — its schema is wiped). Each prints its peer and the machine.
bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.ingress
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.checkin_fire
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.history
	$(BIN)/python -m bench.pulse

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache animateur.db
