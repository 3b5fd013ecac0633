# filesync.cluster: two commands on a fresh Debian machine.
#   make lab    bring up the local lab (Docker) and deploy the stack into it
#   make test   unit tests, ansible-test sanity, ansible-lint, molecule scenarios
# Each target installs what it needs itself.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export NO_COLOR := 1

host-deps:
	tools/host-deps.sh

.PHONY: host-deps venv docker image lab lab-status lab-destroy test test-matrix galaxy unit sanity lint molecule readmes bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

docker:
	tools/ensure-docker.sh

image: docker
	tools/build-image.sh bookworm
	tools/build-image.sh trixie

# make lab: the Seafile lab (site.yml); make lab SCENARIO=seatable: the
# SeaTable lab (FILESYNC_SEATABLE_MODE=etcd for the etcd cluster);
# make lab SCENARIO=powerfolder: the PowerFolder lab.
SCENARIO ?= default
export SCENARIO
LAB_INVENTORY := $(if $(filter default,$(SCENARIO)),inventories/lab,inventories/lab-$(SCENARIO))
LAB_PREPARE := $(if $(filter default,$(SCENARIO)),molecule/shared/prepare.yml,molecule/shared/prepare-$(SCENARIO).yml)
LAB_PLAYBOOK := $(if $(filter default,$(SCENARIO)),site.yml,playbooks/$(SCENARIO).yml)

lab: venv image
	tools/lab.sh up
	ansible-playbook $(LAB_PREPARE) -i $(LAB_INVENTORY)
	ansible-playbook $(LAB_PLAYBOOK) -i $(LAB_INVENTORY)
	tools/lab.sh status

lab-status: venv
	tools/lab.sh status

lab-destroy:
	tools/lab.sh destroy

test:
	tools/run-tests.sh

# The unit tests and syntax checks on every older ansible-core of
# tests/core-versions.txt (make test runs the oldest and the newest), and the
# default scenario on Debian 12 (make test runs it on Debian 13).
test-matrix: venv image
	pytest -q tests/unit
	for release in $$(awk '!/^#/ && NF { print $$1 }' tests/core-versions.txt); do tools/core-check.sh $$release || exit 1; done
	FILESYNC_DEBIAN=bookworm molecule test -s default

# galaxy-importer on the built tarball, then the installed collection's playbooks.
galaxy: venv
	tools/galaxy-check.sh

unit: host-deps venv
	pytest -q tests/unit

sanity: host-deps venv
	tools/sanity.sh

lint: venv
	ansible-lint

molecule: venv image
	molecule test --all

# Each role's README.md, from its meta/argument_specs.yml (the unit tests
# check that they are in sync).
readmes: venv
	python3 tools/role-readme.py

bench: venv image
	tools/bench.sh

clean: lab-destroy
	rm -rf $(VENV) $(VENV)-* tests/output
