# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The cluster gate: every server's answers in, one verdict out (pure), and the reader that
makes one concurrent round of every server per attempt."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from functools import partial

from ansible_collections.nats_tools.nats.plugins.module_utils.gate_jetstream import (
    agreed_meta_leader,
    check_groups,
    check_meta,
    check_quorum,
    gate_jsz_view,
    leader_views,
    runs_jetstream,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_restarted import check_restarted
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_topology import (
    check_gateways,
    check_leafnodes,
    check_routes,
    gateway_links,
    is_supercluster,
    leafnode_count,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import healthz_params, healthz_verdict
from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import DEFAULT_MAX_LAG
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import read_servers
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer, route_peers
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import same_version

GATE_CHECKS = ('reachable', 'healthz', 'routes', 'gateways', 'meta', 'streams', 'consumers', 'version', 'quorum',
               'leafnodes', 'restarted')


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
                  max_lag=DEFAULT_MAX_LAG, max_peer_seen=5.0, fail_on_r1=False, checks=None, expect_leafnodes=None,
                  restarted=None):
    """Is the cluster (or supercluster) safe right now? Pure: NatsServer list in, verdict dict out.

    ``checks`` defaults to every check that applies: version only with
    expect_version, quorum only with draining, gateways only where gateways are
    configured, leafnodes only with expect_leafnodes, restarted only with
    restarted (gate_restarted.py), the JetStream checks only when some server
    runs JetStream."""
    expect_servers = expect_servers or len(snapshots)
    # A /jsz that could not be read (wrong shape, cut short) is a JetStream problem, not an absence of JetStream.
    any_js = any(runs_jetstream(s) or (s.reachable and s.jsz_error) for s in snapshots)
    applicable = set(GATE_CHECKS)
    if not expect_version:
        applicable.discard('version')
    if not draining:
        applicable.discard('quorum')
    if not any_js:
        applicable -= {'meta', 'streams', 'consumers'}
    if not any(s.gateway for s in snapshots if s.reachable):
        applicable.discard('gateways')
    if not expect_leafnodes:
        applicable.discard('leafnodes')
    if not restarted:
        applicable.discard('restarted')
    wanted = applicable if checks is None else set(checks) & (applicable | {'reachable'})

    report = GateReport()
    _name_the_unreachable(snapshots)
    reachable = [s for s in snapshots if s.reachable]
    by_name = dict((s.name, s) for s in reachable if s.name)
    meta_leader = agreed_meta_leader(reachable)
    supercluster = is_supercluster(snapshots)

    if 'reachable' in wanted:
        _check_reachable(report, snapshots, expect_servers)
    if 'healthz' in wanted:
        _check_healthz(report, reachable)
    if 'routes' in wanted:
        check_routes(report, snapshots, expect_servers)
    if 'gateways' in wanted:
        check_gateways(report, snapshots)
    if 'meta' in wanted:
        check_meta(report, reachable, by_name, meta_leader, expect_servers, max_lag, max_peer_seen, supercluster)
    groups = leader_views(reachable) if wanted & {'streams', 'consumers', 'quorum', 'restarted'} else {}
    if 'streams' in wanted:
        check_groups(report, 'streams', [g for g in groups.values() if g['consumer'] is None],
                     by_name, max_lag, max_peer_seen)
    if 'consumers' in wanted:
        check_groups(report, 'consumers', [g for g in groups.values() if g['consumer'] is not None],
                     by_name, max_lag, max_peer_seen)
    if 'version' in wanted:
        _check_version(report, snapshots, expect_version, version_servers)
    if 'quorum' in wanted:
        check_quorum(report, draining, reachable, by_name, meta_leader, groups, max_lag, max_peer_seen, fail_on_r1)
    if 'leafnodes' in wanted:
        check_leafnodes(report, snapshots, expect_leafnodes)
    if 'restarted' in wanted:
        check_restarted(report, restarted, snapshots, by_name, meta_leader, groups, max_lag, max_peer_seen)

    servers = [dict(url=s.url, name=s.name, version=s.version, cluster=s.cluster,
                    healthz=((s.healthz or {}).get('status') or ('unreachable' if not s.reachable else None)),
                    routes_to=route_peers(s.routez), gateways_to=sorted(gateway_links(s)[0]) if s.reachable else [],
                    leafnodes=leafnode_count(s) if s.reachable else None, meta_leader=s.meta.get('leader') or None)
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
            what = 'unreachable' if s.error_kind in (None, 'unreachable', 'timeout') else 'cannot be read'
            report.add('reachable', s.name, False, '%s %s (%s)' % (where, what, s.error))
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        report.add('reachable', None, False, 'several URLs reach the same server: %s' % ', '.join(duplicates))
    if len(snapshots) < expect_servers:
        report.add('reachable', None, False, 'only %d URLs for %d expected servers' % (len(snapshots), expect_servers))


def _check_healthz(report, reachable):
    for s in reachable:
        if s.healthz_error:
            report.add('healthz', s.name, False, '%s: %s' % (s.label, s.healthz_error))
            continue
        verdict = healthz_verdict(s.healthz_status, s.healthz)
        if verdict['healthy']:
            report.add('healthz', s.name, True, '%s healthz ok' % s.label)
        else:
            report.add('healthz', s.name, False, '%s healthz %s (%s): %s' % (
                s.label, verdict['status'], verdict['http_status'], verdict['error'] or 'no reason given'))


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


# ---------------------------------------------------------------------------
# Reading: one concurrent round of every server per attempt
# ---------------------------------------------------------------------------

# What the gate reads of each server besides /varz.
GATE_JSZ_QUERY = dict(accounts=True, streams=True, consumers=True)


def read_gate_jsz(monitor, server_name=None):
    """One server's /jsz with streams and consumers, cut to what the gate reads (gate_jsz_view) as soon
    as it is parsed; ``server_name`` is the name that server gave in its /varz."""
    return gate_jsz_view(monitor.jsz(max_items=0, **GATE_JSZ_QUERY), server_name)


class ClusterReader:
    """NatsServers of a fixed list of URLs, one concurrent round per attempt.

    Remembers each server's name and version between attempts, so that a
    server that goes down is still named, and /healthz can be asked in the
    same round as the rest (its meta-only option depends on the version).

    /healthz is asked with js-meta-only (the meta group; each server's streams and
    consumers are judged from their leaders' views), except of the servers in
    ``full_healthz`` (the ``restarted`` server of a post gate): their full /healthz
    says whether every stream and consumer assigned to them is current."""

    def __init__(self, monitors, names=None, max_workers=16, full_healthz=None):
        self.monitors = monitors
        self.max_workers = max_workers
        self.expected = dict(zip([m.url for m in monitors], names or []))
        self.known = dict((m.url, dict(name=None, version=None)) for m in monitors)
        self.full_healthz = set(full_healthz or [])

    def healthz_query(self, version, name=None):
        if name is not None and name in self.full_healthz:
            return healthz_params(version=version, details=True)
        return healthz_params(version=version, js_meta_only=True, details=True)

    def _name(self, monitor):
        return self.known[monitor.url]['name'] or self.expected.get(monitor.url)

    def _plan(self, monitor, with_jetstream):
        version = self.known[monitor.url]['version']
        plan = [('varz', monitor.varz), ('routez', monitor.routez), ('gatewayz', monitor.gatewayz),
                ('leafz', monitor.leafz)]
        if version is not None:
            plan.append(('healthz', partial(monitor.healthz, **self.healthz_query(version, self._name(monitor)))))
        if with_jetstream and self._name(monitor) is not None:
            # Cut by the name this URL is expected to answer as; read again if /varz says otherwise.
            plan.append(('jsz', partial(read_gate_jsz, monitor, self._name(monitor))))
        return plan

    def read(self, with_jetstream=True):
        """One NatsServer per URL, every server and endpoint at once."""
        plans = [self._plan(monitor, with_jetstream) for monitor in self.monitors]
        asked = [(self.known[m.url]['version'], self._name(m)) for m in self.monitors]
        outcomes = read_servers(plans, self.max_workers)

        # /healthz again where the version was unknown or has changed (a restarted server); /jsz where
        # the name was unknown or has changed: its answer is cut by the name of the server that answers.
        again = []
        for monitor, got, (version_asked, name_asked) in zip(self.monitors, outcomes, asked):
            varz = got['varz'][0]
            if varz is None:
                continue
            version = varz.get('version')
            self.known[monitor.url] = dict(name=varz.get('server_name'), version=version)
            name = self._name(monitor)
            plan = []
            if 'healthz' not in got or version_asked != version or \
                    (name_asked in self.full_healthz) != (name in self.full_healthz):
                plan.append(('healthz', partial(monitor.healthz, **self.healthz_query(version, name))))
            if with_jetstream and ('jsz' not in got or name_asked != varz.get('server_name')):
                plan.append(('jsz', partial(read_gate_jsz, monitor, varz.get('server_name'))))
            if plan:
                again.append((got, plan))
        for (got, _plan), outcome in zip(again, read_servers([plan for _got, plan in again], self.max_workers)):
            got.update(outcome)

        servers = []
        for monitor, got in zip(self.monitors, outcomes):
            jsz = got.get('jsz', (None, None))[0]
            server = NatsServer.from_outcomes(monitor.url, got, name=self.known[monitor.url]['name'],
                                              expected_name=self.expected.get(monitor.url))
            if jsz is not None and jsz.get('truncated'):
                # The gate judges every stream and consumer: a list cut short cannot pass.
                server.errors['jsz'] = '%s/jsz: the JetStream account list could not be read completely' % monitor.url
            servers.append(server)
        return servers
