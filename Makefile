# The relief platform: `make run` starts everything on one machine, `make test` runs the whole suite.
# Needs Python 3.11, Java 17 and Maven on the PATH; everything else is installed by these targets.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGES := libs libs/refdata libs/iso20022 tools/devstack tools/banksim services/declaration services/relief-calc services/refund services/classification services/subscriptions services/reporting
PYPROJECTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
# The ops dashboard's browser library (ECharts, exact version in package.json), installed by npm
# beside the page that the reporting service serves; no lock file (.npmrc: package-lock=false).
DASHBOARD := services/reporting/reporting/dashboard
ECHARTS   := $(DASHBOARD)/node_modules/echarts/package.json

.PHONY: help venv dashboard-assets kafka-jars run rebuild test test-fast lint bench bench-kernel contracts contracts-check contracts-release clean lock

help:
	@echo "make run           start Kafka and the services (Ctrl-C stops them)"
	@echo "make test          the whole test suite against a real Kafka broker and PostgreSQL"
	@echo "make test-fast     the suite without the long fault-injection proofs"
	@echo "make bench         the whole platform end to end (REST → relief → ledger), rebuilds, raw aiokafka; JSON"
	@echo "make bench-kernel  kernel throughput against raw aiokafka, printed as JSON"
	@echo "make lint          ruff and mypy"
	@echo "make contracts     export the OpenAPI documents, the event JSON Schemas and the AsyncAPI document into contracts/"
	@echo "make contracts-check      list the changes that break readers of the released contracts"
	@echo "make contracts-release    snapshot contracts/ as the next released version (contracts/released/)"

# The virtual environment, from pinned versions (requirements.txt), rebuilt when pins change.
$(STAMP): requirements.txt $(PYPROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.0.1"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(foreach p,$(PACKAGES),-e $(p))
	@touch $@

venv: $(STAMP) $(ECHARTS)

$(ECHARTS): $(DASHBOARD)/package.json
	cd $(DASHBOARD) && npm install --no-package-lock --no-audit --no-fund --loglevel=error
	@touch $@

dashboard-assets: $(ECHARTS)

kafka-jars: $(STAMP)
	$(BIN)/devstack kafka-jars

run: $(STAMP) $(ECHARTS)
	$(BIN)/devstack run

# Every projection of every service rebuilt from the log of `make run`'s platform (var/), each
# fingerprint compared with the one taken before (stops `make run` first if it is running).
rebuild: $(STAMP)
	$(BIN)/devstack rebuild

test: $(STAMP) $(ECHARTS)
	$(BIN)/devstack kafka-jars >/dev/null
	$(BIN)/python -m pytest

test-fast: $(STAMP) $(ECHARTS)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check libs services tools tests bench conftest.py
	$(BIN)/ruff format --check libs services tools tests bench conftest.py
	MYPYPATH=libs:libs/refdata:libs/iso20022:tools/banksim $(BIN)/mypy libs/eventkit libs/refdata/refdata libs/iso20022/iso20022 tools/banksim/banksim services/*/*/domain

contracts: $(STAMP)
	$(BIN)/python tools/export_contracts.py

contracts-check: $(STAMP)
	$(BIN)/python tools/contracts_compat.py

# Refuses while anything breaks the last release; the AsyncAPI document then carries the new version.
contracts-release: contracts
	$(BIN)/python tools/contracts_compat.py --release
	$(BIN)/python tools/export_contracts.py

# The end-to-end benchmark: every service as a process on its own PostgreSQL and Kafka; only the JSON on
# stdout (`make bench > run.json`), progress on stderr.
bench: $(STAMP)
	@$(BIN)/devstack kafka-jars >/dev/null
	@$(BIN)/python bench/platform_bench.py $(BENCH_ARGS)

bench-kernel: $(STAMP)
	$(BIN)/devstack kafka-jars >/dev/null
	$(BIN)/python bench/kernel_bench.py $(BENCH_ARGS)

# Regenerate requirements.txt from requirements.in (versions only, no addresses).
lock:
	rm -rf /tmp/relief-lock-venv && $(PYTHON) -m venv /tmp/relief-lock-venv
	/tmp/relief-lock-venv/bin/pip install --quiet -r requirements.in setuptools==75.8.0 wheel==0.45.1
	( echo "# Pinned runtime and development dependencies (versions only; every client uses its default index)."; \
	  echo "# Top-level choices are in requirements.in; regenerate with \`make lock\`."; \
	  /tmp/relief-lock-venv/bin/pip freeze --all | grep -v '^pip==' ) > requirements.txt

clean:
	rm -rf $(VENV) .cache var test-artifacts $(DASHBOARD)/node_modules
