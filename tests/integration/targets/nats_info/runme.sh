#!/usr/bin/env bash
# nats_info against real nats-server processes, 2.10.26 and 2.15.1. main.yml and paging.yml run
# with requests on every version and once more with requests hidden (open_url) on the newest;
# errors.yml runs with both transports. The run itself: modules_target
# (../setup_nats_modules/files/modules_lib.sh).
set -eux
source ../setup_nats/files/runme_lib.sh
source ../setup_nats_modules/files/modules_lib.sh

# Paging: 20 connections closed (for connz state=closed), then 1500 open ones with 7 subscriptions
# each: /connz lists more than the server's default page (1024), /subsz more than the client's
# own page (10000).
modules_after_single() {
    nats_harness load-connections --count 20 --name-prefix closed
    nats_harness stop-load
    nats_harness load-connections --count 1500 --subs-per-conn 7 --name-prefix open
}

modules_target --topologies "tls basepath super single cluster" \
    --vars '{"closed_connections": 20, "open_connections": 1500, "subs_per_connection": 7}' \
    --newest "main.yml:both paging.yml:both errors.yml:both" \
    --older "main.yml:requests paging.yml:requests" \
    -- "$@"
