# The two commands of the README, and their parts.
UV := python3 -m uv

.PHONY: demo test setup lint typecheck pytest

## demo: install everything, start Neo4j, load generated demo data, serve the API
demo: setup
	$(UV) run cobuild demo

## test: install everything and run the whole suite (lint, types, tests against a real Neo4j)
test: setup lint typecheck pytest

setup:
	@./scripts/setup.sh

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck:
	$(UV) run mypy

pytest:
	$(UV) run pytest --cov --cov-report=term:skip-covered
