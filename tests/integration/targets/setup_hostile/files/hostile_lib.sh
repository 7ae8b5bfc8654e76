# shellcheck shell=bash
# Helpers for the runme.sh of the targets that use hostile fake monitoring ports (untrusted_servers,
# untrusted_inventory). Source it first; it owns the EXIT trap:
#
#   source ../setup_hostile/files/hostile_lib.sh
#   hostile_start files/scenario.json      # servers up; their URLs in $HOSTILE_READY (JSON), vars in $HOSTILE_VARS
#   hostile_pythons                        # $HOSTILE_PYTHON (requests) and $HOSTILE_NO_REQUESTS_PYTHON (open_url)
#   check "what is checked" CMD...         # prints the check, runs CMD, remembers a failure and goes on
#   hostile_finish                         # fails the target if a check failed
#
# Everything lives under $HOSTILE_WORKDIR (removed by the trap unless HOSTILE_KEEP_WORKDIR=1). The server
# process is killed by the trap, and stops by itself when this shell is gone (--owner-pid) or after --ttl.

HOSTILE_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOSTILE_SERVER="${HOSTILE_LIB_DIR}/hostile_server.py"
if [ -n "${ANSIBLE_TEST_PYTHON_INTERPRETER:-}" ]; then
    HOSTILE_BASE_PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER}"
else
    HOSTILE_BASE_PYTHON="$(command -v python3)"
fi
HOSTILE_WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/hostile-it.XXXXXX")"
HOSTILE_PIDS=()
HOSTILE_FAILED=()
HOSTILE_CHECKS=0
# Address space a module may use (KiB): a module that reads a 1 GiB answer into memory fails with
# MemoryError instead of taking the machine's memory (the bound for "it stops reading at the cap").
HOSTILE_ULIMIT_KB="${HOSTILE_ULIMIT_KB:-1500000}"
export HOSTILE_WORKDIR HOSTILE_SERVER

# _hostile_kill_tree PID: SIGTERM to PID and its descendants (by parent id: only what this script started).
_hostile_kill_tree() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        _hostile_kill_tree "${child}"
    done
    kill "$1" 2>/dev/null
}

# _hostile_kill_strays: module processes left behind by a task that hit its `timeout:` keyword (Ansible
# abandons them; they are no longer below this shell). They run through the interpreter wrappers of
# hostile_pythons, so their command line names ${HOSTILE_WORKDIR}/pythons/ - this run's own folder.
_hostile_kill_strays() {
    local cmdline pid
    for cmdline in /proc/[0-9]*/cmdline; do
        pid="${cmdline#/proc/}"
        pid="${pid%/cmdline}"
        [ "${pid}" != "$$" ] || continue
        if tr '\0' ' ' <"${cmdline}" 2>/dev/null | grep -F "${HOSTILE_WORKDIR}/pythons/" >/dev/null; then
            _hostile_kill_tree "${pid}"
        fi
    done
}

_hostile_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    local pid
    for pid in ${HOSTILE_PIDS[@]+"${HOSTILE_PIDS[@]}"}; do
        if kill -0 "${pid}" 2>/dev/null; then
            _hostile_kill_tree "${pid}"
            wait "${pid}" 2>/dev/null
        fi
    done
    _hostile_kill_strays
    if [ "${rc}" -ne 0 ] && [ -f "${HOSTILE_WORKDIR}/server.out" ]; then
        echo "==== hostile_server output" >&2
        tail -n 20 "${HOSTILE_WORKDIR}/server.out" >&2
    fi
    if [ -n "${HOSTILE_KEEP_WORKDIR:-}" ]; then
        echo "kept ${HOSTILE_WORKDIR}" >&2
    else
        rm -rf "${HOSTILE_WORKDIR}"
    fi
    exit "${rc}"
}
trap _hostile_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# hostile_start SCENARIO.json: start its servers (one process) and wait until they listen.
# Sets HOSTILE_READY (ready file: port, servers.NAME.url), HOSTILE_LOG (JSONL request log),
# HOSTILE_VARS (extra vars file: hostile = the ready file's content + log).
hostile_start() {
    HOSTILE_READY="${HOSTILE_WORKDIR}/ready.json"
    HOSTILE_LOG="${HOSTILE_WORKDIR}/requests.jsonl"
    HOSTILE_VARS="${HOSTILE_WORKDIR}/hostile_vars.json"
    "${HOSTILE_BASE_PYTHON}" "${HOSTILE_SERVER}" serve --scenario "$1" --ready-file "${HOSTILE_READY}" \
        --log "${HOSTILE_LOG}" --owner-pid "$$" --ttl "${HOSTILE_TTL:-2400}" >"${HOSTILE_WORKDIR}/server.out" 2>&1 &
    HOSTILE_PIDS+=($!)
    local _
    for _ in $(seq 1 100); do
        if [ -s "${HOSTILE_READY}" ]; then
            "${HOSTILE_BASE_PYTHON}" -c 'import json, sys; ready = json.load(open(sys.argv[1]))
json.dump({"hostile": ready, "hostile_server": sys.argv[3], "hostile_python": sys.argv[4]}, open(sys.argv[2], "w"))' \
                "${HOSTILE_READY}" "${HOSTILE_VARS}" "${HOSTILE_SERVER}" "${HOSTILE_BASE_PYTHON}"
            cat "${HOSTILE_WORKDIR}/server.out"
            export HOSTILE_READY HOSTILE_LOG HOSTILE_VARS
            return 0
        fi
        kill -0 "${HOSTILE_PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "hostile_server.py did not get ready:" >&2
    cat "${HOSTILE_WORKDIR}/server.out" >&2
    return 1
}

# hostile_url NAME: base URL of a server of the scenario.
hostile_url() {
    "${HOSTILE_BASE_PYTHON}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["servers"][sys.argv[2]]["url"])' \
        "${HOSTILE_READY}" "$1"
}

# hostile_requests [--server NAME] [--path PREFIX] [--header NAME] [--count]: the request log, filtered.
hostile_requests() {
    "${HOSTILE_BASE_PYTHON}" "${HOSTILE_SERVER}" requests --log "${HOSTILE_LOG}" "$@"
}

# hostile_pythons: interpreters for the modules, both with an address-space limit (ulimit -v):
# $HOSTILE_PYTHON (can import requests) and $HOSTILE_NO_REQUESTS_PYTHON (requests hidden: open_url).
hostile_pythons() {
    local dir="${HOSTILE_WORKDIR}/pythons"
    mkdir -p "${dir}/shim"
    cat >"${dir}/shim/requests.py" <<'PY'
raise ImportError('requests is hidden on purpose: the integration test of the open_url transport')
PY
    cat >"${dir}/python-requests" <<SH
#!/bin/sh
ulimit -v ${HOSTILE_ULIMIT_KB}
exec "${HOSTILE_BASE_PYTHON}" "\$@"
SH
    cat >"${dir}/python-open_url" <<SH
#!/bin/sh
ulimit -v ${HOSTILE_ULIMIT_KB}
PYTHONPATH="${dir}/shim\${PYTHONPATH:+:\${PYTHONPATH}}"
export PYTHONPATH
exec "${HOSTILE_BASE_PYTHON}" "\$@"
SH
    chmod +x "${dir}/python-requests" "${dir}/python-open_url"
    HOSTILE_PYTHON="${dir}/python-requests"
    HOSTILE_NO_REQUESTS_PYTHON="${dir}/python-open_url"
    "${HOSTILE_PYTHON}" -c 'import requests' || { echo "${HOSTILE_BASE_PYTHON} has no requests" >&2; return 1; }
    if "${HOSTILE_NO_REQUESTS_PYTHON}" -c 'import requests' 2>/dev/null; then
        echo "the open_url interpreter can still import requests" >&2
        return 1
    fi
    "${HOSTILE_NO_REQUESTS_PYTHON}" -c 'import ansible.module_utils.urls'
    export HOSTILE_PYTHON HOSTILE_NO_REQUESTS_PYTHON
}

# check DESCRIPTION CMD...: print what is checked, run CMD; a failure is remembered, the run goes on.
check() {
    local what="$1"
    shift
    HOSTILE_CHECKS=$((HOSTILE_CHECKS + 1))
    echo "==== CHECK: ${what}"
    if "$@"; then
        echo "==== ok: ${what}"
        return 0
    fi
    HOSTILE_FAILED+=("${what}")
    echo "==== FAILED: ${what} (the run goes on; the target fails at the end)" >&2
    return 0
}

# not_in_files TEXT FILE...: TEXT occurs in none of the files (prints where it does).
not_in_files() {
    local text="$1"
    shift
    if grep -r -n -F -- "${text}" "$@" | cut -c1-300; then
        echo "found ${text} above" >&2
        return 1
    fi
    return 0
}

# hostile_finish: fail when a check failed, naming them.
hostile_finish() {
    if [ "${#HOSTILE_FAILED[@]}" -gt 0 ]; then
        echo "==== ${#HOSTILE_FAILED[@]} of ${HOSTILE_CHECKS} check(s) failed:" >&2
        printf '====   %s\n' "${HOSTILE_FAILED[@]}" >&2
        return 1
    fi
    echo "==== all ${HOSTILE_CHECKS} checks passed"
}
