#!/usr/bin/env bash
# nats_facts against a real supercluster (cluster A: a1 a2 a3 with JetStream, cluster B: b1 b2,
# gateways; harness topology supercluster), with a static inventory of its servers plus nats-gone,
# a host without a server:
# - 2.10.26: gather_module.yml, nats_facts as a facts module set by facts_modules in an ansible.cfg,
#   the URL from module_defaults of the module;
# - 2.15.1: gather_group.yml, set by ANSIBLE_FACTS_MODULES, the URL from module_defaults of the
#   action group; then module.yml, nats_facts as a task
#   (subsets, check mode, an endpoint not served, no server, NATS_MONITOR_URL, module_defaults).
set -eux
source ../setup_nats/files/runme_lib.sh

FACTS_MODULES="ansible.builtin.setup, nats_tools.nats.nats_facts"

start() {
    nats_start supercluster "$1"
    inventory="${NATS_WORKDIR}/hosts.yml"
    "${NATS_PYTHON}" files/write_inventory.py "${NATS_ENV_FILE}" "${inventory}" "${NATS_PYTHON}"
}

start 2.10.26
printf '[defaults]\nfacts_modules = %s\n' "${FACTS_MODULES}" > "${NATS_WORKDIR}/ansible.cfg"
ANSIBLE_CONFIG="${NATS_WORKDIR}/ansible.cfg" \
    ansible-playbook gather_module.yml -i "${inventory}" -e "@${NATS_ENV_FILE}" "$@"
nats_stop

start 2.15.1
ANSIBLE_FACTS_MODULES="${FACTS_MODULES}" \
    ansible-playbook gather_group.yml -i "${inventory}" -e "@${NATS_ENV_FILE}" "$@"
run_playbook module.yml "$@"
nats_stop
