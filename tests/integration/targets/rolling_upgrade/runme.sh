#!/usr/bin/env bash
# Rolling upgrades of a real 3-node JetStream cluster: the role's steps in each server's own host
# context, its modes, install methods and rollback (archive/, host_vars_steps/), then, under publish load, the demo tools/demo/rollout_under_load.py
# (beside natslab, found by runme_lib.sh), which checks every expectation itself and exits non-zero
# when one fails; it stops what it starts. The collection it upgrades with is the one under test
# (ANSIBLE_COLLECTIONS_PATH, set by ansible-test).
set -eux
source ../setup_nats/files/runme_lib.sh
source host_vars_steps/run.sh
source archive/run.sh

SCENARIO="$(dirname "${NATS_HARNESS}")/demo/rollout_under_load.py"
RESULTS="${NATS_WORKDIR_ROOT}"

# One 3-server cluster, inventory hosts whose steps read only their own host variables, the role's
# default install step (archive method) from a release mirror on loopback: a bad checksum and a
# release with the wrong binary fail before any stop; the upgrade (each server once, on its own host,
# meta leader last); check mode; restart (canary, pause, hooks); reload; a broken release rolled back.
archive_install

# 2.10.26 -> 2.11.11 -> 2.12.8: every server on the target, no acked message lost, meta leader last.
"${NATS_PYTHON}" "${SCENARIO}" --from 2.10.26 --to 2.11.11 --to 2.12.8 \
    --workdir "${RESULTS}/upgrade" --result-json "${RESULTS}/upgrade.json"

# A server killed while the rollout is on server 2: the gate fails naming it, nothing else restarts.
"${NATS_PYTHON}" "${SCENARIO}" --from 2.10.26 --to 2.11.11 --fault kill-other --gate-timeout 15 \
    --workdir "${RESULTS}/kill-other" --result-json "${RESULTS}/kill-other.json"

# A release that exits at start is not run here a second time: archive_install's rollout 4 (rolled back,
# one server touched) and the systemd hosts' broken phase (under load, 0 acked lost) cover it; the demo
# still offers it (tools/demo/rollout_under_load.py --fault bad-release).
