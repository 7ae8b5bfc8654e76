# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Discovery (module_utils/discovery.py) on what every server of a real supercluster answered:
cluster A (a1 a2 a3, JetStream) + cluster B (b1 b2) linked by gateways, each server on its own
loopback address with the same ports (tests/unit/fixtures/<version>/discovery_*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.nats_tools.nats.plugins.plugin_utils import discovery
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import display_url
from ansible_collections.nats_tools.nats.plugins.plugin_utils.discovery import (
    Discovery,
    configured_gateway_hosts,
    configured_route_hosts,
    gateway_peer_addresses,
    peer_monitor_url,
    route_peer_addresses,
    split_address,
)
from ansible_collections.nats_tools.nats.plugins.plugin_utils.inventory_hosts import (
    client_url,
    group_name,
    inventory_hosts,
    meta_leaders,
)
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.discovery_utils import (
    VERSIONS,
    FakeNetwork,
    manifest,
    monitor_factory,
    recorded_network,
    serve_recorded,
    url_of,
)
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import FakeNatsServer, load_fixture

CLUSTER_A = ['a1', 'a2', 'a3']
EVERYONE = ['a1', 'a2', 'a3', 'b1', 'b2']


def answer(version, scenario, server, endpoint):
    return load_fixture('%s/discovery_%s/%s/%s.json' % (version, scenario, server, endpoint))


def discover(version, scenario='healthy', seeds=('a1',), network=None, **options):
    network = network or recorded_network(version, scenario)
    urls = [url_of(version, scenario, seed) if '://' not in seed else seed for seed in seeds]
    result = Discovery(urls, monitor_factory(network), **options).run()
    return result, network


def names(result):
    return sorted(server.name for server in result.servers)


# ---------------------------------------------------------------------------
# What one server's answers say about its peers
# ---------------------------------------------------------------------------

class TestRoutePeers:

    @pytest.mark.parametrize('version', VERSIONS)
    def test_pooled_routes_give_one_peer_each(self, version):
        routez = answer(version, 'healthy', 'a1', 'routez')
        assert routez['num_routes'] == 8  # 2 peers, pooled (3 + the system account's dedicated route)
        peers = route_peer_addresses(routez)
        assert sorted(p['name'] for p in peers) == ['a2', 'a3']
        assert len(set(p['id'] for p in peers)) == 2
        for peer in peers:
            assert peer['addresses'], peer
            assert len(peer['addresses']) == len(set(peer['addresses']))

    @pytest.mark.parametrize('version', VERSIONS)
    def test_a_peer_may_be_seen_only_at_its_outgoing_address(self, version):
        """The recordings show it: a connection the peer opened carries its source address
        (127.0.0.1 here), not the address its monitoring port listens on."""
        seen = {}
        for server in CLUSTER_A:
            for peer in route_peer_addresses(answer(version, 'healthy', server, 'routez')):
                seen.setdefault(peer['name'], set()).update(peer['addresses'])
        assert any('127.0.0.1' in addresses for addresses in seen.values())

    def test_without_remote_id_the_name_keys_the_peer(self):
        routez = {'routes': [{'remote_name': 'n2', 'ip': '10.0.0.2'}, {'remote_name': 'n2', 'ip': '10.0.0.2'},
                             {'remote_id': 'NID3', 'ip': '10.0.0.3'}, {'ip': '10.0.0.9'}]}
        assert route_peer_addresses(routez) == [
            dict(id=None, name='n2', addresses=['10.0.0.2']),
            dict(id='NID3', name='NID3', addresses=['10.0.0.3']),
        ]

    @pytest.mark.parametrize('routez', [None, {}, {'routes': None}])
    def test_nothing(self, routez):
        assert route_peer_addresses(routez) == []

    @pytest.mark.parametrize('version', VERSIONS)
    def test_configured_routes(self, version):
        varz = answer(version, 'healthy', 'a1', 'varz')
        assert sorted(configured_route_hosts(varz)) == ['127.0.0.11', '127.0.0.12', '127.0.0.13']
        assert sorted(configured_route_hosts(answer(version, 'healthy', 'b2', 'varz'))) == ['127.0.0.21', '127.0.0.22']

    def test_configured_route_spellings(self):
        varz = {'cluster': {'urls': ['nats-route://ruser:secret@nats-1.example.com:6222', '[fd00::2]:6222',
                                     '0.0.0.0:6222', 'nats-1.example.com:6223', '']}}
        assert configured_route_hosts(varz) == ['nats-1.example.com', 'fd00::2']
        assert configured_route_hosts({}) == []

    @pytest.mark.parametrize('version', VERSIONS)
    def test_gateway_peers(self, version):
        peers = gateway_peer_addresses(answer(version, 'healthy', 'a1', 'gatewayz'))
        ids = dict((answer(version, 'healthy', n, 'varz')['server_id'], n) for n in EVERYONE)
        outbound = peers[0]
        assert outbound['gateway'] == 'B'
        # the outbound connection goes to the peer's gateway listener: its own address
        assert outbound['addresses'][0] == manifest(version, 'healthy')['servers'][ids[outbound['id']]]['host']
        assert set(ids[p['id']] for p in peers) <= {'b1', 'b2'}
        assert gateway_peer_addresses(None) == []

    @pytest.mark.parametrize('version', VERSIONS)
    def test_configured_gateways_without_its_own(self, version):
        # nats-server lists a gateway's URLs in no fixed order
        assert sorted(configured_gateway_hosts(answer(version, 'healthy', 'a2', 'varz'))) == [
            ('B', '127.0.0.21'), ('B', '127.0.0.22')]
        assert sorted(configured_gateway_hosts(answer(version, 'healthy', 'b1', 'varz'))) == [
            ('A', '127.0.0.11'), ('A', '127.0.0.12'), ('A', '127.0.0.13')]
        varz = {'gateway': {'name': 'A', 'gateways': [{'name': 'A', 'urls': ['10.0.0.1:7222']},
                                                      {'name': 'B', 'urls': ['nats://10.0.1.1:7222']}]}}
        assert configured_gateway_hosts(varz) == [('B', '10.0.1.1')]


# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------

class TestUrls:

    @pytest.mark.parametrize('host, referrer, options, expected', [
        ('10.0.0.2', 'http://10.0.0.1:8222', {}, 'http://10.0.0.2:8222'),
        ('10.0.0.2', 'https://nats1.example.com:8443/mon/', {}, 'https://10.0.0.2:8443/mon'),
        ('10.0.0.2', 'https://nats1.example.com/mon', {}, 'https://10.0.0.2/mon'),
        ('10.0.0.2', 'http://10.0.0.1:8222', dict(port=9000), 'http://10.0.0.2:9000'),
        ('10.0.0.2', 'http://10.0.0.1:8222', dict(scheme='https'), 'https://10.0.0.2:8222'),
        ('fd00::2', 'http://[fd00::1]:8222', {}, 'http://[fd00::2]:8222'),
        ('nats-2', 'http://user:pw@nats-1:8222', {}, 'http://nats-2:8222'),
    ])
    def test_peer_monitor_url(self, host, referrer, options, expected):
        assert peer_monitor_url(host, referrer, **options) == expected

    def test_display_url_hides_credentials(self):
        assert display_url('http://user:s3cret@nats1:8222/varz') == 'http://nats1:8222/varz'
        assert display_url('http://nats1:8222') == 'http://nats1:8222'

    @pytest.mark.parametrize('text, expected', [
        ('10.0.0.1:6222', ('10.0.0.1', 6222)),
        ('nats-route://u:p@host:6222', ('host', 6222)),
        ('[::1]:6222', ('::1', 6222)),
        ('host', ('host', None)),
        ('host:notaport', ('host', None)),
        ('', ('', None)),
    ])
    def test_split_address(self, text, expected):
        assert split_address(text) == expected

    @pytest.mark.parametrize('varz, expected', [
        ({'host': '127.0.0.11', 'port': 4222}, 'nats://127.0.0.11:4222'),
        ({'host': '0.0.0.0', 'port': 4222}, 'nats://mon.example.com:4222'),
        ({'host': '::', 'port': 4222, 'tls_required': True}, 'tls://mon.example.com:4222'),
        ({}, None),
    ])
    def test_client_url(self, varz, expected):
        assert client_url(varz, 'mon.example.com') == expected

    def test_group_name(self):
        assert group_name('east-1.prod') == 'east_1_prod'
        assert group_name('A') == 'A'


# ---------------------------------------------------------------------------
# The meta leader
# ---------------------------------------------------------------------------

class TestMetaLeaders:

    @pytest.mark.parametrize('version', VERSIONS)
    def test_recorded(self, version):
        views = [(n, answer(version, 'healthy', n, 'jsz')) for n in EVERYONE]
        assert meta_leaders(views) == ([manifest(version, 'healthy')['meta_leader']], [])

    def test_a_follower_naming_a_leader_is_not_one(self):
        assert meta_leaders([('n2', {'meta_cluster': {'leader': 'n1'}})]) == ([], [])

    def test_stale_leader_loses_to_the_one_the_others_name(self):
        views = [('n1', {'meta_cluster': {'leader': 'n1', 'replicas': [{'name': 'n2'}, {'name': 'n3'}]}}),
                 ('n2', {'meta_cluster': {'leader': 'n2', 'replicas': [{'name': 'n1'}, {'name': 'n3'}]}}),
                 ('n3', {'meta_cluster': {'leader': 'n2'}})]
        assert meta_leaders(views) == (['n2'], [])

    def test_a_tie_elects_neither(self):
        views = [('n1', {'meta_cluster': {'leader': 'n1', 'replicas': [{'name': 'n2'}]}}),
                 ('n2', {'meta_cluster': {'leader': 'n2', 'replicas': [{'name': 'n1'}]}})]
        leaders, warnings = meta_leaders(views)
        assert leaders == []
        assert len(warnings) == 2 and 'claim' in warnings[0]

    def test_separate_clusters_have_a_leader_each(self):
        views = [('n1', {'meta_cluster': {'leader': 'n1', 'replicas': [{'name': 'n2'}]}}),
                 ('n2', {'meta_cluster': {'leader': 'n1'}}),
                 ('m1', {'meta_cluster': {'leader': 'm1', 'replicas': [{'name': 'm2'}]}})]
        assert meta_leaders(views) == (['m1', 'n1'], [])

    def test_no_jetstream(self):
        assert meta_leaders([('n1', {'disabled': True}), ('n2', None)]) == ([], [])


# ---------------------------------------------------------------------------
# Discovery over the recorded supercluster
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('version', VERSIONS)
class TestDiscoverRecorded:

    @pytest.mark.parametrize('seed', CLUSTER_A)
    def test_one_seed_finds_its_cluster(self, version, seed):
        result, network = discover(version, seeds=[seed])
        assert names(result) == CLUSTER_A
        assert result.unreachable == [] and result.seed_errors == {} and result.warnings == []
        servers = manifest(version, 'healthy')['servers']
        for server in result.servers:
            assert server.url == servers[server.name]['monitor_url']
            assert server.cluster == 'A' and server.version == version
        # every server read once: one /varz per monitoring port that answers
        varz = [url for url in network.requests if url.endswith('/varz')]
        answering = [url for url in varz if '127.0.0.1:' not in url]
        assert len(answering) == len(set(answering)) == 3
        # no gateway followed, no /gatewayz asked
        assert not any(url.endswith('/gatewayz') for url in network.requests)

    def test_breadth_first_by_rounds(self, version):
        result, network = discover(version)
        # the seed; then every peer at once (its route and configured addresses); then any address
        # the peers' routes add (here the loopback source address, where nothing answers)
        assert result.rounds in (2, 3)
        assert network.requests[0] == url_of(version, 'healthy', 'a1') + '/varz'
        assert result.probed == len(set(url.rsplit('/', 1)[0] for url in network.requests))

    def test_gateways_lead_to_the_other_cluster(self, version):
        result, _network = discover(version, discover_gateways=True)
        assert names(result) == EVERYONE
        assert dict((s.name, s.cluster) for s in result.servers) == dict(a1='A', a2='A', a3='A', b1='B', b2='B')
        assert result.unreachable == [] and result.warnings == []

    @pytest.mark.parametrize('seed', ['b1', 'b2'])
    def test_from_the_other_side(self, version, seed):
        result, _network = discover(version, seeds=[seed], discover_gateways=True)
        assert names(result) == EVERYONE
        result, _network = discover(version, seeds=[seed])
        assert names(result) == ['b1', 'b2']

    def test_duplicate_seeds_and_peers_are_one_host_each(self, version):
        a1 = url_of(version, 'healthy', 'a1')
        result, network = discover(version, seeds=[a1, a1 + '/', 'a2', 'a3'], discover_gateways=True)
        assert names(result) == EVERYONE
        assert len([s for s in result.servers if s.name == 'a1']) == 1
        assert network.requests.count(a1 + '/varz') == 1

    def test_without_routes_only_the_seeds(self, version):
        result, network = discover(version, seeds=['a1', 'b2'], discover_routes=False)
        assert names(result) == ['a1', 'b2']
        assert not any(url.endswith('/routez') for url in network.requests)

    def test_peer_down_is_reported_by_its_configured_address(self, version):
        """A SIGKILLed server leaves every /routez at once; its configured route remains."""
        result, _network = discover(version, 'peer_down')
        assert names(result) == ['a1', 'a3']
        assert len(result.unreachable) == 1
        peer = result.unreachable[0]
        assert (peer.name, peer.address, peer.cluster) == ('127.0.0.12', '127.0.0.12', 'A')
        assert peer.url == url_of(version, 'peer_down', 'a2')
        assert 'connection refused' in peer.reason and peer.reason.startswith(peer.url + '/varz')
        assert peer.origin.startswith('configured route of ')

    def test_peer_down_with_gateways(self, version):
        result, _network = discover(version, 'peer_down', seeds=['b1'], discover_gateways=True)
        assert names(result) == ['a1', 'a3', 'b1', 'b2']
        assert [(p.name, p.cluster) for p in result.unreachable] == [('127.0.0.12', 'A')]

    def test_monitoring_port_hung_route_peer_is_named(self, version):
        """Routes still up (a SIGSTOPped server, a firewalled monitoring port): the peer keeps its name."""
        network = recorded_network(version, 'healthy')
        network.fail(url_of(version, 'healthy', 'a2'), 'read_timeout')
        result, _network = discover(version, network=network)
        assert names(result) == ['a1', 'a3']
        peer = result.unreachable[0]
        assert len(result.unreachable) == 1
        assert (peer.name, peer.cluster, peer.url) == ('a2', 'A', url_of(version, 'healthy', 'a2'))
        assert peer.id == answer(version, 'healthy', 'a2', 'varz')['server_id']
        assert 'timed out' in peer.reason

    def test_wrong_monitor_port_every_peer_unreachable_by_name(self, version):
        result, _network = discover(version, monitor_port=1)
        assert names(result) == ['a1']
        unreachable = sorted(p.name for p in result.unreachable)
        assert all(p.url.endswith(':1') for p in result.unreachable)
        # Both peers by name. Where a1 saw them only at their loopback source address (2.15.1 run),
        # their configured addresses cannot be told apart and are listed too: one host too many
        # rather than one left out.
        if any('127.0.0.1' in p['addresses'] for p in route_peer_addresses(answer(version, 'healthy', 'a1', 'routez'))):
            assert unreachable == ['127.0.0.12', '127.0.0.13', 'a2', 'a3']
        else:
            assert unreachable == ['a2', 'a3']

    def test_seed_unreachable(self, version):
        result, _network = discover(version, seeds=['http://127.0.0.99:19801', 'a1'])
        assert list(result.seed_errors) == ['http://127.0.0.99:19801']
        assert result.seed_errors['http://127.0.0.99:19801'].kind == 'unreachable'
        assert names(result) == CLUSTER_A

    def test_a_stranger_at_a_peer_address_is_ignored(self, version):
        """Something else answers where a configured route points: not taken, and said so."""
        network = recorded_network(version, 'healthy')
        a3 = url_of(version, 'healthy', 'a3')
        network.add(a3, serve_recorded(FakeNatsServer(), '2.15.1/single'.replace('2.15.1', version)))
        result, _network = discover(version, network=network)
        assert names(result) == ['a1', 'a2']
        assert [p.name for p in result.unreachable] == ['a3']
        assert 'answers as' in result.unreachable[0].reason
        assert any('not part of this deployment' in w for w in result.warnings)

    def test_a_failing_endpoint_other_than_varz_is_a_warning(self, version):
        network = recorded_network(version, 'healthy')
        network.servers[url_of(version, 'healthy', 'a1').split('//')[1]].route('/jsz', (500, 'boom'))
        result, _network = discover(version, network=network)
        assert names(result) == CLUSTER_A
        assert len(result.warnings) == 1 and 'jsz not read' in result.warnings[0] and 'HTTP 500' in result.warnings[0]


def test_not_a_nats_server():
    network = FakeNetwork()
    network.add('http://10.0.0.1:8222', FakeNatsServer().route('/varz', {'hello': 'world'}))
    result = Discovery(['http://10.0.0.1:8222'], monitor_factory(network)).run()
    assert 'names no server' in str(result.seed_errors['http://10.0.0.1:8222'])


def test_invalid_seed_url():
    result = Discovery(['ftp://x'], monitor_factory(FakeNetwork())).run()
    assert 'http://' in str(result.seed_errors['ftp://x'])


def test_a_stranger_becomes_a_peer_once_expected():
    """A URL answering as a server nobody named yet is kept, and taken when a later route names it."""
    n1 = dict(server_id='ID1', server_name='n1', cluster=dict(name='c', urls=['10.0.0.1:6222']))
    n2 = dict(server_id='ID2', server_name='n2', cluster=dict(name='other'))
    network = FakeNetwork()
    network.add('http://10.0.0.1:8222', FakeNatsServer().route('/varz', n1).route(
        '/routez', {'routes': [{'remote_id': 'ID3', 'remote_name': 'n3', 'ip': '10.0.0.3'}]}))
    network.add('http://10.0.0.3:8222', FakeNatsServer().route('/varz', dict(
        server_id='ID3', server_name='n3', cluster=dict(name='c', urls=['10.0.0.2:6222']))).route(
        '/routez', {'routes': [{'remote_id': 'ID2', 'remote_name': 'n2', 'ip': '10.0.0.9'}]}))
    # n2 lives at 10.0.0.2 (a configured route of n3) but calls its cluster differently: only the
    # route from n3 (whose address 10.0.0.9 is wrong) says it belongs.
    network.add('http://10.0.0.2:8222', FakeNatsServer().route('/varz', n2))
    result = Discovery(['http://10.0.0.1:8222'], monitor_factory(network)).run()
    assert names(result) == ['n1', 'n2', 'n3']
    assert result.unreachable == []


def test_pairing_a_named_peer_with_its_configured_address():
    named = [discovery.Unreachable('n2', 'http://10.9.9.9:8222', '10.9.9.9', 'refused', 'route of n1',
                                   server_id='ID2', cluster='c')]
    addresses = [discovery.Unreachable('10.0.0.2', 'http://10.0.0.2:8222', '10.0.0.2', 'timed out',
                                       'configured route of n1', cluster='c')]
    merged = discovery.pair_unreachable(copy.deepcopy(named), addresses)
    assert [(p.name, p.address, p.url, p.id) for p in merged] == [('n2', '10.0.0.2', 'http://10.0.0.2:8222', 'ID2')]
    assert merged[0].reason == 'timed out; refused'
    # two of each: which is which cannot be told, so both kinds stay (one host too many, none left out)
    two_named = named + [discovery.Unreachable('n3', None, None, 'x', 'route of n1', server_id='ID3', cluster='c')]
    two_addresses = addresses + [discovery.Unreachable('10.0.0.3', 'u', '10.0.0.3', 'y', 'configured', cluster='c')]
    assert len(discovery.pair_unreachable(copy.deepcopy(two_named), two_addresses)) == 4
    # another cluster's address is not this peer's
    other = [discovery.Unreachable('10.1.0.2', 'u', '10.1.0.2', 'y', 'configured', cluster='d')]
    assert [p.name for p in discovery.pair_unreachable(copy.deepcopy(named), other)] == ['n2', '10.1.0.2']


# ---------------------------------------------------------------------------
# Inventory hosts and groups
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('version', VERSIONS)
def test_inventory_hosts(version):
    result, _network = discover(version, discover_gateways=True)
    entries, warnings = inventory_hosts(result)
    assert warnings == []
    assert [e['name'] for e in entries] == EVERYONE
    leader = manifest(version, 'healthy')['meta_leader']
    servers = manifest(version, 'healthy')['servers']
    for entry in entries:
        hostvars, name = entry['vars'], entry['name']
        assert hostvars['ansible_host'] == servers[name]['host']
        assert hostvars['nats_monitor_url'] == hostvars['nats_rolling_upgrade_monitor_url'] == servers[name]['monitor_url']
        assert hostvars['nats_client_url'] == 'nats://%s:%d' % (servers[name]['host'], servers[name]['ports']['client'])
        assert hostvars['nats_version'] == version
        assert hostvars['nats_reachable'] is True
        assert hostvars['nats_is_meta_leader'] is (name == leader)
        assert hostvars['nats_jetstream'] is name.startswith('a')
        assert hostvars['nats_gateway'] == hostvars['nats_cluster'] == name[0].upper()
        expected = ['nats', 'nats_cluster_%s' % name[0].upper()] + (['nats_meta_leader'] if name == leader else [])
        assert entry['groups'] == expected


@pytest.mark.parametrize('version', VERSIONS)
def test_inventory_hosts_unreachable(version):
    result, _network = discover(version, 'peer_down')
    entries, _warnings = inventory_hosts(result)
    down = [e for e in entries if not e['vars']['nats_reachable']]
    assert [e['name'] for e in down] == ['127.0.0.12']
    assert down[0]['groups'] == ['nats', 'nats_cluster_A', 'nats_unreachable']
    assert down[0]['vars']['nats_monitor_url'] == url_of(version, 'peer_down', 'a2')
    assert down[0]['vars']['nats_version'] is None
    assert 'connection refused' in down[0]['vars']['nats_unreachable_reason']


def test_inventory_hosts_same_name_twice():
    result = discovery.DiscoveryResult()
    for server_id, host in (('IDAAAAAAAAA1', '10.0.0.1'), ('IDBBBBBBBBB2', '10.0.0.2')):
        result.servers.append(discovery.found_server('http://%s:8222' % host, dict(varz=dict(
            server_id=server_id, server_name='nats', version='2.10.26')), {}, 'seed'))
    entries, warnings = inventory_hosts(result)
    assert [e['name'] for e in entries] == ['nats', 'nats_IDBBBBBB']
    assert 'two servers are named nats' in warnings[0]
    assert entries[0]['groups'] == ['nats']


def test_inventory_hosts_without_credentials_of_a_seed():
    result = discovery.DiscoveryResult()
    result.servers.append(discovery.found_server('http://ops:s3cret@10.0.0.1:8222', dict(varz=dict(
        server_id='ID1', server_name='n1', version='2.10.26')), {}, 'seed'))
    entries, _warnings = inventory_hosts(result)
    assert entries[0]['vars']['nats_monitor_url'] == 'http://10.0.0.1:8222'
    assert 's3cret' not in repr(entries)
