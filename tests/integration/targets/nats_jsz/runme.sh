#!/usr/bin/env bash
# nats_jsz against real nats-server processes, 2.10.26 and 2.15.1. main.yml runs with requests on
# every version and once more with requests hidden (open_url) on the newest; failover.yml (a
# follower killed with SIGKILL: about 10 s until the leaders call it not current) once per version,
# with open_url on the oldest and requests on the newest; errors.yml with both transports.
# The run itself: modules_target (../setup_nats_modules/files/modules_lib.sh).
set -eux
source ../setup_nats/files/runme_lib.sh
source ../setup_nats_modules/files/modules_lib.sh

modules_target --topologies "tls basepath single super cluster" \
    --newest "main.yml:both failover.yml:requests errors.yml:both" \
    --older "main.yml:requests failover.yml:open_url" \
    -- "$@"
