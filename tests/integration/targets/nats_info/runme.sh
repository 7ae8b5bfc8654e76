#!/usr/bin/env bash
# nats_info against real nats-server processes, 2.10.26 and 2.15.1. main.yml and paging.yml run
# with requests on every version and once more with requests hidden (open_url) on the newest;
# errors.yml runs with both transports.
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
    nats_start super "${version}"
    super_vars="$(nats_env_as super_env)"

    # Paging: 20 connections closed (for connz state=closed), then 1500 open ones with 7 subscriptions
    # each: /connz lists more than the server's default page (1024), /subsz more than the client's
    # own page (10000).
    nats_start single "${version}"
    single_vars="$(nats_env_as single_env)"
    nats_harness load-connections --count 20 --name-prefix closed
    nats_harness stop-load
    nats_harness load-connections --count 1500 --subs-per-conn 7 --name-prefix open

    nats_start_retry cluster "${version}"

    vars=(-e "@${FAKE_VARS}" -e "@${tls_vars}" -e "@${basepath_vars}" -e "@${super_vars}" -e "@${single_vars}"
        -e '{"closed_connections": 20, "open_connections": 1500, "subs_per_connection": 7}')
    if [ "${version}" = "${MODULES_VERSIONS[-1]}" ]; then
        run_step "main.yml ${version}" run_both main.yml "${vars[@]}" "$@"
        run_step "paging.yml ${version}" run_both paging.yml "${vars[@]}" "$@"
        run_step "errors.yml ${version}" run_both errors.yml "${vars[@]}" "$@"
    else
        run_step "main.yml ${version}" run_playbook main.yml -e transport=requests "${vars[@]}" "$@"
        run_step "paging.yml ${version}" run_playbook paging.yml -e transport=requests "${vars[@]}" "$@"
    fi
    nats_stop_all
done

modules_finish
