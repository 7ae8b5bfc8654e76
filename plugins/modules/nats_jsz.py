#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_jsz
short_description: Read a nats-server's JetStream state (/jsz) and judge it
version_added: 0.1.0
description:
  - Reads C(/jsz) of one nats-server, every page of accounts merged, and summarizes it in RV(summary)
    with a verdict, RV(summary.healthy), and the reasons, RV(summary.problems).
  - The verdict covers what this server can know. The JetStream meta group has a leader; when this
    server is the meta leader, every peer is online, current and within O(max_lag). When O(streams)
    and O(consumers) are set, the replicas of every stream and consumer this server leads are
    judged the same way (a follower's view of its peers is stale, so only leaders are trusted),
    and a stream or consumer without a leader is a problem wherever it is seen.
  - Can wait until the meta group has a leader or until everything is current.
  - One server's view can be stale (a crashed peer stays C(current) for seconds on the leader);
    to gate a change on a whole cluster, ask every server.
options:
  acc:
    description: Only this account.
    type: str
  accounts:
    description: Include per-account details (C(account_details)).
    type: bool
    default: false
  streams:
    description: Include streams with their replicas; needed to judge stream replicas.
    type: bool
    default: false
  consumers:
    description: Include consumers with their replicas; needed to judge consumer replicas.
    type: bool
    default: false
  config:
    description: Include stream and consumer configuration.
    type: bool
    default: false
  raft:
    description: Include Raft group details.
    type: bool
    default: false
  leader_only:
    description:
      - Answer only if this server is the meta leader; other servers answer HTTP 400 (and the task fails).
    type: bool
    default: false
  stream_leader_only:
    description: Only the streams this server leads.
    type: bool
    default: false
  direct_consumers:
    description: Include direct consumers (nats-server 2.11 and later).
    type: bool
    default: false
  max_items:
    description: At most this many accounts in C(account_details); V(0) reads every account.
    type: int
    default: 10000
  max_lag:
    description:
      - Raft entries a replica may lag behind its leader and still count as in sync, whether or not the leader
        calls it C(current) at that instant (as in M(nats_tools.nats.nats_gate), whose default is 100).
      - With V(0) only replicas the leader calls current with no lag count.
    type: int
    default: 0
  max_peer_seen:
    description:
      - Seconds since a meta peer or replica was last heard from (C(active)) after which it is not healthy,
        as in nats_tools.nats.nats_gate. A peer killed a few seconds ago still shows C(current) and not
        C(offline) on the leader; this catches it.
    type: float
    default: 5
  wait:
    description:
      - Poll until the condition of O(wait_for) holds, a permanent error (TLS, authentication, a 4xx answer)
        is met, or O(wait_timeout) passes; the task fails when the condition does not hold by then.
      - Default is V(true) when O(wait_for) is V(meta_leader) or V(current) (as before this option existed),
        else V(false).
    type: bool
  wait_for:
    description:
      - What O(wait=true) waits for.
      - V(meta_leader) polls until the meta group has a leader (a standalone JetStream server has no meta group and passes at once).
      - V(current) polls until RV(summary.healthy) is true; it turns on O(accounts), O(streams) and O(consumers) so that every replica is judged.
      - V(none) (deprecated, the same as O(wait=false)) reads once.
      - When not set, O(wait=true) waits for V(current).
    type: str
    choices: [none, meta_leader, current]
  wait_timeout:
    description:
      - Seconds O(wait=true) may take in all, the last request included; must be 0 or more.
    type: float
    default: 120
  wait_interval:
    description: Seconds between attempts with O(wait=true); must be more than 0.
    type: float
    default: 1
extends_documentation_fragment:
  - nats_tools.nats.connection
  - nats_tools.nats.connection.INFO_MODULE
  - ansible.builtin.action_common_attributes
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_healthz
  - module: nats_tools.nats.nats_info
'''

EXAMPLES = r'''
- name: JetStream counters and meta group
  nats_tools.nats.nats_jsz:
    url: http://127.0.0.1:8222
  register: js

- name: Fail unless every stream and consumer replica is current
  nats_tools.nats.nats_jsz:
    url: "http://{{ inventory_hostname }}:8222"
    streams: true
    consumers: true
  register: js
  failed_when: not js.summary.healthy

- name: Wait for a meta leader after starting the cluster
  nats_tools.nats.nats_jsz:
    wait_for: meta_leader
    wait_timeout: 60

- name: Wait until all replicas caught up, allowing a small lag
  nats_tools.nats.nats_jsz:
    wait_for: current
    max_lag: 10
'''

RETURN = r'''
jsz:
  description: The server's C(/jsz) document, pages of C(account_details) merged (C(truncated) tells if O(max_items) cut it).
  returned: always
  type: dict
  sample:
    server_id: NBZ3L3J5RGNW4EYEQJPGBBXCO7PEXWDQ7XRAHWBAIO4LVDOPDAFCGSYU
    streams: 1
    consumers: 1
    messages: 100
    meta_cluster: {name: c1, leader: n1, cluster_size: 3}
summary:
  description: What the answer says, and whether it is healthy.
  returned: always
  type: dict
  contains:
    server_name:
      description: Name of the server that answered (from C(/varz)).
      type: str
    enabled:
      description: JetStream is enabled on this server.
      type: bool
    clustered:
      description: The server is part of a JetStream meta group.
      type: bool
    meta_leader:
      description: Name of the meta leader; null when there is none (or standalone).
      type: str
    cluster_size:
      description: Size of the meta group (1 for a standalone server).
      type: int
    meta_peers:
      description: Meta group peers other than the leader, as this server sees them; up to 2.12 only the leader lists them.
      type: list
      elements: dict
    streams:
      description: Number of streams.
      type: int
    consumers:
      description: Number of consumers.
      type: int
    messages:
      description: Messages stored.
      type: int
    bytes:
      description: Bytes stored.
      type: int
    memory:
      description: Memory storage used.
      type: int
    storage:
      description: File storage used.
      type: int
    streams_not_current:
      description: Stream replicas not current, offline or lagging, and streams without a leader.
      type: list
      elements: dict
    consumers_not_current:
      description: The same for consumers.
      type: list
      elements: dict
    healthy:
      description: No problem found.
      type: bool
    problems:
      description: One sentence per problem.
      type: list
      elements: str
  sample:
    server_name: n1
    enabled: true
    clustered: true
    meta_leader: n1
    cluster_size: 3
    meta_peers:
      - {name: n2, current: true, offline: false, lag: 0, active_s: 0.412}
      - {name: n3, current: true, offline: false, lag: 0, active_s: 0.412}
    streams: 1
    consumers: 1
    messages: 100
    bytes: 4700
    memory: 0
    storage: 4700
    streams_not_current:
      - {account: $G, stream: ORDERS, consumer: null, leader: n1, replica: n3, current: false,
         offline: true, lag: 0, problem: offline}
    consumers_not_current: []
    healthy: false
    problems: ["stream ORDERS: replica n3 offline"]
attempts:
  description: How many times /jsz was read.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds from the first attempt to the last answer.
  returned: always
  type: float
  sample: 0.0
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import jsz_wait_satisfied, summarize_jsz
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
    wait_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import read_servers
from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import attempt_until

QUERY_OPTIONS = ('acc', 'accounts', 'streams', 'consumers', 'config', 'raft', 'leader_only',
                 'stream_leader_only', 'direct_consumers')


def argument_spec():
    spec = connection_argument_spec()
    spec.update(wait_argument_spec(wait=None, wait_timeout=120, wait_interval=1))
    spec.update(
        acc=dict(type='str'),
        accounts=dict(type='bool', default=False),
        streams=dict(type='bool', default=False),
        consumers=dict(type='bool', default=False),
        config=dict(type='bool', default=False),
        raft=dict(type='bool', default=False),
        leader_only=dict(type='bool', default=False),
        stream_leader_only=dict(type='bool', default=False),
        direct_consumers=dict(type='bool', default=False),
        max_items=dict(type='int', default=10000),
        max_lag=dict(type='int', default=0),
        max_peer_seen=dict(type='float', default=5),
        wait_for=dict(type='str', choices=['none', 'meta_leader', 'current']),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    if p['max_lag'] < 0 or p['max_items'] < 0:
        module.fail_json(msg='max_lag and max_items must be 0 or more')
    if p['max_peer_seen'] <= 0:
        module.fail_json(msg='max_peer_seen must be more than 0 seconds')
    if p['wait_for'] == 'none':
        module.deprecate('wait_for=none is the same as wait=false; set wait instead', version='2.0.0',
                         collection_name='nats_tools.nats')
        p['wait'] = False
    elif p['wait'] is None:
        # Before `wait` existed, a wait_for other than none meant waiting; an unset wait_for did not.
        p['wait'] = p['wait_for'] is not None
    p['wait_for'] = p['wait_for'] or 'current'
    with NatsModuleClient(module, waits=True) as client:
        query = dict((name, p[name]) for name in QUERY_OPTIONS)
        if p['wait'] and p['wait_for'] == 'current':
            query.update(accounts=True, streams=True, consumers=True)

        last_read = {}

        def attempt():
            # /varz says which server answered: only a group's leader can judge its replicas.
            outcomes = read_servers([[('varz', client.monitor.varz),
                                      ('jsz', lambda: client.monitor.jsz(max_items=p['max_items'], **query))]])[0]
            (varz, varz_error), (jsz, jsz_error) = outcomes['varz'], outcomes['jsz']
            error = jsz_error or varz_error
            if error is not None:
                # A restarting server refuses connections for a while: keep waiting, unless waiting cannot mend it.
                return False, dict(last_read, error=error), error.permanent or not p['wait']
            summary = summarize_jsz(jsz, max_lag=p['max_lag'], server_name=varz.get('server_name'),
                                    max_peer_seen=p['max_peer_seen'])
            last_read.update(jsz=jsz, summary=summary)
            passed = jsz_wait_satisfied(summary, p['wait_for']) if p['wait'] else True
            return passed, dict(jsz=jsz, summary=summary)

        passed, outcome, attempts, elapsed = attempt_until(p, attempt)
        error = outcome.pop('error', None)
        if error is not None and 'summary' not in outcome:
            client.fail(error, attempts=attempts, elapsed=elapsed)
        result = dict(changed=False, attempts=attempts, elapsed=elapsed, **outcome)
        if not passed:
            # The last answer that could be read says why; a last attempt that failed says so too.
            summary = outcome['summary']
            last = '; last attempt: %s' % error if error is not None else ''
            module.fail_json(msg='%s: JetStream not %s after %d attempts in %.1f s: %s%s' % (
                client.url, 'ready (no meta leader)' if p['wait_for'] == 'meta_leader' else 'current',
                attempts, elapsed, '; '.join(summary['problems']) or 'no meta leader', last), **result)
        client.exit(**result)


if __name__ == '__main__':
    main()
