# One command to set up and run the demo, one to set up and run the whole suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test static lint typecheck contracts pytest bench hardening soak clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24" "setuptools<81" wheel
	# torch alone and first, so nothing resolves a CUDA build before it
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m safety.clash
	touch $(STAMP)

demo: install
	$(BIN)/cameoguard demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

# Two workers by default (CI has two cores); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

pytest: install
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
	echo "pytest: $$(( $$(date +%s) - start )) s"; exit $$status

static: lint typecheck contracts

# The static checks run beside pytest, not before it: the suite leaves part of a core idle (processes starting,
# a browser, databases), which they fill, and either failing fails the target.
test: install
	@$(MAKE) --no-print-directory -j2 --output-sync=line pytest static

# The whole hardening run: the full hostile corpus through the CLI, longer fuzzing, a bigger load, hundreds of
# races on PostgreSQL and many kill-test rounds. `make test` runs a fast slice of the same tests.
hardening: install
	CAMEOGUARD_HARDENING=1 CAMEOGUARD_RACE_ROUNDS=200 CAMEOGUARD_KILL_ITERATIONS=30 \
	CAMEOGUARD_TEST_POSTGRES_URL=$${CAMEOGUARD_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	$(BIN)/python -m pytest tests/hardening tests/safety/test_revocation.py -q -p no:randomly $(PYTEST_ARGS)

# Seeded simulations of two hook replicas on PostgreSQL with faults, back to back for 30 minutes: steps run,
# interleavings covered, invariant violations (and the seed that replays each).
soak: install
	CAMEOGUARD_TEST_POSTGRES_URL=$${CAMEOGUARD_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	$(BIN)/python -m tests.safety.sim.soak --minutes $${SOAK_MINUTES:-30}

bench: install
	$(BIN)/python -m bench.gate
	$(BIN)/python -m bench.likeness
	$(BIN)/python -m bench.provenance
	$(BIN)/python -m bench.revocation
	$(BIN)/python -m bench.resolution      # needs the local PostgreSQL (--postgres none skips it)
	$(BIN)/python -m bench.classifiers
	$(BIN)/python -m bench.restrictions
	$(BIN)/python -m bench.voices       # needs espeak-ng and pocketsphinx-testdata
	$(BIN)/python -m bench.console      # needs Debian's chromium
	$(BIN)/python -m bench.staydown
	$(BIN)/python -m bench.retro_scan
	$(BIN)/python -m bench.formats
	$(BIN)/python -m bench.speed
	$(BIN)/python -m bench.api    # needs the local PostgreSQL and RabbitMQ

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
