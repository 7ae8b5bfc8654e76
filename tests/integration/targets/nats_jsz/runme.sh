#!/usr/bin/env bash
# nats_jsz against real nats-server processes, 2.10.26 and 2.15.1. main.yml runs with requests on
# every version and once more with requests hidden (open_url) on the newest; failover.yml (a
# follower killed with SIGKILL: about 10 s until the leaders call it not current) once per version,
# with open_url on the oldest and requests on the newest; errors.yml with both transports.
set -eux
source ../setup_nats/files/runme_lib.sh
source ../setup_nats_modules/files/modules_lib.sh

fake_start
no_requests_python

for version in "${MODULES_VERSIONS[@]}"; do
    nats_start tls "${version}"
    tls_vars="$(nats_env_as tls_env)"
    nats_start basepath "${version}"
    basepath_vars="$(nats_env_as basepath_env)"
    nats_start single "${version}"
    single_vars="$(nats_env_as single_env)"
    nats_start super "${version}"
    super_vars="$(nats_env_as super_env)"
    nats_start_retry cluster "${version}"

    vars=(-e "@${FAKE_VARS}" -e "@${tls_vars}" -e "@${basepath_vars}" -e "@${single_vars}" -e "@${super_vars}")
    if [ "${version}" = "${MODULES_VERSIONS[-1]}" ]; then
        run_step "main.yml ${version}" run_both main.yml "${vars[@]}" "$@"
        run_step "failover.yml ${version}" run_playbook failover.yml -e transport=requests "${vars[@]}" "$@"
        run_step "errors.yml ${version}" run_both errors.yml "${vars[@]}" "$@"
    else
        run_step "main.yml ${version}" run_playbook main.yml -e transport=requests "${vars[@]}" "$@"
        run_step "failover.yml ${version}" run_playbook failover.yml -e transport=open_url \
            -e "ansible_python_interpreter=${NO_REQUESTS_PYTHON}" "${vars[@]}" "$@"
    fi
    nats_stop_all
done

modules_finish
