# Convenience targets. The two set-up commands in README.md need no make.
PY := .venv/bin/python

.PHONY: help serve test lint ci bench bench-load assets
help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

serve:  ## install and run the service with demo data (embedded default)
	python3 scripts/dev.py serve

test:  ## install and run the whole test suite
	python3 scripts/dev.py test

lint:  ## ruff, mypy and the migrations check
	python3 scripts/dev.py lint

ci:  ## what CI runs (needs PostgreSQL and Redis on 127.0.0.1)
	bash .ci/run

bench:  ## speed and memory benchmarks (not timed tests)
	$(PY) -m benchmarks.run

bench-load:  ## load benchmarks: public and restricted dashboards, API intake, the mix of all (PostgreSQL, Redis)
	$(PY) -m benchmarks.run public_load restricted_load api_intake_load mixed_load

assets:  ## rebuild GOV.UK Frontend and Chart.js into portal/static (needs Node)
	bash frontend/build.sh
