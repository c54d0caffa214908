# teichaku — two commands: `make run` (demo office on http://127.0.0.1:8000/) and `make test`.
# Needs only Python 3.11, make and access to PyPI; everything else goes into .venv/.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench fuzz clean-demo

install: $(STAMP)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 が必要です (Python 3.11 is required): " + sys.version'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/teichaku demo --if-empty --tokens-file var/demo-tokens.txt
	@echo
	@echo "  teichaku: http://$(HOST):$(PORT)/   (API の説明 / OpenAPI: http://$(HOST):$(PORT)/docs)"
	@echo "  ログイン (sign in at http://$(HOST):$(PORT)/web/login, var/demo-tokens.txt):"
	@sed -n 's/^\([A-Z_]*\)_LOGIN=\([^ ]*\) [A-Z_]*_PASSWORD=\(.*\)$$/    \1: ログインID \2  パスワード \3/p' var/demo-tokens.txt
	@echo "  デモ用トークン (demo tokens, var/demo-tokens.txt):"
	@sed -n 's/^\([A-Z_]*TOKEN\)=/    \1=/p' var/demo-tokens.txt
	@echo "  例: . var/demo-tokens.txt && curl -H \"Authorization: Bearer \$$STAFF_TOKEN\" http://$(HOST):$(PORT)/cases"
	@echo
	$(BIN)/teichaku serve --host $(HOST) --port $(PORT)

# lint-imports: the layout's import contracts (pyproject.toml [tool.importlinter]):
# layers, no cycles, the store's wiring, and what each door may import.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy domain projections api
	$(BIN)/lint-imports --no-cache

# pytest -rs lists every skipped test with its reason; the last line repeats what was
# skipped (e.g. PostgreSQL not reachable) so a green run never hides an untested backend.
test: lint
	@mkdir -p var
	@set -o pipefail; status=0; \
	$(BIN)/pytest -rs | tee var/pytest-last.log || status=$$?; \
	skipped=$$(awk '/^SKIPPED \[/ { n = $$2; gsub(/[^0-9]/, "", n); \
	  sub(/^SKIPPED \[[0-9]+\] [^:]+:[0-9]+: /, ""); count[$$0] += n } \
	  END { for (r in count) printf "  %d 件 (tests): %s\n", count[r], r }' var/pytest-last.log); \
	echo; \
	if [ -n "$$skipped" ]; then \
	  echo "スキップされたテスト (skipped, NOT tested):"; echo "$$skipped"; \
	else \
	  echo "スキップされたテストはありません (nothing skipped)"; \
	fi; \
	exit $$status

# The HTTP surface fuzzed from its OpenAPI as every role (`make test` runs 3 examples per
# operation; this runs FUZZ_EXAMPLES): no 5xx, every answer matches its schema.
FUZZ_EXAMPLES ?= 100
fuzz: install
	TEICHAKU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/api/test_fuzz.py

bench: install
	$(BIN)/python -m bench.run --cases 40 --backend both

# Forget the demo office (the SQLite file and its tokens); `make run` loads it again.
clean-demo:
	rm -f var/teichaku.db var/teichaku.db-wal var/teichaku.db-shm var/demo-tokens.txt
