#!/usr/bin/env bash
# nats_gate on a supercluster with JetStream in every cluster (natslab topology supercluster_js:
# cluster A = a1 a2 a3 on 127.0.0.11-13, cluster B = b1 b2 b3 on 127.0.0.21-23, gateways between
# them, ONE meta group of six, leafnode server l1 on 127.0.0.31 connected to a1, R3 streams ORDERS_A
# placed in A and ORDERS_B in B). Per nats-server version (2.12.8 lists the meta replicas on the
# leader only, 2.15.1 on every server):
# - healthy: the gate passes over all six, over A's three, over B's three, with expect_leafnodes;
# - a2 SIGKILLed, then b2: the gate over all six fails within its wait_timeout naming it;
# - l1 stopped: the leafnodes check fails naming a1, with expect_leafnodes and without it (the first
#   round's counts are the expectation; l1 is stopped while the gate waits);
# - a1 plus a server of an unrelated JetStream cluster: "different meta groups";
# - cluster B's gateways cut (its servers restarted without their gateway block): the gateways
#   check fails naming B.
# Every failing scenario runs the gate once (wait: false) and with wait: true (until its short
# wait_timeout). 2.12.8 runs every scenario, 2.15.1 all but the leafnode and gateway ones
# (NATS_GATE_SUPERCLUSTER_VERSIONS, NATS_GATE_SUPERCLUSTER_FULL change that when run by hand).
# Prints one PASS/FAIL line per assertion and RESULT lines with seconds per scenario.
set -eux -o pipefail
source ../setup_nats/files/runme_lib.sh

read -r -a VERSIONS <<< "${NATS_GATE_SUPERCLUSTER_VERSIONS:-2.12.8 2.15.1}"
# Versions that run every scenario; the others run only those where the server versions differ
# (healthy, subsets, a server killed, unrelated meta groups: the meta replicas listed by the leader
# only or by every server); the leafnode and gateway scenarios do not depend on the version.
FULL=" ${NATS_GATE_SUPERCLUSTER_FULL:-2.12.8} "
RESULTS=()
FAILED=0

RESULTS_FILE="${NATS_WORKDIR_ROOT}/results.txt"
BOTH='{"modes": [false, true]}'   # the gate once (wait: false), then with wait: true

# scenario NAME [extra ansible-playbook args]: gate.yml with tasks/NAME.yml, timed. A failing
# scenario is recorded and the next ones still run (each starts from a healthy supercluster);
# the target fails at the end. Each assertion's PASS/FAIL line goes to RESULTS_FILE.
scenario() {
    local name="$1" t0="${SECONDS}" outcome=PASS
    shift
    if ! run_playbook gate.yml -e "scenario=${name}" -e "results_file=${RESULTS_FILE}" \
            -e "natslab_python=${NATS_HARNESS_PYTHON}" -e "natslab=${NATS_HARNESS}" "$@"; then
        outcome=FAIL
        FAILED=1
    fi
    RESULTS+=("${outcome} ${version} ${name} $((SECONDS - t0)) s")
}

for version in "${VERSIONS[@]}"; do
    t0="${SECONDS}"
    nats_start supercluster_js "${version}" --messages 10
    super="${NATS_WORKDIR}"
    RESULTS+=("---- ${version} start $((SECONDS - t0)) s")

    scenario healthy "$@"

    scenario killed -e "${BOTH}" "$@"   # a2, then b2: kills, gates, restarts (tasks/killed_victim.yml)

    full=false
    if [[ "${FULL}" == *" ${version} "* ]]; then
        full=true
    fi

    if "${full}"; then
        scenario leaf -e "${BOTH}" "$@"     # stops l1 and starts it again, twice (tasks/leaf.yml)
    fi

    nats_start cluster "${version}" --messages 0
    other="${NATS_WORKDIR}"
    other_url="$(nats_get nats_servers.n1.monitor_url)"
    nats_use "${super}"
    scenario mixed -e "other_url=${other_url}" -e other_name=n1 -e "${BOTH}" "$@"
    nats_use "${other}"
    nats_stop
    nats_use "${super}"

    if "${full}"; then
        nats_harness gateway cut --cluster B
        scenario gateway_cut -e "${BOTH}" "$@"
    fi
    nats_stop
    RESULTS+=("---- ${version} total $((SECONDS - t0)) s (every scenario: ${full})")
done

cat "${RESULTS_FILE}" || true
printf 'RESULT %s\n' "${RESULTS[@]}"
exit "${FAILED}"
