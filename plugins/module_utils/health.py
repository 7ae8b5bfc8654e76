# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Pure functions that turn monitoring data into verdicts.

No I/O here: monitor JSON in, check results out, so every rule is unit-tested
on JSON recorded from real servers and shared by nats_healthz, nats_jsz and
the cluster gate.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NANOSECONDS = 1e9

# /healthz: js-meta-only exists from 2.11; before that js-server-only meant
# exactly that check (meta leader and meta state current). From 2.11 on,
# js-server-only means "connections only".
HEALTHZ_META_ONLY_SINCE = (2, 11, 0)


def parse_version(text):
    """(major, minor, patch) from '2.10.26', 'v2.11.0-RC.1' and the like; None if unreadable."""
    match = re.match(r'^\s*v?(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def version_at_least(version, minimum):
    parsed = parse_version(version) if not isinstance(version, tuple) else version
    return parsed is not None and parsed >= minimum


def healthz_needs_version(js_meta_only=False, **unused):
    """Only js_meta_only is spelled differently by server version."""
    return bool(js_meta_only)


def healthz_params(version=None, js_enabled_only=False, js_server_only=False, js_meta_only=False,
                   account=None, stream=None, consumer=None, details=False):
    """Query parameters for /healthz as this server version understands them.

    ``version`` is only consulted for js_meta_only: before 2.11 it is sent as
    js-server-only, which meant the meta check there."""
    params = dict(js_enabled_only=js_enabled_only, account=account, stream=stream,
                  consumer=consumer, details=details)
    if js_meta_only:
        if version_at_least(version, HEALTHZ_META_ONLY_SINCE):
            params['js_meta_only'] = True
        else:
            params['js_server_only'] = True
    if js_server_only:
        params['js_server_only'] = True
    return params


def healthz_verdict(http_status, document):
    """healthy, status, error and errors from a /healthz answer (any status code)."""
    document = document or {}
    status = document.get('status') or ('ok' if http_status == 200 else 'error')
    errors = document.get('errors') or []
    error = document.get('error')
    if not error and errors:
        error = '; '.join(describe_health_error(item) for item in errors)
    return dict(
        healthy=http_status == 200 and status == 'ok',
        status=status,
        http_status=http_status,
        error=error,
        errors=errors,
    )


def describe_health_error(item):
    """One sentence from a /healthz details entry {type, account, stream, consumer, error}."""
    where = []
    for key in ('account', 'stream', 'consumer'):
        if item.get(key):
            where.append('%s %s' % (key, item[key]))
    text = item.get('error') or item.get('type') or 'unhealthy'
    return '%s: %s' % (', '.join(where), text) if where else text


# ---------------------------------------------------------------------------
# /jsz
# ---------------------------------------------------------------------------

def seconds(nanoseconds):
    """nats-server reports `active` as nanoseconds since last contact."""
    if nanoseconds is None:
        return None
    return round(nanoseconds / NANOSECONDS, 3)


def meta_peers(jsz):
    """The meta group's peers as this server sees them (followers of 2.10-2.12 list none)."""
    meta = (jsz or {}).get('meta_cluster') or {}
    return [
        dict(name=peer.get('name'), current=bool(peer.get('current')), offline=bool(peer.get('offline')),
             lag=peer.get('lag', 0), active_s=seconds(peer.get('active')))
        for peer in meta.get('replicas') or []
    ]


def replica_problem(replica, max_lag, max_peer_seen=None):
    """Why a replica (or meta peer) is not in sync, None when it is.

    Offline first; then silence: a crashed peer keeps `current` for seconds
    while the time since it was last heard from (`active`) grows."""
    if replica.get('offline'):
        return 'offline'
    seen = seconds(replica.get('active'))
    if max_peer_seen is not None and seen is not None and seen > max_peer_seen:
        return 'not seen for %.1f s (max_peer_seen %s)' % (seen, max_peer_seen)
    if not replica.get('current'):
        return 'not current (lag %s)' % replica.get('lag', 0)
    lag = replica.get('lag') or 0
    if lag > max_lag:
        return 'lag %s above max_lag %s' % (lag, max_lag)
    return None


def iter_streams(jsz):
    """(account name, stream detail) for every stream listed in account_details."""
    for account in (jsz or {}).get('account_details') or []:
        name = account.get('name') or account.get('id')
        for stream in account.get('stream_detail') or []:
            yield name, stream


def is_leader_view(cluster, server_name=None):
    """Whether a group's cluster info comes from its leader.

    Only the leader knows whether its followers are current: a follower lists
    the other followers as not current with a lag. Without the server's name,
    a replica list that names the leader marks a follower's view."""
    leader = (cluster or {}).get('leader')
    if server_name:
        return bool(leader) and leader == server_name
    return leader not in [r.get('name') for r in (cluster or {}).get('replicas') or []]


def asset_replica_findings(jsz, max_lag=0, server_name=None, max_peer_seen=None):
    """Streams and consumers whose replicas are not current, judged on the
    groups this server leads (followers' views of their peers are stale).

    Returns (streams_not_current, consumers_not_current); each item names the
    account, stream, consumer (consumers only), leader and replica. A missing
    leader is reported with replica None."""
    streams, consumers = [], []
    for account, stream in iter_streams(jsz):
        identity = dict(account=account, stream=stream.get('name'), consumer=None)
        streams.extend(group_findings(stream.get('cluster'), max_lag, identity, server_name, max_peer_seen))
        for consumer in stream.get('consumer_detail') or []:
            consumers.extend(group_findings(consumer.get('cluster'), max_lag,
                                            dict(identity, consumer=consumer.get('name')),
                                            server_name, max_peer_seen))
    return streams, consumers


def group_findings(cluster, max_lag, identity, server_name=None, max_peer_seen=None):
    """Problems of one Raft group (stream or consumer) as its leader sees them."""
    if not cluster:
        return []  # not replicated (standalone server): nothing to be current with
    leader = cluster.get('leader')
    if not leader:
        return [dict(identity, leader=None, replica=None, current=False, offline=False, lag=None,
                     problem='no leader')]
    if not is_leader_view(cluster, server_name):
        return []
    findings = []
    for replica in cluster.get('replicas') or []:
        problem = replica_problem(replica, max_lag, max_peer_seen)
        if problem:
            findings.append(dict(identity, leader=leader, replica=replica.get('name'),
                                 current=bool(replica.get('current')), offline=bool(replica.get('offline')),
                                 lag=replica.get('lag', 0), problem=problem))
    return findings


def describe_asset(finding):
    """'stream ORDERS' or 'consumer ORDERS/PROC', with the account when not the default."""
    if finding.get('consumer'):
        text = 'consumer %s/%s' % (finding['stream'], finding['consumer'])
    else:
        text = 'stream %s' % finding['stream']
    if finding.get('account') not in (None, '$G'):
        text += ' (account %s)' % finding['account']
    return text


def summarize_jsz(jsz, max_lag=0, server_name=None):
    """Counters, meta group, out-of-sync replicas and a verdict from one /jsz answer.

    The verdict covers what this server can know: that the meta group has a
    leader; the meta peers when it is the meta leader; the replicas of the
    streams and consumers it leads (when /jsz was asked for streams and
    consumers). ``server_name`` (from /varz) says which groups it leads."""
    jsz = jsz or {}
    enabled = not jsz.get('disabled', False)
    meta = jsz.get('meta_cluster') or {}
    clustered = bool(meta)
    peers = meta_peers(jsz)
    judges_meta = is_leader_view(meta, server_name)
    streams_not_current, consumers_not_current = asset_replica_findings(jsz, max_lag, server_name)

    problems = []
    if not enabled:
        problems.append('JetStream is not enabled on this server')
    elif clustered:
        if not meta.get('leader'):
            problems.append('meta group has no leader')
        for peer in (meta.get('replicas') or []) if judges_meta else []:
            problem = replica_problem(peer, max_lag)
            if problem:
                problems.append('meta peer %s %s' % (peer.get('name'), problem))
    for finding in streams_not_current + consumers_not_current:
        if finding['replica'] is None:
            problems.append('%s: %s' % (describe_asset(finding), finding['problem']))
        else:
            problems.append('%s: replica %s %s' % (describe_asset(finding), finding['replica'], finding['problem']))

    return dict(
        server_name=server_name,
        enabled=enabled,
        clustered=clustered,
        meta_leader=meta.get('leader') or None,
        cluster_size=meta.get('cluster_size') or (1 if enabled and not clustered else None),
        meta_peers=peers,
        streams=jsz.get('streams', 0),
        consumers=jsz.get('consumers', 0),
        messages=jsz.get('messages', 0),
        bytes=jsz.get('bytes', 0),
        memory=jsz.get('memory', 0),
        storage=jsz.get('storage', 0),
        streams_not_current=streams_not_current,
        consumers_not_current=consumers_not_current,
        healthy=not problems,
        problems=problems,
    )


def jsz_wait_satisfied(summary, wait_for):
    """Whether a nats_jsz wait condition holds for this summary."""
    if wait_for == 'meta_leader':
        # A standalone JetStream server has no meta group to wait for.
        return summary['enabled'] and (summary['meta_leader'] is not None or not summary['clustered'])
    if wait_for == 'current':
        return summary['healthy']
    return True
