#!/usr/bin/env bash
# nats_check against real nats-server processes (natslab); measured 3 min 4 s (make integration, load average
# 4 to 6.5 on 2 cores):
# - single, 2.10.26 and 2.15.1: a memory stream FILL (max_bytes 100000) filled past 75 % and 90 %
#   (ok -> warning -> critical), its consumer WORK with a backlog (metadata threshold, a gate that
#   fails) that a background consumer drains while the gate retries (fill.yml, drained.yml); a stream
#   and a consumer that do not exist are critical "not found" with the URL (missing.yml);
# - tls --tls-days 5, 2.10.26 and 2.15.1: a server certificate from the test CA that expires in 5 days:
#   critical by the defaults, from tls_cert_not_after (2.14+) or the https monitoring port's
#   certificate (tls.yml);
# - accounts, 2.10.26 and 2.15.1: account APP's JetStream limit (max_mem 200000) filled past 75 % and
#   90 % while the server's own limit is far away (accounts.yml);
# - cluster, 2.15.1: server/meta/stream/consumer on all three servers, then n2's config changed and
#   reloaded: config_changed critical for n2 only (cluster.yml);
# - twins, 2.15.1: two servers with the same config text: config_digest equal, then differing after
#   n2's file changed and n2 restarted; config_changed for n2 across its restart (twins.yml).
set -eux
source ../setup_nats/files/runme_lib.sh

jsctl() {
    "${NATS_HARNESS_PYTHON}" files/jsctl.py "$(nats_get nats_client_url)" "$@"
}

# reload_config SERVER LINE: append LINE to SERVER's config file, SIGHUP it, and wait (bounded) until its
# log says it reloaded - the next check must see the new config_digest.
reload_config() {
    local server="$1" line="$2" log before
    log="$(nats_get "nats_servers.${server}.log")"
    before="$(grep -c 'Reloaded server configuration' "${log}" || true)"
    echo "${line}" >> "$(nats_get "nats_servers.${server}.config")"
    nats_harness kill --server "${server}" --signal HUP
    for _ in $(seq 1 150); do
        if [ "$(grep -c 'Reloaded server configuration' "${log}" || true)" -gt "${before}" ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "reload_config: ${server} did not log a reload within 30 s (${log})" >&2
    return 1
}

for version in 2.10.26 2.15.1; do
    nats_start single "${version}"
    jsctl stream FILL --memory --max-bytes 100000
    jsctl consumer FILL WORK --meta io.nats.monitor.unprocessed-critical=50
    run_playbook fill.yml -e expect=ok "$@"
    run_playbook missing.yml "$@"
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

    nats_start tls "${version}" --tls-days 5
    run_playbook tls.yml "$@"
    nats_stop

    # 1000-byte messages on acc.data take 1024 bytes of the memory store each
    nats_start accounts "${version}"
    jsctl stream ACC --memory
    jsctl publish ACC 50 --size 1000       # about 26 % of APP's max_mem
    run_playbook accounts.yml -e expect=ok "$@"
    jsctl publish ACC 110 --size 1000      # about 82 %
    run_playbook accounts.yml -e expect=warning "$@"
    jsctl publish ACC 20 --size 1000       # about 92 %
    run_playbook accounts.yml -e expect=critical "$@"
    nats_stop
done

nats_start cluster 2.15.1
run_playbook cluster.yml -e step=before "$@"
reload_config n2 'ping_interval: "1m"'
run_playbook cluster.yml -e step=after "$@"
nats_stop

nats_start twins 2.15.1
run_playbook twins.yml -e step=before "$@"
# n2's name comes from the command line, and 2.15.1 refuses to reload such a server ("config reload not
# supported for ServerName: old=n2, new="), so the changed file takes effect by a restart (new server_id).
echo 'ping_max: 3' >> "$(nats_get nats_servers.n2.config)"
nats_harness restart --server n2 --wait-healthy
run_playbook twins.yml -e step=after "$@"
nats_stop
