# flaskstack.web — the commands the README promises.
#   make demo      site.yml against a local SSH target, ends with the HTTPS URL that answers
#   make test      lint, unit tests, every Molecule scenario; prints a summary line
# Everything runs from .venv (make setup); nothing is installed globally.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
SCENARIO ?=

.PHONY: help setup docker images lint unit molecule test demo demo-down bench clean

help:
	@echo "make setup | lint | unit | molecule [SCENARIO=x] | test | demo | demo-down | bench | images | clean"

setup: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt requirements.yml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/ansible-galaxy collection install -r requirements.yml
	@touch $@

docker:
	@scripts/ensure-docker.sh

images: docker
	@scripts/build-images.sh $(if $(FORCE),--force)

lint: setup
	scripts/lint.sh

unit: setup
	$(BIN)/pytest -q sample_app/tests tests/unit tests/apps/flaskr/tests tests/apps/microblog/tests

molecule: setup images
	scripts/run-molecule.sh $(SCENARIO)

test: setup
	scripts/test-all.sh

demo: setup images
	scripts/demo.sh up

demo-down: setup
	scripts/demo.sh down

bench: setup images
	scripts/bench.sh

clean:
	rm -rf .cache .pytest_cache .ruff_cache sample_app/build sample_app/src/*.egg-info
