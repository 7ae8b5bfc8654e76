#!/usr/bin/env bash
# The inventory plugin nats_tools.nats.nats against hostile fake monitoring ports (../setup_hostile):
# a seed at 127.0.4.1 that needs credentials and whose /varz strings (server name, version, cluster) are
# Jinja that would create marker files, and peers listed in its /routez at 127.0.4.2-6: one named
# ../../../../x, one with a 2,000-character name, one that answers 401 without credentials, one trusted
# through credential_hosts, one more; seeds at 127.0.4.7 (drips) and 127.0.4.8 (1 GiB) for timeout and
# max_response_bytes. Runs on every ansible-core the collection supports (2.16 and 2.19, INTEGRATION_216_TARGETS).
# Costs about 40 seconds.
set -eu -o pipefail
source ../setup_hostile/files/hostile_lib.sh

SECRET="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
HEADER_SECRET="tok-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
BASIC="$(printf 'ops:%s' "${SECRET}" | base64)"
dir="${HOSTILE_WORKDIR}/inv"
markers="${HOSTILE_WORKDIR}/markers"
factcache="${dir}/a/b/c/d/factcache"
invcache="${dir}/invcache"
mkdir -p "${dir}" "${markers}" "${factcache}" "${invcache}"

"${HOSTILE_BASE_PYTHON}" files/make_scenario.py "${markers}" ops "${SECRET}" "${HEADER_SECRET}" > "${dir}/scenario.json"
hostile_start "${dir}/scenario.json"
seed="$(hostile_url seed)"
seed_netloc="${seed#http://}"
ansible --version | sed -n 1p  # (not head: with pipefail, ansible would die of SIGPIPE)

# ---- configurations -------------------------------------------------------------------------------
# inject: compose / groups / keyed_groups on every server string, the seed's password in its URL,
# a header, the inventory cache (jsonfile).
cat > "${dir}/inject.nats.yml" <<CONFIG
plugin: nats_tools.nats.nats
urls:
  - http://ops:${SECRET}@${seed_netloc}
headers:
  X-Api-Key: ${HEADER_SECRET}
timeout: 5
compose:
  name_copy: nats_server_name
  version_copy: nats_version
  cluster_copy: nats_cluster
  ansible_connection: "'local'"
groups:
  named_by_jinja: nats_server_name is string and '{' in nats_server_name
keyed_groups:
  - key: nats_server_name
    prefix: name
  - key: nats_version
    prefix: version
  - key: nats_cluster
    prefix: cluster
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ${invcache}
CONFIG

# creds: the same, plus credential_hosts trusting 127.0.4.5 (and nothing else of the peers)
sed -e '/^cache/d' "${dir}/inject.nats.yml" > "${dir}/creds.nats.yml"
printf 'credential_hosts:\n  - 127.0.4.5/32\n' >> "${dir}/creds.nats.yml"

# max: stops after 2 servers
cat > "${dir}/max.nats.yml" <<CONFIG
plugin: nats_tools.nats.nats
urls:
  - ${seed}
url_username: ops
url_password: ${SECRET}
max_servers: 2
CONFIG

inventory_list() {  # NAME CONFIG: ansible-inventory --list into NAME.json, output into NAME.log
    ANSIBLE_INVENTORY_UNPARSED_FAILED=true ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true \
        ansible-inventory -i "$2" --list --output "${dir}/$1.json" -vvv >"${dir}/$1.log" 2>&1
}
no_markers() {
    local found
    found="$(ls -A "${markers}")"
    if [ -n "${found}" ]; then
        echo "marker files created (server strings ran as Jinja): ${found}" >&2
        return 1
    fi
}
# has_host NAME.json HOST: the inventory lists HOST
has_host() {
    "${HOSTILE_BASE_PYTHON}" -c 'import json, sys
hosts = set(json.load(open(sys.argv[1]))["_meta"]["hostvars"])
sys.exit(0 if sys.argv[2] in hosts else "host %s not among %s" % (sys.argv[2], sorted(h[:80] for h in hosts)))' "$@"
}
# no_bad_host NAME.json: no host name with "/", "..", whitespace, "{" or longer than 255 characters
no_bad_host() {
    "${HOSTILE_BASE_PYTHON}" -c 'import json, re, sys
bad = [h[:80] for h in json.load(open(sys.argv[1]))["_meta"]["hostvars"] if re.search(r"[/\s{]|\.\.", h) or len(h) > 255]
sys.exit("unsafe host names: %s" % bad if bad else 0)' "$@"
}
# host_count NAME.json MAX: at most MAX hosts
host_count_le() {
    "${HOSTILE_BASE_PYTHON}" -c 'import json, sys
n = len(json.load(open(sys.argv[1]))["_meta"]["hostvars"]); print("%d hosts" % n); sys.exit(0 if n <= int(sys.argv[2]) else 1)' "$@"
}
# requests_with SERVER HEADER: how many requests SERVER received that carry HEADER
requests_with() {
    hostile_requests --server "$1" --header "$2" --count
}
all_seed_requests_carry() {  # every request to the seed carried both the Basic credentials and the header
    hostile_requests --server seed | "${HOSTILE_BASE_PYTHON}" -c 'import json, sys
reqs = json.load(sys.stdin); basic, header = sys.argv[1:3]
bad = [r["path"] for r in reqs if r["headers"].get("Authorization") != "Basic " + basic or r["headers"].get("X-Api-Key") != header]
print("%d requests to the seed, %d without the credentials or header" % (len(reqs), len(bad)))
sys.exit(1 if bad or not reqs else 0)' "${BASIC}" "${HEADER_SECRET}"
}
none_carry() {  # SERVER: received requests, none with Authorization or X-Api-Key
    local total
    total="$(hostile_requests --server "$1" --count)"
    echo "$1: ${total} requests, $(requests_with "$1" Authorization) with Authorization, $(requests_with "$1" X-Api-Key) with X-Api-Key"
    [ "${total}" -gt 0 ] && [ "$(requests_with "$1" Authorization)" = 0 ] && [ "$(requests_with "$1" X-Api-Key)" = 0 ]
}
# log_has REGEX FILE: REGEX (grep -E) in FILE with its lines joined (Ansible wraps long warnings)
log_has() {  # (no grep -q at the end of a pipe: with pipefail, the writer's SIGPIPE would fail the check)
    local joined
    joined="$(tr '\n' ' ' < "$2" | tr -s ' ')"
    grep -E -- "$1" <<<"${joined}" >/dev/null
}
outside_factcache() {  # nothing written under ${dir}/a except inside the fact cache folder
    local stray
    stray="$(find "${dir}/a" -path "${factcache}" -prune -o -type f -print)"
    if [ -n "${stray}" ]; then echo "written outside the fact cache: ${stray}" >&2; return 1; fi
}

# ---- 1. ansible-inventory --list with compose, groups, keyed_groups (fresh discovery, cache written) ----
check "inventory --list (inject.nats.yml) succeeds" inventory_list inject "${dir}/inject.nats.yml"
tail -n 25 "${dir}/inject.log" | cut -c1-400
check "no marker file: server name/version/cluster never ran as Jinja (compose, groups, keyed_groups)" no_markers
check "the Jinja-named seed is host NSEED (its server id)" has_host "${dir}/inject.json" NSEED
check "the ../../../../x server is host NPEERTRAVERSAL" has_host "${dir}/inject.json" NPEERTRAVERSAL
check "the 2,000-character name is host NPEERLONG" has_host "${dir}/inject.json" NPEERLONG
check "no host name with /, .., whitespace, { or > 255 characters" no_bad_host "${dir}/inject.json"
check "a warning says the 2,000-character name is not usable and names the host used" \
    log_has "server name .aaaa[a-z ]*.? is not a usable host name[^;]*; host NPEERLONG is used instead" "${dir}/inject.log"
check "a warning says ../../../../x is not usable" \
    log_has "server name \S*\.\./\.\./\.\./\.\./x\S* is not a usable host name[^;]*; host NPEERTRAVERSAL is used instead" "${dir}/inject.log"
check "the seed received the credentials of its URL and the header on every request" all_seed_requests_carry
check "a discovered peer on another address (../../../../x) got no credentials and no header" none_carry traversal
check "a discovered peer (2,000-character name) got no credentials and no header" none_carry long
check "the peer answering 401 without credentials is named in a warning" \
    log_has "127\.0\.4\.4\S* answered (HTTP )?401 without credentials[^:]*: add its host to credential_hosts" "${dir}/inject.log"
check "the seed (Jinja name) is named in a warning too: server name \"{{ lookup(... is not a usable host name ... host NSEED" \
    log_has "server name .\{\{ lookup[^;]*is not a usable host name[^;]*; host NSEED is used instead" "${dir}/inject.log"
check "the seed's password is in no output and not in the inventory cache" \
    not_in_files "${SECRET}" "${dir}/inject.log" "${dir}/inject.json" "${invcache}"
check "the header value is in no output and not in the inventory cache" \
    not_in_files "${HEADER_SECRET}" "${dir}/inject.log" "${dir}/inject.json" "${invcache}"
check "the inventory cache was written" test -n "$(ls -A "${invcache}")"

# ---- 2. the same from the inventory cache --------------------------------------------------------------
before="$(hostile_requests --count)"
check "inventory --list from the cache succeeds" inventory_list cached "${dir}/inject.nats.yml"
check "the cached run asked no server (the cache was used)" test "$(hostile_requests --count)" = "${before}"
check "no marker file after the cached run" no_markers
check "hosts from the cache are the safe names" has_host "${dir}/cached.json" NPEERLONG

# ---- 3. a play that prints the strings and caches them as facts (jsonfile fact cache) ---------------------
play_print() {  # print.yml over the inventory, facts cached by jsonfile in ${factcache}
    ANSIBLE_CACHE_PLUGIN=jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION="${factcache}" ANSIBLE_GATHERING=explicit \
        ansible-playbook -i "${dir}/inject.nats.yml" print.yml -v >"${dir}/play.log" 2>&1
}
check "ansible-playbook print.yml with set_fact cacheable + jsonfile fact cache succeeds" play_print
grep -E 'PLAY RECAP' -A8 "${dir}/play.log" | cut -c1-200 || tail -n 30 "${dir}/play.log"
check "the play printed the server name as text: {{ lookup(... is in its output" \
    grep -qF "lookup('pipe', 'touch ${markers}/MARKER_name')" "${dir}/play.log"
check "no marker file after the play" no_markers
check "nothing written outside the fact cache folder (../../../../x)" outside_factcache
check "facts were cached for the hosts" test -n "$(ls -A "${factcache}")"
check "the seed's password is not in the play output nor in the fact cache" \
    not_in_files "${SECRET}" "${dir}/play.log" "${factcache}"

# ---- 4. credential_hosts ---------------------------------------------------------------------------------
before_trusted="$(hostile_requests --server trusted --header Authorization --count)"
check "inventory --list (creds.nats.yml, credential_hosts 127.0.4.5/32) succeeds" inventory_list creds "${dir}/creds.nats.yml"
check "the peer in credential_hosts received the credentials" \
    test "$(hostile_requests --server trusted --header Authorization --count)" -gt "${before_trusted}"
check "the peer in credential_hosts is read (host trusted-peer)" has_host "${dir}/creds.json" trusted-peer
check "still no credentials to peers outside credential_hosts" none_carry traversal
check "no password in the credential_hosts run's output" not_in_files "${SECRET}" "${dir}/creds.log" "${dir}/creds.json"

# ---- 5. max_servers --------------------------------------------------------------------------------------
check "inventory --list (max.nats.yml, max_servers 2) succeeds" inventory_list max "${dir}/max.nats.yml"
check "max_servers: at most 2 hosts" host_count_le "${dir}/max.json" 2
check "max_servers: a warning says discovery stopped" log_has "\[WARNING\]: nats inventory:[^[]*max_servers" "${dir}/max.log"
check "no password in the max_servers run's output" not_in_files "${SECRET}" "${dir}/max.log" "${dir}/max.json"
check "no marker file at the end" no_markers

# ---- 6. timeout and max_response_bytes bound the inventory plugin too ------------------------------------
printf 'plugin: nats_tools.nats.nats\nurls:\n  - %s\ntimeout: 1\n' "$(hostile_url drip)" > "${dir}/drip.nats.yml"
printf 'plugin: nats_tools.nats.nats\nurls:\n  - %s\nmax_response_bytes: 1048576\n' "$(hostile_url huge)" > "${dir}/huge.nats.yml"
# inventory_fails NAME CONFIG: ansible-inventory fails (bounded by `timeout 120` should the plugin hang, and by
# ulimit -v should it read the whole 1 GiB into memory)
inventory_fails() {
    ! (ulimit -v "${HOSTILE_ULIMIT_KB}"; ANSIBLE_INVENTORY_UNPARSED_FAILED=true timeout 120 ansible-inventory -i "$2" --list) \
        >"${dir}/$1.log" 2>&1
}
check "a seed that drips one byte a second: the inventory fails (timeout: 1)" inventory_fails drip "${dir}/drip.nats.yml"
check "... naming the seed and 'timed out: no complete answer within 1 s'" \
    log_has "$(hostile_url drip | sed 's/\./\\./g')\S*: timed out: no complete answer within 1 s" "${dir}/drip.log"
check "a seed that sends 1 GiB: the inventory fails (max_response_bytes: 1048576)" inventory_fails huge "${dir}/huge.nats.yml"
check "... naming the seed and 'answer larger than max_response_bytes (1048576 bytes)'" \
    log_has "$(hostile_url huge | sed 's/\./\\./g')\S*: answer larger than max_response_bytes \(1048576 bytes\)" "${dir}/huge.log"

if [ -n "${HOSTILE_SHOW_LOGS:-}" ]; then cat "${dir}"/*.log; fi
hostile_finish
