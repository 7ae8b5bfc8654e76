# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""/jsz: meta group peers, Raft groups of streams and consumers, and the summary verdict of one
server's answer (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.versions import seconds


def meta_peers(jsz):
    """The meta group's peers as this server sees them (followers of 2.10-2.12 list none)."""
    meta = (jsz or {}).get('meta_cluster') or {}
    return [
        dict(name=peer.get('name'), current=bool(peer.get('current')), offline=bool(peer.get('offline')),
             lag=peer.get('lag', 0), active_s=seconds(peer.get('active')))
        for peer in meta.get('replicas') or []
    ]


# Default of the gate's max_lag: Raft entries a replica may be behind its leader and still count
# as in sync. Under publish load a healthy follower is always a few entries behind: measured on
# 2.10.26 at 200 msg/s, 9-10 % of leader views showed a follower `current: false` with lag 1-3
# (1-4 for consumers), while a replica really catching up after a restart showed lags of 366 to
# 1,122 and, on 2.15.1, `current: false` with no lag at all (tests/unit/fixtures/*/catching_up).
# 100 entries is far above the first and below the second at any rate worth gating on; a replica
# the leader has not heard from (offline, `active` beyond max_peer_seen) fails whatever its lag.
DEFAULT_MAX_LAG = 100


def replica_problem(replica, max_lag, max_peer_seen=None):
    """Why a replica (or meta peer) is not in sync, None when it is.

    Offline first; then silence: a crashed peer keeps `current` for seconds
    while the time since it was last heard from (`active`) grows. Then the lag:
    a replica within ``max_lag`` entries of its leader is in sync whether or not
    the leader calls it current at that instant (replication in flight). A
    replica the leader calls not current without a lag (2.15.1 reports a
    catching-up replica so; a leader also drops `current` for a peer silent
    past its lost-quorum interval) is not in sync: nothing says how far behind it is."""
    if replica.get('offline'):
        return 'offline'
    seen = seconds(replica.get('active'))
    if max_peer_seen is not None and seen is not None and seen > max_peer_seen:
        return 'not seen for %.1f s (max_peer_seen %g s)' % (seen, max_peer_seen)
    lag = replica.get('lag') or 0
    if not replica.get('current') and (not lag or lag > max_lag):
        return 'not current (lag %s)' % lag
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


def summarize_jsz(jsz, max_lag=0, server_name=None, max_peer_seen=None):
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
    streams_not_current, consumers_not_current = asset_replica_findings(jsz, max_lag, server_name, max_peer_seen)

    problems = []
    if not enabled:
        problems.append('JetStream is not enabled on this server')
    elif clustered:
        if not meta.get('leader'):
            problems.append('meta group has no leader')
        for peer in (meta.get('replicas') or []) if judges_meta else []:
            problem = replica_problem(peer, max_lag, max_peer_seen)
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
