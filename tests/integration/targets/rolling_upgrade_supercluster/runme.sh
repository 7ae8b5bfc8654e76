#!/usr/bin/env bash
# The role nats_tools.nats.rolling_upgrade over a whole supercluster under publish load: natslab's
# supercluster_js (clusters A and B of three servers, gateways, JetStream in both = one meta group
# of six, an R3 stream placed in each cluster, a publisher with acks on each), 2.12.8 -> 2.15.1 by
# the demo tools/demo/rollout_under_load.py, which checks every expectation itself and exits
# non-zero when one fails: every server on the target, 0 acked messages lost in either stream, six
# servers upgraded one at a time with the meta leader (wherever it lives) last, the final gate green.
# About 3 minutes (6 x (lame duck + start + gates)); it stops what it starts.
set -eux
source ../setup_nats/files/runme_lib.sh

SCENARIO="$(dirname "${NATS_HARNESS}")/demo/rollout_under_load.py"
"${NATS_PYTHON}" "${SCENARIO}" --topology supercluster_js --from 2.12.8 --to 2.15.1 \
    --workdir "${NATS_WORKDIR_ROOT}/supercluster" --result-json "${NATS_WORKDIR_ROOT}/supercluster.json"
