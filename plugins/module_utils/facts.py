# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""What nats_facts reports: one server's answers shaped into ``ansible_facts.nats``.

``read_server`` reads the endpoints (all at once); the rest are pure functions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.health import healthz_verdict, route_peers
from ansible_collections.nats_tools.nats.plugins.module_utils.info import (
    MIN_SUBSET,
    PAGED,
    resolve_gather_subset,
    server_identity,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor import run_concurrently


def facts_subset(requested):
    """Endpoints to read for a gather_subset list: varz always (it says who the server is), first.
    Raises ValueError for an unknown name."""
    subset = resolve_gather_subset(requested)
    return ['varz'] + [name for name in subset if name != 'varz']


def fetch_endpoint(monitor, name, max_items):
    """One endpoint's answer; /healthz as its document with ``http_status`` (kept when 500 or 503)."""
    if name in PAGED:
        return getattr(monitor, name)(max_items=max_items)
    if name == 'healthz':
        http_status, document = monitor.healthz()
        return dict(document, http_status=http_status)
    return getattr(monitor, name)()


def read_server(monitor, subset, max_items=0):
    """{name: (answer, MonitorError or None)} for every endpoint of ``subset``, read at once."""
    outcomes = run_concurrently(
        [lambda name=name: fetch_endpoint(monitor, name, max_items) for name in subset], monitor.max_workers)
    return dict(zip(subset, outcomes))


def unavailable_facts(url, error):
    """Facts of a host whose server cannot be read."""
    return dict(available=False, monitor_url=url, reason=str(error), error_kind=error.kind)


def gateway_names(gatewayz):
    """Names of the other clusters this server has a gateway connection with (either way)."""
    gatewayz = gatewayz or {}
    names = set(gatewayz.get('outbound_gateways') or {}) | set(gatewayz.get('inbound_gateways') or {})
    return sorted(names)


def jetstream_facts(varz, jsz, server_name):
    """{enabled, meta_leader, is_meta_leader, streams, consumers, messages, bytes}."""
    jsz = jsz or {}
    enabled = bool(((varz or {}).get('jetstream') or {}).get('config')) and not jsz.get('disabled')
    meta = jsz.get('meta_cluster') or {}
    leader = meta.get('leader') or None
    return dict(
        enabled=enabled,
        meta_leader=leader,
        is_meta_leader=bool(enabled and leader and leader == server_name),
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
    identity = server_identity(varz)
    facts = dict(
        available=True,
        monitor_url=url,
        server_name=identity['name'],
        server_id=identity['id'],
        version=identity['version'],
        go=varz.get('go'),
        cluster=identity['cluster'],
        gateway=((varz.get('gateway') or {}).get('name')) or None,
        connections=varz.get('connections', 0),
        leafnodes=varz.get('leafnodes', 0),
    )
    if 'routez' in answers:
        facts['routes'] = route_peers(answers['routez'])
    if 'gatewayz' in answers:
        facts['gateways'] = gateway_names(answers['gatewayz'])
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
