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
    # The HTTP status decides: with details=true the body says "error" for a 503 too.
    if http_status == 503:
        status = 'unavailable'
    elif http_status == 200:
        status = document.get('status') or 'ok'
    else:
        status = 'error'
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
        return 'not seen for %.1f s (max_peer_seen %g s)' % (seen, max_peer_seen)
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


# ---------------------------------------------------------------------------
# Cluster gate: snapshots of every server in, one verdict out
# ---------------------------------------------------------------------------

GATE_CHECKS = ('reachable', 'healthz', 'routes', 'meta', 'streams', 'consumers', 'version', 'quorum')


def quorum_of(size):
    return size // 2 + 1


def same_version(reported, expected):
    a, b = parse_version(reported), parse_version(expected)
    return a is not None and a == b


def route_peers(routez):
    """Distinct remote server names: 2.10+ pools several routes per peer."""
    names = set()
    for route in (routez or {}).get('routes') or []:
        name = route.get('remote_name') or route.get('remote_id')
        if name:
            names.add(name)
    return sorted(names)


class GateSnapshot:
    """What one server said on one gate attempt.

    ``error`` is the text of why /varz could not be read (then nothing else
    was read); the other endpoints may each have their own error text."""

    def __init__(self, url, name=None, error=None, varz=None, healthz_status=None, healthz=None,
                 healthz_error=None, routez=None, routez_error=None, jsz=None, jsz_error=None, expected_name=None):
        self.url = url
        self.expected_name = expected_name
        self.name = (varz or {}).get('server_name') or name or expected_name
        self.error = error
        self.varz = varz
        self.healthz_status = healthz_status
        self.healthz = healthz
        self.healthz_error = healthz_error
        self.routez = routez
        self.routez_error = routez_error
        self.jsz = jsz
        self.jsz_error = jsz_error

    @property
    def reachable(self):
        return self.error is None and self.varz is not None

    @property
    def label(self):
        return self.name or self.url

    @property
    def version(self):
        return (self.varz or {}).get('version')

    @property
    def jetstream(self):
        return bool(self.jsz) and not self.jsz.get('disabled', False)

    @property
    def meta(self):
        return (self.jsz or {}).get('meta_cluster') or {}


class GateReport:
    """Collects check results: [{name, server, ok, msg}] and the failures as sentences."""

    def __init__(self):
        self.checks = []

    def add(self, name, server, ok, msg):
        self.checks.append(dict(name=name, server=server, ok=bool(ok), msg=msg))

    @property
    def failed(self):
        return [c['msg'] for c in self.checks if not c['ok']]


def evaluate_gate(snapshots, expect_servers=None, expect_version=None, version_servers=None, draining=None,
                  max_lag=0, max_peer_seen=5.0, fail_on_r1=False, checks=None):
    """Is the cluster safe right now? Pure: GateSnapshot list in, verdict dict out.

    ``checks`` defaults to every check that applies: version only with
    expect_version, quorum only with draining, the JetStream checks only when
    some server runs JetStream."""
    expect_servers = expect_servers or len(snapshots)
    any_js = any(s.jetstream for s in snapshots)
    applicable = set(GATE_CHECKS)
    if not expect_version:
        applicable.discard('version')
    if not draining:
        applicable.discard('quorum')
    if not any_js:
        applicable -= {'meta', 'streams', 'consumers'}
    wanted = applicable if checks is None else set(checks) & (applicable | {'reachable'})

    report = GateReport()
    _name_the_unreachable(snapshots)
    reachable = [s for s in snapshots if s.reachable]
    by_name = dict((s.name, s) for s in reachable if s.name)
    meta_leader = _agreed_meta_leader(reachable)

    if 'reachable' in wanted:
        _check_reachable(report, snapshots, expect_servers)
    if 'healthz' in wanted:
        _check_healthz(report, reachable)
    if 'routes' in wanted:
        _check_routes(report, snapshots, expect_servers)
    if 'meta' in wanted:
        _check_meta(report, reachable, by_name, meta_leader, expect_servers, max_lag, max_peer_seen)
    groups = _leader_views(reachable) if wanted & {'streams', 'consumers', 'quorum'} else {}
    if 'streams' in wanted:
        _check_groups(report, 'streams', [g for g in groups.values() if g['consumer'] is None],
                      by_name, max_lag, max_peer_seen)
    if 'consumers' in wanted:
        _check_groups(report, 'consumers', [g for g in groups.values() if g['consumer'] is not None],
                      by_name, max_lag, max_peer_seen)
    if 'version' in wanted:
        _check_version(report, snapshots, expect_version, version_servers)
    if 'quorum' in wanted:
        _check_quorum(report, draining, reachable, by_name, meta_leader, groups, max_lag, max_peer_seen, fail_on_r1)

    servers = [dict(url=s.url, name=s.name, version=s.version,
                    healthz=((s.healthz or {}).get('status') or ('unreachable' if not s.reachable else None)),
                    routes_to=route_peers(s.routez), meta_leader=s.meta.get('leader') or None)
               for s in snapshots]
    problems = report.failed
    return dict(passed=not problems, checks=report.checks, problems=problems, servers=servers,
                meta_leader=meta_leader)


def _name_the_unreachable(snapshots):
    """A server down since the first attempt has no name of its own; when one
    URL is unreachable and its peers miss exactly one server, that is its name."""
    unnamed = [s for s in snapshots if not s.reachable and not s.name]
    if len(unnamed) != 1:
        return
    present = set(s.name for s in snapshots if s.name)
    heard_of = set()
    for s in snapshots:
        if s.reachable:
            heard_of.update(route_peers(s.routez))
            heard_of.update(r.get('name') for r in s.meta.get('replicas') or [])
    # A leader that never met a peer lists it as "Server name unknown at this time (peerID: ...)".
    missing = set(n for n in heard_of - present if n and not n.startswith('Server name unknown'))
    if len(missing) == 1:
        unnamed[0].name = missing.pop()


def _check_reachable(report, snapshots, expect_servers):
    names = [s.name for s in snapshots if s.reachable]
    for s in snapshots:
        if s.reachable and s.expected_name and s.name != s.expected_name:
            report.add('reachable', s.name, False, '%s reaches %s, %s expected' % (s.url, s.name, s.expected_name))
        elif s.reachable:
            report.add('reachable', s.name, True, '%s reachable (%s)' % (s.label, s.version))
        else:
            where = s.name + ' at ' + s.url if s.name else s.url
            report.add('reachable', s.name, False, '%s unreachable (%s)' % (where, s.error))
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        report.add('reachable', None, False, 'several URLs reach the same server: %s' % ', '.join(duplicates))
    if len(snapshots) < expect_servers:
        report.add('reachable', None, False, 'only %d URLs for %d expected servers' % (len(snapshots), expect_servers))


def _check_healthz(report, reachable):
    for s in reachable:
        if s.healthz_error:
            report.add('healthz', s.name, False, '%s /healthz: %s' % (s.label, s.healthz_error))
            continue
        verdict = healthz_verdict(s.healthz_status, s.healthz)
        if verdict['healthy']:
            report.add('healthz', s.name, True, '%s healthz ok' % s.label)
        else:
            report.add('healthz', s.name, False, '%s healthz %s (%s): %s' % (
                s.label, verdict['status'], verdict['http_status'], verdict['error'] or 'no reason given'))


def _check_routes(report, snapshots, expect_servers):
    known = set(s.name for s in snapshots if s.name)
    for s in snapshots:
        if not s.reachable:
            continue
        if s.routez_error:
            report.add('routes', s.name, False, '%s /routez: %s' % (s.label, s.routez_error))
            continue
        peers = set(route_peers(s.routez))
        missing = sorted(known - peers - {s.name})
        if missing:
            report.add('routes', s.name, False, '%s has no route to %s' % (s.label, ', '.join(missing)))
        elif len(peers) + 1 < expect_servers:
            report.add('routes', s.name, False, '%s is routed to %d other servers, %d expected' % (
                s.label, len(peers), expect_servers - 1))
        else:
            report.add('routes', s.name, True, '%s routed to %s' % (s.label, ', '.join(sorted(peers)) or 'no peer'))


def _agreed_meta_leader(reachable):
    leaders = set(s.meta.get('leader') or None for s in reachable if s.jetstream)
    return leaders.pop() if len(leaders) == 1 and None not in leaders else None


def _check_meta(report, reachable, by_name, leader, expect_servers, max_lag, max_peer_seen):
    js = [s for s in reachable if s.jetstream or s.jsz_error]
    errors = [s for s in js if s.jsz_error]
    for s in errors:
        report.add('meta', s.name, False, '%s /jsz: %s' % (s.label, s.jsz_error))
    views = [s for s in js if not s.jsz_error]
    if not views:
        return
    if not any(s.meta for s in views):
        if expect_servers > 1:
            report.add('meta', None, False, 'JetStream is not clustered, %d servers expected' % expect_servers)
        else:
            report.add('meta', None, True, 'standalone JetStream server')
        return
    said = dict((s.label, s.meta.get('leader') or None) for s in views)
    if leader is None:
        report.add('meta', None, False, 'no meta leader agreed: %s' % ', '.join(
            '%s says %s' % (k, v or 'none') for k, v in sorted(said.items())))
        return
    view = by_name.get(leader)
    if view is None:
        report.add('meta', leader, False, 'meta leader %s is not among the reachable servers' % leader)
        return
    size = view.meta.get('cluster_size')
    problems = []
    if size != expect_servers:
        problems.append('meta group size %s, %d expected' % (size, expect_servers))
    for peer in view.meta.get('replicas') or []:
        problem = replica_problem(peer, max_lag, max_peer_seen)
        if problem:
            problems.append('meta peer %s %s' % (peer.get('name'), problem))
    listed = len(view.meta.get('replicas') or []) + 1
    if size and listed < size:
        problems.append('meta leader lists %d of %d peers' % (listed, size))
    if problems:
        for problem in problems:
            report.add('meta', leader, False, problem)
    else:
        report.add('meta', leader, True, 'meta leader %s, %s peers current' % (leader, size))


def _leader_views(reachable):
    """Every stream and consumer group, keyed by (account, stream, consumer),
    with the cluster info from its leader when the leader is reachable."""
    groups = {}
    for s in reachable:
        for account, stream in iter_streams(s.jsz):
            members = [(dict(account=account, stream=stream.get('name'), consumer=None), stream.get('cluster'))]
            for consumer in stream.get('consumer_detail') or []:
                members.append((dict(account=account, stream=stream.get('name'), consumer=consumer.get('name')),
                                consumer.get('cluster')))
            for identity, cluster in members:
                key = (identity['account'], identity['stream'], identity['consumer'])
                group = groups.setdefault(key, dict(identity, leader=None, cluster=None, seen_on=[]))
                group['seen_on'].append(s.name)
                cluster = cluster or {}
                if cluster.get('leader') and not group['leader']:
                    group['leader'] = cluster['leader']
                if cluster.get('leader') == s.name:
                    group['cluster'] = cluster
    return groups


def _check_groups(report, name, groups, by_name, max_lag, max_peer_seen):
    bad = 0
    for group in groups:
        label = describe_asset(group)
        if not group['leader']:
            report.add(name, None, False, '%s has no leader' % label)
            bad += 1
            continue
        if group['cluster'] is None:
            report.add(name, group['leader'], False, '%s: leader %s %s' % (
                label, group['leader'], 'did not list it' if group['leader'] in by_name else 'unreachable'))
            bad += 1
            continue
        for replica in group['cluster'].get('replicas') or []:
            problem = replica_problem(replica, max_lag, max_peer_seen)
            if problem:
                report.add(name, replica.get('name'), False, '%s: replica %s %s' % (label, replica.get('name'), problem))
                bad += 1
    if not bad:
        report.add(name, None, True, 'all %d %s current' % (len(groups), name))


def _check_version(report, snapshots, expect_version, version_servers):
    named = set(version_servers or [])
    for s in snapshots:
        if named and s.name not in named:
            continue
        if not s.reachable:
            report.add('version', s.name, False, '%s version unknown (unreachable)' % s.label)
        elif same_version(s.version, expect_version):
            report.add('version', s.name, True, '%s runs %s' % (s.label, s.version))
        else:
            report.add('version', s.name, False, '%s runs %s, %s expected' % (s.label, s.version, expect_version))
    for missing in sorted(named - set(s.name for s in snapshots)):
        report.add('version', missing, False, '%s is not among the servers asked' % missing)


def _check_quorum(report, draining, reachable, by_name, leader, groups, max_lag, max_peer_seen, fail_on_r1):
    if draining not in by_name:
        report.add('quorum', draining, False, 'draining server %s is not among the reachable servers' % draining)
        return
    view = by_name.get(leader) if leader else None
    if view is not None and view.meta:
        _quorum_without(report, 'meta group', draining, leader, view.meta, max_lag, max_peer_seen)
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
        _quorum_without(report, describe_asset(group), draining, group['leader'], cluster, max_lag, max_peer_seen)


def _quorum_without(report, label, draining, leader, cluster, max_lag, max_peer_seen):
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
