# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Facts shaping (module_utils/facts.py) on answers recorded from real servers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import client
from ansible_collections.nats_tools.nats.plugins.module_utils.facts import (
    facts_subset,
    jetstream_facts,
    shape_facts,
    unavailable_facts,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.gather import read_server
from ansible_collections.nats_tools.nats.plugins.module_utils.server import gateway_names
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.discovery_utils import (
    VERSIONS,
    manifest,
    url_of,
)
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeNatsServer,
    FakeTransport,
    NetworkFailure,
    load_fixture,
    recorded,
)

MIN = ('varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz')
SUMMARY_KEYS = {'available', 'monitor_url', 'server_name', 'server_id', 'version', 'go', 'cluster', 'gateway',
                'connections', 'leafnodes', 'routes', 'gateways', 'healthz', 'healthy', 'jetstream'}


def answers(version, scenario, server, names=MIN):
    folder = '%s/discovery_%s/%s' % (version, scenario, server)
    result = {}
    for name in names:
        status, body = recorded('%s/%s.json' % (folder, name))
        document = load_fixture('%s/%s.json' % (folder, name))
        if name == 'healthz':
            document = dict(document.get('_body', document), http_status=status)
        result[name] = document
    return result


class TestSubset:

    def test_varz_always_first(self):
        assert facts_subset(None) == list(MIN)
        assert facts_subset(['min']) == list(MIN)
        assert facts_subset(['jsz']) == ['varz', 'jsz']
        assert facts_subset(['!varz']) == ['varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz']
        assert facts_subset(['all', '!subsz'])[:7] == list(MIN) + ['connz']

    def test_unknown(self):
        with pytest.raises(ValueError, match="unknown gather_subset 'bogus'"):
            facts_subset(['bogus'])


@pytest.mark.parametrize('version', VERSIONS)
class TestShapeRecorded:

    def test_meta_leader(self, version):
        leader = manifest(version, 'healthy')['meta_leader']
        url = url_of(version, 'healthy', leader)
        facts = shape_facts(url, answers(version, 'healthy', leader))
        assert set(facts) == SUMMARY_KEYS
        varz = load_fixture('%s/discovery_healthy/%s/varz.json' % (version, leader))
        assert facts['available'] is True
        assert facts['monitor_url'] == url
        assert (facts['server_name'], facts['server_id'], facts['version']) == (leader, varz['server_id'], version)
        assert facts['go'] == varz['go'] and facts['go'].startswith('go')
        assert (facts['cluster'], facts['gateway']) == ('A', 'A')
        # eight pooled routes, two peers
        assert facts['routes'] == sorted(set(['a1', 'a2', 'a3']) - {leader})
        assert facts['gateways'] == ['B']
        assert (facts['leafnodes'], facts['healthz'], facts['healthy']) == (0, 'ok', True)
        assert facts['connections'] == varz['connections']
        assert facts['jetstream'] == dict(enabled=True, meta_leader=leader, is_meta_leader=True, meta_cluster_size=3,
                                          streams=0, consumers=0, messages=0, bytes=0)

    def test_follower(self, version):
        leader = manifest(version, 'healthy')['meta_leader']
        follower = next(n for n in ('a1', 'a2', 'a3') if n != leader)
        facts = shape_facts('u', answers(version, 'healthy', follower))
        assert facts['jetstream']['meta_leader'] == leader
        assert facts['jetstream']['is_meta_leader'] is False

    def test_supercluster_has_one_meta_group(self, version):
        # JetStream in both clusters of a 2 x 3 supercluster (fixtures super_healthy, 2.12.8 / 2.15.1).
        for server in ('a1', 'b1'):
            varz = load_fixture('2.15.1/super_healthy/%s/varz.json' % server)
            jsz = load_fixture('2.15.1/super_healthy/%s/jsz.json' % server)
            facts = shape_facts('u', dict(varz=varz, jsz=jsz))
            assert facts['jetstream']['meta_cluster_size'] == 6
            assert facts['jetstream']['meta_leader'] == jsz['meta_cluster']['leader']

    def test_without_jetstream(self, version):
        facts = shape_facts('u', answers(version, 'healthy', 'b1'))
        assert (facts['cluster'], facts['routes'], facts['gateways']) == ('B', ['b2'], ['A'])
        assert facts['jetstream'] == dict(enabled=False, meta_leader=None, is_meta_leader=False, meta_cluster_size=None,
                                          streams=0, consumers=0, messages=0, bytes=0)

    def test_peer_down(self, version):
        facts = shape_facts('u', answers(version, 'peer_down', 'a1'))
        assert facts['routes'] == ['a3']

    def test_standalone_server(self, version):
        folder = '%s/single/' % version
        documents = dict((name, load_fixture(folder + name + '.json')) for name in MIN)
        documents['healthz']['http_status'] = 200
        facts = shape_facts('u', documents)
        assert (facts['cluster'], facts['gateway'], facts['routes'], facts['gateways']) == (None, None, [], [])
        assert facts['jetstream']['enabled'] is True
        assert facts['jetstream']['meta_leader'] is None and facts['jetstream']['is_meta_leader'] is False
        assert facts['jetstream']['streams'] == 1 and facts['jetstream']['messages'] == 10

    def test_only_what_was_gathered(self, version):
        facts = shape_facts('u', answers(version, 'healthy', 'a1', ['varz']))
        assert set(facts) == SUMMARY_KEYS - {'routes', 'gateways', 'healthz', 'healthy', 'jetstream'}


def test_unhealthy():
    status, body = recorded('2.15.1/lame_duck/healthz.500.json')
    facts = shape_facts('u', dict(varz=load_fixture('2.15.1/lame_duck/varz.json'),
                                  healthz=dict(load_fixture('2.15.1/lame_duck/healthz.500.json'), http_status=status)))
    assert (facts['healthz'], facts['healthy']) == ('error', False)
    assert 'ready for connections' in facts['healthz_error']


def test_catching_up_is_unavailable():
    healthz = {'status': 'error', 'http_status': 503, 'error': 'JetStream stream catching up'}
    facts = shape_facts('u', dict(varz={'server_name': 'n1'}, healthz=healthz))
    assert facts['healthz'] == 'unavailable' and facts['healthy'] is False
    assert facts['healthz_error'] == 'JetStream stream catching up'


def test_other_endpoints_whole():
    connz = load_fixture('2.15.1/single/connz.json')
    facts = shape_facts('u', dict(varz=load_fixture('2.15.1/single/varz.json'), connz=connz))
    assert facts['connz'] == connz


def test_jetstream_disabled_by_jsz():
    assert jetstream_facts({'jetstream': {'config': {}}}, {'disabled': True}, 'n1')['enabled'] is False
    assert jetstream_facts(None, None, 'n1')['enabled'] is False


def test_gateway_names():
    assert gateway_names({'outbound_gateways': {'B': {}}, 'inbound_gateways': {'C': [], 'B': []}}) == ['B', 'C']
    assert gateway_names(None) == []


def test_read_server_at_once_and_unavailable():
    server = FakeNatsServer()
    server.route('/varz', NetworkFailure('refused'))
    monitor = client.NatsMonitor('http://nats1:8222', transport=FakeTransport(server))
    outcomes = read_server(monitor, facts_subset(None))
    assert list(outcomes) == list(MIN)
    error = outcomes['varz'][1]
    assert unavailable_facts(monitor.url, error) == dict(
        available=False, monitor_url='http://nats1:8222', error_kind='unreachable',
        reason='http://nats1:8222/varz: connection refused: nothing listens on that port')


def test_read_server_healthz_status_kept():
    server = FakeNatsServer()
    server.route('/varz', {'server_name': 'n1'}).route('/healthz', (503, {'status': 'unavailable'}))
    monitor = client.NatsMonitor('http://nats1:8222', transport=FakeTransport(server))
    outcomes = read_server(monitor, ['varz', 'healthz'])
    assert outcomes['healthz'] == (dict(status='unavailable', http_status=503), None)
