# shellcheck shell=bash
# Helpers shared by the runme.sh of nats_healthz, nats_info and nats_jsz. Source it *after*
# ../setup_nats/files/runme_lib.sh (whose EXIT trap stays the only one; nothing here replaces it):
#
#   source ../setup_nats/files/runme_lib.sh
#   source ../setup_nats_modules/files/modules_lib.sh
#   fake_start                      # fake peers for the error cases, vars in $FAKE_VARS
#   no_requests_python              # $NO_REQUESTS_PYTHON: an interpreter that cannot import requests
#   for version in "${MODULES_VERSIONS[@]}"; do
#       nats_start tls "${version}";  tls_vars="$(nats_env_as tls_env)"
#       nats_start_retry cluster "${version}"
#       run_step "main ${version}" run_both main.yml -e "@${FAKE_VARS}" -e "@${tls_vars}" "$@"
#       nats_stop_all
#   done
#   modules_finish                  # fails the target if a step failed
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
