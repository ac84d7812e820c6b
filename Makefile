# bordergraph: two commands do everything on a fresh machine.
#   make serve   set up, validate the graph, serve it on http://127.0.0.1:8000
#                (BORDERGRAPH_HOST / BORDERGRAPH_PORT and every other BORDERGRAPH_* setting are honoured)
#   make test    set up (the system packages too: .ci/system-packages), build and validate the graph,
#                then lint, type-check and run every test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYDIRS := $(wildcard src tests bench)
STAMP  := $(VENV)/.installed-stamp
COGGED := README.md docs/records-registry.md docs/wikidata-links.md

.PHONY: serve test build validate lint typecheck pytest clean dist snapshots docs system-packages

$(BIN)/python:
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "==> installing bordergraph and its tools into $(VENV) (the first time takes a few minutes)"
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	touch $(STAMP)
	@echo "==> installed"

# Chromium, chromedriver, Virtuoso, HAProxy: installed when run as root with apt-get, otherwise
# make stops at once with the command to run (.ci/system-packages.sh; .ci/run uses the same list).
system-packages:
	@.ci/system-packages.sh

build: $(STAMP)
	$(BIN)/bordergraph build

validate: $(STAMP)
	$(BIN)/bordergraph validate

# `bordergraph serve` validates the data itself (once) and reads BORDERGRAPH_HOST, BORDERGRAPH_PORT, …;
# on a busy port it stops before building and says what to do.
serve: $(STAMP)
	$(BIN)/bordergraph serve

# ruff, the import contracts of pyproject.toml ([tool.importlinter]; docs/design.md explains them),
# and the docs' generated parts (after changing a serve option or the records: make docs).
lint: $(STAMP)
	$(BIN)/ruff check $(PYDIRS)
	$(BIN)/ruff format --check $(PYDIRS)
	$(BIN)/lint-imports
	$(BIN)/cog --check $(COGGED)

# Regenerate the docs' generated parts (cog blocks) from the code and the validated data.
docs: $(STAMP)
	$(BIN)/cog -r $(COGGED)

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
pytest: $(STAMP)
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

test: system-packages build lint typecheck pytest

# Rewrite queries/examples/expected/*.tsv whose answer changed beyond the order of ties, then show
# what changed. Review every changed row against the sources before committing (docs/curation.md).
snapshots: $(STAMP)
	BORDERGRAPH_UPDATE_EXPECTED=1 $(BIN)/python -m pytest tests/test_examples.py -q -k expected_answer
	git diff --stat -- queries/examples/expected/

# dist/<version>/: RDF dumps, GraphML/GEXF/Cytoscape/Neo4j exports, CHANGELOG.md, manifest.json, SHA256SUMS
dist: $(STAMP)
	$(BIN)/bordergraph release --out dist --force

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-artifacts
