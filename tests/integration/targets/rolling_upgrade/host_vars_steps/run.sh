# shellcheck shell=bash
# Per-host variables (sourced by ../runme.sh after runme_lib.sh): a 3-server cluster on 2.11.11,
# inventory hosts h1, h2, h3 mapped to n3, n1, n2, stop/install/start task files that read only
# their host's own variables (server name, config path, pid file). Upgrade to 2.12.8; check.yml
# asserts each server was stopped, installed and started exactly once, by its own host, in the
# order of the report, the meta leader last.
host_vars_steps() {
    local here dir
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    nats_start cluster 2.11.11
    dir="${NATS_WORKDIR_ROOT}/host-vars"
    mkdir -p "${dir}"
    "${NATS_PYTHON}" "${here}/make_inventory.py" "${NATS_ENV_FILE}" "${NATS_HARNESS_PYTHON}" "${NATS_HARNESS}" \
        "${dir}" "${dir}/inventory.json"
    ansible-playbook -i "${dir}/inventory.json" nats_tools.nats.rolling_upgrade \
        -e nats_rolling_upgrade_version=2.12.8 \
        -e "nats_rolling_upgrade_stop_tasks=${here}/stop.yml" \
        -e "nats_rolling_upgrade_install_tasks=${here}/install.yml" \
        -e "nats_rolling_upgrade_start_tasks=${here}/start.yml" \
        -e nats_rolling_upgrade_gate_timeout=60 \
        -e "nats_rolling_upgrade_report_file=${dir}/report.json" "$@"
    ansible-playbook -i "${dir}/inventory.json" "${here}/check.yml" \
        -e "lab_report=${dir}/report.json" -e lab_version=2.12.8
    nats_stop
}
