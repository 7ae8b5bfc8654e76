# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory plugin nats_tools.nats.nats, parsing configuration files, over the answers every
server of a real supercluster gave (fake network, tests/unit/fixtures/<version>/discovery_*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

import pytest
import yaml

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.discovery_utils import (
    VERSIONS,
    manifest,
    recorded_network,
    url_of,
)

VERSION = VERSIONS[-1]


class Run:
    """One parse: the inventory, the warnings displayed, the network used."""

    def __init__(self, inventory, warnings, network, plugin):
        self.inventory = inventory
        self.warnings = warnings
        self.network = network
        self.plugin = plugin

    def group(self, name):
        group = self.inventory.groups.get(name)
        return sorted(h.name for h in group.get_hosts()) if group else None

    def hostvars(self, name):
        return self.inventory.get_host(name).get_vars()


@pytest.fixture
def parse(tmp_path, monkeypatch):
    """parse(config, network=None, name=..., plugin=None, cache=False, ..., factory=None) -> Run."""

    def run(config, network=None, name='test.nats.yml', plugin=None, cache=False, version=VERSION,
            scenario='healthy', factory=None):
        network = network if network is not None else recorded_network(version, scenario)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict(dict(plugin='nats_tools.nats.nats'), **config)))
        plugin = plugin or inventory_loader.get('nats_tools.nats.nats')
        plugin.transport_factory = factory or network.transport
        warnings = []
        monkeypatch.setattr(sys.modules[type(plugin).__module__].display, 'warning',
                            lambda msg, *args, **kwargs: warnings.append(msg))
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        return Run(inventory, warnings, network, plugin)
    return run


def seed(name='a1', version=VERSION, scenario='healthy'):
    return [url_of(version, scenario, name)]


@pytest.mark.parametrize('name, accepted', [
    ('nats.yml', True), ('prod.nats.yaml', True), ('my_nats.yml', True), ('nats.json', False),
    ('inventory.yml', False), ('nats.yml.bak', False),
])
def test_verify_file(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text('plugin: nats_tools.nats.nats\n')
    assert inventory_loader.get('nats_tools.nats.nats').verify_file(str(path)) is accepted


@pytest.mark.parametrize('version', VERSIONS)
def test_one_seed_its_cluster(parse, version):
    run = parse(dict(urls=seed(version=version)), version=version)
    assert run.group('nats') == ['a1', 'a2', 'a3']
    assert run.group('nats_cluster_A') == ['a1', 'a2', 'a3']
    leader = manifest(version, 'healthy')['meta_leader']
    assert run.group('nats_meta_leader') == [leader]
    assert run.group('nats_unreachable') is None
    assert run.warnings == []
    servers = manifest(version, 'healthy')['servers']
    for name in ('a1', 'a2', 'a3'):
        hostvars = run.hostvars(name)
        assert hostvars['ansible_host'] == servers[name]['host']
        assert hostvars['nats_monitor_url'] == hostvars['nats_rolling_upgrade_monitor_url'] == servers[name]['monitor_url']
        assert hostvars['nats_version'] == version and hostvars['nats_cluster'] == 'A'
        assert hostvars['nats_jetstream'] is True and hostvars['nats_reachable'] is True
        assert hostvars['nats_is_meta_leader'] is (name == leader)
        assert hostvars['nats_client_url'] == 'nats://%s:%d' % (servers[name]['host'], servers[name]['ports']['client'])
        assert hostvars['nats_server_id'] and hostvars['nats_server_name'] == name
    assert run.network.closed


def test_gateways(parse):
    run = parse(dict(urls=seed(), discover_gateways=True))
    assert run.group('nats') == ['a1', 'a2', 'a3', 'b1', 'b2']
    assert run.group('nats_cluster_B') == ['b1', 'b2']
    assert len(run.group('nats_meta_leader')) == 1
    assert run.hostvars('b1')['nats_jetstream'] is False


def test_constructable(parse):
    run = parse(dict(
        urls=seed(), discover_gateways=True,
        keyed_groups=[dict(key='nats_version', prefix='nats_version'), dict(key='nats_cluster', prefix='c')],
        groups=dict(jetstream='nats_jetstream', leader_or_b='nats_is_meta_leader or nats_cluster == "B"'),
        compose=dict(ansible_connection='"local"', short='nats_server_id[:4]')))
    assert run.group('nats_version_2_15_1') == ['a1', 'a2', 'a3', 'b1', 'b2']
    assert run.group('c_A') == ['a1', 'a2', 'a3'] and run.group('c_B') == ['b1', 'b2']
    assert run.group('jetstream') == ['a1', 'a2', 'a3']
    assert run.group('leader_or_b') == sorted(run.group('nats_meta_leader') + ['b1', 'b2'])
    assert run.hostvars('a1')['ansible_connection'] == 'local'
    assert run.hostvars('a1')['short'] == run.hostvars('a1')['nats_server_id'][:4]


def test_strict_keyed_group_on_an_unreachable_host(parse):
    config = dict(urls=seed(scenario='peer_down'), keyed_groups=[dict(key='nats_version', prefix='v')])
    run = parse(config, scenario='peer_down')
    assert run.group('v_' + VERSION.replace('.', '_')) == ['a1', 'a3']
    with pytest.raises(AnsibleError):
        parse(dict(config, strict=True), scenario='peer_down')


@pytest.mark.parametrize('version', VERSIONS)
def test_peer_down_is_a_warning_and_a_host(parse, version):
    run = parse(dict(urls=seed(version=version, scenario='peer_down')), version=version, scenario='peer_down')
    assert run.group('nats') == ['127.0.0.12', 'a1', 'a3']
    assert run.group('nats_unreachable') == ['127.0.0.12']
    assert run.group('nats_cluster_A') == ['127.0.0.12', 'a1', 'a3']
    hostvars = run.hostvars('127.0.0.12')
    assert hostvars['nats_reachable'] is False
    assert hostvars['nats_rolling_upgrade_monitor_url'] == url_of(version, 'peer_down', 'a2')
    assert 'connection refused' in hostvars['nats_unreachable_reason']
    assert len(run.warnings) == 1
    assert 'server 127.0.0.12' in run.warnings[0] and 'nats_reachable=false' in run.warnings[0]


def test_hung_peer_keeps_its_name(parse):
    network = recorded_network(VERSION, 'healthy')
    network.fail(url_of(VERSION, 'healthy', 'a2'), 'read_timeout')
    run = parse(dict(urls=seed(), timeout=1), network=network)
    assert run.group('nats_unreachable') == ['a2']
    assert run.hostvars('a2')['nats_server_name'] == 'a2'
    assert 'timed out' in run.hostvars('a2')['nats_unreachable_reason']
    assert any('server a2' in w for w in run.warnings)


def test_unreachable_seed_is_an_error_naming_it(parse):
    with pytest.raises(AnsibleParserError) as error:
        parse(dict(urls=['http://127.0.0.99:19801'] + seed()))
    assert 'cannot read seed http://127.0.0.99:19801' in str(error.value)
    assert 'connection refused' in str(error.value)


@pytest.mark.parametrize('config, message', [
    (dict(urls=[]), 'urls needs at least one seed'),
    (dict(urls=['nats1:8222']), 'seed nats1:8222: URL must start with http'),
    (dict(urls=['http://u:pw@nats1:8222?x=1']), 'seed http://nats1:8222?x=1: URL must not carry a query'),
    (dict(urls=['http://nats1:8222'], timeout=0), 'timeout must be greater than 0'),
    (dict(urls=['http://nats1:8222'], url_password='x'), 'url_password needs url_username'),
    (dict(urls=['http://nats1:8222'], monitor_port=70000), 'monitor_port must be 1 to 65535'),
])
def test_bad_configuration(parse, config, message):
    with pytest.raises(AnsibleParserError, match=message.replace('?', r'\?')):
        parse(config)


def test_password_sent_never_displayed(parse):
    password = 'n0t-sh0wn-in-inventory-91'
    network = recorded_network(VERSION, 'peer_down')
    seen = []

    def factory(options, pool_size=None):
        seen.append(options)
        return network.transport(options, pool_size)
    config = dict(urls=seed(scenario='peer_down'), url_username='ops', url_password=password)
    run = parse(config, network=network, scenario='peer_down', factory=factory)
    # the transport got the password (the first one made: the one for the seeds' hosts; a second one,
    # without credentials, reads other hosts); nothing displayed or stored has it
    assert seen[0].password == password and seen[0].username == 'ops'
    assert run.warnings
    assert password not in repr(run.warnings)
    for host in run.inventory.hosts.values():
        assert password not in repr(host.get_vars())


def test_monitor_port_and_scheme(parse):
    run = parse(dict(urls=seed(), monitor_port=1, monitor_scheme='https'))
    down = run.group('nats_unreachable')
    assert 'a2' in down and 'a3' in down
    assert run.hostvars('a2')['nats_monitor_url'].startswith('https://') and \
        run.hostvars('a2')['nats_monitor_url'].endswith(':1')


def test_cache(parse, tmp_path):
    """--flush-cache (cache=False) discovers and stores; the next run reads the cache, no request made."""
    config = dict(urls=seed(), cache=True, cache_plugin='ansible.builtin.jsonfile',
                  cache_connection=str(tmp_path / 'cache'))
    first = parse(config, cache=False)
    assert first.network.requests
    first.plugin.update_cache_if_changed()  # what the inventory manager does after parse
    cached_network = recorded_network(VERSION, 'healthy')
    second = parse(config, network=cached_network, cache=True)
    assert cached_network.requests == []
    assert second.group('nats') == ['a1', 'a2', 'a3']
    assert second.group('nats_meta_leader') == first.group('nats_meta_leader')
    assert second.hostvars('a1')['nats_monitor_url'] == url_of(VERSION, 'healthy', 'a1')
    # without a cache entry yet, cache=True discovers
    fresh = parse(dict(config, cache_connection=str(tmp_path / 'other')), cache=True)
    assert fresh.network.requests and fresh.group('nats') == ['a1', 'a2', 'a3']
