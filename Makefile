# Ferry — every command a developer or CI needs. `make run` and `make test` work on a fresh clone: they install
# dependencies and start the local stack (Kafka, schema registry, Mosquitto) as needed.
SHELL := /bin/bash
STACK := deploy/local/stack.sh
NODE_STAMP := node_modules/.ferry-installed
N ?= 3

.PHONY: setup up down env status build run test test-unit test-integration bench chaos lint workers clean

setup: $(NODE_STAMP)
	@bash $(STACK) setup

$(NODE_STAMP): package.json package-lock.json
	@echo "[ferry] installing npm dependencies (node-rdkafka compiles librdkafka: a few minutes the first time)…"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

up: setup
	@bash $(STACK) up

down:
	@bash $(STACK) down

status:
	@bash $(STACK) status

env:
	@bash $(STACK) env

build: $(NODE_STAMP)
	@npx tsc -p tsconfig.build.json

run: up build
	@eval "$$(bash $(STACK) env)" && node bin/ferry.js demo

test: up
	@bash deploy/local/test-tools.sh
	@eval "$$(bash $(STACK) env)" && npx jest --ci

test-unit: $(NODE_STAMP)
	@npx jest --ci --selectProjects unit

test-integration: up build
	@bash deploy/local/test-tools.sh
	@eval "$$(bash $(STACK) env)" && npx jest --ci --selectProjects integration

bench: up build
	@eval "$$(bash $(STACK) env)" && node test/bench/run.js

# The fault matrix's long profile (docs/reliability.md): an hour or more; starts its own Kafka and Mosquitto.
chaos: up build
	@eval "$$(bash $(STACK) env)" && node test/chaos/run.js --profile long $(if $(DOCS),--docs)

workers: up build
	@eval "$$(bash $(STACK) env)" && bash deploy/local/workers.sh $(N)

lint: $(NODE_STAMP)
	@npx tsc -p tsconfig.json --noEmit
	@npx eslint .
	@npx prettier --check .

clean:
	rm -rf dist coverage
