#!/usr/bin/env bash
# Every module (nats_healthz, nats_info, nats_jsz, nats_gate, nats_facts) against hostile fake monitoring
# ports (../setup_hostile): drip, stall, huge bodies, redirects to other hosts/ports, 401/403, garbage,
# wrong Content-Length, wrong JSON shapes, paged lists that lie, bad wait options, secrets in URL and headers.
# Both transports: requests, and open_url (requests hidden). Modules run under `ulimit -v` (hostile_lib.sh).
# The two transports run at once; about 2-3 minutes on 2 loaded cores. Issue 8 (untrusted servers).
set -eu -o pipefail
source ../setup_hostile/files/hostile_lib.sh

hostile_start files/scenario.json
hostile_pythons

SECRET="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
HEADER_SECRET="tok-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
BASIC="$(printf 'ops:%s' "${SECRET}" | base64)"
out="${HOSTILE_WORKDIR}/out"
mkdir -p "${out}"

# play LOG PLAYBOOK ARGS...: ansible-playbook into LOG (shown on failure: the failed checks only).
play() {
    local log="$1"
    shift
    ansible-playbook "$@" >"${log}" 2>&1
}

# summary LOG: the recap and the list of failed checks of a playbook run.
summary() {
    "${HOSTILE_BASE_PYTHON}" ../setup_hostile/files/failed_checks.py "$1" "${HOSTILE_WIDTH:-400}" || true
    grep -A2 'PLAY RECAP' "$1" || tail -n 30 "$1"
}

sent_basic_to_ok() {  # (no grep -q in a pipe: with pipefail, the writer's SIGPIPE would fail the check)
    local found
    found="$(hostile_requests --server ok --header Authorization)"
    grep -F "Basic ${BASIC}" <<<"${found}" >/dev/null
}

# Both transports at once (two ansible-playbook processes; each has its own liar servers for the paging
# request counts): main.yml at -v, then headers.yml at -vvv.
export ANSIBLE_PIPELINING=true
run_transport() {  # TRANSPORT: both playbooks of one transport; rc files in ${out}
    local transport="$1" interpreter rc=0
    if [ "${transport}" = requests ]; then interpreter="${HOSTILE_PYTHON}"; else interpreter="${HOSTILE_NO_REQUESTS_PYTHON}"; fi
    local common=(-i "localhost," -c local -e "@${HOSTILE_VARS}" -e "transport=${transport}"
        -e "ansible_python_interpreter=${interpreter}" -e "secret=${SECRET}" -e "header_secret=${HEADER_SECRET}")
    play "${out}/main-${transport}.log" main.yml "${common[@]}" -e "results_file=${out}/results-${transport}.json" -v || rc=$?
    echo "${rc}" > "${out}/main-${transport}.rc"
    rc=0
    play "${out}/headers-${transport}.log" headers.yml "${common[@]}" -vvv || rc=$?
    echo "${rc}" > "${out}/headers-${transport}.rc"
}
run_transport requests &
HOSTILE_PIDS+=($!)
run_transport open_url &
HOSTILE_PIDS+=($!)
wait "${HOSTILE_PIDS[-2]}" "${HOSTILE_PIDS[-1]}" || true

for transport in requests open_url; do
    summary "${out}/main-${transport}.log"
    check "${transport}: main.yml (-v): every assertion of the playbook" test "$(cat "${out}/main-${transport}.rc")" = 0
    summary "${out}/headers-${transport}.log"
    check "${transport}: headers.yml (-vvv): every assertion of the playbook" test "$(cat "${out}/headers-${transport}.rc")" = 0
    check "${transport}: the URL password never shows in the -v output, the results or the -vvv output" \
        not_in_files "${SECRET}" "${out}/main-${transport}.log" "${out}/results-${transport}.json" "${out}/headers-${transport}.log"
    check "${transport}: the Bearer token / X-Api-Key never shows at -v or -vvv (headers is no_log)" \
        not_in_files "${HEADER_SECRET}" "${out}/main-${transport}.log" "${out}/headers-${transport}.log" "${out}/results-${transport}.json"
    check "${transport}: no MODULE FAILURE anywhere in the output" \
        not_in_files "MODULE FAILURE" "${out}/main-${transport}.log" "${out}/headers-${transport}.log"
done
check "the redirect targets on another host (sink) and on another port (sinkport) received no request at all" \
    test "$(hostile_requests --server sink --count)" = 0 -a "$(hostile_requests --server sinkport --count)" = 0
check "the password of url: user:PASSWORD@ was sent to the server asked (Basic auth from the userinfo)" \
    sent_basic_to_ok
check "the redirecting servers were asked (the redirect cases really ran)" \
    test "$(hostile_requests --server redir302 --count)" -gt 0

if [ -n "${HOSTILE_SHOW_LOGS:-}" ]; then cat "${out}"/*.log; fi
hostile_finish
