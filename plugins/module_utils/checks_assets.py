# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check's meta, stream and consumer verdicts (pure), read from /jsz.

A group (meta, stream, consumer) is judged from its leader's view when one of the servers
given leads it (a follower's view of its peers is stale); else from the first server that
lists it. Thresholds come from the task, else the asset's io.nats.monitor.* metadata
(natscli's convention), else the defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.checks_server import age
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import (
    CRITICAL,
    UNKNOWN,
    make_row,
    metadata_thresholds,
    status_row,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import seconds


def group_rows(check, subject, group, warn, crit, metadata=None, url=None, cluster_size=None):
    """leader, peers, peers_offline, peer_lag, peer_seen_s of a Raft group ({leader, replicas})."""
    group = group or {}
    replicas = group.get('replicas') or []
    has_leader = bool(group.get('leader'))
    peers = (1 + len(replicas)) if (replicas or not cluster_size) else cluster_size
    lags = [r.get('lag') or 0 for r in replicas]
    seen = [seconds(r.get('active')) or 0.0 for r in replicas]
    rows = [make_row(check, 'leader', subject, 1 if has_leader else 0, warn, crit, metadata, url=url),
            make_row(check, 'peers', subject, peers if has_leader else None, warn, crit, metadata, url=url,
                     reason='no leader'),
            make_row(check, 'peers_offline', subject, sum(1 for r in replicas if r.get('offline')), warn, crit,
                     metadata, url=url),
            make_row(check, 'peer_lag', subject, max(lags) if lags else 0, warn, crit, metadata, url=url),
            make_row(check, 'peer_seen_s', subject, max(seen) if seen else 0.0, warn, crit, metadata, url=url)]
    if rows[0]['status'] != 'ok':
        rows[0]['message'] = '%s has no leader' % subject
    return rows


def meta_rows(servers, warn, crit):
    with_js = [s for s in servers if s.jsz is not None and s.jetstream]
    clustered = [s for s in with_js if s.meta]
    if not clustered:
        why = 'not clustered (no JetStream meta group)' if with_js else 'JetStream is not enabled'
        return [status_row('meta', 'leader', ', '.join(s.label for s in servers), UNKNOWN,
                           '%s: %s' % (', '.join(s.url for s in servers), why))]
    view = next((s for s in clustered if s.meta_leader and s.meta_leader == s.name), clustered[0])
    meta = view.meta
    rows = group_rows('meta', 'meta group (%s view)' % view.label, meta, warn, crit, url=view.url,
                      cluster_size=meta.get('cluster_size'))
    return [row for row in rows if row is not None]


def find_streams(servers, stream, account=None):
    """[(server, account name, stream detail)] of every server listing the stream."""
    found = []
    for server in servers:
        for acc in (server.jsz or {}).get('account_details') or []:
            if account and acc.get('name') != account:
                continue
            for detail in acc.get('stream_detail') or []:
                if detail.get('name') == stream:
                    found.append((server, acc.get('name'), detail))
    return found


def _leader_first(found, leader_of):
    for item in found:
        if leader_of(item) and leader_of(item) == item[0].name:
            return item
    return found[0]


def not_found_row(check, subject, servers, account):
    where = ', '.join('%s/jsz' % s.url for s in servers)
    return status_row(check, 'found', subject, CRITICAL, '%s not found%s at %s' % (
        subject, ' in account %s' % account if account else '', where), value=0,
        url=servers[0].url if len(servers) == 1 else None)


def limit(value, cap):
    """value as % of a stream limit; None without a limit (-1 or 0)."""
    if isinstance(cap, int) and cap > 0 and isinstance(value, int):
        return round(100.0 * value / cap, 2)
    return None


def stream_rows(servers, stream, warn, crit, account=None):
    subject = 'stream %s' % stream
    found = find_streams(servers, stream, account)
    if not found:
        return [not_found_row('stream', subject, servers, account)]
    server, acc, detail = _leader_first(found, lambda item: ((item[2].get('cluster') or {}).get('leader')))
    config, state = detail.get('config') or {}, detail.get('state') or {}
    metadata, problems = metadata_thresholds('stream', config.get('metadata'))
    subject = 'stream %s (account %s, %s view)' % (stream, acc, server.label)
    messages, size = state.get('messages'), state.get('bytes')
    newest = age(server.jsz.get('now'), state.get('last_ts')) if messages else None
    rows = [make_row('stream', 'msgs', subject, messages, warn, crit, metadata, url=server.url),
            make_row('stream', 'msgs_min', subject, messages, warn, crit, metadata, url=server.url),
            make_row('stream', 'bytes_pct', subject, limit(size, config.get('max_bytes')), warn, crit, metadata,
                     url=server.url, reason='the stream has no max_bytes'),
            make_row('stream', 'msgs_pct', subject, limit(messages, config.get('max_msgs')), warn, crit, metadata,
                     url=server.url, reason='the stream has no max_msgs'),
            make_row('stream', 'age_max', subject, newest, warn, crit, metadata, url=server.url,
                     reason='no message stored'),
            make_row('stream', 'subjects', subject, state.get('num_subjects'), warn, crit, metadata, url=server.url,
                     reason='num_subjects not reported')]
    if detail.get('cluster') is not None:
        rows += group_rows('stream', subject, detail.get('cluster'), warn, crit, metadata, url=server.url)
    rows += [status_row('stream', 'metadata', subject, UNKNOWN, '%s: %s' % (subject, p), url=server.url)
             for p in problems]
    return [row for row in rows if row is not None]


def consumer_rows(servers, stream, consumer, warn, crit, account=None):
    subject = 'consumer %s > %s' % (stream, consumer)
    found = []
    for server, acc, detail in find_streams(servers, stream, account):
        for item in detail.get('consumer_detail') or []:
            if item.get('name') == consumer:
                found.append((server, acc, item))
    if not found:
        streams = find_streams(servers, stream, account)
        what = subject if streams else 'stream %s' % stream
        return [not_found_row('consumer', what, servers, account)]
    server, acc, detail = _leader_first(found, lambda item: ((item[2].get('cluster') or {}).get('leader')))
    metadata, problems = metadata_thresholds('consumer', (detail.get('config') or {}).get('metadata'))
    subject = 'consumer %s > %s (account %s, %s view)' % (stream, consumer, acc, server.label)
    now = server.jsz.get('now')
    delivered = age(now, (detail.get('delivered') or {}).get('last_active'))
    acked = age(now, (detail.get('ack_floor') or {}).get('last_active'))
    rows = [make_row('consumer', name, subject, detail.get(name), warn, crit, metadata, url=server.url)
            for name in ('num_pending', 'num_ack_pending', 'num_redelivered', 'num_waiting')]
    rows += [make_row('consumer', 'last_delivery_s', subject, delivered, warn, crit, metadata, url=server.url,
                      reason='nothing delivered yet'),
             make_row('consumer', 'last_ack_s', subject, acked, warn, crit, metadata, url=server.url,
                      reason='nothing acknowledged yet')]
    for row in rows[-2:]:
        if row is not None and row['value'] is None:
            row['status'] = CRITICAL  # natscli: a time limit and no delivery/ack at all is critical
    if detail.get('cluster') is not None:
        rows += group_rows('consumer', subject, detail.get('cluster'), warn, crit, metadata, url=server.url)
    rows += [status_row('consumer', 'metadata', subject, UNKNOWN, '%s: %s' % (subject, p), url=server.url)
             for p in problems]
    return [row for row in rows if row is not None]
