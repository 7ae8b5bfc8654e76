# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cluster gate's verdict (gate.evaluate_gate) on what every server of a real 3-node
cluster answered (tests/unit/fixtures/<version>/gate_*, recorded by record_gate_fixtures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer, route_peers
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import fixture_path, load_fixture, recorded

VERSIONS = ['2.10.26', '2.15.1']
REFUSED = 'connection refused: nothing listens on that port'


def manifest(version, scenario):
    return load_fixture('%s/gate_%s/MANIFEST.json' % (version, scenario))


def snapshots(version, scenario, moment=None):
    """One NatsServer per server, as the gate reads them; a stopped server is unreachable."""
    info = manifest(version, scenario)
    result = []
    for name, url in sorted(info['urls'].items()):
        folder = '/'.join(p for p in ('%s/gate_%s' % (version, scenario), moment, name) if p)
        if not os.path.isdir(fixture_path(folder)):
            result.append(NatsServer(url, error=REFUSED))
            continue
        healthz_status, healthz_body = recorded(folder + '/healthz.json')
        result.append(NatsServer(
            url, varz=load_fixture(folder + '/varz.json'), healthz_status=healthz_status,
            healthz=json.loads(healthz_body.decode('utf-8')), routez=load_fixture(folder + '/routez.json'),
            jsz=load_fixture(folder + '/jsz.json')))
    return result


def by_name(snaps, name):
    return next(s for s in snaps if s.name == name)


def failed(verdict, check=None):
    return [c['msg'] for c in verdict['checks'] if not c['ok'] and (check is None or c['name'] == check)]


def stream_group(snap, stream):
    for account in snap.jsz['account_details']:
        for detail in account['stream_detail']:
            if detail['name'] == stream:
                return detail
    raise AssertionError('%s not on %s' % (stream, snap.name))


def leader_of(snaps, stream):
    leader = stream_group(snaps[0], stream)['cluster']['leader']
    return by_name(snaps, leader)


@pytest.mark.parametrize('version', VERSIONS)
class TestHealthyCluster:

    def test_passes_and_names_the_meta_leader(self, version):
        verdict = evaluate_gate(snapshots(version, 'healthy'))
        assert verdict['passed'], verdict['problems']
        assert verdict['problems'] == []
        assert verdict['meta_leader'] == manifest(version, 'healthy')['meta_leader']
        names = set(c['name'] for c in verdict['checks'])
        assert names == {'reachable', 'healthz', 'routes', 'meta', 'streams', 'consumers'}

    def test_pooled_routes_count_each_peer_once(self, version):
        snaps = snapshots(version, 'healthy')
        for snap in snaps:
            assert snap.routez['num_routes'] > 2  # several pooled routes per peer on 2.10+
            assert route_peers(snap.routez) == sorted(n for n in ('n1', 'n2', 'n3') if n != snap.name)
        servers = evaluate_gate(snaps)['servers']
        assert [len(s['routes_to']) for s in servers] == [2, 2, 2]

    def test_expect_servers_larger_than_the_cluster_fails(self, version):
        verdict = evaluate_gate(snapshots(version, 'healthy'), expect_servers=4)
        assert not verdict['passed']
        assert 'only 3 URLs for 4 expected servers' in verdict['problems']
        assert 'meta group size 3, 4 expected' in failed(verdict, 'meta')

    def test_version(self, version):
        snaps = snapshots(version, 'healthy')
        assert evaluate_gate(snaps, expect_version='v' + version)['passed']
        verdict = evaluate_gate(snaps, expect_version='2.11.11')
        assert failed(verdict, 'version') == ['%s runs %s, 2.11.11 expected' % (n, version) for n in ('n1', 'n2', 'n3')]
        only_n2 = evaluate_gate(snaps, expect_version='2.11.11', version_servers=['n2'])
        assert failed(only_n2, 'version') == ['n2 runs %s, 2.11.11 expected' % version]
        missing = evaluate_gate(snaps, expect_version=version, version_servers=['n9'])
        assert failed(missing, 'version') == ['n9 is not among the servers asked']

    def test_quorum_without_any_one_server(self, version):
        snaps = snapshots(version, 'healthy')
        for name in ('n1', 'n2', 'n3'):
            verdict = evaluate_gate(snaps, draining=name)
            assert verdict['passed'], verdict['problems']
            quorum = [c['msg'] for c in verdict['checks'] if c['name'] == 'quorum']
            assert 'meta group keeps quorum without %s (2 of 3 current)' % name in quorum

    def test_r1_asset_listed_and_fails_only_with_fail_on_r1(self, version):
        snaps = snapshots(version, 'healthy')
        home = leader_of(snaps, 'R1STREAM').name
        listed = evaluate_gate(snaps, draining=home)
        r1 = [c for c in listed['checks'] if c['name'] == 'quorum' and 'R1' in c['msg']]
        assert [c['msg'] for c in r1] == ['stream R1STREAM is R1 on %s: unavailable while it is down' % home]
        assert r1[0]['ok'] and listed['passed']
        strict = evaluate_gate(snaps, draining=home, fail_on_r1=True)
        assert not strict['passed']
        assert any('R1STREAM' in msg and 'R1 on %s' % home in msg for msg in strict['problems'])
        elsewhere = next(n for n in ('n1', 'n2', 'n3') if n != home)
        assert not any('R1' in c['msg'] for c in evaluate_gate(snaps, draining=elsewhere)['checks'])

    def test_lag_above_max_lag(self, version):
        # Recorded healthy answers with one field edited: a follower of ORDERS lagging by 5 entries.
        snaps = snapshots(version, 'healthy')
        leader = leader_of(snaps, 'ORDERS')
        replica = stream_group(leader, 'ORDERS')['cluster']['replicas'][0]
        replica['lag'] = 5
        verdict = evaluate_gate(snaps, max_lag=0)
        assert failed(verdict, 'streams') == ['stream ORDERS: replica %s lag 5 above max_lag 0' % replica['name']]
        assert evaluate_gate(snaps, max_lag=5)['passed']
        assert evaluate_gate(snaps)['passed']  # the default bound (100) counts replication in flight as in sync

    def test_no_meta_leader_agreed(self, version):
        # Recorded healthy answers with one field edited on each server: no meta leader.
        snaps = snapshots(version, 'healthy')
        for snap in snaps:
            snap.jsz['meta_cluster']['leader'] = ''
        verdict = evaluate_gate(snaps)
        assert verdict['meta_leader'] is None
        assert failed(verdict, 'meta') == ['no meta leader agreed: n1 says none, n2 says none, n3 says none']

    def test_servers_disagree_on_the_meta_leader(self, version):
        snaps = snapshots(version, 'healthy')
        snaps[0].jsz['meta_cluster']['leader'] = 'n9'
        verdict = evaluate_gate(snaps)
        assert verdict['meta_leader'] is None
        assert failed(verdict, 'meta')[0].startswith('no meta leader agreed: n1 says n9')

    def test_stream_without_leader(self, version):
        snaps = snapshots(version, 'healthy')
        for snap in snaps:
            stream_group(snap, 'ORDERS')['cluster']['leader'] = ''
        assert 'stream ORDERS has no leader' in failed(evaluate_gate(snaps), 'streams')

    def test_server_names_must_match_the_urls(self, version):
        snaps = snapshots(version, 'healthy')
        swapped = [NatsServer(s.url, varz=s.varz, healthz_status=s.healthz_status, healthz=s.healthz,
                              routez=s.routez, jsz=s.jsz, expected_name=expected)
                   for s, expected in zip(snaps, ['n2', 'n1', 'n3'])]
        verdict = evaluate_gate(swapped)
        assert failed(verdict, 'reachable') == ['%s reaches n1, n2 expected' % snaps[0].url,
                                                '%s reaches n2, n1 expected' % snaps[1].url]

    def test_checks_subset(self, version):
        verdict = evaluate_gate(snapshots(version, 'healthy'), checks=['routes'])
        assert set(c['name'] for c in verdict['checks']) == {'routes'}

    def test_inputs_not_modified(self, version):
        snaps = snapshots(version, 'healthy')
        before = copy.deepcopy([s.jsz for s in snaps])
        evaluate_gate(snaps, draining='n1', expect_version=version)
        assert [s.jsz for s in snaps] == before


@pytest.mark.parametrize('version', VERSIONS)
class TestPeerDown:

    def test_crashed_peer_still_current_on_the_leader_is_caught_by_asking_it(self, version):
        # About 1 s after SIGKILL the meta leader still lists the dead peer as current, not offline.
        snaps = snapshots(version, 'crash', 't1')
        stopped = manifest(version, 'crash')['stopped']
        leader = by_name(snaps, manifest(version, 'crash')['meta_leader'])
        peer = next(r for r in leader.jsz['meta_cluster']['replicas'] if r['name'] == stopped)
        assert peer['current'] is True and not peer.get('offline')
        verdict = evaluate_gate(snaps)
        assert not verdict['passed']
        assert verdict['problems'][0] == '%s at %s unreachable (%s)' % (
            stopped, manifest(version, 'crash')['urls'][stopped], REFUSED)
        assert '%s has no route to %s' % (leader.name, stopped) in verdict['problems']

    def test_crashed_peer_unseen_past_max_peer_seen(self, version):
        snaps = snapshots(version, 'crash', 't8')
        stopped = manifest(version, 'crash')['stopped']
        meta = failed(evaluate_gate(snaps, max_peer_seen=5), 'meta')
        assert any(m.startswith('meta peer %s not seen for ' % stopped) for m in meta), meta
        # With a generous max_peer_seen the same answers no longer flag silence.
        relaxed = failed(evaluate_gate(snaps, max_peer_seen=60), 'meta')
        assert not any('not seen' in m for m in relaxed)

    def test_graceful_stop_is_offline_at_once(self, version):
        snaps = snapshots(version, 'graceful', 't1')
        stopped = manifest(version, 'graceful')['stopped']
        verdict = evaluate_gate(snaps)
        assert 'meta peer %s offline' % stopped in failed(verdict, 'meta')
        assert 'stream ORDERS: replica %s offline' % stopped in failed(verdict, 'streams')

    def test_quorum_lost_only_when_draining_is_set(self, version):
        # One server already down: stopping a second would leave ORDERS and the meta group without quorum.
        snaps = snapshots(version, 'graceful', 't1')
        stopped = manifest(version, 'graceful')['stopped']
        other = next(n for n in ('n1', 'n2', 'n3') if n != stopped)
        without = evaluate_gate(snaps)
        assert not any(c['name'] == 'quorum' for c in without['checks'])
        verdict = evaluate_gate(snaps, draining=other)
        quorum = failed(verdict, 'quorum')
        assert any(m.startswith('meta group would lose quorum without %s: 1 of 3 current' % other) for m in quorum)
        assert any(m.startswith('stream ORDERS would lose quorum without %s' % other) for m in quorum)

    def test_draining_an_unreachable_server(self, version):
        snaps = snapshots(version, 'graceful', 't1')
        stopped = manifest(version, 'graceful')['stopped']
        assert failed(evaluate_gate(snaps, draining=stopped), 'quorum') == [
            'draining server %s is not among the reachable servers' % stopped]


def test_unreachable_server_without_a_name_keeps_its_url():
    snaps = [NatsServer('http://a:8222', error=REFUSED), NatsServer('http://b:8222', error=REFUSED)]
    verdict = evaluate_gate(snaps)
    assert verdict['problems'] == ['http://a:8222 unreachable (%s)' % REFUSED, 'http://b:8222 unreachable (%s)' % REFUSED]
    assert [s['healthz'] for s in verdict['servers']] == ['unreachable', 'unreachable']
