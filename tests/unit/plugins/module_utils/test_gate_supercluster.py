# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate's verdict on a supercluster: what every server of a real one answered (clusters A and B of
three servers each, gateways between them, JetStream in both = one meta group of six, leafnode
server l1 on a1; tests/unit/fixtures/<version>/super_*, recorded by record_supercluster_fixtures.py).

2.12 lists the meta peers only on the meta leader, 2.15 on every server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_topology import leafnode_baseline
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import fixture_path, load_fixture, recorded

VERSIONS = ['2.12.8', '2.15.1']
REFUSED = 'connection refused: nothing listens on that port'
A, B = ('a1', 'a2', 'a3'), ('b1', 'b2', 'b3')


def manifest(version, scenario):
    return load_fixture('%s/super_%s/MANIFEST.json' % (version, scenario))


def servers(version, scenario, names=A + B, moment=None):
    """One NatsServer per server named, as the gate reads them; a stopped server is unreachable."""
    info = manifest(version, scenario)
    result = []
    for name in names:
        folder = '/'.join(p for p in ('%s/super_%s' % (version, scenario), moment, name) if p)
        url = info['urls'][name]
        if not os.path.isdir(fixture_path(folder)):
            result.append(NatsServer(url, error=REFUSED))
            continue
        healthz_status, healthz_body = recorded(folder + '/healthz.json')
        result.append(NatsServer(
            url, varz=load_fixture(folder + '/varz.json'), healthz_status=healthz_status,
            healthz=json.loads(healthz_body.decode('utf-8')), routez=load_fixture(folder + '/routez.json'),
            gatewayz=load_fixture(folder + '/gatewayz.json'), leafz=load_fixture(folder + '/leafz.json'),
            jsz=load_fixture(folder + '/jsz.json')))
    return result


def failed(verdict, check=None):
    return [c['msg'] for c in verdict['checks'] if not c['ok'] and (check is None or c['name'] == check)]


@pytest.mark.parametrize('version', VERSIONS)
class TestHealthy:

    def test_all_six_pass(self, version):
        verdict = evaluate_gate(servers(version, 'healthy'))
        assert verdict['problems'] == []
        assert verdict['meta_leader'] == manifest(version, 'healthy')['meta_leader']
        names = set(c['name'] for c in verdict['checks'])
        assert {'routes', 'gateways', 'meta', 'streams', 'consumers'} <= names

    def test_routes_judged_per_cluster(self, version):
        # The first version judged routes across clusters: "a1 has no route to b1, b2, b3".
        verdict = evaluate_gate(servers(version, 'healthy'))
        routes = [c['msg'] for c in verdict['checks'] if c['name'] == 'routes']
        assert len(routes) == 6 and not any('no route' in m for m in routes)
        assert any(m.startswith('a1 routed to a2, a3') for m in routes)

    @pytest.mark.parametrize('cluster', [A, B])
    def test_one_cluster_alone_passes(self, version, cluster):
        # The meta leader lives in one of the two clusters: for the other, it is not among the URLs.
        verdict = evaluate_gate(servers(version, 'healthy', cluster))
        assert verdict['problems'] == []
        meta = [c['msg'] for c in verdict['checks'] if c['name'] == 'meta']
        leader = manifest(version, 'healthy')['meta_leader']
        if leader not in cluster:
            assert 'not among the URLs' in meta[0]

    def test_draining_keeps_its_meaning_across_clusters(self, version):
        # a2 holds a replica of the stream placed in A, none of B's: only A's assets and the meta group count.
        verdict = evaluate_gate(servers(version, 'healthy'), draining='a2')
        quorum = [c for c in verdict['checks'] if c['name'] == 'quorum']
        assert verdict['problems'] == []
        assert quorum and all('keeps quorum' in c['msg'] or 'R1' in c['msg'] for c in quorum)
        assert any(c['msg'].startswith('meta group') for c in quorum)

    def test_leafnode_baseline_and_expectation(self, version):
        healthy = servers(version, 'healthy')
        baseline = leafnode_baseline(healthy)
        assert baseline.get('a1', 0) >= 1 and not any(name.startswith('b') for name in baseline)
        assert evaluate_gate(healthy, expect_leafnodes=baseline)['problems'] == []


@pytest.mark.parametrize('version', VERSIONS)
class TestFailures:

    def test_a_crashed_server_of_b_is_named(self, version):
        info = manifest(version, 'crash')
        for moment in ('t1', 't8'):
            verdict = evaluate_gate(servers(version, 'crash', moment=moment))
            assert not verdict['passed']
            assert any(info['stopped'] in p and 'unreachable' in p for p in verdict['problems'])

    def test_the_crashed_peer_seen_from_cluster_a_alone(self, version):
        info = manifest(version, 'crash')
        verdict = evaluate_gate(servers(version, 'crash', A, moment='t8'))
        meta = failed(verdict, 'meta')
        if info['meta_leader'] in A:
            # The leader's view names the silent peer of the other cluster.
            assert any(info['stopped'] in m for m in meta), verdict['problems']
        else:
            # A follower knows nothing of the other peers (2.12 lists none; 2.15.1 lists them with
            # active 0 and current false, recorded here): cluster A alone cannot judge them.
            assert meta == []
            assert 'not among the URLs' in [c['msg'] for c in verdict['checks'] if c['name'] == 'meta'][0]

    def test_gateway_cut_is_named(self, version):
        verdict = evaluate_gate(servers(version, 'gateway_cut'))
        gateways = failed(verdict, 'gateways')
        assert gateways, verdict['problems']
        assert any('no outbound gateway to B' in m or 'inbound gateway connections from B' in m for m in gateways)

    def test_lost_leafnode_is_named(self, version):
        expected = leafnode_baseline(servers(version, 'healthy'))
        verdict = evaluate_gate(servers(version, 'leaf_gone'), expect_leafnodes=expected)
        leafnodes = failed(verdict, 'leafnodes')
        assert len(leafnodes) == 1
        assert leafnodes[0].startswith('a1 has 0 leafnode connections, %d expected (cluster A has 0' % expected['a1'])

    def test_a_leafnode_back_on_another_server_of_its_cluster_counts(self, version):
        # The leafnode of a1 reconnected to a3 while a1 restarted (seen on 2.12.8 and 2.15.1).
        healthy = servers(version, 'healthy')
        moved = list(healthy)
        a1 = next(s for s in moved if s.name == 'a1')
        a3 = next(s for s in moved if s.name == 'a3')
        a3.leafz = dict(a1.leafz)
        a1.leafz = dict(a1.leafz, leafnodes=0, leafs=[])
        verdict = evaluate_gate(moved, expect_leafnodes=dict(a1=1))
        assert failed(verdict, 'leafnodes') == []

    def test_servers_of_unrelated_meta_groups(self, version):
        # a1 of this supercluster with the three servers of a plain cluster of 2.15.1.
        other = load_fixture('2.15.1/gate_healthy/MANIFEST.json')
        mixed = servers(version, 'healthy', ('a1', 'a2', 'a3'))
        for name, url in sorted(other['urls'].items()):
            folder = '2.15.1/gate_healthy/%s' % name
            healthz_status, healthz_body = recorded(folder + '/healthz.json')
            mixed.append(NatsServer(url, varz=load_fixture(folder + '/varz.json'), healthz_status=healthz_status,
                                    healthz=json.loads(healthz_body.decode('utf-8')),
                                    routez=load_fixture(folder + '/routez.json'), jsz=load_fixture(folder + '/jsz.json')))
        verdict = evaluate_gate(mixed)
        assert not verdict['passed']
        assert any('different meta groups' in m for m in failed(verdict, 'meta')), verdict['problems']
