# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nats_gate's main() and ClusterReader over fake monitoring ports serving what every server of a
real 3-node cluster answered (tests/unit/fixtures/<version>/gate_*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
from urllib.parse import urlsplit

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import client
from ansible_collections.nats_tools.nats.plugins.module_utils import module_client
from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.module_utils import waiting
from ansible_collections.nats_tools.nats.plugins.module_utils.gate import ClusterReader
from ansible_collections.nats_tools.nats.plugins.modules import nats_gate
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeNatsServer,
    FakeTransport,
    NetworkFailure,
    answer_from,
    load_fixture,
    run_module,
    run_module_output,
)

URLS = ['http://n1:8222', 'http://n2:8222', 'http://n3:8222']
RETURN_KEYS = {'changed', 'passed', 'checks', 'problems', 'servers', 'meta_leader', 'attempts', 'elapsed'}


class FakeCluster:
    """One FakeNatsServer per host name; a transport that sends each URL to its server."""

    def __init__(self, version, scenario='healthy', moment=None):
        self.servers = dict((name, FakeNatsServer()) for name in ('n1', 'n2', 'n3'))
        for name, server in self.servers.items():
            folder = '/'.join(p for p in ('%s/gate_%s' % (version, scenario), moment, name) if p)
            for endpoint in ('varz', 'routez', 'jsz', 'healthz'):
                server.route('/' + endpoint, answer_from('%s/%s.json' % (folder, endpoint)))
        self.transports = []

    def down(self, name):
        for endpoint in ('/varz', '/routez', '/jsz', '/healthz'):
            self.servers[name].route(endpoint, NetworkFailure('refused'))

    def transport(self, options, prefer='auto', pool_size=None):
        cluster = self

        class Dispatch(FakeTransport):
            def get(self, url, deadline=None):
                # The servers are read concurrently: each request picks its server, no shared state.
                return FakeTransport(cluster.servers[urlsplit(url).hostname]).get(url, deadline=deadline)

        transport = Dispatch(None, options)
        self.transports.append(transport)
        return transport


@pytest.fixture(params=['2.10.26', '2.15.1'])
def cluster(request, monkeypatch):
    fake = FakeCluster(request.param)
    monkeypatch.setattr(module_client, 'make_transport', fake.transport)
    fake.version = request.param
    return fake


@pytest.fixture
def fake_poll(monkeypatch, fake_clock):
    monkeypatch.setattr(waiting, 'poll', functools.partial(waiting.poll, clock=fake_clock.clock,
                                                           sleep=fake_clock.sleep))
    return fake_clock


def monitors_for(cluster):
    """One NatsMonitor per URL, sharing one transport (as NatsModuleClient builds them)."""
    shared = cluster.transport(transport.TransportOptions())
    return [client.NatsMonitor(url, transport=shared) for url in URLS]


def run(args=None, check_mode=False):
    return run_module(nats_gate, dict(dict(urls=URLS, wait=False), **(args or {})), check_mode=check_mode)


def test_healthy_cluster_passes(cluster):
    result = run()
    assert not result.failed, result.msg
    assert set(result.result) == RETURN_KEYS
    assert result.result['changed'] is False
    assert result.result['passed'] is True
    assert result.result['attempts'] == 1
    assert [s['name'] for s in result.result['servers']] == ['n1', 'n2', 'n3']
    assert all(s['version'] == cluster.version for s in result.result['servers'])
    assert result.result['meta_leader'] == load_fixture('%s/gate_healthy/MANIFEST.json' % cluster.version)['meta_leader']
    # Every URL shares one transport (one connection pool).
    assert len(cluster.transports) == 1


def test_check_mode_runs_the_same_checks(cluster):
    normal, checked = run(), run(check_mode=True)
    assert checked.result['passed'] is True
    assert [c['msg'] for c in checked.result['checks']] == [c['msg'] for c in normal.result['checks']]


def test_healthz_spelled_for_the_server_version(cluster):
    run()
    first_healthz = cluster.servers['n1'].queries('/healthz')[0]
    expected = 'js-meta-only' if cluster.version != '2.10.26' else 'js-server-only'
    assert first_healthz == {expected: 'true', 'details': 'true'}
    assert cluster.servers['n1'].queries('/jsz')[0]['streams'] == 'true'


def test_unreachable_server_fails_naming_it(cluster):
    cluster.down('n2')
    result = run(dict(server_names=['n1', 'n2', 'n3']))
    assert result.failed
    assert result.msg.startswith('gate failed after 0.0 s (1 attempt): n2 at http://n2:8222 unreachable '
                                 '(connection refused: nothing listens on that port)')
    assert result.result['passed'] is False
    assert result.result['servers'][1]['healthz'] == 'unreachable'


def test_waits_until_the_cluster_is_safe(cluster, fake_poll):
    cluster.servers['n3'].route_sequence(
        '/varz', NetworkFailure('refused'), NetworkFailure('refused'),
        answer_from('%s/gate_healthy/n3/varz.json' % cluster.version))
    result = run(dict(wait=True, wait_timeout=30, wait_interval=2))
    assert not result.failed, result.msg
    assert result.result['attempts'] == 3
    assert fake_poll.sleeps == [2, 2]


def test_wait_timeout_fails_with_the_last_reasons(cluster, fake_poll):
    cluster.down('n3')
    result = run(dict(wait=True, wait_timeout=5, wait_interval=2))
    assert result.failed
    assert result.msg.startswith('gate failed after 5.0 s (4 attempts): ')
    assert 'http://n3:8222 unreachable' in result.msg


def test_expect_version_and_draining(cluster):
    result = run(dict(expect_version='2.11.11', version_servers=['n2'], draining='n1'))
    assert result.failed
    assert 'n2 runs %s, 2.11.11 expected' % cluster.version in result.result['problems']
    assert any(c['name'] == 'quorum' and c['ok'] for c in result.result['checks'])


@pytest.mark.parametrize('args, message', [
    (dict(urls=['nats://n1:4222']), 'nats://n1:4222: URL must start with http:// or https://'),
    (dict(server_names=['n1']), 'server_names must name one server per URL (1 names, 3 urls)'),
    (dict(expect_servers=0), 'expect_servers must be 1 or more'),
    (dict(max_peer_seen=0), 'max_peer_seen more than 0'),
    (dict(timeout=0), 'timeout must be greater than 0 seconds'),
    (dict(checks=['bogus']), 'value of checks must be one or more of'),
    (dict(version_servers=['n1']), 'version_servers'),
])
def test_invalid_options(cluster, args, message):
    result = run(args)
    assert result.failed
    assert message in result.msg
    assert cluster.servers['n1'].requests == []


def test_password_never_logged(cluster):
    text, result, logged = run_module_output(nats_gate, dict(urls=URLS, wait=False, url_username='ops',
                                                             url_password='s3cret-pw'))
    assert result['passed'] is True
    assert 's3cret-pw' not in text
    assert not any('s3cret-pw' in repr(entry) for entry in logged)


def test_reader_remembers_names_and_versions_between_rounds(cluster):
    monitors = monitors_for(cluster)
    reader = ClusterReader(monitors)
    first = reader.read()
    assert [s.name for s in first] == ['n1', 'n2', 'n3']
    # First round: /varz before /healthz (the version decides its spelling); later rounds ask at once.
    assert len(cluster.servers['n1'].queries('/healthz')) == 1
    cluster.down('n2')
    second = reader.read()
    assert second[1].name == 'n2' and not second[1].reachable
    assert len(cluster.servers['n1'].queries('/healthz')) == 2


def test_reader_asks_healthz_again_when_the_version_changed(cluster, monkeypatch):
    monitors = monitors_for(cluster)
    reader = ClusterReader(monitors)
    reader.read()
    # n1 restarted on another version: its /healthz option is asked again with the new spelling.
    other = '2.15.1' if cluster.version == '2.10.26' else '2.10.26'
    cluster.servers['n1'].route('/varz', answer_from('%s/gate_healthy/n1/varz.json' % other))
    reader.read()
    queries = cluster.servers['n1'].queries('/healthz')
    assert len(queries) == 3
    assert ('js-meta-only' in queries[-1]) == (other != '2.10.26')


def test_restarted_server_is_asked_its_full_healthz(cluster):
    result = run(dict(restarted='n2', server_names=['n1', 'n2', 'n3']))
    assert not result.failed, result.msg
    assert any(c['name'] == 'restarted' and c['ok'] and c['server'] == 'n2' for c in result.result['checks'])
    # Every stream and consumer assigned to it, from its own view: no meta-only option for n2 alone.
    assert cluster.servers['n2'].queries('/healthz')[-1] == {'details': 'true'}
    meta_only = 'js-meta-only' if cluster.version != '2.10.26' else 'js-server-only'
    assert cluster.servers['n1'].queries('/healthz')[-1] == {meta_only: 'true', 'details': 'true'}


def test_restarted_not_among_server_names(cluster):
    result = run(dict(restarted='n9', server_names=['n1', 'n2', 'n3']))
    assert result.failed
    assert result.msg == 'restarted names n9, not among server_names'
    assert cluster.servers['n1'].requests == []


def test_restarted_not_among_the_servers_reached_stops_at_once(cluster, fake_poll):
    result = run(dict(restarted='n9', wait=True, wait_timeout=30))
    assert result.failed
    assert result.result['attempts'] == 1
    assert 'restarted names n9, not among the servers reached (n1, n2, n3)' in result.msg


def test_lagging_replica_waits_then_fails_naming_it(cluster, fake_poll):
    # The leader of ORDERS reports a follower 400 entries behind on every reading: the gate waits,
    # then fails naming that replica (the default bound of 100 tolerates only replication in flight).
    lagging = None
    for name in ('n1', 'n2', 'n3'):
        document = load_fixture('%s/gate_healthy/%s/jsz.json' % (cluster.version, name))
        for account in document['account_details']:
            for stream in account['stream_detail']:
                if stream['name'] == 'ORDERS' and stream['cluster']['leader'] == name:
                    replica = stream['cluster']['replicas'][0]
                    replica.update(current=False, lag=400)
                    lagging = replica['name']
                    cluster.servers[name].route('/jsz', document)
    assert lagging is not None
    result = run(dict(wait=True, wait_timeout=2, wait_interval=0.5))
    assert result.failed
    assert result.result['attempts'] > 1
    assert 'stream ORDERS: replica %s not current (lag 400)' % lagging in result.result['problems']


def _streams_of(server):
    return [stream for account in server.jsz['account_details'] for stream in account['stream_detail']]


def test_reader_keeps_whole_only_the_groups_a_server_leads(cluster):
    reader = ClusterReader(monitors_for(cluster))
    servers = reader.read()
    # /jsz waits for the name the server gives in /varz on the first round, then comes in the same round.
    assert len(cluster.servers['n1'].queries('/jsz')) == 1
    for server in servers:
        for stream in _streams_of(server):
            if stream['cluster']['leader'] == server.name:
                assert set(stream['cluster']) > {'leader'}, server.name
            else:
                assert stream['cluster'] == dict(leader=stream['cluster']['leader'])
    assert any(stream['cluster'].get('replicas') for server in servers for stream in _streams_of(server))
    assert any(set(stream['cluster']) == {'leader'} for server in servers for stream in _streams_of(server))
    reader.read()
    assert len(cluster.servers['n1'].queries('/jsz')) == 2


def test_reader_asks_jsz_again_when_the_name_changed(cluster):
    reader = ClusterReader(monitors_for(cluster))
    reader.read()
    # n1's URL now reaches a server that calls itself n2: its /jsz is read again, cut by that name.
    cluster.servers['n1'].route('/varz', answer_from('%s/gate_healthy/n2/varz.json' % cluster.version))
    cluster.servers['n1'].route('/jsz', answer_from('%s/gate_healthy/n2/jsz.json' % cluster.version))
    servers = reader.read()
    assert len(cluster.servers['n1'].queries('/jsz')) == 3
    assert servers[0].name == 'n2'
    assert [s['cluster'] for s in _streams_of(servers[0])] == [s['cluster'] for s in _streams_of(servers[1])]


def test_reader_cuts_by_the_expected_name_and_reads_again_when_varz_says_otherwise(cluster):
    # server_names given: /jsz comes with the first round already, cut by the name expected there.
    ClusterReader(monitors_for(cluster), names=['n1', 'n2', 'n3']).read()
    assert len(cluster.servers['n1'].queries('/jsz')) == 1
    # Names swapped: the answer cut by the wrong name is not used, /jsz is read again cut by the right one.
    servers = ClusterReader(monitors_for(cluster), names=['n2', 'n1', 'n3']).read()
    assert len(cluster.servers['n1'].queries('/jsz')) == 3
    assert len(cluster.servers['n3'].queries('/jsz')) == 2
    for server in servers:
        for stream in _streams_of(server):
            assert (set(stream['cluster']) > {'leader'}) == (stream['cluster']['leader'] == server.name)
