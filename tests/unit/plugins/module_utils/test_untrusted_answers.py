# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A monitoring port is untrusted: the client bounds time and size, refuses redirects to other
hosts, names authentication failures, checks shapes and does not trust paging totals.

Each test runs over both real transports (requests and open_url) against hostile fake servers
on real sockets (127.0.0.1, tests/integration/targets/setup_hostile/files/hostile_server.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.module_utils.client import MAX_PAGES, NatsMonitor
from ansible_collections.nats_tools.nats.plugins.module_utils.errors import (
    AuthenticationFailed,
    InvalidResponse,
    MonitorError,
    RedirectRefused,
    RequestTimeout,
    ResponseTooLarge,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import TransportOptions
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.hostile import HostileServer

SECRET = 'n0t-to-be-seen'
NATS = dict(server_id='NHOSTILE', server_name='h1', version='2.15.1', cluster='C')


@pytest.fixture(params=['requests', 'open_url'])
def make_monitor(request):
    """A NatsMonitor over the real transport of the parameter (closed after the test)."""
    made = []

    def make(url, **options):
        opts = TransportOptions(**dict(dict(timeout=2), **options))
        kind = transport.RequestsTransport if request.param == 'requests' else transport.OpenUrlTransport
        monitor = NatsMonitor(url, options=opts, transport=kind(opts))
        made.append(monitor)
        return monitor
    make.transport = request.param
    yield make
    for monitor in made:
        monitor.close()


@pytest.fixture
def hostile():
    """Start HostileServers; every one is stopped after the test, also when it fails."""
    started = []

    def start(**kwargs):
        server = HostileServer('127.0.0.1', **kwargs).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def error_of(call):
    with pytest.raises(MonitorError) as info:
        call()
    return info.value


class TestTime:

    def test_dripping_body_ends_at_the_deadline(self, make_monitor, hostile):
        server = hostile(behaviours={'/varz': dict(kind='drip', rate=2)})
        error = error_of(make_monitor(server.url, timeout=1).varz)
        assert isinstance(error, RequestTimeout)
        assert str(error) == '%s/varz: timed out: no complete answer within 1 s' % server.url

    def test_stalled_server_ends_at_the_deadline(self, make_monitor, hostile):
        server = hostile(behaviours={'/varz': dict(kind='stall')})
        assert isinstance(error_of(make_monitor(server.url, timeout=1).varz), RequestTimeout)

    def test_a_past_deadline_sends_nothing(self, make_monitor, hostile):
        server = hostile(nats=NATS)
        monitor = make_monitor(server.url)
        monitor.deadline = 0  # long past (time.monotonic())
        error = error_of(monitor.varz)
        assert isinstance(error, RequestTimeout) and 'wait_timeout' in str(error)
        assert server.requests == []


class TestSize:

    @pytest.mark.parametrize('framing', ['length', 'close', 'chunked'])
    def test_huge_body_stops_at_the_cap(self, make_monitor, hostile, framing):
        server = hostile(behaviours={'/varz': dict(kind='huge', size=50 * 1024 * 1024, framing=framing)})
        error = error_of(make_monitor(server.url, max_response_bytes=1024 * 1024, timeout=5).varz)
        assert isinstance(error, ResponseTooLarge)
        assert 'answer larger than max_response_bytes (1048576 bytes)' in str(error)

    def test_pages_together_are_capped(self, make_monitor, hostile):
        # Every page is small, the list as a whole is not: 3 pages of ~40 kB against a 100 kB cap.
        item = dict(name='x' * 400)
        server = hostile(nats=NATS, behaviours={'/connz': dict(kind='paged_lie', total=300, per_page=100, item=item)})
        monitor = make_monitor(server.url, max_response_bytes=100 * 1000)
        error = error_of(lambda: monitor.get_paged('connz', page_size=100))
        assert isinstance(error, ResponseTooLarge) and 'together' in str(error)


class TestTruncatedBody:

    def test_body_shorter_than_its_length_is_not_an_answer(self, make_monitor, hostile):
        # Content-Length says 1,000 bytes more than are sent, then the connection closes.
        server = hostile(behaviours={'/varz': dict(kind='wrong_length', body=dict(server_id='SHORT'))})
        error = error_of(make_monitor(server.url).varz)
        assert isinstance(error, InvalidResponse)
        assert 'the answer ended before its announced length' in str(error)


class TestRedirects:

    def test_redirect_to_another_port_is_refused_and_sends_nothing_there(self, make_monitor, hostile):
        elsewhere = hostile(nats=NATS)
        server = hostile(behaviours={'/varz': dict(kind='redirect', location=elsewhere.url + '/varz')})
        monitor = make_monitor(server.url, username='ops', password=SECRET, headers={'X-Api-Key': SECRET})
        error = error_of(monitor.varz)
        assert isinstance(error, RedirectRefused)
        assert 'redirected (HTTP 302) to %s/varz: not followed' % elsewhere.url in str(error)
        assert elsewhere.requests == []

    def test_redirect_on_the_same_origin_is_followed_with_credentials(self, make_monitor, hostile):
        server = hostile(nats=NATS, behaviours={'/varz': dict(kind='redirect', location='/mon/varz'),
                                                '/mon/varz': dict(kind='json', body=dict(server_id='N1',
                                                                                         server_name='moved'))})
        monitor = make_monitor(server.url, username='ops', password=SECRET)
        assert monitor.varz()['server_name'] == 'moved'
        followed = server.requests_to('/mon/varz')[0]
        headers = dict((k.lower(), v) for k, v in followed['headers'].items())
        assert headers['authorization'] == 'Basic ' + base64.b64encode(('ops:' + SECRET).encode()).decode()


class TestAuthentication:

    @pytest.mark.parametrize('status', [401, 403])
    def test_auth_failure_is_named_and_permanent(self, make_monitor, hostile, status):
        server = hostile(behaviours={'*': dict(kind='auth', status=status)})
        for call in (lambda m: m.varz(), lambda m: m.healthz()):
            error = error_of(lambda: call(make_monitor(server.url)))
            assert isinstance(error, AuthenticationFailed)
            assert error.kind == 'auth' and error.permanent
            assert 'authentication failed (HTTP %d)' % status in str(error)

    def test_user_information_leaves_the_url_and_becomes_basic_auth(self, make_monitor, hostile, monkeypatch):
        server = hostile(nats=NATS)
        monkeypatch.setattr(transport, 'HAS_REQUESTS', make_monitor.transport == 'requests')
        monitor = NatsMonitor(server.url.replace('http://', 'http://ops:%s@' % SECRET), TransportOptions(timeout=2))
        assert monitor.transport.name == make_monitor.transport
        assert SECRET not in monitor.url
        assert monitor.varz()['server_name'] == 'h1'
        headers = dict((k.lower(), v) for k, v in server.requests[0]['headers'].items())
        assert headers['authorization'] == 'Basic ' + base64.b64encode(('ops:' + SECRET).encode()).decode()


class TestShapes:

    @pytest.mark.parametrize('endpoint, body, reason', [
        ('varz', [1, 2], 'the answer is a list, an object expected'),
        ('varz', 'a string', 'the answer is text, an object expected'),
        ('varz', dict(server_id='N', version=2.1), "'version' is a number, text expected"),
        ('varz', dict(server_id='N', cluster=dict(urls='x')), "'cluster.urls' is text, a list expected"),
        ('routez', dict(routes=[None]), "'routes[0]' is null, an object expected"),
        ('jsz', [], 'the answer is a list, an object expected'),
        ('jsz', dict(meta_cluster=dict(replicas=[dict(name='n2', active='abc')])),
         "'meta_cluster.replicas[0].active' is text, a whole number expected"),
        ('gatewayz', dict(outbound_gateways=[]), "'outbound_gateways' is a list, an object expected"),
        ('leafz', dict(leafs={}), "'leafs' is an object, a list expected"),
        ('connz', dict(connections='many'), "'connections' is text, a list expected"),
    ])
    def test_wrong_shape_is_named(self, make_monitor, hostile, endpoint, body, reason):
        server = hostile(behaviours={'/' + endpoint: dict(kind='json', body=body)})
        error = error_of(getattr(make_monitor(server.url), endpoint))
        assert isinstance(error, InvalidResponse)
        assert str(error).startswith('%s/%s' % (server.url, endpoint))
        assert str(error).endswith(': unexpected answer: %s' % reason)

    def test_healthz_errors_of_the_wrong_type(self, make_monitor, hostile):
        answer = dict(kind='json', status=503, body=dict(status='error', errors='boom'))
        server = hostile(behaviours={'/healthz': answer})
        error = error_of(make_monitor(server.url).healthz)
        assert "unexpected answer: 'errors' is text, a list expected" in str(error)

    def test_deeply_nested_json(self, make_monitor, hostile):
        server = hostile(behaviours={'/varz': dict(kind='text', body='[' * 100000 + ']' * 100000)})
        assert isinstance(error_of(make_monitor(server.url).varz), InvalidResponse)


class TestPaging:

    def test_a_lying_total_ends_the_list(self, make_monitor, hostile):
        server = hostile(nats=NATS, behaviours={'/connz': dict(kind='paged_lie', total=10 ** 9, per_page=1)})
        monitor = make_monitor(server.url)
        answer = monitor.connz(max_items=0)
        assert answer['truncated'] is True
        assert len(answer['connections']) == 1
        assert len(server.requests_to('/connz')) == 1
        assert 'the server counts 1000000000 items but 1 could be read' in monitor.warnings[0]

    def test_a_lying_subsz_total_is_named(self, make_monitor, hostile):
        # /subsz is read in one request (its order changes between requests): a short list under a large total.
        server = hostile(nats=NATS, behaviours={'/subsz': dict(kind='paged_lie', list='subscriptions_list',
                                                               key='sid', total=10 ** 9, per_page=1)})
        monitor = make_monitor(server.url)
        answer = monitor.subsz(subs=True)
        assert answer['truncated'] is True and len(answer['subscriptions_list']) == 1
        assert 'the server counts 1000000000 items but listed 1' in monitor.warnings[0]

    def test_repeated_pages_stop_when_nothing_is_new(self, make_monitor, hostile):
        # No total to plan by, full pages that repeat the same items: stops at the first page with nothing new.
        server = hostile(nats=NATS, behaviours={'/connz': dict(kind='paged_lie', total=None, per_page=5,
                                                               repeat=True)})
        monitor = make_monitor(server.url)
        answer = monitor.get_paged('connz', max_items=0, page_size=5)
        assert len(answer['connections']) == 5
        assert len(server.requests_to('/connz')) == 2

    def test_page_budget(self, make_monitor, hostile):
        # Full pages of new items, no total: at most MAX_PAGES requests.
        server = hostile(nats=NATS, behaviours={'/connz': dict(kind='paged_lie', total=None, per_page=2)})
        monitor = make_monitor(server.url)
        answer = monitor.get_paged('connz', max_items=0, page_size=2)
        assert len(server.requests_to('/connz')) == MAX_PAGES
        assert answer['truncated'] is True
