# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Several fake monitoring ports at once, for discovery: a ``FakeNetwork`` routes each URL to the
FakeNatsServer of its host:port (nothing there: connection refused), and ``recorded_network`` fills
one from the answers every server of a real supercluster gave (tests/unit/fixtures/<version>/
discovery_<scenario>, recorded by record_discovery_fixtures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading

from urllib.parse import urlsplit

from ansible_collections.nats_tools.nats.plugins.module_utils import client
from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeNatsServer,
    NetworkFailure,
    fixture_path,
    load_fixture,
    recorded,
    urllib_failure,
)

VERSIONS = ['2.10.26', '2.15.1']
ENDPOINT_PATHS = {'varz': '/varz', 'routez': '/routez', 'gatewayz': '/gatewayz', 'jsz': '/jsz',
                  'healthz': '/healthz', 'leafz': '/leafz'}


class FakeNetwork:
    """Transport interface (get/close) over FakeNatsServers keyed by host:port.

    ``failures`` maps a host:port to a NetworkFailure kind ('timeout', 'refused', ...)."""

    name = 'fake-network'

    def __init__(self):
        self.servers = {}
        self.failures = {}
        self.requests = []
        self.closed = False
        self._lock = threading.Lock()

    def add(self, url, server):
        self.servers[urlsplit(url).netloc] = server
        return server

    def fail(self, url, kind):
        self.failures[urlsplit(url).netloc] = kind

    def get(self, url, deadline=None):
        parts = urlsplit(url)
        with self._lock:
            self.requests.append(url)
        kind = self.failures.get(parts.netloc)
        server = self.servers.get(parts.netloc)
        try:
            if kind:
                raise NetworkFailure(kind)
            if server is None:
                raise NetworkFailure('refused')
            return server.answer(url)
        except NetworkFailure as failure:
            raise transport.classify_transport_error(url, urllib_failure(failure.kind, url))

    def close(self):
        self.closed = True

    def transport(self, options, pool_size=None):
        """A transport over this network carrying ``options`` (what make_transport gives the
        inventory plugin, which reads ``transport.options``); requests and close go to the network."""
        return NetworkTransport(self, options)

    def netlocs(self):
        """host:port of every request, in order."""
        return [urlsplit(url).netloc for url in self.requests]


class NetworkTransport:
    """One transport (its own TransportOptions) over a shared FakeNetwork."""

    name = 'fake-network'

    def __init__(self, network, options):
        self.network = network
        self.options = options

    def get(self, url, deadline=None):
        return self.network.get(url, deadline=deadline)

    def close(self):
        self.network.close()


def manifest(version, scenario):
    return load_fixture('%s/discovery_%s/MANIFEST.json' % (version, scenario))


def serve_recorded(server, folder):
    """Route every endpoint recorded in ``folder`` (relative to the fixtures)."""
    for name, path in ENDPOINT_PATHS.items():
        if os.path.exists(fixture_path('%s/%s.json' % (folder, name))):
            server.route(path, recorded('%s/%s.json' % (folder, name)))
    return server


def recorded_network(version, scenario, network=None):
    """A FakeNetwork answering at every server's recorded monitoring URL; a server recorded as not
    answering (only ``*.error.txt``) refuses connections."""
    network = network or FakeNetwork()
    info = manifest(version, scenario)
    for name, server in sorted(info['servers'].items()):
        folder = '%s/discovery_%s/%s' % (version, scenario, name)
        if os.path.exists(fixture_path(folder + '/varz.json')):
            network.add(server['monitor_url'], serve_recorded(FakeNatsServer(), folder))
    return network


def url_of(version, scenario, name):
    return manifest(version, scenario)['servers'][name]['monitor_url']


def monitor_factory(network):
    """``monitor_for`` for Discovery: NatsMonitors over the network."""
    return lambda url: client.NatsMonitor(url, transport=network)
