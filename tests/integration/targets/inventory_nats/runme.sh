#!/usr/bin/env bash
# The inventory plugin nats_tools.nats.nats against a real supercluster (harness topology
# supercluster: cluster A = a1 a2 a3 with JetStream, cluster B = b1 b2, linked by gateways, each
# server on its own loopback address with the same ports), a3 upgraded to a newer version:
# - one seed: the 3 servers of its cluster, their versions, one meta leader, keyed_groups by version;
# - discover_gateways: all 5, from either side;
# - playbooks/rolling_upgrade.yml in check mode over the discovered inventory (preflight, plan, gates);
# - a seed that cannot be read is an error naming it; a peer killed is a warning and a host with
#   nats_reachable=false; url_password is never shown.
set -eux -o pipefail
source ../setup_nats/files/runme_lib.sh

OLD=2.10.26
NEW=2.15.1
PASSWORD="never-shown-4f1c9e"

# grep -F on a log with line breaks undone: ansible-core before 2.19 wraps warnings at 79 columns.
grep_joined() {
    tr -s ' \n' '  ' < "$2" | grep -F -- "$1" >/dev/null || { echo "not found in $2: $1" >&2; return 1; }
}

nats_start supercluster "${OLD}"
nats_harness restart --server a3 --version "${NEW}" --wait-healthy

dir="${NATS_WORKDIR_ROOT}/inventory"
mkdir -p "${dir}"
a1="$(nats_get nats_servers.a1.monitor_url)"
b2="$(nats_get nats_servers.b2.monitor_url)"

# One seed; hosts run locally (nothing runs on them in check mode, but the role's plays target them)
cat > "${dir}/cluster.nats.yml" <<CONFIG
plugin: nats_tools.nats.nats
urls:
  - ${a1}
url_username: ops
url_password: ${PASSWORD}
keyed_groups:
  - key: nats_version
    prefix: nats_version
compose:
  ansible_connection: "'local'"
  ansible_python_interpreter: "'${NATS_PYTHON}'"
CONFIG

cat > "${dir}/all.nats.yml" <<CONFIG
plugin: nats_tools.nats.nats
urls:
  - ${b2}
discover_gateways: true
keyed_groups:
  - key: nats_version
    prefix: v
CONFIG

cat > "${dir}/down.nats.yml" <<CONFIG
plugin: nats_tools.nats.nats
urls:
  - http://127.0.0.1:1
timeout: 2
CONFIG

# The role's gates run on localhost: give it a usable interpreter (ansible-test sets a bogus default).
cat > "${dir}/local.yml" <<CONFIG
local:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: ${NATS_PYTHON}
CONFIG


# One seed: its cluster only
ansible-inventory -i "${dir}/cluster.nats.yml" --list --output "${dir}/cluster.json" -vvv 2>&1 | tee "${dir}/cluster.log"
"${NATS_PYTHON}" files/check_list.py "${dir}/cluster.json" "${NATS_ENV_FILE}" --hosts a1,a2,a3 --keyed-prefix nats_version

# discover_gateways: both clusters, from cluster B's side
ansible-inventory -i "${dir}/all.nats.yml" --list --output "${dir}/all.json"
"${NATS_PYTHON}" files/check_list.py "${dir}/all.json" "${NATS_ENV_FILE}" --hosts a1,a2,a3,b1,b2 --keyed-prefix v

# The rolling upgrade, check mode, over the discovered inventory: preflight and every gate pass,
# the plan upgrades a1 and a2 and skips a3 (already on ${NEW}).
ansible-playbook -C -i "${dir}/cluster.nats.yml" -i "${dir}/local.yml" nats_tools.nats.rolling_upgrade \
    -e "nats_rolling_upgrade_version=${NEW}" -e nats_rolling_upgrade_gate_timeout=60 "$@" | tee "${dir}/upgrade.log"
grep -F "a3 (a3, cluster A) ${NEW} already on the target version, skipped" "${dir}/upgrade.log"
grep -F "a1 (a1, cluster A) ${OLD} -> ${NEW}" "${dir}/upgrade.log"
grep -F "a2 (a2, cluster A) ${OLD} -> ${NEW}" "${dir}/upgrade.log"

# A seed that cannot be read: the inventory fails, naming it
if ANSIBLE_INVENTORY_UNPARSED_FAILED=true ansible-inventory -i "${dir}/down.nats.yml" --list > "${dir}/down.log" 2>&1; then
    echo "an unreachable seed must fail the inventory" >&2
    exit 1
fi
cat "${dir}/down.log"
grep_joined "cannot read seed http://127.0.0.1:1" "${dir}/down.log"

# A peer killed (a follower: the meta leader stays put): a warning, and still a host with
# nats_reachable=false. a1 is the seed, so it stays up as well.
leader="$("${NATS_PYTHON}" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/jsz"))["meta_cluster"]["leader"])' "${a1}")"
if [ "${leader}" = a2 ]; then victim=a3; survivor=a2; else victim=a2; survivor=a3; fi
nats_harness kill --server "${victim}" --signal KILL
ansible-inventory -i "${dir}/cluster.nats.yml" --list --output "${dir}/down_peer.json" -vvv 2>&1 | tee "${dir}/down_peer.log"
"${NATS_PYTHON}" files/check_list.py "${dir}/down_peer.json" "${NATS_ENV_FILE}" --hosts "a1,${survivor}" \
    --unreachable-url "$(nats_get "nats_servers.${victim}.monitor_url")"
grep_joined "nats_reachable=false" "${dir}/down_peer.log"

# The password reached no output
if grep -rF "${PASSWORD}" "${dir}"/*.log "${dir}"/*.json; then
    echo "url_password was shown" >&2
    exit 1
fi
