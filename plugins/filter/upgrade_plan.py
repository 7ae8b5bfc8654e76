# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: upgrade_plan
short_description: Order the servers of a rolling upgrade, followers first and the meta leader last
version_added: 0.1.0
description:
  - Takes the RV(nats_tools.nats.nats_gate#module:servers) list of a gate result and the inventory hosts
    those servers belong to (same order as the gate's O(nats_tools.nats.nats_gate#module:urls)), and returns
    one entry per server, followers in the given order, the meta leader last.
  - With O(cluster_order), the servers go cluster by cluster in that order (clusters not named follow,
    in the order first seen); the meta leader stays last overall. A name in O(cluster_order) that no
    server reports as its cluster is an error.
  - In O(mode=upgrade), servers that already run the target version are marked C(skip); in
    O(mode=restart) and O(mode=reload) every server is done and its target is the version it runs.
options:
  _input:
    description: The gate's RV(nats_tools.nats.nats_gate#module:servers) list.
    type: list
    elements: dict
    required: true
  hosts:
    description: Inventory host of each server, in the same order.
    type: list
    elements: str
    required: true
  version:
    description: Target version (required for O(mode=upgrade)).
    type: str
  meta_leader:
    description: Name of the current meta leader.
    type: str
  mode:
    description: The rollout mode.
    type: str
    choices: [upgrade, restart, reload]
    default: upgrade
  cluster_order:
    description: Cluster names (as in C(/varz) C(cluster.name)), in the order their servers go.
    type: list
    elements: str
author:
  - nats_tools.nats developers (@nats-tools)
'''

EXAMPLES = r'''
- name: Plan
  ansible.builtin.set_fact:
    plan: "{{ gate.servers | nats_tools.nats.upgrade_plan(hosts=groups['nats'], version='2.11.11', meta_leader=gate.meta_leader) }}"
'''

RETURN = r'''
_value:
  description: One entry per server, in upgrade order.
  type: list
  elements: dict
  contains:
    host:
      description: Inventory host.
      type: str
    name:
      description: Server name.
      type: str
    url:
      description: Monitoring URL.
      type: str
    version:
      description: Version it runs now.
      type: str
    target:
      description: Version it must run after its step (the target version, or its own in restart and reload mode).
      type: str
    cluster:
      description: Its cluster name, when it reports one.
      type: str
    meta_leader:
      description: Whether it is the meta leader.
      type: bool
    skip:
      description: Already on the target version.
      type: bool
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.nats_tools.nats.plugins.module_utils.versions import same_version


MODES = ('upgrade', 'restart', 'reload')


def _by_cluster(plan, cluster_order):
    seen = []
    for entry in plan:
        if entry['cluster'] not in seen:
            seen.append(entry['cluster'])
    missing = [name for name in cluster_order if name not in seen]
    if missing:
        raise AnsibleFilterError('upgrade_plan: cluster_order names %s, but the servers report the clusters %s'
                                 % (', '.join(missing), ', '.join(str(c) for c in seen) or '(none)'))
    order = list(cluster_order) + [c for c in seen if c not in cluster_order]
    return [entry for cluster in order for entry in plan if entry['cluster'] == cluster]


def upgrade_plan(servers, hosts, version=None, meta_leader=None, mode='upgrade', cluster_order=None):
    servers = list(servers or [])
    hosts = list(hosts or [])
    if len(servers) != len(hosts):
        raise AnsibleFilterError('upgrade_plan: %d servers but %d hosts' % (len(servers), len(hosts)))
    if mode not in MODES:
        raise AnsibleFilterError('upgrade_plan: mode must be one of %s, not %r' % (', '.join(MODES), mode))
    if mode == 'upgrade' and not version:
        raise AnsibleFilterError('upgrade_plan: the upgrade mode needs a target version')
    plan = []
    for host, server in zip(hosts, servers):
        upgrade = mode == 'upgrade'
        plan.append(dict(host=host, name=server.get('name'), url=server.get('url'), version=server.get('version'),
                         cluster=server.get('cluster'),
                         target=version if upgrade else server.get('version'),
                         meta_leader=bool(meta_leader) and server.get('name') == meta_leader,
                         skip=upgrade and same_version(server.get('version'), version)))
    if cluster_order:
        plan = _by_cluster(plan, cluster_order)
    return [p for p in plan if not p['meta_leader']] + [p for p in plan if p['meta_leader']]


class FilterModule(object):

    def filters(self):
        return dict(upgrade_plan=upgrade_plan)
