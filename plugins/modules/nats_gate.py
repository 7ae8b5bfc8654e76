#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_gate
short_description: Is a NATS cluster safe right now? Wait until it is, or fail saying why
version_added: 0.1.0
description:
  - Reads every server of a cluster at once (C(/varz), C(/healthz), C(/routez), C(/jsz)) and passes only when
    the whole cluster is safe; with O(wait=true) it reads again every O(wait_interval) seconds until it is,
    or fails after O(wait_timeout) with one message naming every failing server and asset.
  - Use it before stopping a server (with O(draining)) and after starting it again (with O(expect_version)),
    as the role P(nats_tools.nats.rolling_upgrade#role) does.
  - It does not trust one server's view. A crashed peer stays C(current) on the meta leader for seconds
    and the leader's C(/healthz) stays 200, so every server is asked directly, and a peer not heard from
    for O(max_peer_seen) seconds counts as down.
  - "Checks: V(reachable) every URL answers; V(healthz) every C(/healthz) is ok, JetStream meta-group
    semantics (C(js-meta-only) on 2.11+, C(js-server-only) on 2.10); V(routes) each server is routed to
    every other server of its own cluster (C(/varz) C(cluster.name); distinct peer names, route pools counted
    once) and to none of another cluster; V(gateways) where gateways are configured, each server has an
    outbound gateway connection to every other cluster its configuration names and an inbound one from each
    (a cluster that lost its gateways is named); V(meta) one meta leader agreed by every server of every
    cluster, no peer offline, lagging or unseen (judged from the leader's view), every JetStream server given
    in the group, no second server claiming leadership, and not servers of unrelated meta groups;
    V(streams) and V(consumers) every replica current within O(max_lag), judged from each group's leader,
    no group with two leaders, replicas that report current agree on C(last_seq); V(version) the servers in
    O(version_servers) run O(expect_version); V(quorum) with O(draining), every replicated stream and
    consumer with a replica there, and the meta group, keep a current quorum without it (R1 assets on it
    are listed and fail only with O(fail_on_r1)); V(leafnodes) each cluster has the leafnode connections its
    servers had when the gate started, or those of O(expect_leafnodes); V(restarted) with O(restarted), evidence
    that the server started again has caught up (see O(restarted))."
  - "Superclusters: give the URLs of every server of every cluster, or of one cluster only. With one cluster
    only, the meta leader may be in another cluster: the meta group is then judged from what the servers
    given report (on 2.15+ every server lists the meta peers; offline and silent peers are named)."
options:
  urls:
    description:
      - Monitoring URL of every server of the cluster, one per server.
      - The connection options (O(timeout), TLS, authentication, O(headers)) apply to each.
    type: list
    elements: str
    required: true
  server_names:
    description:
      - Name (C(server_name)) of the server at each of O(urls), in the same order.
      - Lets the gate name a server that has been down since the gate started, and checks that each URL
        reaches the server it should.
    type: list
    elements: str
  expect_servers:
    description:
      - Number of servers given (reachable check); in a single cluster also the route count and the meta group size.
        Defaults to the number of O(urls).
    type: int
  expect_leafnodes:
    description:
      - Leafnode connections each named server had (C(server_name) -> count), for example before its restart.
        Turns on the V(leafnodes) check.
      - Counted per cluster - a leafnode whose hub restarts reconnects to any server of that cluster - so the
        check passes when the servers of each named server's cluster have at least the sum expected of them.
      - When not set, the counts of the gate's first attempt are expected (servers with none are not checked).
      - A name that is not among O(server_names) (when given) or not among the servers reached is an error.
    type: dict
  expect_version:
    description: Version the servers in O(version_servers) must run, for example V(2.11.11).
    type: str
  version_servers:
    description: Server names (as in C(server_name)) checked against O(expect_version); all servers when not set.
    type: list
    elements: str
  draining:
    description:
      - Name of the server about to be stopped. Turns on the V(quorum) check.
    type: str
  max_lag:
    description:
      - Raft entries a replica (or meta peer) may lag behind its leader and still count as in sync, whether or not
        the leader calls it C(current) at that instant.
      - Under publish load a healthy follower is always a few entries behind (replication in flight; lags of 1-4
        measured at 200 msg/s), while a replica catching up after a restart is hundreds or thousands behind. The
        default of 100 tells the two apart without re-reading a healthy cluster.
      - A replica that is offline or not heard from for O(max_peer_seen) seconds fails at once whatever its lag,
        and so does one its leader calls not current without giving a lag.
      - V(0) counts only replicas the leader calls current with no lag.
    type: int
    default: 100
  max_peer_seen:
    description:
      - Seconds since a meta peer or replica was last heard from (C(active)) after which it counts as down.
      - Like the C(--seen-critical) option of C(nats server report jetstream).
    type: float
    default: 5
  fail_on_r1:
    description: Fail the V(quorum) check when an R1 stream or consumer lives on the draining server.
    type: bool
    default: false
  checks:
    description:
      - Which checks to run; all that apply when not set (V(version) needs O(expect_version),
        V(quorum) needs O(draining), the JetStream checks need JetStream).
    type: list
    elements: str
    choices: [reachable, healthz, routes, gateways, meta, streams, consumers, version, quorum, leafnodes, restarted]
  wait:
    description: Read again until the gate passes or O(wait_timeout) passes.
    type: bool
    default: true
  restarted:
    description:
      - Name (C(server_name)) of a server just started again (after its upgrade or restart). Turns on the
        V(restarted) check, which passes only on evidence that it has caught up, in the same reading.
      - A restarted server answers C(/healthz) 200 for about a second before it reports that it is catching up.
        The check therefore asks that its full C(/healthz) (not only the meta group) is ok, that it lists every
        stream and consumer whose leader counts it as a replica, and that each of those leaders and the meta
        leader have heard from it since it started (the replica's C(active) below the server's uptime) with the
        replica within O(max_lag).
      - The rolling_upgrade role's post gate sets it; it replaces a second passing reading later.
    type: str
  consecutive_passes:
    description:
      - With O(wait=true), the gate passes only after this many passing attempts in a row, O(wait_interval) apart.
      - Not needed after a restart when O(restarted) is set; a margin for other uses.
    type: int
    default: 1
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: float
    default: 300
  wait_interval:
    description:
      - Seconds between attempts.
      - One attempt reads a handful of small endpoints per server (about a millisecond each on a local
        network), so a short interval costs little and lets the gate return soon after the cluster is safe.
    type: float
    default: 0.25
  url:
    description:
      - Not used by this module; give O(urls). Accepted so that C(module_defaults) set for the
        C(group/nats_tools.nats.nats) action group apply to this module too.
    type: str
    default: null
extends_documentation_fragment:
  - nats_tools.nats.connection
  - nats_tools.nats.connection.INFO_MODULE
  - ansible.builtin.action_common_attributes
notes:
  - Read-only; in check mode it runs the same checks.
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_healthz
  - module: nats_tools.nats.nats_jsz
  - name: NATS upgrade guidance
    description: One server at a time, lame duck, wait for healthy, the meta leader last.
    link: https://docs.nats.io/running-a-nats-service/nats_admin/upgrading_cluster
'''

EXAMPLES = r'''
- name: Whole cluster healthy before we start
  nats_tools.nats.nats_gate:
    urls: [http://n1:8222, http://n2:8222, http://n3:8222]
    wait: false

- name: Safe to stop n2? (waits up to 5 minutes for replicas to catch up)
  nats_tools.nats.nats_gate:
    urls: "{{ groups['nats'] | map('regex_replace', '^(.*)$', 'http://\\1:8222') | list }}"
    draining: n2

- name: n2 back, on the new version, caught up, everything current again
  nats_tools.nats.nats_gate:
    urls: [http://n1:8222, http://n2:8222, http://n3:8222]
    expect_version: 2.11.11
    version_servers: [n2]
    restarted: n2
    wait_timeout: 600
'''

RETURN = r'''
passed:
  description: Whether every check passed (on the last attempt).
  returned: always
  type: bool
  sample: false
checks:
  description: Every check of the last attempt.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Check name (reachable, healthz, routes, gateways, meta, streams, consumers, version, quorum, leafnodes, restarted).
      type: str
    server:
      description: Server the result concerns, if one.
      type: str
    ok:
      description: Passed.
      type: bool
    msg:
      description: What was found.
      type: str
  sample:
    - {name: reachable, server: n1, ok: true, msg: "n1 reachable (2.10.26)"}
    - {name: reachable, server: n3, ok: false, msg: "n3 unreachable (connection refused: nothing listens on that port)"}
problems:
  description:
    - The failed checks as sentences (the messages of the RV(checks) that are not ok).
    - Named C(problems), not C(failed), because Ansible reserves C(failed) for the task's own status.
  returned: always
  type: list
  elements: str
  sample: ["n3 at http://n3:8222 unreachable (connection refused: nothing listens on that port)", "stream ORDERS: replica n3 offline"]
servers:
  description: Each server as seen on the last attempt.
  returned: always
  type: list
  elements: dict
  sample:
    - {url: "http://127.0.0.1:8222", name: n1, version: 2.10.26, healthz: ok, routes_to: [n2, n3], meta_leader: n1}
meta_leader:
  description: The meta leader all reachable servers agree on; null when there is none.
  returned: always
  type: str
  sample: n1
attempts:
  description: Rounds of reading every server.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds from the first attempt to the last.
  returned: always
  type: float
  sample: 2.012
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import GATE_CHECKS, ClusterReader, evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_topology import leafnode_baseline
from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import DEFAULT_MAX_LAG
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
    wait_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import collection_paused
from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import attempt_until


def argument_spec():
    spec = connection_argument_spec()
    spec['url'] = dict(type='str')  # one URL makes no cluster; kept so module_defaults of the group apply
    spec.update(wait_argument_spec(wait=True, wait_timeout=300, wait_interval=0.25))
    spec.update(
        urls=dict(type='list', elements='str', required=True),
        server_names=dict(type='list', elements='str'),
        expect_servers=dict(type='int'),
        expect_version=dict(type='str'),
        version_servers=dict(type='list', elements='str'),
        draining=dict(type='str'),
        max_lag=dict(type='int', default=DEFAULT_MAX_LAG),
        max_peer_seen=dict(type='float', default=5),
        fail_on_r1=dict(type='bool', default=False),
        checks=dict(type='list', elements='str', choices=list(GATE_CHECKS)),
        consecutive_passes=dict(type='int', default=1, no_log=False),
        expect_leafnodes=dict(type='dict'),
        restarted=dict(type='str'),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_by=dict(version_servers='expect_version'))
    p = module.params
    urls = p['urls']
    problems = []
    if not urls:
        problems.append('urls must name at least one monitoring URL')
    if p['server_names'] and len(p['server_names']) != len(urls):
        problems.append('server_names must name one server per URL (%d names, %d urls)'
                        % (len(p['server_names']), len(urls)))
    if p['expect_servers'] is not None and p['expect_servers'] < 1:
        problems.append('expect_servers must be 1 or more')
    if p['consecutive_passes'] < 1:
        problems.append('consecutive_passes must be 1 or more')
    if p['max_lag'] < 0 or p['max_peer_seen'] <= 0:
        problems.append('max_lag must be 0 or more and max_peer_seen more than 0')
    leafnodes = p['expect_leafnodes']
    if leafnodes is not None:
        bad = sorted(k for k, v in leafnodes.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0)
        unknown = sorted(set(leafnodes) - set(p['server_names'])) if p['server_names'] else []
        if bad:
            problems.append('expect_leafnodes: counts must be whole numbers, 0 or more (%s)' % ', '.join(bad))
        if unknown:
            problems.append('expect_leafnodes names %s, not among server_names' % ', '.join(unknown))
    if p['restarted'] is not None and p['server_names'] and p['restarted'] not in p['server_names']:
        problems.append('restarted names %s, not among server_names' % p['restarted'])
    if problems:
        module.fail_json(msg='; '.join(problems))

    with NatsModuleClient(module, urls=urls, waits=True) as client:
        reader = ClusterReader(client.monitors, names=p['server_names'],
                               full_healthz=[p['restarted']] if p['restarted'] else None)
        settings = dict(expect_servers=p['expect_servers'] or len(urls), expect_version=p['expect_version'],
                        version_servers=p['version_servers'], draining=p['draining'], max_lag=p['max_lag'],
                        max_peer_seen=p['max_peer_seen'], fail_on_r1=p['fail_on_r1'], checks=p['checks'],
                        expect_leafnodes=p['expect_leafnodes'], restarted=p['restarted'])
        streak = [0]

        def attempt():
            with collection_paused():
                return judge(reader.read())

        def judge(servers):
            if settings.get('expect_leafnodes') is None and (p['checks'] is None or 'leafnodes' in p['checks']):
                # The leafnode connections each server had when the gate started are expected back.
                settings['expect_leafnodes'] = leafnode_baseline(servers)
            unknown = sorted(set(settings['expect_leafnodes'] or {}) - set(s.name for s in servers if s.name))
            if unknown and all(s.reachable for s in servers):
                return False, dict(passed=False, problems=['expect_leafnodes names %s, not among the servers reached (%s)'
                                                           % (', '.join(unknown), ', '.join(sorted(s.name for s in servers)))],
                                   checks=[], servers=[], meta_leader=None), True
            if p['restarted'] and all(s.reachable for s in servers) and p['restarted'] not in [s.name for s in servers]:
                return False, dict(passed=False, problems=['restarted names %s, not among the servers reached (%s)'
                                                           % (p['restarted'], ', '.join(sorted(s.name for s in servers)))],
                                   checks=[], servers=[], meta_leader=None), True
            verdict = evaluate_gate(servers, **settings)
            streak[0] = streak[0] + 1 if verdict['passed'] else 0
            # A server that cannot be read for a reason waiting cannot mend (authentication, TLS, a redirect
            # elsewhere): stop at once.
            return streak[0] >= p['consecutive_passes'], verdict, any(s.error_permanent for s in servers)

        passed, verdict, attempts, elapsed = attempt_until(p, attempt)
        result = dict(changed=False, attempts=attempts, elapsed=elapsed, **verdict)
        if not passed:
            client.warn_collected()
            module.fail_json(msg='gate failed after %.1f s (%d attempt%s): %s' % (
                elapsed, attempts, '' if attempts == 1 else 's', '; '.join(verdict['problems'])), **result)
        client.exit(**result)


if __name__ == '__main__':
    main()
