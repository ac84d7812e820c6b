# bordergraph: two commands do everything on a fresh machine.
#   make serve   set up, build and validate the graph, serve it on http://127.0.0.1:8000
#   make test    set up, build and validate the graph, then lint, type-check and run every test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYDIRS := $(wildcard src tests bench)
STAMP  := $(VENV)/.installed-stamp
COGGED := README.md docs/records-registry.md docs/wikidata-links.md

.PHONY: serve test build validate lint typecheck pytest clean dist snapshots docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/bordergraph build

validate: $(STAMP)
	$(BIN)/bordergraph validate

serve: build
	$(BIN)/bordergraph serve --host 127.0.0.1 --port 8000

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

test: build lint typecheck pytest

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
