# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The gate's JetStream checks (pure): the meta group, the Raft groups of streams and
consumers, and quorum without a server about to stop.

With JetStream in several clusters of a supercluster there is ONE meta group across
all of them (one leader, cluster_size = every JetStream server). Only a group's
leader knows whether its followers are current; up to 2.12 only the meta leader
lists the meta peers at all (2.15 lists them on every server)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import describe_asset, iter_streams, replica_problem

# Concurrent reads of one stream on several servers are milliseconds apart: under load its
# replicas' last_seq differ by what was stored in between, so only a larger spread is a
# divergence (natscli's `stream-check --unsynced` finds the same real ones).
UNSYNCED_TOLERANCE = 100


def runs_jetstream(server):
    """The gate judges JetStream from /jsz answers only (a server whose /jsz failed is named by the meta check)."""
    return bool(server.jsz) and not server.jsz.get('disabled', False)


def quorum_of(size):
    return size // 2 + 1


def meta_members(view):
    """Names in a server's view of the meta group (the leader and the peers it lists)."""
    meta = view.meta
    return set([meta.get('leader')] + [r.get('name') for r in meta.get('replicas') or []]) - {None}


def agreed_meta_leader(reachable):
    leaders = set(s.meta.get('leader') or None for s in reachable if runs_jetstream(s))
    return leaders.pop() if len(leaders) == 1 and None not in leaders else None


def _self_claims(views):
    """Servers that name themselves meta leader."""
    return [s for s in views if s.meta.get('leader') == s.name]


def check_meta(report, reachable, by_name, leader, expect_servers, max_lag, max_peer_seen, supercluster):
    js = [s for s in reachable if runs_jetstream(s) or s.jsz_error]
    for s in js:
        if s.jsz_error:
            report.add('meta', s.name, False, '%s: %s' % (s.label, s.jsz_error))
    views = [s for s in js if not s.jsz_error]
    if not views:
        return
    if not any(s.meta for s in views):
        if expect_servers > 1:
            report.add('meta', None, False, 'JetStream is not clustered, %d servers expected' % expect_servers)
        else:
            report.add('meta', None, True, 'standalone JetStream server')
        return
    claims = _self_claims(views)
    if len(claims) > 1:
        groups = [meta_members(s) for s in claims]
        if all(not (a & b) for i, a in enumerate(groups) for b in groups[i + 1:]):
            report.add('meta', None, False, 'the URLs reach different meta groups (unrelated JetStream deployments): %s'
                       % '; '.join('%s leads %s' % (s.name, ', '.join(sorted(meta_members(s)))) for s in claims))
        else:
            report.add('meta', None, False, 'two servers claim meta leadership: %s'
                       % ', '.join(sorted(s.name for s in claims)))
        return
    if leader is None:
        said = dict((s.label, s.meta.get('leader') or None) for s in views)
        groups = {}
        for s in views:
            if s.meta.get('leader'):
                groups.setdefault(s.meta['leader'], set()).update(meta_members(s) | {s.name})
        named = sorted(groups)
        if len(named) > 1 and all(not (groups[a] & groups[b]) for i, a in enumerate(named) for b in named[i + 1:]):
            report.add('meta', None, False, 'the URLs reach different meta groups (unrelated JetStream deployments): %s'
                       % '; '.join('led by %s: %s' % (n, ', '.join(sorted(groups[n]))) for n in named))
            return
        report.add('meta', None, False, 'no meta leader agreed: %s' % ', '.join(
            '%s says %s' % (k, v or 'none') for k, v in sorted(said.items())))
        return
    view = by_name.get(leader)
    problems = []
    if view is None:
        # Gating a subset (one cluster of a supercluster): the leader lives elsewhere. A follower knows
        # little of the other peers (2.12 lists none; 2.15.1 lists them with active 0 and current false):
        # only what it does say (offline) is judged.
        if not supercluster:
            report.add('meta', leader, False, 'meta leader %s is not among the reachable servers' % leader)
            return
        view = follower_meta_view(views)
        if view is not None:
            for peer in view.meta.get('replicas') or []:
                problem = replica_problem(dict(peer, current=True, lag=0), max_lag, max_peer_seen)
                if problem and peer.get('name') != leader:
                    problems.append('meta peer %s %s (as %s sees it)' % (peer.get('name'), problem, view.name))
        size = view.meta.get('cluster_size') if view else max(s.meta.get('cluster_size') or 0 for s in views)
    else:
        size = view.meta.get('cluster_size')
        if not supercluster and size != expect_servers:
            problems.append('meta group size %s, %d expected' % (size, expect_servers))
        for peer in view.meta.get('replicas') or []:
            problem = replica_problem(peer, max_lag, max_peer_seen)
            if problem:
                problems.append('meta peer %s %s' % (peer.get('name'), problem))
        listed = len(view.meta.get('replicas') or []) + 1
        if size and listed < size:
            problems.append('meta leader lists %d of %d peers' % (listed, size))
        members = meta_members(view)
        outside = sorted(s.name for s in views if s.name not in members)
        if outside and view.meta.get('replicas') is not None:
            problems.append('%s not in the meta group of %s' % (', '.join(outside), leader))
    if problems:
        for problem in problems:
            report.add('meta', leader, False, problem)
    else:
        where = '' if by_name.get(leader) is not None else (
            ' (not among the URLs: the peers of other clusters are judged only as far as the servers given know them;'
            ' give every cluster\'s URLs to judge them all)')
        report.add('meta', leader, True, 'meta leader %s%s, %s peers current' % (leader, where, size))


def follower_meta_view(reachable):
    """A reachable server that lists the meta peers though it does not lead (2.15+), or None."""
    return next((s for s in reachable if runs_jetstream(s) and s.meta.get('replicas')
                 and s.meta.get('leader') != s.name), None)


def gate_jsz_view(jsz, server_name=None):
    """The part of one server's /jsz (accounts, streams, consumers) that the gate reads: every top-level
    field, and of each stream and consumer its name, a stream's last_seq and its Raft group (`cluster`):
    whole where ``server_name`` (the server that answered, from its /varz) leads the group, else only
    the leader's name - only a group's leader view is judged (leader_views), a follower's is stale.

    The rest is dropped as soon as a server's answer is read: 100 servers with 10,000 R3 streams and
    30,000 consumers are 120,000 such items in one round: 2.7 MB per server parsed in full, 1.1 MB
    once cut (measured with the replay of bench/replay_scale.py). Shape-checked input (client.parse_json); the
    result reads the same through .get() as the whole for leader_views."""
    if not isinstance(jsz, dict) or not jsz.get('account_details'):
        return jsz
    view = dict((key, value) for key, value in jsz.items() if key != 'account_details')
    view['account_details'] = [
        dict(name=account.get('name'), id=account.get('id'),
             stream_detail=[_stream_view(stream, server_name) for stream in account.get('stream_detail') or []])
        for account in jsz['account_details']]
    return view


def _group_view(cluster, server_name):
    if server_name is None or not isinstance(cluster, dict) or cluster.get('leader') == server_name:
        return cluster
    return dict(leader=cluster.get('leader'))


def _stream_view(stream, server_name):
    state = stream.get('state') or {}
    return dict(name=stream.get('name'), cluster=_group_view(stream.get('cluster'), server_name),
                state=dict(last_seq=state.get('last_seq')),
                consumer_detail=[dict(name=consumer.get('name'), cluster=_group_view(consumer.get('cluster'), server_name))
                                 for consumer in stream.get('consumer_detail') or []])


def leader_views(reachable):
    """Every stream and consumer group, keyed by (account, stream, consumer), with the cluster
    info from its leader when the leader is reachable, every server that claims to lead it,
    and each hosting server's last_seq (streams).

    Called on 120,000 entries in a round over 100 servers with 10,000 R3 streams and 30,000
    consumers: a group's record is made only the first time it is seen."""
    groups = {}
    for s in reachable:
        for account, stream in iter_streams(s.jsz):
            name = stream.get('name')
            last_seq = (stream.get('state') or {}).get('last_seq')
            if not isinstance(last_seq, int) or isinstance(last_seq, bool):
                last_seq = None
            _seen(groups, s.name, account, name, None, stream.get('cluster'), last_seq)
            for consumer in stream.get('consumer_detail') or []:
                _seen(groups, s.name, account, name, consumer.get('name'), consumer.get('cluster'), None)
    return groups


def _seen(groups, server, account, stream, consumer, cluster, last_seq):
    """One server's entry for a group (leader_views)."""
    key = (account, stream, consumer)
    group = groups.get(key)
    if group is None:
        group = groups[key] = dict(account=account, stream=stream, consumer=consumer, leader=None, cluster=None,
                                   seen_on=[], claims=[], last_seq={})
    group['seen_on'].append(server)
    cluster = cluster or {}
    leader = cluster.get('leader')
    if leader and not group['leader']:
        group['leader'] = leader
    if leader == server:
        group['cluster'] = cluster
        group['claims'].append(server)
    if last_seq is not None:
        group['last_seq'][server] = last_seq


def check_groups(report, name, groups, by_name, max_lag, max_peer_seen):
    bad = 0
    for group in groups:
        label = describe_asset(group)
        if not group['leader']:
            report.add(name, None, False, '%s has no leader' % label)
            bad += 1
            continue
        if len(group['claims']) > 1:
            report.add(name, None, False, '%s: %s all claim to lead it' % (label, ', '.join(sorted(group['claims']))))
            bad += 1
            continue
        if group['cluster'] is None:
            report.add(name, group['leader'], False, '%s: leader %s %s' % (
                label, group['leader'], 'did not list it' if group['leader'] in by_name else 'unreachable'))
            bad += 1
            continue
        lagging = False
        for replica in group['cluster'].get('replicas') or []:
            problem = replica_problem(replica, max_lag, max_peer_seen)
            if problem:
                report.add(name, replica.get('name'), False, '%s: replica %s %s' % (label, replica.get('name'), problem))
                bad += 1
                lagging = True
        seqs = group['last_seq']
        if not lagging and len(seqs) > 1 and max(seqs.values()) - min(seqs.values()) > max(max_lag, UNSYNCED_TOLERANCE):
            report.add(name, None, False, '%s: replicas report current but disagree on last_seq: %s' % (
                label, ', '.join('%s %d' % (n, q) for n, q in sorted(seqs.items()))))
            bad += 1
    if not bad:
        report.add(name, None, True, 'all %d %s current' % (len(groups), name))


def check_quorum(report, draining, reachable, by_name, leader, groups, max_lag, max_peer_seen, fail_on_r1):
    if draining not in by_name:
        report.add('quorum', draining, False, 'draining server %s is not among the reachable servers' % draining)
        return
    view = by_name.get(leader) if leader else None
    follower = follower_meta_view(reachable) if view is None and leader else None
    if view is not None and view.meta:
        quorum_without(report, 'meta group', draining, leader, view.meta, max_lag, max_peer_seen)
    elif follower is not None:
        # The leader is outside the URLs (one cluster of a supercluster): offline and silence as a
        # follower sees them; its current/lag flags of other peers are stale.
        peers = [dict(r, current=True, lag=0) for r in follower.meta['replicas'] if r.get('name') != leader]
        meta = dict(follower.meta, replicas=peers + [dict(name=follower.name, current=True, lag=0)])
        quorum_without(report, 'meta group (as %s sees it)' % follower.name, draining, leader, meta, max_lag,
                       max_peer_seen)
    elif any(s.meta for s in reachable):
        report.add('quorum', draining, False, 'meta group: no reachable leader to judge quorum without %s' % draining)
    for group in groups.values():
        cluster = group['cluster']
        if cluster is None:
            if draining in group['seen_on']:
                report.add('quorum', draining, False, '%s: no leader view to judge quorum without %s'
                           % (describe_asset(group), draining))
            continue
        members = [group['leader']] + [r.get('name') for r in cluster.get('replicas') or []]
        if draining not in members:
            continue
        if len(members) == 1:
            report.add('quorum', draining, not fail_on_r1, '%s is R1 on %s: unavailable while it is down'
                       % (describe_asset(group), draining))
            continue
        quorum_without(report, describe_asset(group), draining, group['leader'], cluster, max_lag, max_peer_seen)


def quorum_without(report, label, draining, leader, cluster, max_lag, max_peer_seen):
    """The other members must be current and still a quorum once ``draining`` stops."""
    replicas = cluster.get('replicas') or []
    size = len(replicas) + 1
    others = [r for r in replicas if r.get('name') != draining]
    lagging = [(r.get('name'), replica_problem(r, max_lag, max_peer_seen)) for r in others]
    lagging = [(n, p) for n, p in lagging if p]
    healthy = len(others) - len(lagging) + (1 if leader != draining else 0)
    if lagging or healthy < quorum_of(size):
        why = '; '.join('%s %s' % (n, p) for n, p in lagging) or 'too few members'
        report.add('quorum', draining, False, '%s would lose quorum without %s: %d of %d current; %s'
                   % (label, draining, healthy, size, why))
    else:
        report.add('quorum', draining, True, '%s keeps quorum without %s (%d of %d current)'
                   % (label, draining, healthy, size))
