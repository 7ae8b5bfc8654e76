#!/usr/bin/env bash
# nats_healthz against real nats-server processes, 2.10.26 and 2.15.1. main.yml runs with requests
# on every version and once more with requests hidden (open_url) on the newest; errors.yml runs
# with both transports. The run itself: modules_target (../setup_nats_modules/files/modules_lib.sh).
set -eux
source ../setup_nats/files/runme_lib.sh
source ../setup_nats_modules/files/modules_lib.sh

modules_target --topologies "tls basepath single cluster" \
    --newest "main.yml:both errors.yml:both" \
    --older "main.yml:requests" \
    -- "$@"
