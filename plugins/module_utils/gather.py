# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""What nats_info and nats_facts gather: subset names, how they resolve, and one
server's endpoints read at once through the shared reader."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from functools import partial

from ansible_collections.nats_tools.nats.plugins.module_utils.reader import read_servers

# Per-server summaries without per-connection lists.
MIN_SUBSET = ('varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz')
# `all` adds the lists that grow with clients and accounts.
ALL_SUBSET = MIN_SUBSET + ('connz', 'subsz', 'accountz', 'accstatz')
# Debug endpoints: only when named (some are large, some absent before 2.12).
DEBUG_SUBSET = ('raftz', 'ipqueuesz', 'stacksz', 'expvarz')
SUBSET_NAMES = ALL_SUBSET + DEBUG_SUBSET
PAGED = ('connz', 'subsz', 'jsz')
# The list each endpoint's answer holds (counted in nats_info's summary when the answers go to ``dest``).
ITEM_LISTS = dict(connz='connections', subsz='subscriptions_list', jsz='account_details', routez='routes',
                  leafz='leafs', accountz='accounts')


def resolve_gather_subset(requested):
    """Endpoint names, in a stable order, for a gather_subset list.

    Accepts endpoint names, `min`, `all` and `!name` (also `!min`, `!all`).
    Only exclusions start from `min`, as ansible.builtin.setup does.
    Raises ValueError naming what is unknown."""
    requested = list(requested or ['min'])
    include, exclude, unknown = set(), set(), []
    for entry in requested:
        entry = (entry or '').strip()
        negate = entry.startswith('!')
        name = entry[1:] if negate else entry
        if name == 'all':
            names = ALL_SUBSET
        elif name == 'min':
            names = MIN_SUBSET
        elif name in SUBSET_NAMES:
            names = (name,)
        else:
            unknown.append(entry)
            continue
        (exclude if negate else include).update(names)
    if unknown:
        raise ValueError('unknown gather_subset %s; choose from %s, min, all (and !name to exclude)'
                         % (', '.join(repr(u) for u in unknown), ', '.join(SUBSET_NAMES)))
    if not include and all((e or '').strip().startswith('!') for e in requested):
        include = set(MIN_SUBSET)
    return [name for name in SUBSET_NAMES if name in include and name not in exclude]


def gather_argument_spec():
    """gather_subset and max_items, shared by nats_info and nats_facts."""
    return dict(
        gather_subset=dict(type='list', elements='str', default=['min']),
        max_items=dict(type='int', default=10000),
    )


def checked_subset(params, resolve=resolve_gather_subset):
    """(endpoint names, None) for a module's gather options, or (None, the reason they cannot work)."""
    try:
        subset = resolve(params['gather_subset'])
    except ValueError as exc:
        return None, str(exc)
    if params['max_items'] < 0:
        return None, 'max_items must be 0 (no cap) or more'
    return subset, None


def fetch_endpoint(monitor, name, query=None, max_items=0):
    """One endpoint's answer; /healthz as its document with ``http_status`` (kept when 500 or 503)."""
    query = query or {}
    if name in PAGED:
        return getattr(monitor, name)(max_items=max_items, **query)
    if name == 'healthz':
        http_status, document = monitor.healthz(**query)
        return dict(document, http_status=http_status)
    return getattr(monitor, name)(**query)


def read_server(monitor, subset, max_items=0, queries=None):
    """{name: (answer, MonitorError or None)} for every endpoint of ``subset``, read at once."""
    queries = queries or {}
    plan = [(name, partial(fetch_endpoint, monitor, name, queries.get(name), max_items)) for name in subset]
    return read_servers([plan], monitor.max_workers)[0]


def answers_summary(answers):
    """{items: {endpoint: length of its list}, truncated: {paged endpoint: bool}} of the answers
    (what nats_info returns instead of the answers when they are written to ``dest``)."""
    items, truncated = {}, {}
    for name, answer in answers.items():
        if not isinstance(answer, dict):
            continue
        listed = answer.get(ITEM_LISTS.get(name))
        if isinstance(listed, list):
            items[name] = len(listed)
        if name in PAGED:
            truncated[name] = bool(answer.get('truncated'))
    return dict(items=items, truncated=truncated)
