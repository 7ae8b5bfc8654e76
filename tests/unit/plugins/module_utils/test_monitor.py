# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The monitoring client: query spelling, URLs, both transports, typed errors,
paging, concurrency and polling.

Client tests take the ``http_backend`` fixture, so each runs twice: over the
real RequestsTransport (requests' HTTPAdapter.send answered by a fake
nats-server) and over the real OpenUrlTransport (Ansible's Request.open,
which open_url calls, answered by the same fake)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import threading

from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import errors
from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.module_utils.client import (
    ENDPOINTS,
    NatsMonitor,
    build_query,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.errors import (
    EndpointNotServed,
    HTTPStatusError,
    InvalidResponse,
    MonitorError,
    RequestTimeout,
    ServerUnreachable,
    TLSFailure,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import join_url, validate_url
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import run_concurrently
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import TransportOptions
from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import poll
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeTransport,
    NetworkFailure,
    PagedList,
    answer_from,
    install_http_backend,
    load_fixture,
    recorded,
)

V = '2.10.26'
URL = 'http://nats1:8222'


def query_of(endpoint, **params):
    return build_query(ENDPOINTS[endpoint], params)


# ---------------------------------------------------------------------------
# Query parameters: the server's spelling
# ---------------------------------------------------------------------------

class TestBuildQuery:

    def test_healthz_options_use_dashes(self):
        # The seed library sent js_enabled / js_server_only, which nats-server ignores.
        assert query_of('healthz', js_meta_only=True) == 'js-meta-only=true'
        assert query_of('healthz', js_server_only=True) == 'js-server-only=true'
        assert query_of('healthz', js_enabled_only=True) == 'js-enabled-only=true'

    def test_dashed_spelling_is_accepted_too(self):
        assert query_of('healthz', **{'js-meta-only': True}) == 'js-meta-only=true'

    def test_jsz_leader_only(self):
        assert query_of('jsz', leader_only=True) == 'leader-only=true'
        assert query_of('jsz', stream_leader_only=True) == 'stream-leader-only=true'

    def test_underscored_server_names_stay(self):
        assert query_of('connz', mqtt_client='sensor-1') == 'mqtt_client=sensor-1'
        assert query_of('gatewayz', gw_name='B', acc_name='A') == 'acc_name=A&gw_name=B'

    def test_false_and_none_are_left_out(self):
        assert query_of('jsz', accounts=False, streams=None, consumers=True) == 'consumers=true'
        assert query_of('healthz', details=False, account=None) == ''

    def test_values_are_encoded(self):
        assert query_of('connz', subs='detail', limit=10, offset=0) == 'limit=10&offset=0&subs=detail'
        assert query_of('healthz', account='$G', stream='ORDERS') == 'account=%24G&stream=ORDERS'

    def test_unknown_parameter_is_refused(self):
        with pytest.raises(KeyError):
            query_of('varz', bogus=True)


class TestUrls:

    @pytest.mark.parametrize('base, path, query, expected', [
        ('http://n1:8222', '/varz', '', 'http://n1:8222/varz'),
        ('http://n1:8222/', '/varz', '', 'http://n1:8222/varz'),
        ('http://n1:8222/nats', '/jsz', 'accounts=true', 'http://n1:8222/nats/jsz?accounts=true'),
        ('https://n1:8222/nats/', '/debug/vars', '', 'https://n1:8222/nats/debug/vars'),
        ('http://n1:8222/a/b', '/healthz', 'details=true', 'http://n1:8222/a/b/healthz?details=true'),
    ])
    def test_join_url(self, base, path, query, expected):
        assert join_url(base, path, query) == expected

    @pytest.mark.parametrize('url', [
        'http://127.0.0.1:8222', 'https://nats1.example.com:8222', 'http://nats1:8222/nats', 'http://[::1]:8222',
    ])
    def test_valid_urls(self, url):
        assert validate_url(url) is None

    @pytest.mark.parametrize('url, reason', [
        ('nats1:8222', 'http:// or https://'),
        ('nats://nats1:4222', 'http:// or https://'),
        ('', 'http:// or https://'),
        (None, 'http:// or https://'),
        ('http://', 'no host'),
        ('http://nats1:port', 'invalid port'),
        ('http://nats1:99999', 'invalid port'),
        ('http://nats1:8222/varz?x=1', 'query or fragment'),
        ('http://nats1:8222#top', 'query or fragment'),
    ])
    def test_invalid_urls(self, url, reason):
        assert reason in validate_url(url)

    def test_client_refuses_invalid_url(self):
        with pytest.raises(MonitorError) as caught:
            NatsMonitor('nats://nats1:4222', transport=FakeTransport(None))
        assert caught.value.url == 'nats://nats1:4222'
        assert 'http://' in str(caught.value)

    def test_endpoint_url_keeps_base_path(self):
        client = NatsMonitor('http://n1:8222/nats/', transport=FakeTransport(None))
        assert client.endpoint_url('expvarz') == 'http://n1:8222/nats/debug/vars'
        assert client.endpoint_url('healthz', dict(js_meta_only=True, details=True)) == \
            'http://n1:8222/nats/healthz?details=true&js-meta-only=true'


# ---------------------------------------------------------------------------
# Both transports: answers, options, errors
# ---------------------------------------------------------------------------

class TestTransportAnswers:

    def test_json_answer(self, http_backend):
        http_backend.server.route('/varz', recorded(V + '/single/varz.json'))
        varz = http_backend.client().varz()
        assert varz['server_name'] == 's1'
        assert varz['version'] == V
        assert http_backend.server.requests == [('/varz', {})]

    def test_base_path(self, http_backend):
        http_backend.server.base_path = '/nats'
        http_backend.server.route('/healthz', recorded(V + '/base_path/healthz.json'))
        status, document = http_backend.client('http://n1:8222/nats').healthz()
        assert (status, document) == (200, {'status': 'ok'})
        assert http_backend.server.requests[0][0] == '/nats/healthz'

    def test_missing_base_path_is_not_served(self, http_backend):
        # /varz of a server with http_base_path /nats: Go's 404.
        http_backend.server.route('/nats/varz', recorded(V + '/base_path/varz.json'))
        http_backend.server.route('/varz', recorded(V + '/base_path/varz_without_base_path.404.txt'))
        with pytest.raises(EndpointNotServed) as caught:
            http_backend.client().varz()
        assert 'wrong base path' in caught.value.reason

    def test_stacksz_is_text(self, http_backend):
        http_backend.server.route('/stacksz', recorded(V + '/single/stacksz.txt'))
        text = http_backend.client().stacksz()
        assert text.startswith('goroutine ')

    def test_request_options_reach_the_library(self, http_backend, monkeypatch):
        monkeypatch.setenv('HTTP_PROXY', 'http://proxy.invalid:3128')
        monkeypatch.setenv('http_proxy', 'http://proxy.invalid:3128')
        http_backend.server.route('/varz', {'version': V})
        options = TransportOptions(timeout=3.5, validate_certs=True, ca_path='/etc/nats/ca.pem',
                                   username='ops', password='s3cret', headers={'X-Trace': 'abc'})
        http_backend.client(options=options).varz()
        call = http_backend.calls[0]
        if http_backend.name == 'requests':
            request = call['request']
            assert call['timeout'] == (3.5, 3.5)  # (connect, read)
            assert call['verify'] == '/etc/nats/ca.pem'
            assert not call['proxies'], 'proxies from the environment must not be used'
            assert request.headers['X-Trace'] == 'abc'
            expected = 'Basic ' + base64.b64encode(b'ops:s3cret').decode()
            assert request.headers['Authorization'] == expected
        else:
            assert call['timeout'] == 3.5
            assert call['validate_certs'] is True
            assert call['ca_path'] == '/etc/nats/ca.pem'
            assert call['use_proxy'] is False
            assert call['headers'] == {'X-Trace': 'abc'}
            assert (call['url_username'], call['url_password']) == ('ops', 's3cret')
            assert call['force_basic_auth'] is True

    def test_validate_certs_false(self, http_backend):
        http_backend.server.route('/varz', {'version': V})
        http_backend.client('https://n1:8222', options=TransportOptions(validate_certs=False)).varz()
        call = http_backend.calls[0]
        if http_backend.name == 'requests':
            assert call['verify'] is False
        else:
            assert call['validate_certs'] is False

    def test_transport_names(self, http_backend):
        assert http_backend.transport().name == http_backend.name


# What each failure without an HTTP answer must become: class, words of the reason.
NETWORK_FAILURES = [
    ('refused', ServerUnreachable, 'connection refused'),
    ('dns', ServerUnreachable, 'cannot resolve host name nats1'),
    ('connect_timeout', RequestTimeout, 'timed out'),
    ('read_timeout', RequestTimeout, 'timed out'),
    ('tls_wrong_version', TLSFailure, 'does not speak TLS'),
    ('tls_record_layer', TLSFailure, 'does not speak TLS'),
    ('cert_self_signed', TLSFailure, 'not trusted (self-signed or unknown CA)'),
    ('cert_unknown_ca', TLSFailure, 'not trusted (self-signed or unknown CA)'),
    ('cert_host_mismatch', TLSFailure, 'does not match the host name'),
    ('bad_status_line', InvalidResponse, 'did not answer with HTTP'),
    ('reset', ServerUnreachable, 'connection reset'),
]


class TestNetworkErrors:

    @pytest.mark.parametrize('kind, error_class, words', NETWORK_FAILURES, ids=[f[0] for f in NETWORK_FAILURES])
    def test_classified(self, http_backend, kind, error_class, words):
        http_backend.server.route('/varz', NetworkFailure(kind))
        with pytest.raises(MonitorError) as caught:
            http_backend.client().varz()
        error = caught.value
        assert error.__class__ is error_class  # that class exactly, not a subclass
        assert words in error.reason
        assert error.url == URL + '/varz'
        assert str(error).startswith(URL + '/varz: ')
        assert error.status is None

    def test_tls_advice_names_ca_path(self, http_backend):
        http_backend.server.route('/varz', NetworkFailure('cert_self_signed'))
        with pytest.raises(TLSFailure) as caught:
            http_backend.client('https://nats1:8222').varz()
        assert 'ca_path' in caught.value.reason
        assert caught.value.kind == 'tls'


class TestHttpStatusErrors:

    def test_go_404_is_endpoint_not_served(self, http_backend):
        # Nothing routed: the fake answers Go's "404 page not found", as 2.10 does for /debug/vars.
        with pytest.raises(EndpointNotServed) as caught:
            http_backend.client().expvarz()
        error = caught.value
        assert error.status == 404
        assert error.kind == 'not_served'
        assert 'not served by this server' in error.reason
        assert error.url == URL + '/debug/vars'

    def test_recorded_404_of_old_server(self, http_backend):
        http_backend.server.route('/debug/vars', recorded(V + '/single/expvarz.404.txt'))
        with pytest.raises(EndpointNotServed) as caught:
            http_backend.client().expvarz()
        assert 'too old a version' in caught.value.reason

    def test_custom_404_body_is_the_reason(self, http_backend):
        http_backend.server.route('/raftz', recorded(V + '/single/raftz.404.txt'))
        with pytest.raises(EndpointNotServed) as caught:
            http_backend.client().raftz()
        assert caught.value.reason == 'HTTP 404: No Raft nodes registered'
        assert caught.value.body == 'No Raft nodes registered'

    def test_400_plain_text(self, http_backend):
        http_backend.server.route('/connz', recorded(V + '/single/connz_sort_bogus.400.txt'))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().connz(sort='bogus')
        error = caught.value
        assert not isinstance(error, EndpointNotServed)
        assert error.status == 400
        assert error.kind == 'http'
        assert error.reason == 'HTTP 400: invalid sorting option: bogus'
        assert error.url.startswith(URL + '/connz?')

    def test_jsz_leader_only_on_follower(self, http_backend):
        http_backend.server.route('/jsz', recorded(V + '/cluster/follower/jsz_leader_only.400.txt'))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().jsz(leader_only=True)
        assert 'not leader' in caught.value.reason
        assert caught.value.url == URL + '/jsz?leader-only=true'

    def test_400_json_error_gives_its_error_text(self, http_backend):
        http_backend.server.route('/healthz', recorded(V + '/single/healthz_consumer_without_stream.400.json'))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().get('healthz', dict(consumer='PROC'))
        assert caught.value.reason == 'HTTP 400: "stream" must not be empty when checking consumer health'

    def test_500_without_body(self, http_backend):
        http_backend.server.route('/varz', (500, b''))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().varz()
        assert caught.value.reason == 'HTTP 500: no body'

    def test_http_to_an_https_port(self, http_backend):
        # Go's TLS listener answers a plain-HTTP request with 400 and this text.
        http_backend.server.route('/varz', (400, b'Client sent an HTTP request to an HTTPS server.\n'))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().varz()
        assert 'Client sent an HTTP request to an HTTPS server.' in caught.value.reason

    def test_non_json_body(self, http_backend):
        http_backend.server.route('/varz', '<html><body>Welcome to nginx!</body></html>')
        with pytest.raises(InvalidResponse) as caught:
            http_backend.client().varz()
        error = caught.value
        assert error.kind == 'invalid_response'
        assert 'not JSON' in error.reason
        assert 'Welcome to nginx!' in error.reason

    def test_jsonp_callback_is_not_json(self, http_backend):
        # /varz?callback=cb answers JSONP: the client asks no callback, but must not choke on one.
        http_backend.server.route('/varz', recorded(V + '/single/varz_callback.txt'))
        with pytest.raises(InvalidResponse):
            http_backend.client().varz()

    def test_long_body_is_cut(self, http_backend):
        http_backend.server.route('/varz', 'x' * 5000)
        with pytest.raises(InvalidResponse) as caught:
            http_backend.client().varz()
        assert caught.value.reason.endswith('x' * errors.BODY_EXCERPT + '...')

    def test_empty_body(self, http_backend):
        http_backend.server.route('/varz', b'')
        with pytest.raises(InvalidResponse) as caught:
            http_backend.client().varz()
        assert 'empty body' in caught.value.reason


class TestHealthz:
    """healthz() returns the answer whatever its status: unhealthy is data, not an error."""

    @pytest.mark.parametrize('fixture, status, doc_status', [
        ('single/healthz.json', 200, 'ok'),
        ('lame_duck/healthz.500.json', 500, 'error'),
        ('lame_duck/healthz_details.500.json', 500, 'error'),
        ('single/healthz_stream_without_account.400.json', 400, 'error'),
    ])
    def test_answer_kept_whatever_the_status(self, http_backend, fixture, status, doc_status):
        http_backend.server.route('/healthz', recorded(V + '/' + fixture))
        got_status, document = http_backend.client().healthz()
        assert got_status == status
        assert document['status'] == doc_status
        assert document == load_fixture(V + '/' + fixture)

    def test_503_document(self, http_backend):
        document = {'status': 'unavailable', 'error': 'JetStream is not current with the meta leader'}
        http_backend.server.route('/healthz', (503, document))
        assert http_backend.client().healthz() == (503, document)

    def test_healthz_404_json_is_an_answer(self, http_backend):
        # nats-server answers 404 *with a healthz document* for an unknown account or stream:
        # the endpoint is served; the 404 is its verdict, not "endpoint absent".
        http_backend.server.route('/healthz', recorded(V + '/single/healthz_stream_unknown.404.json'))
        status, document = http_backend.client().healthz(account='A', stream='NOPE')
        assert status == 404
        assert document == load_fixture(V + '/single/healthz_stream_unknown.404.json')

    def test_healthz_go_404_is_not_served(self, http_backend):
        http_backend.server.base_path = '/nats'
        with pytest.raises(EndpointNotServed):
            http_backend.client().healthz()

    def test_query_sent(self, http_backend):
        http_backend.server.route('/healthz', {'status': 'ok'})
        http_backend.client().healthz(js_enabled_only=True, details=True, account='A')
        assert http_backend.server.queries('/healthz') == [
            {'account': 'A', 'details': 'true', 'js-enabled-only': 'true'}]

    def test_non_json_200(self, http_backend):
        http_backend.server.route('/healthz', 'ok')
        with pytest.raises(InvalidResponse) as caught:
            http_backend.client().healthz()
        assert caught.value.status == 200

    def test_non_json_error_status(self, http_backend):
        http_backend.server.route('/healthz', (502, '<html>Bad Gateway</html>'))
        with pytest.raises(HTTPStatusError) as caught:
            http_backend.client().healthz()
        assert caught.value.status == 502
        assert 'Bad Gateway' in caught.value.reason

    def test_json_that_is_not_an_object(self, http_backend):
        http_backend.server.route('/healthz', '["ok"]')
        with pytest.raises(InvalidResponse):
            http_backend.client().healthz()


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------

def connections(count):
    return [{'cid': cid, 'name': 'client-%d' % cid} for cid in range(1, count + 1)]


def connz_server(server, count=1500, **kwargs):
    """/connz of a server with ``count`` connections, paged like nats-server (default limit 1024)."""
    document = load_fixture(V + '/single/connz.json')
    document['num_connections'] = count
    server.route('/connz', PagedList('connections', connections(count), document=document, **kwargs))


def cids(document):
    return [conn['cid'] for conn in document['connections']]


def asked(server, path):
    """(offset, limit) of each paged request, sorted (offset 0 when not sent)."""
    return sorted((int(q.get('offset', 0)), int(q['limit'])) for q in server.queries(path) if 'limit' in q)


class TestPaging:

    def test_recorded_connz_pages_like_the_fake(self):
        # The recorded pages show how nats-server answers offset/limit: total, offset and limit echoed.
        first = load_fixture(V + '/single/connz_limit1_offset0.json')
        second = load_fixture(V + '/single/connz_limit1_offset1.json')
        assert (first['offset'], first['limit'], len(first['connections'])) == (0, 1, 1)
        assert (second['offset'], second['limit'], len(second['connections'])) == (1, 1, 1)
        assert first['total'] == second['total'] >= 2
        assert first['connections'][0]['cid'] != second['connections'][0]['cid']

    def test_every_connection_read(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().connz()
        assert cids(result) == list(range(1, 1501))
        assert result['truncated'] is False
        assert (result['offset'], result['limit'], result['total']) == (0, 1500, 1500)

    def test_small_pages_are_all_fetched(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().get_paged('connz', {}, page_size=400)
        assert cids(result) == list(range(1, 1501))
        assert asked(http_backend.server, '/connz') == [(0, 400), (400, 400), (800, 400), (1200, 300)]

    def test_server_capping_page_size(self, http_backend):
        # A server that hands out at most 1024 whatever is asked while its total claims 1500: a page
        # shorter than asked ends the list (the total is not trusted), said by truncated and a warning.
        connz_server(http_backend.server, cap=1024)
        client = http_backend.client()
        result = client.connz()
        assert cids(result) == list(range(1, 1025))
        assert len(set(cids(result))) == 1024
        assert result['truncated'] is True
        offsets = [offset for offset, _limit in asked(http_backend.server, '/connz')]
        assert offsets == [0]
        assert len(client.warnings) == 1
        assert 'counts 1500 items but 1024 could be read' in client.warnings[0]

    def test_server_capping_below_a_small_page(self, http_backend):
        # Same rule with a page size of the caller's: 300 of the 500 asked ends the list.
        connz_server(http_backend.server, count=1000, cap=300)
        client = http_backend.client()
        result = client.get_paged('connz', {}, page_size=500)
        assert cids(result) == list(range(1, 301))
        assert result['truncated'] is True
        assert [o for o, _l in asked(http_backend.server, '/connz')] == [0]
        assert len(client.warnings) == 1
        assert 'counts 1000 items but 300 could be read' in client.warnings[0]

    def test_max_items_caps_and_says_truncated(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().connz(max_items=1100)
        assert cids(result) == list(range(1, 1101))
        assert result['truncated'] is True
        assert result['limit'] == 1100

    def test_max_items_within_first_page(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().connz(max_items=10)
        assert cids(result) == list(range(1, 11))
        assert result['truncated'] is True
        assert asked(http_backend.server, '/connz') == [(0, 10)]

    def test_max_items_above_total(self, http_backend):
        connz_server(http_backend.server, count=30)
        result = http_backend.client().connz(max_items=100)
        assert len(result['connections']) == 30
        assert result['truncated'] is False

    def test_user_offset_and_limit_keep_server_meaning(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().get_paged('connz', dict(offset=1000, limit=300), page_size=200)
        assert cids(result) == list(range(1001, 1301))
        assert (result['offset'], result['limit']) == (1000, 300)
        assert result['truncated'] is True
        assert asked(http_backend.server, '/connz') == [(1000, 200), (1200, 100)]

    def test_user_offset_reads_to_the_end(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().connz(offset=1400)
        assert cids(result) == list(range(1401, 1501))
        assert result['truncated'] is False

    def test_user_limit_smaller_than_max_items_wins(self, http_backend):
        connz_server(http_backend.server)
        result = http_backend.client().connz(limit=5, max_items=1000)
        assert cids(result) == [1, 2, 3, 4, 5]

    def test_offset_past_the_end(self, http_backend):
        connz_server(http_backend.server, count=3)
        result = http_backend.client().connz(offset=10)
        assert result['connections'] == []
        assert result['truncated'] is False

    def test_other_parameters_go_with_every_page(self, http_backend):
        connz_server(http_backend.server)
        http_backend.client().get_paged('connz', dict(state='closed', sort='start', subs='detail'), page_size=1000)
        queries = http_backend.server.queries('/connz')
        assert len(queries) == 2
        for query in queries:
            assert (query['state'], query['sort'], query['subs']) == ('closed', 'start', 'detail')

    def test_subsz_pages_only_with_subs(self, http_backend):
        subs = [{'subject': 'orders.%d' % n, 'sid': str(n)} for n in range(2500)]
        http_backend.server.route('/subsz', PagedList(
            'subscriptions_list', subs, document=load_fixture(V + '/single/subsz.json'),
            listed=lambda query: query.get('subs') == 'true'))
        client = http_backend.client()

        stats = client.subsz()
        assert 'subscriptions_list' not in stats
        assert http_backend.server.queries('/subsz') == [{}], 'without subs=true nothing is paged'

        listed = client.get_paged('subsz', dict(subs=True), page_size=1000)
        assert [s['sid'] for s in listed['subscriptions_list']] == [str(n) for n in range(2500)]
        # /subsz lists in a new order on every request, so offset pages would overlap: after a full
        # first page the whole list is asked for at once, sized by num_subscriptions plus room to grow.
        count = max(load_fixture(V + '/single/subsz.json')['num_subscriptions'], 2500)  # the larger of the two
        assert asked(http_backend.server, '/subsz') == [(0, 1000), (0, count + count // 10 + 100)]

    def test_subsz_total_of_the_page_only(self, http_backend):
        # /subsz of 2.10.26 reports the page's length as `total` (recorded: limit=1 gives total 1).
        assert load_fixture(V + '/single/subsz_subs_acc_A_limit1_offset1.json')['total'] == 1
        subs = [{'subject': 's.%d' % n, 'sid': str(n)} for n in range(2500)]
        http_backend.server.route('/subsz', PagedList('subscriptions_list', subs, with_total='page'))
        result = http_backend.client().get_paged('subsz', dict(subs=True), page_size=1000)
        assert [s['sid'] for s in result['subscriptions_list']] == [str(n) for n in range(2500)]
        assert result['truncated'] is False

    def test_repeated_items_across_pages_dropped(self, http_backend):
        # A connection opened between two requests shifts the list: the second page repeats one.
        items = connections(6)

        def shifting(query):
            offset, limit = int(query.get('offset', 0)), int(query['limit'])
            current = items if offset == 0 else [{'cid': 0, 'name': 'new'}] + items
            return {'total': 6, 'connections': current[offset:offset + limit]}
        http_backend.server.route('/connz', shifting)
        result = http_backend.client().get_paged('connz', {}, page_size=3)
        assert cids(result) == [1, 2, 3, 4, 5]

    def test_jsz_of_one_account_is_complete(self, http_backend):
        # /jsz?acc=A lists that account whatever offset/limit say, while `total` (2.15.1) or
        # `accounts` (2.10.26) count every JetStream account of the server.
        for version in (V, '2.15.1'):
            name = version + '/single/jsz_acc_A_streams_consumers.json'
            http_backend.server.route('/jsz', answer_from(name))
            result = http_backend.client().jsz(acc='A', streams=True, consumers=True)
            assert [a['name'] for a in result['account_details']] == ['A'], version
            assert result['truncated'] is False, version

    def test_jsz_pages_only_with_accounts(self, http_backend):
        # /jsz carries no `total` (recorded on 2.10.26): the client reads until a short page.
        assert 'total' not in load_fixture(V + '/single/jsz_accounts.json')
        accounts = [{'name': 'ACC%04d' % n, 'id': 'ACC%04d' % n} for n in range(250)]
        http_backend.server.route('/jsz', PagedList(
            'account_details', accounts, document=load_fixture(V + '/single/jsz.json'), with_total=False,
            listed=lambda query: query.get('accounts') == 'true'))
        client = http_backend.client()

        plain = client.jsz()
        assert 'account_details' not in plain
        assert http_backend.server.queries('/jsz') == [{}]

        paged = client.get_paged('jsz', dict(accounts=True), page_size=100)
        assert [a['name'] for a in paged['account_details']] == [a['name'] for a in accounts]
        assert paged['truncated'] is False
        assert asked(http_backend.server, '/jsz') == [(0, 100), (100, 100), (200, 100)]

    def test_jsz_with_total(self, http_backend):
        # 2.15.1 sends `total` (the number of accounts) and sorts every page.
        http_backend.server.route('/jsz', PagedList.recorded('2.15.1/single/jsz_accounts.json'))
        result = http_backend.client().get_paged('jsz', dict(accounts=True), page_size=1)
        assert [a['name'] for a in result['account_details']] == ['A', 'B']
        assert asked(http_backend.server, '/jsz') == [(0, 1), (1, 1)]
        assert result['truncated'] is False

    def test_jsz_without_total_stops_at_a_short_page(self, http_backend):
        # No `total` (2.10.26) and a first page shorter than asked: that was every account.
        http_backend.server.route('/jsz', PagedList.recorded(V + '/single/jsz_accounts.json'))
        result = http_backend.client().jsz(accounts=True, max_items=10000)
        assert [a['name'] for a in result['account_details']] == ['B', 'A']
        assert result['truncated'] is False
        assert len(http_backend.server.queries('/jsz')) == 1

    def test_jsz_without_total_truncated_by_max_items(self, http_backend):
        accounts = [{'name': 'ACC%d' % n} for n in range(50)]
        http_backend.server.route('/jsz', PagedList('account_details', accounts, with_total=False))
        paged = http_backend.client().jsz(accounts=True, max_items=20)
        assert len(paged['account_details']) == 20
        assert paged['truncated'] is True

    def test_jsz_streams_imply_accounts_and_are_paged(self, http_backend):
        # nats-server lists account_details for streams=true (and consumers=true) even without
        # accounts=true ("if opts.Streams && opts.Account == "" { opts.Accounts = true }"),
        # cut at its default limit of 1024. Those must be paged like accounts=true.
        accounts = [{'name': 'ACC%04d' % n, 'stream_detail': []} for n in range(1500)]

        def lists_accounts(query):
            return (query.get('accounts') == 'true' or query.get('streams') == 'true'
                    or query.get('consumers') == 'true') and not query.get('acc')
        http_backend.server.route('/jsz', PagedList('account_details', accounts, with_total=False,
                                                    listed=lists_accounts))
        result = http_backend.client().jsz(streams=True, consumers=True)
        assert len(result['account_details']) == 1500

    def test_a_failing_page_fails_the_call(self, http_backend):
        items = connections(1500)

        def flaky(query):
            if int(query.get('offset', 0)) > 0:
                return NetworkFailure('refused')
            return {'total': 1500, 'offset': 0, 'limit': 1024, 'connections': items[:1024]}
        http_backend.server.route('/connz', flaky)
        with pytest.raises(ServerUnreachable) as caught:
            # Pages of 1024, so that the first page is full and the second one is asked for.
            http_backend.client().get_paged('connz', {}, page_size=1024)
        assert 'offset=1024' in caught.value.url

    def test_unpaged_endpoint_is_one_request(self, http_backend):
        http_backend.server.route('/varz', {'version': V})
        assert http_backend.client().get_paged('varz') == {'version': V}
        assert len(http_backend.server.requests) == 1

    def test_later_pages_fetched_concurrently(self):
        # Pages after the first are asked for at once: a server that holds every request
        # until two pages are in flight answers only if the client does not wait between them.
        server_items = connections(30)
        both_waiting = threading.Barrier(2, timeout=10)

        class HoldingServer:

            def answer(self, url):
                query = dict(parse_qsl(urlsplit(url).query))
                offset, limit = int(query.get('offset', 0)), int(query['limit'])
                if offset:
                    both_waiting.wait()
                page = server_items[offset:offset + limit]
                return 200, json.dumps({'total': 30, 'connections': page}).encode()

        client = NatsMonitor(URL, transport=FakeTransport(HoldingServer()))
        result = client.get_paged('connz', {}, page_size=10)
        assert cids(result) == list(range(1, 31))


# ---------------------------------------------------------------------------
# Version, transports, helpers
# ---------------------------------------------------------------------------

class StubModule:
    """What NatsModuleClient uses of an AnsibleModule: params (the connection defaults),
    no_log_values, fail_json."""

    def __init__(self, **params):
        self.params = dict((name, spec.get('default')) for name, spec in connection_argument_spec().items())
        self.params.update(params)
        self.no_log_values = set()

    def fail_json(self, **result):
        raise AssertionError('fail_json(%r)' % (result,))


class TestClientHelpers:

    def test_server_version_asked_once(self, http_backend):
        http_backend.server.route('/varz', recorded(V + '/single/varz.json'))
        client = http_backend.client()
        assert client.server_version() == V
        assert client.server_version() == V
        assert len(http_backend.server.queries('/varz')) == 1

    def test_remember_version(self, nats_server):
        client = NatsMonitor(URL, transport=FakeTransport(nats_server))
        client.remember_version('2.11.11')
        assert client.server_version() == '2.11.11'
        assert nats_server.requests == []

    def test_close_closes_transport(self, nats_server):
        transport = FakeTransport(nats_server)
        NatsMonitor(URL, transport=transport).close()
        assert transport.closed

    def test_make_transport_prefers_requests(self):
        made = transport.make_transport(TransportOptions())
        assert isinstance(made, transport.RequestsTransport)
        made.close()

    def test_make_transport_without_requests(self, monkeypatch):
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        assert isinstance(transport.make_transport(TransportOptions()), transport.OpenUrlTransport)
        assert isinstance(transport.make_transport(TransportOptions(), prefer='open_url'), transport.OpenUrlTransport)
        with pytest.raises(ValueError) as caught:
            transport.make_transport(TransportOptions(), prefer='requests')
        assert 'requests is not installed' in str(caught.value)

    def test_client_without_requests_uses_open_url(self, monkeypatch, nats_server):
        install_http_backend('open_url', nats_server, monkeypatch)
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        nats_server.route('/varz', recorded(V + '/single/varz.json'))
        client = NatsMonitor(URL)
        assert client.transport.name == 'open_url'
        assert client.varz()['version'] == V

    def test_monitors_for_share_one_transport(self, monkeypatch):
        # monitors_for is gone: NatsModuleClient builds the monitors of a module's URLs.
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        module = StubModule()
        with NatsModuleClient(module, urls=['http://n1:8222', 'http://n2:8222/']) as made:
            monitors = made.monitors
            assert [m.url for m in monitors] == ['http://n1:8222', 'http://n2:8222']
            assert monitors[0].transport is monitors[1].transport
            assert monitors[0].transport.name == 'open_url'


class TestRunConcurrently:

    def test_results_in_call_order(self):
        gate = threading.Event()

        def slow():
            gate.wait(10)
            return 'slow'

        def fast():
            gate.set()
            return 'fast'
        assert run_concurrently([slow, fast, lambda: 3]) == [('slow', None), ('fast', None), (3, None)]

    def test_monitor_errors_are_returned(self):
        error = ServerUnreachable('http://n2:8222/varz', 'connection refused')

        def fails():
            raise error
        results = run_concurrently([lambda: 1, fails])
        assert results == [(1, None), (None, error)]

    def test_single_call_error_is_returned(self):
        def fails():
            raise RequestTimeout('http://n1:8222/varz', 'timed out')
        (result, error), = run_concurrently([fails])
        assert result is None
        assert isinstance(error, RequestTimeout)

    def test_other_exceptions_are_raised(self):
        def bug():
            raise ZeroDivisionError('bug')
        with pytest.raises(ZeroDivisionError):
            run_concurrently([lambda: 1, bug])

    def test_nothing_to_run(self):
        assert run_concurrently([]) == []


class TestPoll:

    def checker(self, fake_clock, outcomes, cost=0.0):
        """check() returning ``outcomes`` in turn (the last repeats), each taking ``cost`` seconds."""
        calls = []

        def check():
            calls.append(fake_clock.now)
            fake_clock.now += cost
            passed = outcomes[min(len(calls), len(outcomes)) - 1]
            return passed, 'attempt %d' % len(calls)
        return check, calls

    def test_stops_on_success(self, fake_clock):
        check, calls = self.checker(fake_clock, [False, False, True])
        passed, value, attempts, elapsed = poll(check, 60, 2, clock=fake_clock.clock, sleep=fake_clock.sleep)
        assert (passed, value, attempts, elapsed) == (True, 'attempt 3', 3, 4.0)
        assert fake_clock.sleeps == [2, 2]

    def test_first_attempt_passes_without_sleeping(self, fake_clock):
        check, _calls = self.checker(fake_clock, [True])
        assert poll(check, 60, 2, clock=fake_clock.clock, sleep=fake_clock.sleep) == (True, 'attempt 1', 1, 0.0)
        assert fake_clock.sleeps == []

    def test_stops_at_deadline_last_attempt_on_it(self, fake_clock):
        start = fake_clock.now
        check, calls = self.checker(fake_clock, [False])
        passed, value, attempts, elapsed = poll(check, 5, 2, clock=fake_clock.clock, sleep=fake_clock.sleep)
        assert passed is False
        assert [t - start for t in calls] == [0, 2, 4, 5]
        assert (value, attempts, elapsed) == ('attempt 4', 4, 5.0)
        assert fake_clock.sleeps == [2, 2, 1]

    def test_slow_checks_count_against_the_deadline(self, fake_clock):
        start = fake_clock.now
        check, calls = self.checker(fake_clock, [False], cost=0.5)
        passed, _value, attempts, elapsed = poll(check, 3, 1, clock=fake_clock.clock, sleep=fake_clock.sleep)
        assert passed is False
        assert [t - start for t in calls] == [0, 1.5, 3.0]
        assert (attempts, elapsed) == (3, 3.5)

    def test_zero_timeout_is_one_attempt(self, fake_clock):
        check, calls = self.checker(fake_clock, [False])
        assert poll(check, 0, 1, clock=fake_clock.clock, sleep=fake_clock.sleep)[2] == 1
        assert fake_clock.sleeps == []
