# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""What nats_facts reports: one server's answers shaped into ``ansible_facts.nats`` (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.gather import MIN_SUBSET, resolve_gather_subset
from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import healthz_verdict
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer, jetstream_enabled


def facts_subset(requested):
    """Endpoints to read for a gather_subset list: varz always (it says who the server is), first.
    Raises ValueError for an unknown name."""
    subset = resolve_gather_subset(requested)
    return ['varz'] + [name for name in subset if name != 'varz']


def unavailable_facts(url, error):
    """Facts of a host whose server cannot be read."""
    return dict(available=False, monitor_url=url, reason=str(error), error_kind=error.kind)


def jetstream_facts(varz, jsz, server_name):
    """{enabled, meta_leader, is_meta_leader, meta_cluster_size, streams, consumers, messages, bytes}.

    In a supercluster with JetStream in several clusters there is one meta group: meta_cluster_size
    counts every JetStream server of every cluster, and the leader may be in another cluster."""
    jsz = jsz or {}
    enabled = jetstream_enabled(varz or {}, jsz)
    meta = jsz.get('meta_cluster') or {}
    leader = meta.get('leader') or None
    return dict(
        enabled=enabled,
        meta_leader=leader,
        is_meta_leader=bool(enabled and leader and leader == server_name),
        meta_cluster_size=(meta.get('cluster_size') or None) if enabled else None,
        streams=jsz.get('streams', 0) if enabled else 0,
        consumers=jsz.get('consumers', 0) if enabled else 0,
        messages=jsz.get('messages', 0) if enabled else 0,
        bytes=jsz.get('bytes', 0) if enabled else 0,
    )


def shape_facts(url, answers):
    """``ansible_facts.nats`` from {endpoint: answer} (varz required; the others as gathered).

    Endpoints of the min subset become the summary keys; any other endpoint gathered
    (connz, subsz, accountz, accstatz, raftz, ipqueuesz, stacksz, expvarz) is added as
    its whole answer under its own name."""
    varz = answers['varz'] or {}
    server = NatsServer(url, varz=varz, routez=answers.get('routez'), gatewayz=answers.get('gatewayz'))
    identity = server.identity()
    facts = dict(
        available=True,
        monitor_url=url,
        server_name=identity['name'],
        server_id=identity['id'],
        version=identity['version'],
        go=varz.get('go'),
        cluster=identity['cluster'],
        gateway=server.gateway,
        connections=varz.get('connections', 0),
        leafnodes=varz.get('leafnodes', 0),
    )
    if 'routez' in answers:
        facts['routes'] = server.routes_to
    if 'gatewayz' in answers:
        facts['gateways'] = server.gateways
    if 'leafz' in answers:
        leafz = answers['leafz'] or {}
        facts['leafnodes'] = leafz.get('leafnodes', len(leafz.get('leafs') or []))
    if 'healthz' in answers:
        document = dict(answers['healthz'] or {})
        verdict = healthz_verdict(document.pop('http_status', None), document)
        facts['healthz'] = verdict['status']
        facts['healthy'] = verdict['healthy']
        if verdict['error']:
            facts['healthz_error'] = verdict['error']
    if 'jsz' in answers:
        facts['jetstream'] = jetstream_facts(varz, answers['jsz'], identity['name'])
    for name, answer in answers.items():
        if name not in MIN_SUBSET:
            facts[name] = answer
    return facts
