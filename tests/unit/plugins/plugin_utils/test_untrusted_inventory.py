# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What servers report never becomes code, a path or a leaked credential in the inventory:
host names are validated, values marked unsafe, credentials sent only to trusted hosts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import socket

import pytest

from ansible.utils.unsafe_proxy import AnsibleUnsafe

try:  # ansible-core 2.19+: data tagging; nothing is a template unless trusted as one
    from ansible.template import is_trusted_as_template, trust_as_template
except ImportError:  # 2.16-2.18: strings are templates unless wrapped as AnsibleUnsafe
    is_trusted_as_template = trust_as_template = None

from ansible_collections.nats_tools.nats.plugins.inventory.nats import TrustedHosts
from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import TransportOptions, make_transport
from ansible_collections.nats_tools.nats.plugins.plugin_utils.discovery import Discovery
from ansible_collections.nats_tools.nats.plugins.plugin_utils.inventory_hosts import inventory_hosts, usable_host_name
from ansible_collections.nats_tools.nats.plugins.plugin_utils.unsafe import make_unsafe
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.hostile import HostileServer

SECRET = 'n0t-to-be-seen'
INJECTION = "{{ lookup('pipe', 'touch /tmp/nats-injected') }}"


@pytest.mark.parametrize('name, usable', [
    ('n1', True), ('nats-1.example.com', True), ('a1_b:2', True),
    (INJECTION, False), ('{{x}}', False), ('../../../../x', False), ('a/b', False), ('a b', False),
    ('a\x1b[31m', False), ('x' * 255, True), ('x' * 256, False), ('', False), ('..', False), (None, False),
])
def test_usable_host_name(name, usable):
    assert usable_host_name(name) is usable


def unsafe(text):
    if is_trusted_as_template is not None:
        return not is_trusted_as_template(text)
    return isinstance(text, AnsibleUnsafe)


def test_make_unsafe_marks_every_string():
    if trust_as_template is not None:
        injection = trust_as_template(INJECTION)  # even text a caller trusted loses that trust
        assert not unsafe(injection)
    else:
        injection = INJECTION
    value = make_unsafe(dict(name=injection, nested=[injection, dict(k=injection)], number=3, flag=True, none=None))
    assert unsafe(value['name'])
    assert unsafe(value['nested'][0])
    assert unsafe(value['nested'][1]['k'])
    assert all(unsafe(key) for key in value)
    assert value['number'] == 3 and value['flag'] is True and value['none'] is None


@pytest.mark.parametrize('patterns, url, trusted', [
    ([], 'http://127.0.3.1:8222', True),            # a seed's host
    ([], 'http://127.0.3.2:8222', False),
    (['127.0.3.0/24'], 'http://127.0.3.2:8222', True),
    (['127.0.4.0/24'], 'http://127.0.3.2:8222', False),
    (['*.nats.example.com'], 'http://n2.nats.example.com:8222', True),
    (['*.nats.example.com'], 'http://n2.evil.example.com:8222', False),
])
def test_trusted_hosts(patterns, url, trusted):
    assert TrustedHosts(['http://127.0.3.1:8222'], patterns)(url) is trusted


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def nats(server_id, name, peers, **extra):
    return dict(dict(server_id=server_id, server_name=name, version='2.15.1', cluster='C', jetstream=False,
                     routes=[dict(remote_id=i, remote_name=n, ip=ip) for i, n, ip in peers]), **extra)


@pytest.fixture
def pair():
    """A seed on 127.0.3.1 whose route names a peer on 127.0.3.2 (same port); the peer's name is hostile."""
    port = free_port()
    seed = HostileServer('127.0.3.1', port, nats=nats('NSEED', 's1', [('NPEER', INJECTION, '127.0.3.2')])).start()
    peer = HostileServer('127.0.3.2', port, nats=nats('NPEER', INJECTION, [('NSEED', 's1', '127.0.3.1')])).start()
    yield seed, peer
    seed.stop()
    peer.stop()


def discover(seed, patterns=(), **kwargs):
    options = TransportOptions(timeout=2, username='ops', password=SECRET, headers={'X-Api-Key': SECRET})
    trusted = TrustedHosts([seed.url], list(patterns))
    with_credentials = make_transport(options)
    without = make_transport(options.without_credentials())
    try:
        return Discovery([seed.url], lambda url: NatsMonitor(url, transport=with_credentials if trusted(url) else without),
                         trusted=trusted, **kwargs).run()
    finally:
        with_credentials.close()
        without.close()


def credentials_seen(server):
    seen = []
    for request in server.requests:
        headers = dict((k.lower(), v) for k, v in request['headers'].items())
        seen.append((headers.get('authorization'), headers.get('x-api-key')))
    return seen


def test_credentials_only_to_trusted_hosts(pair):
    seed, peer = pair
    result = discover(seed)
    assert sorted(s.id for s in result.servers) == ['NPEER', 'NSEED']
    basic = 'Basic ' + base64.b64encode(('ops:' + SECRET).encode()).decode()
    assert set(credentials_seen(seed)) == {(basic, SECRET)}
    assert set(credentials_seen(peer)) == {(None, None)}


def test_credential_hosts_extend_the_trust(pair):
    seed, peer = pair
    discover(seed, patterns=['127.0.3.0/24'])
    assert all(auth is not None for auth, _key in credentials_seen(peer))


def test_a_peer_refusing_without_credentials_is_named(pair):
    seed, peer = pair
    peer.set('*', dict(kind='auth', status=401))
    result = discover(seed)
    assert any('127.0.3.2' in w and 'add its host to credential_hosts' in w for w in result.warnings)


def test_max_servers_stops_discovery(pair):
    seed, _peer = pair
    result = discover(seed, max_servers=1)
    assert [s.id for s in result.servers] == ['NSEED']
    assert any('max_servers' in w for w in result.warnings)


def test_max_servers_holds_within_a_round():
    # One seed whose routes name four peers: with max_servers 2, one round must not read all four.
    port = free_port()
    peers = [('NPEER%d' % n, 'p%d' % n, '127.0.3.%d' % (10 + n)) for n in range(4)]
    started = [HostileServer('127.0.3.1', port, nats=nats('NSEED', 's1', peers)).start()]
    for server_id, name, address in peers:
        started.append(HostileServer(address, port, nats=nats(server_id, name, [('NSEED', 's1', '127.0.3.1')])).start())
    try:
        result = discover(started[0], max_servers=2)
    finally:
        for server in started:
            server.stop()
    assert len(result.servers) == 2
    assert result.unreachable == []
    assert any('max_servers (2)' in w for w in result.warnings)
    assert sum(1 for server in started[1:] if server.requests) == 1


def test_hostile_name_becomes_the_server_id(pair):
    seed, _peer = pair
    entries, warnings = inventory_hosts(discover(seed))
    names = sorted(e['name'] for e in entries)
    assert names == ['NPEER', 's1']
    assert any('is not a usable host name' in w and 'host NPEER is used instead' in w for w in warnings)
    peer_entry = [e for e in entries if e['name'] == 'NPEER'][0]
    assert peer_entry['vars']['nats_server_name'] == INJECTION  # kept as data, marked unsafe by the plugin
