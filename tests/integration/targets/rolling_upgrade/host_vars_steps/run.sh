# shellcheck shell=bash
# Per-host variables (sourced by ../runme.sh after runme_lib.sh; used by ../archive/run.sh): inventory
# hosts h1, h2, h3 mapped to the lab's n3, n1, n2 (make_inventory.py), step task files that read only
# their host's own variables (server name, config path, pid file, binary path) and journal what they
# did. check.yml asserts after each run that each server was done exactly once, by its own host, in
# the order of the report. host_vars_more, after the upgrade of archive/run.sh:
#   5. check mode (-C) towards 2.15.1: gates only, nothing journaled, no timings for steps not done;
#   6. restart mode, canary of 2 (max_servers), pause 1 s, before/after hooks: 2 servers, version kept;
#   7. reload mode: nats-server -t and SIGHUP per server, config_load_time advanced, nothing stopped.

_hv_rollout() {
    # _hv_rollout N VERSION-ARGS... : one run of the collection's playbook, report and journal N
    local n="$1"
    shift
    ansible-playbook -i "${HV_DIR}/inventory.json" nats_tools.nats.rolling_upgrade \
        -e "nats_rolling_upgrade_stop_tasks=${HV_HERE}/stop.yml" \
        -e "nats_rolling_upgrade_install_tasks=${HV_HERE}/install.yml" \
        -e "nats_rolling_upgrade_start_tasks=${HV_HERE}/start.yml" \
        -e "nats_rolling_upgrade_reload_tasks=${HV_HERE}/reload.yml" \
        -e nats_rolling_upgrade_gate_timeout=60 \
        -e "lab_journal=${HV_DIR}/journal-${n}.log" \
        -e "nats_rolling_upgrade_report_file=${HV_DIR}/report-${n}.json" "$@"
}

_hv_check() {
    # _hv_check N COUNT OUTCOME VERSION STEPS-JSON
    ansible-playbook -i "${HV_DIR}/inventory.json" "${HV_HERE}/check.yml" \
        -e "lab_report=${HV_DIR}/report-$1.json" -e "lab_journal=${HV_DIR}/journal-$1.log" \
        -e "lab_count=$2" -e "lab_outcome=$3" -e "lab_version=$4" -e "{\"lab_steps\": $5}"
}

host_vars_more() {
    # On the cluster and inventory of archive_install (HV_DIR, HV_HERE set), after its upgrade to 2.12.8;
    # extra arguments (the default install step and the mirror) go to the check mode run.
    _hv_rollout 5 -e nats_rolling_upgrade_version=2.15.1 --check "$@"
    _hv_check 5 3 checked 2.15.1 '[]'

    _hv_rollout 6 -e nats_rolling_upgrade_mode=restart -e nats_rolling_upgrade_max_servers=2 \
        -e nats_rolling_upgrade_pause=1 \
        -e "nats_rolling_upgrade_before_server_tasks=${HV_HERE}/before.yml" \
        -e "nats_rolling_upgrade_after_server_tasks=${HV_HERE}/after.yml"
    _hv_check 6 2 restarted 2.12.8 '["before", "stop", "start", "after"]'

    _hv_rollout 7 -e nats_rolling_upgrade_mode=reload
    _hv_check 7 3 reloaded 2.12.8 '["reload"]'
}
