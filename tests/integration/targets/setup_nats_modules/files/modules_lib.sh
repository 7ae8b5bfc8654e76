# shellcheck shell=bash
# Helpers shared by the runme.sh of nats_healthz, nats_info and nats_jsz. Source it *after*
# ../setup_nats/files/runme_lib.sh (whose EXIT trap stays the only one; nothing here replaces it).
# A runme.sh passes only what is its own to modules_target:
#
#   source ../setup_nats/files/runme_lib.sh
#   source ../setup_nats_modules/files/modules_lib.sh
#   modules_after_single() { nats_harness load-connections --count 20; }   # optional hook per topology
#   modules_target --topologies "tls basepath single cluster" \
#       --newest "main.yml:both errors.yml:both" --older "main.yml:requests" \
#       --vars '{"open_connections": 1500}' -- "$@"
#
#   --topologies   started per version, in this order
#   --newest       PLAYBOOK:TRANSPORT steps run on the newest version; --older: on the others
#   --vars         optional, one more -e
#   -- "$@"        ansible-test's -v flags, to every playbook
#
# modules_target: fake peers (fake_start), the no-requests interpreter (no_requests_python), then per
# version of MODULES_VERSIONS every topology of --topologies (`cluster` with nats_start_retry),
# each followed by its hook modules_after_<topology> when defined. The last topology is the current
# one: its env.yml is the playbooks' plain -e @env.yml (nats_url, ...); every other one comes nested
# as <topology>_env (nats_env_as), with $FAKE_VARS and --vars. Then every step with TRANSPORT both
# (run_both), requests, or open_url (run under $NO_REQUESTS_PYTHON), each through run_step;
# nats_stop_all; and at the end modules_finish.
#
# run_step lets every playbook run even after one failed (a failure in one part does not hide the
# results of the others); modules_finish then fails the target, naming the failed steps.
# Everything lives under $NATS_WORKDIR_ROOT (removed by runme_lib's trap). The fake peer process
# stops by itself when this shell is gone (it watches $$), so a failing test cannot leave it behind.

MODULES_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The nats-server versions these targets test (issue 2: both, always; a missing one fails the run).
# shellcheck disable=SC2034  # used by the runme.sh that sources this file
MODULES_VERSIONS=(2.10.26 2.15.1)

FAKE_PID=""
FAKE_VARS=""
NO_REQUESTS_PYTHON=""
MODULES_FAILED=()

# fake_start: start fake_monitor.py (HTML / 500 / echo HTTP server, a silent port, a refused port)
# in the background and wait until it is ready; its ports are in the JSON file $FAKE_VARS.
fake_start() {
    FAKE_VARS="${NATS_WORKDIR_ROOT}/fake_monitor.json"
    rm -f "${FAKE_VARS}"
    "${NATS_PYTHON}" "${MODULES_LIB_DIR}/fake_monitor.py" \
        --ready-file "${FAKE_VARS}" --log "${NATS_WORKDIR_ROOT}/fake_monitor.requests" \
        --owner-pid "$$" --ttl "${NATS_HARNESS_TTL:-3600}" \
        >"${NATS_WORKDIR_ROOT}/fake_monitor.log" 2>&1 &
    FAKE_PID=$!
    local i
    for i in $(seq 1 100); do
        if [ -s "${FAKE_VARS}" ]; then
            return 0
        fi
        if ! kill -0 "${FAKE_PID}" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "fake_monitor.py did not get ready (attempt ${i}):" >&2
    cat "${NATS_WORKDIR_ROOT}/fake_monitor.log" >&2
    return 1
}

# fake_stop: stop the fake peers now (they also stop by themselves when this shell exits).
fake_stop() {
    if [ -n "${FAKE_PID}" ] && kill -0 "${FAKE_PID}" 2>/dev/null; then
        kill "${FAKE_PID}"
        wait "${FAKE_PID}" || true
    fi
    FAKE_PID=""
}

# no_requests_python: make $NO_REQUESTS_PYTHON, a wrapper around $NATS_PYTHON whose PYTHONPATH puts
# a `requests` module first that raises ImportError, so the modules fall back to open_url. Proves
# both sides: the wrapper cannot import requests, the real interpreter can (else the "requests"
# runs would silently test open_url too).
no_requests_python() {
    local dir="${NATS_WORKDIR_ROOT}/no-requests"
    mkdir -p "${dir}/shim"
    cat >"${dir}/shim/requests.py" <<'EOF'
raise ImportError('requests is hidden on purpose: the integration test of the open_url transport')
EOF
    cat >"${dir}/python" <<EOF
#!/bin/sh
PYTHONPATH="${dir}/shim\${PYTHONPATH:+:\${PYTHONPATH}}"
export PYTHONPATH
exec "${NATS_PYTHON}" "\$@"
EOF
    chmod +x "${dir}/python"
    NO_REQUESTS_PYTHON="${dir}/python"
    "${NATS_PYTHON}" -c 'import requests' || { echo "${NATS_PYTHON} has no requests: the requests transport cannot be tested" >&2; return 1; }
    expect_failure "${NO_REQUESTS_PYTHON}" -c 'import requests'
    "${NO_REQUESTS_PYTHON}" -c 'import ansible.module_utils.urls'
}

# nats_env_as NAME: write the current topology's env.yml nested under NAME, print the file's path.
# Lets one playbook see several topologies: -e @"$(nats_env_as tls_env)" gives tls_env.nats_url ...
nats_env_as() {
    local out="${NATS_WORKDIR}/env-as-$1.json"
    "${NATS_PYTHON}" -c 'import json, sys; json.dump({sys.argv[1]: json.load(open(sys.argv[2]))}, open(sys.argv[3], "w"))' \
        "$1" "${NATS_ENV_FILE}" "${out}"
    echo "${out}"
}

# nats_start_retry TOPOLOGY VERSION: nats_start with 20 s per wait phase, up to 3 attempts (each in a
# fresh folder). Under CPU load nats-server 2.10.26 sometimes forms its JetStream meta group with 2 of
# the 3 servers and then refuses the R3 stream for good ("no suitable peers for placement"), which
# fails the harness' start; a new start succeeds.
nats_start_retry() {
    local attempt
    for attempt in 1 2 3; do
        if nats_start "$@" --timeout 20; then
            return 0
        fi
        echo "nats_start $* failed (attempt ${attempt} of 3)" >&2
    done
    return 1
}

# nats_stop_all: stop every topology started so far (before the next version's).
nats_stop_all() {
    local dir
    for dir in ${_NATS_WORKDIRS[@]+"${_NATS_WORKDIRS[@]}"}; do
        nats_use "${dir}"
        nats_stop
    done
}

# run_both FILE [ansible-playbook args]: run_playbook FILE once with requests and once with requests
# hidden (open_url); the playbook gets `transport` = requests | open_url. Fails if either run failed.
run_both() {
    local playbook="$1" rc=0
    shift
    run_playbook "${playbook}" -e transport=requests "$@" || rc=1
    run_playbook "${playbook}" -e transport=open_url -e "ansible_python_interpreter=${NO_REQUESTS_PYTHON:?no_requests_python first}" "$@" || rc=1
    return "${rc}"
}

# run_step NAME CMD...: run CMD; when it fails, remember NAME and go on.
run_step() {
    local name="$1"
    shift
    if "$@"; then
        return 0
    fi
    MODULES_FAILED+=("${name}")
    echo "==== FAILED: ${name} (the run goes on; the target fails at the end)" >&2
}

# modules_finish: stop the fake peers; fail when a run_step failed.
modules_finish() {
    fake_stop
    if [ "${#MODULES_FAILED[@]}" -gt 0 ]; then
        echo "==== ${#MODULES_FAILED[@]} step(s) failed:" >&2
        printf '====   %s\n' "${MODULES_FAILED[@]}" >&2
        return 1
    fi
    echo "==== every step passed" >&2
}

# run_with TRANSPORT FILE [ansible-playbook args]: TRANSPORT both (run_both), requests, or open_url
# (requests hidden: $NO_REQUESTS_PYTHON as ansible_python_interpreter).
run_with() {
    local transport="$1" playbook="$2"
    shift 2
    case "${transport}" in
        both) run_both "${playbook}" "$@" ;;
        requests) run_playbook "${playbook}" -e transport=requests "$@" ;;
        open_url) run_playbook "${playbook}" -e transport=open_url \
            -e "ansible_python_interpreter=${NO_REQUESTS_PYTHON:?no_requests_python first}" "$@" ;;
        *) echo "run_with: unknown transport ${transport} (both, requests, open_url)" >&2; return 1 ;;
    esac
}

# modules_target --topologies "T..." --newest "STEP..." [--older "STEP..."] [--vars JSON] -- [ansible-playbook args]:
# the whole run of a target (see the top of this file). STEP = PLAYBOOK:TRANSPORT (both, requests, open_url).
modules_target() {
    local topologies="" newest="" older="" extra="" version topology step steps last vars
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --topologies) topologies="$2"; shift 2 ;;
            --newest) newest="$2"; shift 2 ;;
            --older) older="$2"; shift 2 ;;
            --vars) extra="$2"; shift 2 ;;
            --) shift; break ;;
            *) echo "modules_target: unknown option $1" >&2; return 1 ;;
        esac
    done
    : "${topologies:?modules_target needs --topologies}" "${newest:?modules_target needs --newest}"
    last="${topologies##* }"
    fake_start
    no_requests_python
    for version in "${MODULES_VERSIONS[@]}"; do
        vars=(-e "@${FAKE_VARS}")
        for topology in ${topologies}; do
            if [ "${topology}" = cluster ]; then
                nats_start_retry cluster "${version}"
            else
                nats_start "${topology}" "${version}"
            fi
            if declare -F "modules_after_${topology}" >/dev/null; then
                "modules_after_${topology}"
            fi
            if [ "${topology}" != "${last}" ]; then
                vars+=(-e "@$(nats_env_as "${topology}_env")")
            fi
        done
        if [ -n "${extra}" ]; then
            vars+=(-e "${extra}")
        fi
        if [ "${version}" = "${MODULES_VERSIONS[-1]}" ]; then
            steps="${newest}"
        else
            steps="${older}"
        fi
        for step in ${steps}; do
            run_step "${step%%:*} ${version} (${step#*:})" run_with "${step#*:}" "${step%%:*}" "${vars[@]}" "$@"
        done
        nats_stop_all
    done
    modules_finish
}
