#!/usr/bin/env bash
# nats_check against real nats-server processes (natslab); measured 3 min 2 s at load average ~8 (2 cores):
# - single, 2.10.26 and 2.15.1: a memory stream FILL (max_bytes 100000) filled past 75 % and 90 %
#   (ok -> warning -> critical), its consumer WORK with a backlog (metadata threshold, a gate that
#   fails) that a background consumer drains while the gate retries (fill.yml, drained.yml);
# - cluster, 2.15.1: server/meta/stream/consumer on all three servers, then n2's config changed and
#   reloaded (SIGHUP): config_changed critical for n2 only (cluster.yml);
# - tls, 2.10.26 and 2.15.1: days_left from tls_cert_not_after (2.14+) or from the https
#   monitoring port's certificate (tls.yml).
set -eux
source ../setup_nats/files/runme_lib.sh

jsctl() {
    "${NATS_HARNESS_PYTHON}" files/jsctl.py "$(nats_get nats_client_url)" "$@"
}

for version in 2.10.26 2.15.1; do
    nats_start single "${version}"
    jsctl stream FILL --memory --max-bytes 100000
    jsctl consumer FILL WORK --meta io.nats.monitor.unprocessed-critical=50
    run_playbook fill.yml -e expect=ok "$@"
    jsctl publish FILL 80 --size 1000      # about 82 % of max_bytes
    run_playbook fill.yml -e expect=warning "$@"
    jsctl publish FILL 15 --size 1000      # about 97 %
    run_playbook fill.yml -e expect=critical "$@"
    # a consumer application drains the backlog while the deployment gate waits for it
    run_playbook drained.yml -e phase=backlog "$@"
    ( sleep 2; jsctl consume FILL WORK 200 ) &
    drain=$!
    run_playbook drained.yml -e phase=wait "$@"
    wait "${drain}"
    nats_stop

    nats_start tls "${version}"
    run_playbook tls.yml "$@"
    nats_stop
done

nats_start cluster 2.15.1
run_playbook cluster.yml -e step=before "$@"
echo 'ping_interval: "1m"' >> "$(nats_get nats_servers.n2.config)"
nats_harness kill --server n2 --signal HUP
sleep 1
run_playbook cluster.yml -e step=after "$@"
nats_stop
