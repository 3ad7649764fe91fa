# PermitFlow: `make run` sets up and starts everything with demo data; `make test` runs the tests.
# Dependencies are installed at the versions pinned in constraints.txt (refresh: pip freeze).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The analysts' editor: bpmn-js, its properties panel and token simulation ship ES modules, bundled
# here by esbuild (pinned in package-lock.json) into frontend/dist/, served by app/web/vendor.py.
BUNDLE := frontend/dist/modeler.js
ESBUILD_LOADERS := $(foreach ext,woff woff2 ttf eot svg,--loader:.$(ext)=dataurl)
export FLASK_APP := wsgi
# Where `make run` serves the web app.
RUN_HOST ?= 127.0.0.1
RUN_PORT ?= 5000

.PHONY: run setup test lint bench mutate clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# bpmn-js and ECharts for the analyst pages and the dashboard, exactly as locked in package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(BUNDLE): $(NODE_STAMP) $(wildcard frontend/src/*)
	node_modules/.bin/esbuild frontend/src/modeler.js frontend/src/modeler.css --bundle --minify \
	  --target=es2019 --outdir=frontend/dist $(ESBUILD_LOADERS) --log-level=warning

setup: $(STAMP) $(NODE_STAMP) $(BUNDLE)

## Set up, migrate, deploy the processes, load demo data, start the web app and a worker.
## Ctrl-C (or SIGTERM to make) stops everything the recipe started: the trap signals the whole
## process group (web, worker supervisor and its child) and the embedded Redis's owner, which
## shuts its daemonized redis-server down (app/embedded_redis.py); tests/test_make_run.py checks it.
run: $(STAMP) $(NODE_STAMP) $(BUNDLE)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo "PermitFlow on http://$(RUN_HOST):$(RUN_PORT)  (API docs: /api/v1/docs; Ctrl-C stops all, embedded Redis included)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  instance="$${PERMITFLOW_INSTANCE:-instance}"; mkdir -p "$$instance"; \
	  if [ -z "$$REDIS_URL" ]; then \
	    $(BIN)/python -m app.embedded_redis > "$$instance/embedded-redis.log" & \
	    for _ in $$(seq 1 100); do grep -q '^ready' "$$instance/embedded-redis.log" 2>/dev/null && break; sleep 0.1; done; \
	  fi; \
	  $(BIN)/python worker.py & \
	  $(BIN)/flask run --host $(RUN_HOST) --port $(RUN_PORT)

## The whole test suite, on SQLite and on PostgreSQL (needs PostgreSQL and Redis on localhost).
test: $(STAMP) $(NODE_STAMP) $(BUNDLE)
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python bench/complete_task.py

## Mutation testing (not part of `make test`): each module of tests/mutation/modules.toml against its
## own tests, on SQLite (needs Redis on localhost); fails when a module's kill rate is below its
## threshold. MUTATE_JOBS=N sets the parallel workers (default 2); output goes to mutants/.
mutate: $(STAMP)
	$(BIN)/python tests/mutation/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache frontend/dist
