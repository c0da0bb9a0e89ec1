# Chat Site — `make run` serves the app, `make test` runs every check.
# Both create .venv and install what pyproject.toml lists the first time.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
STEP ?=
APP ?=

# A step is one app.py (steps 01-08) or a package folder chatsite/ (09 on);
# `flask --app` takes either path. A step with migrations (19 on) brings its
# database up to date first, as the final app does.
step_app = $(firstword $(wildcard steps/$(1)_*/app.py) $(wildcard steps/$(1)_*/chatsite))
step_folder = $(firstword $(wildcard steps/$(1)_*))
COVERAGE := --cov --cov-report=term --cov-fail-under=95
FLASK_FINAL := $(BIN)/flask --app chatsite

.PHONY: run serve test test-bridge test-pages lint pytest docs-build check exercise-start exercise docs screenshots bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $(STAMP)

## run: serve the final app (or STEP=NN) on http://127.0.0.1:$(PORT)
# The final app's database is brought up to date first (created on the first run).
run: $(STAMP)
ifneq ($(STEP),)
	@test -n "$(call step_app,$(STEP))" || { echo "No step $(STEP) in steps/"; exit 2; }
	$(if $(wildcard $(call step_app,$(STEP))/migrations),$(BIN)/flask --app $(call step_app,$(STEP)) db upgrade)
	$(BIN)/flask --app $(call step_app,$(STEP)) run --port $(PORT)
else
	$(FLASK_FINAL) db upgrade
	$(FLASK_FINAL) run --port $(PORT)
endif

## serve: the final app (or STEP=NN, 21 on) under gunicorn, several worker processes (see final/gunicorn.conf.py)
# A step is served from its folder: PYTHONPATH makes `chatsite` its package, with
# the gunicorn.conf.py beside it (steps before 21 have none: `make run STEP=NN`).
serve: $(STAMP)
ifneq ($(STEP),)
	@test -f "$(call step_folder,$(STEP))/gunicorn.conf.py" || { echo "No steps/$(STEP)_*/gunicorn.conf.py: steps are served by gunicorn from step 21 on"; exit 2; }
	$(BIN)/flask --app $(call step_folder,$(STEP))/chatsite db upgrade
	CHATSITE_BIND=127.0.0.1:$(PORT) PYTHONPATH=$(call step_folder,$(STEP)) \
	$(BIN)/gunicorn -c $(call step_folder,$(STEP))/gunicorn.conf.py "chatsite:create_app()"
else
	$(FLASK_FINAL) db upgrade
	CHATSITE_BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c final/gunicorn.conf.py "chatsite:create_app()"
endif

## test: lint, the staged suite, the final app's suite and a strict docs build
## test STEP=04: only step 04's tests (its staged runs, and the "before" runs of what it adds)
ifneq ($(STEP),)
test: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider --step=$(STEP)
else
test: lint pytest docs-build
endif

## test-bridge: steps 20-22 run every older test too (make test runs those on 19 and final; CI runs this)
# tests/conftest.py's bridge_targets says why; tests/test_selection.py checks this list.
BRIDGE_STEPS := 20 21 22
test-bridge: $(STAMP)
	for step in $(BRIDGE_STEPS); do $(BIN)/pytest -n auto -p no:cacheprovider -q --step=$$step || exit 1; done

## test-pages: run every shell session the docs show, in a fresh copy of the repository (tools/pages.py; CI runs this)
test-pages: $(STAMP)
	$(BIN)/pytest -n auto -p no:cacheprovider -q tools/test_pages.py

lint: $(STAMP)
	$(BIN)/ruff check --output-format concise .

# -n auto: pytest-xdist runs the tests in one process per processor (each with
# its own throwaway servers), so `make test` stays well under 10 minutes.
pytest: $(STAMP)
	$(BIN)/pytest -n auto --dist worksteal $(COVERAGE)

docs-build: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

## check: grade any app up to a step, e.g. make check STEP=04 APP=path/to/app.py
# APP is an app.py (steps 01-08) or a package folder with create_app() (09 on).
# REPORT=report.json writes the grading report as JSON, REPORT=report.xml as JUnit XML.
REPORT ?=
check: $(STAMP)
	@test -n "$(APP)" -a -n "$(STEP)" || { echo "usage: make check STEP=04 APP=path/to/app.py [REPORT=report.json|report.xml]"; exit 2; }
	@test -e "$(APP)" || { echo "No app at $(APP): give an app.py or a package folder"; exit 2; }
	CHATSITE_APP="$(APP)" CHATSITE_STEP="$(STEP)" $(if $(filter %.json,$(REPORT)),CHATSITE_REPORT="$(REPORT)") \
	$(BIN)/pytest tests -q -p no:cacheprovider --no-header --tb=line $(if $(filter %.xml,$(REPORT)),--junitxml="$(REPORT)")

## exercise-start: copy step STEP to exercises/STEP/ for its exercises, e.g. make exercise-start STEP=04
# It never overwrites a copy that is there already; FORCE=1 starts again from the step.
FORCE ?=
exercise-start: $(STAMP)
	@test -n "$(STEP)" || { echo "usage: make exercise-start STEP=04 [FORCE=1]"; exit 2; }
	$(BIN)/python tools/exercise.py start $(STEP) $(if $(FORCE),--force)

## exercise: check exercise N of step STEP in exercises/STEP/ (or APP=path), e.g. make exercise STEP=04 N=1
# The checker's lines are the verdict. Checks that fail (its exit code 1) are no
# error of make's; STRICT=1 passes that exit code on, for a script that grades.
N ?=
STRICT ?=
exercise: $(STAMP)
	@test -n "$(STEP)" -a -n "$(N)" || { echo "usage: make exercise STEP=04 N=1 [APP=path/to/app.py] [STRICT=1]"; exit 2; }
	@$(BIN)/python tools/exercise.py check $(STEP) $(N) $(if $(APP),--app "$(APP)"); status=$$?; \
	if [ $$status -eq 1 ] && [ -z "$(STRICT)" ]; then exit 0; fi; exit $$status

## docs: serve the docs on http://127.0.0.1:8000 while you edit them (DOCS_PORT=8001: another port)
DOCS_PORT ?= 8000
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)

## screenshots: retake every screenshot in the docs (needs /usr/bin/chromium)
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

## bench: time the final app's pages with 100 and 100,000 posts, and live updates (see docs: Performance)
bench: $(STAMP)
	$(BIN)/python final/bench/bench.py
	$(BIN)/python final/bench/bench_live.py
	$(BIN)/python final/bench/bench_upload.py

clean:
	rm -rf $(VENV) site .pytest_cache .ruff_cache .coverage
