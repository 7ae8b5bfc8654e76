# shellcheck shell=bash
# Shared helpers for runme.sh-based integration targets of nats_tools.nats.
#
# A target that uses it declares `needs/target/setup_nats` in its aliases and does:
#
#   #!/usr/bin/env bash
#   set -eux
#   source ../setup_nats/files/runme_lib.sh
#   nats_start cluster 2.15.1
#   run_playbook test_cluster.yml "$@"
#
# See ../README.md for the whole contract.  Everything this file starts is stopped by an
# EXIT/INT/TERM trap, also when the test fails; a watchdog process stops it too if this
# shell is killed with SIGKILL, and after NATS_HARNESS_TTL seconds in any case.
#
# Environment it reads (all optional):
#   NATSLAB               the natslab folder (tools/natslab of a collection checkout) to use
#   NATS_SERVER_ROOT      folder with <version>/bin/nats-server
#   NATS_TEST_VERSIONS    space separated versions for nats_versions (default: every installed one)
#   NATS_HARNESS_PYTHON   interpreter that runs natslab (needs nats-py for cluster / load-connections)
#   NATS_KEEP_WORKDIR=1   keep the temporary folder (configs, logs) after the run
#   NATS_HARNESS_TTL      seconds after which the watchdog stops the servers anyway (default 3600)
# NOTE: `ansible-test integration` passes none of these to runme.sh (it keeps only HOME, PATH
# and a few more); under it natslab is found in the collection under test (see nats_find_natslab)
# and the binaries in <checkout>/.cache/nats-server/<version> or ~/.cache/nats_tools/nats-server/<version>
# (see README.md), never through variables.
#
# Sets: NATS_SETUP_DIR NATS_HARNESS (the natslab folder) NATS_PYTHON NATS_HARNESS_PYTHON
#       NATS_WORKDIR_ROOT NATS_INTEGRATION_CONFIG, and after nats_start: NATS_WORKDIR NATS_ENV_FILE (exported).

NATS_SETUP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# nats_find_natslab: print the natslab folder (tools/natslab, with __main__.py) of the collection
# under test. The local-cluster tool lives outside tests/ (tools/, not shipped), and ansible-test
# copies only the targets, so it is looked for, in order:
#   1. $NATSLAB;
#   2. the folders above this file: the checkout when runme.sh runs by hand, and the collection copy
#      build/ansible_collections/nats_tools/nats when ansible-test runs the target from its
#      tests/output/.tmp/ (the Makefile's `tree` copies tools/ along);
#   3. ansible_collections/nats_tools/nats/tools/natslab under each ANSIBLE_COLLECTIONS_PATH entry
#      (ansible-test sets it to the collection under test).
nats_find_natslab() {
    local dir candidate paths=()
    if [ -n "${NATSLAB:-}" ]; then
        if [ -f "${NATSLAB}/__main__.py" ]; then
            (cd "${NATSLAB}" && pwd)
            return 0
        fi
        echo "runme_lib.sh: NATSLAB=${NATSLAB} has no __main__.py (want the tools/natslab folder)" >&2
        return 1
    fi
    dir="${NATS_SETUP_DIR}"
    while [ -n "${dir}" ] && [ "${dir}" != / ]; do
        candidate="${dir}/tools/natslab"
        if [ -f "${candidate}/__main__.py" ]; then
            echo "${candidate}"
            return 0
        fi
        dir="$(dirname "${dir}")"
    done
    IFS=: read -r -a paths <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
    for dir in ${paths[@]+"${paths[@]}"}; do
        candidate="${dir}/ansible_collections/nats_tools/nats/tools/natslab"
        if [ -f "${candidate}/__main__.py" ]; then
            (cd "${candidate}" && pwd)
            return 0
        fi
    done
    {
        echo "runme_lib.sh: cannot find natslab (tools/natslab/__main__.py), the local-cluster tool."
        echo "  looked in: \$NATSLAB (unset), tools/natslab in every folder above ${NATS_SETUP_DIR},"
        echo "  and <path>/ansible_collections/nats_tools/nats/tools/natslab for ANSIBLE_COLLECTIONS_PATH='${ANSIBLE_COLLECTIONS_PATH:-}'."
        echo "  Run the tests from a checkout (make integration copies tools/ into the collection under test),"
        echo "  or set NATSLAB=/path/to/checkout/tools/natslab."
    } >&2
    return 1
}

NATS_HARNESS="$(nats_find_natslab)" || exit 1
# ansible-test's vars file, copied beside the running targets (natslab reads nats_server_root and
# nats_server_versions from it).
NATS_INTEGRATION_CONFIG="$(cd "${NATS_SETUP_DIR}/../../.." && pwd)/integration_config.yml"
export NATS_INTEGRATION_CONFIG

# ansible-test runs runme.sh with the Python it tests in ANSIBLE_TEST_PYTHON_INTERPRETER.
if [ -n "${ANSIBLE_TEST_PYTHON_INTERPRETER:-}" ]; then
    NATS_PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER}"
else
    NATS_PYTHON="$(command -v python3 || command -v python)"
fi
NATS_HARNESS_PYTHON="${NATS_HARNESS_PYTHON:-${NATS_PYTHON}}"
export NATS_PYTHON NATS_HARNESS_PYTHON NATS_HARNESS

NATS_WORKDIR_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/nats-it.XXXXXX")"
NATS_WORKDIR=""
NATS_ENV_FILE=""
_NATS_WORKDIRS=()
_NATS_SEQ=0
_NATS_OWNER_PID=$$

# nats_harness COMMAND [ARGS...]: run natslab on the current workdir,
# e.g. `nats_harness kill --server n2 --signal USR2`, `nats_harness get nats_servers.n2.pid`.
nats_harness() {
    local cmd="$1"
    shift
    case "${cmd}" in
        install) "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" "${cmd}" "$@" ;;
        *) "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" "${cmd}" --workdir "${NATS_WORKDIR:?nats_start first}" "$@" ;;
    esac
}

# nats_start TOPOLOGY VERSION [extra `start` options]: start in a fresh sub-folder and make it current.
# Several topologies may run at once; nats_use DIR switches between them.
nats_start() {
    local topology="$1" version="$2"
    shift 2
    _NATS_SEQ=$((_NATS_SEQ + 1))
    NATS_WORKDIR="${NATS_WORKDIR_ROOT}/${_NATS_SEQ}-${topology}-${version}"
    NATS_ENV_FILE="${NATS_WORKDIR}/env.yml"
    export NATS_WORKDIR NATS_ENV_FILE
    _NATS_WORKDIRS+=("${NATS_WORKDIR}")
    "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" start --workdir "${NATS_WORKDIR}" \
        --topology "${topology}" --version "${version}" \
        --owner-pid "${_NATS_OWNER_PID}" --ttl "${NATS_HARNESS_TTL:-3600}" "$@"
}

# nats_use DIR: make an earlier nats_start's folder current again.
nats_use() {
    NATS_WORKDIR="$1"
    NATS_ENV_FILE="${NATS_WORKDIR}/env.yml"
    export NATS_WORKDIR NATS_ENV_FILE
}

# nats_stop: stop the current topology now (the EXIT trap would do it anyway).
nats_stop() {
    nats_harness stop
    local dir keep=()
    for dir in ${_NATS_WORKDIRS[@]+"${_NATS_WORKDIRS[@]}"}; do
        [ "${dir}" = "${NATS_WORKDIR}" ] || keep+=("${dir}")
    done
    _NATS_WORKDIRS=(${keep[@]+"${keep[@]}"})
}

# nats_get KEY: one value of the current env.yml (dotted path), e.g. nats_get nats_servers.n1.pid
nats_get() {
    nats_harness get "$1"
}

# nats_versions: the versions to test, one per line ($NATS_TEST_VERSIONS, else every installed one).
nats_versions() {
    "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" versions
}

# run_playbook FILE [ansible-playbook args]: against localhost with the current env.yml as extra vars.
run_playbook() {
    local playbook="$1"
    shift
    local extra=()
    if [ -n "${NATS_ENV_FILE}" ]; then
        extra+=(-e "@${NATS_ENV_FILE}")
    fi
    ansible-playbook "${playbook}" -i localhost, -c local \
        -e "ansible_python_interpreter=${NATS_PYTHON}" \
        ${extra[@]+"${extra[@]}"} "$@"
}

# expect_failure CMD...: run CMD, succeed only if it fails (e.g. a gate that must refuse).
expect_failure() {
    if "$@"; then
        echo "expected failure, but it succeeded: $*" >&2
        return 1
    fi
    return 0
}

_nats_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    local dir
    for dir in ${_NATS_WORKDIRS[@]+"${_NATS_WORKDIRS[@]}"}; do
        if [ "${rc}" -ne 0 ] && [ -f "${dir}/pids.json" ]; then
            echo "==== test failed (rc=${rc}): server logs of ${dir}" >&2
            "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" logs --workdir "${dir}" --lines 30 >&2
        fi
        "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" stop --workdir "${dir}" --grace 3
    done
    if [ -n "${NATS_KEEP_WORKDIR:-}" ]; then
        echo "kept ${NATS_WORKDIR_ROOT}" >&2
    else
        rm -rf "${NATS_WORKDIR_ROOT}"
    fi
    exit "${rc}"
}

trap _nats_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
