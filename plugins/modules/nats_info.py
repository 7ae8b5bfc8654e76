#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_info
short_description: Gather what a nats-server reports on its monitoring port
version_added: 0.1.0
description:
  - Reads any set of nats-server monitoring endpoints (C(/varz), C(/connz), C(/routez), C(/gatewayz),
    C(/leafz), C(/subsz), C(/accountz), C(/accstatz), C(/jsz), C(/healthz), C(/raftz),
    C(/ipqueuesz), C(/stacksz), C(/debug/vars)) in one task, all at once.
  - Paged lists (connections, subscriptions, JetStream accounts) are read to the end, up to O(max_items).
  - A debug endpoint this server does not serve (C(/raftz) on a server without Raft groups, C(/debug/vars)
    before 2.11) is reported in RV(unavailable) with a warning; the task does not fail for it. A 404 on any
    other endpoint means a wrong URL or base path and fails the task.
options:
  gather_subset:
    description:
      - Which endpoints to read.
      - V(min) is V(varz), V(healthz), V(routez), V(gatewayz), V(leafz) and V(jsz).
      - V(all) adds V(connz), V(subsz), V(accountz) and V(accstatz).
      - V(raftz), V(ipqueuesz), V(stacksz) and V(expvarz) (C(/debug/vars)) are read only when named.
      - Prefix a name with C(!) to leave it out, for example V([all, "!subsz"]).
    type: list
    elements: str
    default: [min]
  dest:
    description:
      - Write the answers to this file on the host that runs the module (JSON, one key per endpoint with the
        same document the task would return under RV(varz), RV(connz) ...), and return only RV(gathered),
        RV(unavailable), RV(server), RV(dest), RV(items) and RV(truncated).
      - For very large lists (tens of thousands of connections or subscriptions), where handing every value to
        Ansible costs more than reading it (about 0.2 s per 5,000 connections on top of the requests; see
        docs/performance.md), or when the answers are archived rather than used in the play.
      - Written atomically with mode C(0600); the task is C(changed) when the content differs from the file's.
        In check mode nothing is written. A value given in O(url_password) or O(headers) is masked in the file
        as it would be in the result.
      - The folder must exist.
    type: path
  max_items:
    description:
      - At most this many items of each paged list (connz connections, subsz subscriptions, jsz accounts).
        V(0) reads every item.
      - When the cap cuts a list short, that endpoint's result has C(truncated=true).
    type: int
    default: 10000
  connz:
    description: Query options for C(/connz). Unset options are not sent.
    type: dict
    default: {}
    suboptions:
      sort:
        description: Sort order.
        type: str
        choices: [cid, start, subs, pending, msgs_to, msgs_from, bytes_to, bytes_from, last, idle, uptime, stop, reason, rtt]
      auth:
        description: Include user names.
        type: bool
      subs:
        description: Include subscriptions; V(detail) adds per-subscription details.
        type: str
        choices: ['true', 'false', detail]
      offset:
        description: Skip this many connections.
        type: int
      limit:
        description: At most this many connections (the whole list is paged; see O(max_items)).
        type: int
      cid:
        description: Only this connection ID.
        type: int
      state:
        description: Open, closed or all connections (V(any) and V(all) mean the same).
        type: str
        choices: [open, closed, any, all]
      user:
        description: Only connections of this user.
        type: str
      acc:
        description: Only connections of this account.
        type: str
      mqtt_client:
        description: Only this MQTT client ID.
        type: str
  routez:
    description: Query options for C(/routez).
    type: dict
    default: {}
    suboptions:
      subs:
        description: Include subscriptions; V(detail) adds details.
        type: str
        choices: ['true', 'false', detail]
  gatewayz:
    description: Query options for C(/gatewayz).
    type: dict
    default: {}
    suboptions:
      subs:
        description: Include subscriptions (with O(gatewayz.accs)); V(detail) adds details.
        type: str
        choices: ['true', 'false', detail]
      accs:
        description: Include account interest details.
        type: bool
      gw_name:
        description: Only this gateway.
        type: str
      acc_name:
        description: Only this account.
        type: str
  leafz:
    description: Query options for C(/leafz).
    type: dict
    default: {}
    suboptions:
      subs:
        description: Include subscriptions.
        type: bool
      acc:
        description: Only leafnode connections of this account.
        type: str
  subsz:
    description: Query options for C(/subsz).
    type: dict
    default: {}
    suboptions:
      subs:
        description: List the subscriptions, not only the counters.
        type: bool
      offset:
        description: Skip this many subscriptions.
        type: int
      limit:
        description: At most this many subscriptions (the whole list is paged; see O(max_items)).
        type: int
      test:
        description: Only subscriptions that match this subject.
        type: str
      acc:
        description: Only subscriptions of this account.
        type: str
  accountz:
    description: Query options for C(/accountz).
    type: dict
    default: {}
    suboptions:
      acc:
        description: Details of this account instead of the list of accounts.
        type: str
  accstatz:
    description: Query options for C(/accstatz).
    type: dict
    default: {}
    suboptions:
      unused:
        description: Include accounts without connections.
        type: bool
  jsz:
    description: Query options for C(/jsz).
    type: dict
    default: {}
    suboptions:
      acc:
        description: Only this account.
        type: str
      accounts:
        description: Include per-account details.
        type: bool
      streams:
        description: Include streams (implies accounts on the server).
        type: bool
      consumers:
        description: Include consumers (implies streams).
        type: bool
      config:
        description: Include stream and consumer configuration.
        type: bool
      offset:
        description: Skip this many accounts.
        type: int
      limit:
        description: At most this many accounts (the whole list is paged; see O(max_items)).
        type: int
      leader_only:
        description: Answer only if this server is the meta leader (others answer HTTP 400).
        type: bool
      raft:
        description: Include Raft group details.
        type: bool
      stream_leader_only:
        description: Only streams this server leads.
        type: bool
      direct_consumers:
        description: Include direct consumers (nats-server 2.11 and later).
        type: bool
  healthz:
    description: Query options for C(/healthz); see M(nats_tools.nats.nats_healthz) for a module that judges them.
    type: dict
    default: {}
    suboptions:
      js_enabled_only:
        description: Only check that JetStream is enabled.
        type: bool
      js_server_only:
        description: Sent as C(js-server-only); its meaning changed in 2.11 (see M(nats_tools.nats.nats_healthz)).
        type: bool
      js_meta_only:
        description: Only the meta group (2.11 and later; not sent to older servers, which would ignore it).
        type: bool
      account:
        description: Only this account.
        type: str
      stream:
        description: Only this stream (needs account).
        type: str
      consumer:
        description: Only this consumer (needs stream).
        type: str
      details:
        description: List every problem.
        type: bool
  raftz:
    description: Query options for C(/raftz) (servers with Raft groups, nats-server 2.10.17 and later).
    type: dict
    default: {}
    suboptions:
      acc:
        description: Only Raft groups of this account.
        type: str
      group:
        description: Only this Raft group.
        type: str
  ipqueuesz:
    description: Query options for C(/ipqueuesz).
    type: dict
    default: {}
    suboptions:
      all:
        description: Include empty queues.
        type: bool
      queues:
        description: Only queues whose name contains this text.
        type: str
extends_documentation_fragment:
  - nats_tools.nats.connection
  - nats_tools.nats.connection.INFO_MODULE
  - ansible.builtin.action_common_attributes
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_healthz
  - module: nats_tools.nats.nats_jsz
  - name: nats-server monitoring
    description: What each endpoint reports.
    link: https://docs.nats.io/running-a-nats-service/nats_admin/monitoring
'''

EXAMPLES = r'''
- name: Server summary (varz, healthz, routez, gatewayz, leafz, jsz)
  nats_tools.nats.nats_info:
    url: http://127.0.0.1:8222
  register: nats

- name: Show version and JetStream state
  ansible.builtin.debug:
    msg: "{{ nats.server.name }} runs {{ nats.server.version }}, {{ nats.jsz.streams }} streams"

- name: Every closed connection, largest senders first
  nats_tools.nats.nats_info:
    gather_subset: [connz]
    connz:
      state: closed
      sort: bytes_to
      subs: detail
    max_items: 0

- name: 50,000 connections to a file on the controller; the task returns their count
  nats_tools.nats.nats_info:
    gather_subset: [connz]
    max_items: 0
    dest: /var/tmp/nats-connz.json
  delegate_to: localhost
  register: connz

- name: Everything but subscriptions, plus Raft state
  nats_tools.nats.nats_info:
    gather_subset: [all, "!subsz", raftz]

- name: Set the connection once for a whole play
  hosts: nats
  module_defaults:
    group/nats_tools.nats.nats:
      url: "https://{{ inventory_hostname }}:8222"
      ca_path: /etc/nats/ca.pem
  tasks:
    - name: Gather
      nats_tools.nats.nats_info:
'''

RETURN = r'''
gathered:
  description: The endpoints read, in order.
  returned: always
  type: list
  elements: str
  sample: [varz, healthz, routez, gatewayz, leafz, jsz]
unavailable:
  description: Debug endpoints this server does not serve (HTTP 404), with the reason.
  returned: always
  type: dict
  sample:
    raftz: "http://127.0.0.1:8222/raftz: HTTP 404: endpoint not served by this server (404 page not found)"
server:
  description: Who the server is, from C(/varz).
  returned: when varz was gathered
  type: dict
  contains:
    name:
      description: server_name.
      type: str
    id:
      description: server_id.
      type: str
    version:
      description: nats-server version.
      type: str
    cluster:
      description: Cluster name, if clustered.
      type: str
    jetstream:
      description: Whether JetStream is enabled.
      type: bool
  sample:
    name: n1
    id: NBZ3L3J5RGNW4EYEQJPGBBXCO7PEXWDQ7XRAHWBAIO4LVDOPDAFCGSYU
    version: 2.15.1
    cluster: c1
    jetstream: true
varz:
  description: The server's C(/varz) document.
  returned: when gathered
  type: dict
  sample: {server_id: NBZ3..., server_name: n1, version: 2.15.1, connections: 4, routes: 8}
connz:
  description: C(/connz), every page merged into C(connections); C(truncated) says whether O(max_items) cut it.
  returned: when gathered
  type: dict
  sample: {num_connections: 2, total: 2, offset: 0, limit: 2, truncated: false, connections: [{cid: 5, name: orders-publisher}]}
routez:
  description: C(/routez).
  returned: when gathered
  type: dict
  sample: {num_routes: 8, routes: [{rid: 1, remote_name: n2}]}
gatewayz:
  description: C(/gatewayz).
  returned: when gathered
  type: dict
  sample: {name: A, outbound_gateways: {B: {}}}
leafz:
  description: C(/leafz).
  returned: when gathered
  type: dict
  sample: {leafnodes: 1, leafs: [{name: leaf1}]}
subsz:
  description: C(/subsz), pages merged into C(subscriptions_list) when subscriptions were asked for.
  returned: when gathered
  type: dict
  sample: {num_subscriptions: 63, total: 63, truncated: false}
accountz:
  description: C(/accountz).
  returned: when gathered
  type: dict
  sample: {accounts: [$G, $SYS]}
accstatz:
  description: C(/accstatz).
  returned: when gathered
  type: dict
  sample: {account_statz: []}
jsz:
  description: C(/jsz), account pages merged into C(account_details).
  returned: when gathered
  type: dict
  sample: {streams: 1, consumers: 1, messages: 100, meta_cluster: {leader: n1, cluster_size: 3}}
healthz:
  description: C(/healthz), with C(http_status) added (the answer is kept when it is 500 or 503).
  returned: when gathered
  type: dict
  sample: {status: ok, http_status: 200}
raftz:
  description: C(/raftz).
  returned: when gathered and served
  type: dict
  sample: {"$SYS": {"_meta_": {}}}
ipqueuesz:
  description: C(/ipqueuesz).
  returned: when gathered
  type: dict
  sample: {}
stacksz:
  description: Goroutine stacks (C(/stacksz)) as text.
  returned: when gathered
  type: str
  sample: "goroutine 1 [running]:"
expvarz:
  description: C(/debug/vars).
  returned: when gathered and served
  type: dict
  sample: {cmdline: [nats-server], memstats: {}}
dest:
  description: The file the answers were written to.
  returned: when O(dest) is set
  type: str
  sample: /var/tmp/nats-n1-connz.json
items:
  description: Length of each answer's list (connz connections, subsz subscriptions_list, jsz account_details,
    routez routes, leafz leafs, accountz accounts).
  returned: when O(dest) is set
  type: dict
  sample: {connz: 50000}
truncated:
  description: For each paged endpoint (connz, subsz, jsz), whether O(max_items) cut its list short.
  returned: when O(dest) is set
  type: dict
  sample: {connz: false}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import EndpointNotServed
from ansible_collections.nats_tools.nats.plugins.module_utils.gather import (
    DEBUG_SUBSET,
    answers_summary,
    checked_subset,
    gather_argument_spec,
    read_server,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import healthz_needs_version, healthz_params
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.module_results import write_json_file
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer

SUBS_CHOICES = ['true', 'false', 'detail']


def _suboptions(**options):
    return dict(type='dict', default={}, options=options)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(gather_argument_spec())
    spec.update(dest=dict(type='path'))
    spec.update(
        connz=_suboptions(
            sort=dict(type='str', choices=['cid', 'start', 'subs', 'pending', 'msgs_to', 'msgs_from', 'bytes_to',
                                           'bytes_from', 'last', 'idle', 'uptime', 'stop', 'reason', 'rtt']),
            auth=dict(type='bool'), subs=dict(type='str', choices=SUBS_CHOICES), offset=dict(type='int'),
            limit=dict(type='int'), cid=dict(type='int'),
            state=dict(type='str', choices=['open', 'closed', 'any', 'all']),
            user=dict(type='str'), acc=dict(type='str'), mqtt_client=dict(type='str')),
        routez=_suboptions(subs=dict(type='str', choices=SUBS_CHOICES)),
        gatewayz=_suboptions(subs=dict(type='str', choices=SUBS_CHOICES), accs=dict(type='bool'),
                             gw_name=dict(type='str'),
                             acc_name=dict(type='str')),
        leafz=_suboptions(subs=dict(type='bool'), acc=dict(type='str')),
        subsz=_suboptions(subs=dict(type='bool'), offset=dict(type='int'), limit=dict(type='int'),
                          test=dict(type='str'), acc=dict(type='str')),
        accountz=_suboptions(acc=dict(type='str')),
        accstatz=_suboptions(unused=dict(type='bool')),
        jsz=_suboptions(acc=dict(type='str'), accounts=dict(type='bool'), streams=dict(type='bool'),
                        consumers=dict(type='bool'), config=dict(type='bool'), offset=dict(type='int'),
                        limit=dict(type='int'), leader_only=dict(type='bool'), raft=dict(type='bool'),
                        stream_leader_only=dict(type='bool'), direct_consumers=dict(type='bool')),
        healthz=_suboptions(js_enabled_only=dict(type='bool'), js_server_only=dict(type='bool'),
                            js_meta_only=dict(type='bool'), account=dict(type='str'), stream=dict(type='str'),
                            consumer=dict(type='str'), details=dict(type='bool')),
        raftz=_suboptions(acc=dict(type='str'), group=dict(type='str')),
        ipqueuesz=_suboptions(all=dict(type='bool'), queues=dict(type='str')),
    )
    return spec


def query_params(params, name):
    """The endpoint's suboptions as query parameters ('true'/'false' subs become booleans)."""
    query = dict((k, v) for k, v in (params.get(name) or {}).items() if v is not None)
    if query.get('subs') in ('true', 'false'):
        query['subs'] = query['subs'] == 'true'
    return query


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    subset, problem = checked_subset(params)
    if problem:
        module.fail_json(msg=problem)
    # 2.10.26 drops the connection on a negative jsz offset or limit; no server means anything by them.
    negative = ['%s.%s' % (name, key) for name in ('connz', 'subsz', 'jsz')
                for key in ('offset', 'limit') if ((params.get(name) or {}).get(key) or 0) < 0]
    if negative:
        module.fail_json(msg='%s must be 0 or more' % ', '.join(negative))
    health = params.get('healthz') or {}
    if health.get('stream') and not health.get('account') or health.get('consumer') and not health.get('stream'):
        module.fail_json(msg='healthz: stream needs account, consumer needs stream')

    with NatsModuleClient(module) as client:
        monitor = client.monitor
        queries = dict((name, query_params(params, name)) for name in subset)

        # js_meta_only is spelled by server version (see nats_healthz): ask the version first.
        if healthz_needs_version(**queries.get('healthz', {})):
            queries['healthz'] = healthz_params(version=client.call(monitor.server_version), **queries['healthz'])

        outcomes = read_server(monitor, subset, params['max_items'], queries)
        result = dict(changed=False, gathered=[], unavailable={})
        for name in subset:
            data, error = outcomes[name]
            # Every version this collection supports serves the core endpoints: a 404 there means a
            # wrong URL or base path. Only the debug endpoints may be missing from a server.
            if isinstance(error, EndpointNotServed) and name in DEBUG_SUBSET:
                result['unavailable'][name] = str(error)
                module.warn('%s is not served by this server: %s' % (name, error))
                continue
            if error is not None:
                client.fail(error, gathered=result['gathered'])
            result[name] = data
            result['gathered'].append(name)
        if 'varz' in result:
            result['server'] = NatsServer(client.url, varz=result['varz']).identity()
        if params['dest']:
            answers = dict((name, result.pop(name)) for name in result['gathered'])
            result.update(answers_summary(answers), dest=params['dest'])
            result['changed'] = write_json_file(module, params['dest'], answers)
        client.exit(**result)


if __name__ == '__main__':
    main()
