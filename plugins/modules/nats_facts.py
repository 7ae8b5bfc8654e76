#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_facts
short_description: Facts about the nats-server of a host
version_added: 0.1.0
description:
  - Reads the nats-server monitoring port of a host and returns what it says as C(ansible_facts.nats) -
    who the server is, its version, cluster, routes, gateways, leafnodes, connections, health and JetStream state.
  - A host whose server cannot be reached gets RV(ansible_facts.nats.available=false) and the reason;
    the task does not fail unless O(fail_on_unreachable=true).
  - Works as a facts module, so that C(gather_facts) fills C(ansible_facts.nats) - set
    C(ANSIBLE_FACTS_MODULES=ansible.builtin.setup,nats_tools.nats.nats_facts), or C(facts_modules) in the
    C([defaults]) section of C(ansible.cfg), or the C(ansible_facts_modules) variable. The connection options
    then come from C(module_defaults) (or E(NATS_MONITOR_URL) for O(url)).
options:
  gather_subset:
    description:
      - Which endpoints to read, by the names of M(nats_tools.nats.nats_info).
      - V(min) (C(varz), C(healthz), C(routez), C(gatewayz), C(leafz), C(jsz)) gives every summary key of
        RV(ansible_facts.nats). Leaving one out leaves out the keys it gives.
      - C(/varz) is always read; it says who the server is.
      - Any other endpoint named (V(all) adds C(connz), C(subsz), C(accountz), C(accstatz)) is added whole
        under its own name, for example C(ansible_facts.nats.accountz).
      - When the module runs as a facts module through C(gather_facts) on a non-network connection,
        Ansible does not pass C(gather_subset) on; the default applies.
    type: list
    elements: str
    default: [min]
  max_items:
    description:
      - At most this many items of each paged list (C(connz), C(subsz), C(jsz) accounts); V(0) reads every item.
    type: int
    default: 10000
  fail_on_unreachable:
    description:
      - Fail when the server cannot be read, instead of returning RV(ansible_facts.nats.available=false).
    type: bool
    default: false
extends_documentation_fragment:
  - nats_tools.nats.connection
  - nats_tools.nats.connection.INFO_MODULE
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  facts:
    support: full
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_info
  - plugin: nats_tools.nats.nats
    plugin_type: inventory
  - name: Facts modules in gather_facts
    description: The C(FACTS_MODULES) setting.
    link: https://docs.ansible.com/ansible/latest/reference_appendices/config.html#facts-modules
'''

EXAMPLES = r'''
- name: Facts about the local nats-server
  nats_tools.nats.nats_facts:

- name: Show them
  ansible.builtin.debug:
    msg: "{{ ansible_facts.nats.server_name }} runs {{ ansible_facts.nats.version }}"
  when: ansible_facts.nats.available

# As a facts module: gather_facts runs setup and nats_facts on every host.
# ansible.cfg:
#   [defaults]
#   facts_modules = ansible.builtin.setup, nats_tools.nats.nats_facts
- name: NATS hosts with their facts
  hosts: nats
  gather_facts: true
  module_defaults:
    nats_tools.nats.nats_facts:
      url: "http://{{ ansible_host | default(inventory_hostname) }}:8222"
  tasks:
    - name: Servers not on 2.11
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }} runs {{ ansible_facts.nats.version }}"
      when: ansible_facts.nats.available and ansible_facts.nats.version is version('2.11.0', '<')

- name: Every endpoint, accounts and connections included
  nats_tools.nats.nats_facts:
    url: https://nats1.example.com:8222
    ca_path: /etc/nats/ca.pem
    gather_subset: [all]
    fail_on_unreachable: true
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to C(ansible_facts).
  returned: always
  type: dict
  contains:
    nats:
      description: The server's facts. Without a reachable server only C(available), C(monitor_url), C(reason)
        and C(error_kind).
      returned: always
      type: dict
      contains:
        available:
          description: Whether the server answered on its monitoring port.
          type: bool
        monitor_url:
          description: The monitoring URL read.
          type: str
        reason:
          description: Why the server could not be read (URL and cause).
          type: str
          returned: when not available
        error_kind:
          description: The kind of failure (C(unreachable), C(timeout), C(tls), C(http), C(not_served), C(invalid_response)).
          type: str
          returned: when not available
        server_name:
          description: C(server_name) (the server id when none is configured).
          type: str
          returned: when available
        server_id:
          description: C(server_id).
          type: str
          returned: when available
        version:
          description: nats-server version.
          type: str
          returned: when available
        go:
          description: Go version the server was built with.
          type: str
          returned: when available
        cluster:
          description: Cluster name, null for a server without a cluster.
          type: str
          returned: when available
        gateway:
          description: This server's gateway name, null without gateways.
          type: str
          returned: when available
        routes:
          description: Names of the route peers (distinct servers; nats-server pools several routes per peer).
          type: list
          elements: str
          returned: when routez was gathered
        gateways:
          description: Names of the clusters this server has a gateway connection with.
          type: list
          elements: str
          returned: when gatewayz was gathered
        leafnodes:
          description: Number of leafnode connections.
          type: int
          returned: when available
        connections:
          description: Number of client connections.
          type: int
          returned: when available
        healthz:
          description: C(/healthz) status - V(ok), V(unavailable) (HTTP 503) or V(error) (for example in lame duck mode).
          type: str
          returned: when healthz was gathered
        healthy:
          description: Whether C(/healthz) answered 200 ok.
          type: bool
          returned: when healthz was gathered
        healthz_error:
          description: What C(/healthz) said is wrong.
          type: str
          returned: when healthz was gathered and the server is not healthy
        jetstream:
          description: JetStream state.
          type: dict
          returned: when jsz was gathered
          contains:
            enabled:
              description: Whether JetStream runs on this server.
              type: bool
            meta_leader:
              description: Name of the meta leader as this server sees it; null when standalone or disabled.
              type: str
            is_meta_leader:
              description: Whether this server is the meta leader.
              type: bool
            meta_cluster_size:
              description:
                - Servers in the JetStream meta group; in a supercluster with JetStream in several clusters,
                  every JetStream server of every cluster (one meta group). Null when standalone or disabled.
              type: int
            streams:
              description: Streams on this server.
              type: int
            consumers:
              description: Consumers on this server.
              type: int
            messages:
              description: Messages stored on this server.
              type: int
            bytes:
              description: Bytes stored on this server.
              type: int
        unavailable:
          description: Endpoints this server does not serve (HTTP 404), with the reason.
          type: dict
          returned: when an endpoint gathered is not served
        errors:
          description: Endpoints that could not be read (other than C(/varz)), with the reason.
          type: dict
          returned: when an endpoint other than varz failed
  sample:
    # nats-server 2.15.1, server a1 of cluster A (3 servers, JetStream), gateway to cluster B
    nats:
      available: true
      monitor_url: http://127.0.0.11:37987
      server_name: a1
      server_id: NDN35NLVV6LG5VIXDFAQXJET5QCNVBYAZ44YMYZR75IWZWG54ZJQASFZ
      version: 2.15.1
      go: go1.27.2
      cluster: A
      gateway: A
      connections: 0
      leafnodes: 0
      routes: [a2, a3]
      gateways: [B]
      healthz: ok
      healthy: true
      jetstream:
        enabled: true
        meta_leader: a2
        is_meta_leader: false
        meta_cluster_size: 3
        streams: 0
        consumers: 0
        messages: 0
        bytes: 0
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import EndpointNotServed
from ansible_collections.nats_tools.nats.plugins.module_utils.facts import facts_subset, shape_facts, unavailable_facts
from ansible_collections.nats_tools.nats.plugins.module_utils.gather import checked_subset, gather_argument_spec, read_server
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(gather_argument_spec())
    spec.update(
        fail_on_unreachable=dict(type='bool', default=False),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    subset, problem = checked_subset(params, facts_subset)
    if problem:
        module.fail_json(msg=problem)

    with NatsModuleClient(module) as client:
        outcomes = read_server(client.monitor, subset, params['max_items'])
        varz_error = outcomes['varz'][1]
        if varz_error is not None:
            if params['fail_on_unreachable']:
                client.fail(varz_error)
            client.exit(changed=False, ansible_facts=dict(nats=unavailable_facts(client.url, varz_error)))

        answers, unavailable, errors = {}, {}, {}
        for name in subset:
            data, error = outcomes[name]
            if isinstance(error, EndpointNotServed):
                unavailable[name] = str(error)
                module.warn('%s is not served by this server: %s' % (name, error))
            elif error is not None:
                errors[name] = str(error)
                module.warn('%s could not be read: %s' % (name, error))
            else:
                answers[name] = data
        facts = shape_facts(client.url, answers)
        if unavailable:
            facts['unavailable'] = unavailable
        if errors:
            facts['errors'] = errors
        client.exit(changed=False, ansible_facts=dict(nats=facts))


if __name__ == '__main__':
    main()
