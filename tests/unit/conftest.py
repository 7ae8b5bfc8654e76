# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures shared by the unit tests (helpers live in plugins/modules/utils.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import module_client
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeClock,
    FakeNatsServer,
    FakeTransport,
    install_http_backend,
)


@pytest.fixture
def nats_server():
    """A fake monitoring port with nothing routed (every path answers Go's 404)."""
    return FakeNatsServer()


@pytest.fixture(params=['requests', 'open_url'])
def http_backend(request, nats_server, monkeypatch):
    """The real requests or open_url transport, its library call served by ``nats_server``."""
    return install_http_backend(request.param, nats_server, monkeypatch)


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def module_server(nats_server, monkeypatch):
    """``nats_server`` behind every client a module builds (module_client.make_transport is replaced).

    ``module_server.transports`` lists the FakeTransports made, with the
    TransportOptions each got."""
    nats_server.transports = []

    def make_transport(options, prefer='auto', pool_size=None):
        transport = FakeTransport(nats_server, options)
        nats_server.transports.append(transport)
        return transport

    monkeypatch.setattr(module_client, 'make_transport', make_transport)
    return nats_server
