# The two set-up commands a newcomer runs (see README): `make run` and `make test`.
VENV ?= .venv
PY ?= python3
BIN = $(VENV)/bin

.PHONY: install install-dev run demo test bench clean

$(BIN)/tepai: pyproject.toml
	bash scripts/setup-system.sh run
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# The test tools (pytest, Playwright) only for `make test` and `make bench`, not for `make run`.
$(VENV)/.dev: $(BIN)/tepai
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/tepai

install-dev: $(VENV)/.dev

run: install
	$(BIN)/tepai run

demo: install
	$(BIN)/tepai demo

# Every core, one test file per worker (a file's module fixtures and snapshots are built once).
PYTEST_ARGS ?= -n auto --dist loadfile

test: install-dev
	bash scripts/setup-system.sh test
	url=$$(bash scripts/start-postgres.sh) && redis=$$(bash scripts/start-redis.sh) && \
	  TEPAI_TEST_PG_ADMIN_URL=$$url TEPAI_TEST_REDIS_URL=$$redis $(BIN)/pytest $(PYTEST_ARGS)

bench: install-dev
	bash scripts/setup-system.sh test
	url=$$(bash scripts/start-postgres.sh) && TEPAI_BENCH_PG_ADMIN_URL=$$url $(BIN)/python -m bench
	@echo "Webhook workers under load: visit conversations over HTTP, 1 and 2 workers (about ten minutes; LOAD_ARGS=--short for a quick look)"
	url=$$(bash scripts/start-postgres.sh) && TEPAI_BENCH_PG_ADMIN_URL=$$url $(BIN)/python -m bench.load $(LOAD_ARGS)
	@echo "Web console pages for 100 and 10,000 commissioners (a few minutes)"
	$(BIN)/python -m bench.web
	@echo "tepai dossier for 100 and 1,000 commissioners, --jobs 1 and every core (tens of minutes on a busy machine)"
	$(BIN)/python -m bench.dossiers

clean:
	rm -rf $(VENV) tepai-demo .pytest_cache
