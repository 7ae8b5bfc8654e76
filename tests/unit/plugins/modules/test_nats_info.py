# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.modules import nats_info
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    NetworkFailure,
    PagedList,
    fixture_path,
    install_http_backend,
    load_fixture,
    recorded,
    run_module,
    run_module_output,
)

URL = 'http://nats1:8222'
V10 = '2.10.26/'
V15 = '2.15.1/'
MIN = ['varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz']
ALL = MIN + ['connz', 'subsz', 'accountz', 'accstatz']

# Every endpoint of nats_info and its path, with the name its answer was recorded under.
ENDPOINT_PATHS = {
    'varz': '/varz', 'healthz': '/healthz', 'routez': '/routez', 'gatewayz': '/gatewayz', 'leafz': '/leafz',
    'jsz': '/jsz', 'connz': '/connz', 'subsz': '/subsz', 'accountz': '/accountz', 'accstatz': '/accstatz',
    'raftz': '/raftz', 'ipqueuesz': '/ipqueuesz', 'stacksz': '/stacksz', 'expvarz': '/debug/vars',
}


def single_file(version, name):
    """The file a standalone server's answer to ``name`` (no options) was recorded in."""
    for suffix in ('.json', '.txt', '.404.txt'):
        if os.path.exists(fixture_path(version + 'single/' + name + suffix)):
            return version + 'single/' + name + suffix
    raise AssertionError('no recorded answer for %s in %s' % (name, version))


def serve_single(server, version=V10):
    """Route every endpoint to the answer recorded from a standalone server (no options asked)."""
    for name, path in ENDPOINT_PATHS.items():
        server.route(path, recorded(single_file(version, name)))


def recorded_document(name, version=V10):
    return load_fixture(single_file(version, name))


def run(args=None, check_mode=False):
    return run_module(nats_info, dict(dict(url=URL), **(args or {})), check_mode=check_mode)


class TestGather:

    def test_min_by_default(self, module_server):
        serve_single(module_server)
        run_result = run()
        assert not run_result.failed, run_result.msg
        result = run_result.result
        assert result['changed'] is False
        assert result['gathered'] == MIN
        assert result['unavailable'] == {}
        assert set(result) == set(MIN) | {'changed', 'gathered', 'unavailable', 'server'}
        for name in ('varz', 'routez', 'gatewayz', 'leafz', 'jsz'):
            assert result[name] == recorded_document(name), name
        assert result['healthz'] == dict(status='ok', http_status=200)
        assert result['server'] == dict(name='s1', id=result['varz']['server_id'], version='2.10.26',
                                        cluster=None, jetstream=True)
        assert run_result.warnings == []

    def test_check_mode_is_identical(self, module_server):
        serve_single(module_server)
        assert run(check_mode=True).result == run().result

    def test_all_reads_lists_and_merges_pages(self, module_server):
        serve_single(module_server)
        result = run(dict(gather_subset=['all'])).result
        assert result['gathered'] == ALL
        assert result['connz']['connections'] == recorded_document('connz')['connections']
        assert result['connz']['truncated'] is False
        assert result['subsz'] == recorded_document('subsz')
        assert result['accstatz'] == recorded_document('accstatz')

    def test_not_served_endpoints_are_listed_with_a_warning(self, module_server):
        serve_single(module_server)
        run_result = run(dict(gather_subset=['varz', 'raftz', 'expvarz', 'stacksz', 'ipqueuesz']))
        assert not run_result.failed, run_result.msg
        result = run_result.result
        assert result['gathered'] == ['varz', 'ipqueuesz', 'stacksz']
        assert sorted(result['unavailable']) == ['expvarz', 'raftz']
        assert result['unavailable']['raftz'] == URL + '/raftz: HTTP 404: No Raft nodes registered'
        assert URL + '/debug/vars' in result['unavailable']['expvarz']
        assert 'raftz' not in result and 'expvarz' not in result
        assert len(run_result.warnings) == 2
        assert any('raftz' in w and 'No Raft nodes registered' in w for w in run_result.warnings)
        assert result['stacksz'].startswith('goroutine ')

    def test_newer_server_serves_debug_vars(self, module_server):
        serve_single(module_server, version=V15)
        result = run(dict(gather_subset=['expvarz'])).result
        assert result['gathered'] == ['expvarz']
        assert result['expvarz'] == recorded_document('expvarz', version=V15)

    def test_unhealthy_healthz_is_data(self, module_server):
        module_server.route('/healthz', recorded(V10 + 'lame_duck/healthz.500.json'))
        run_result = run(dict(gather_subset=['healthz']))
        assert not run_result.failed
        assert run_result.result['healthz'] == dict(status='error', http_status=500,
                                                    error='failed to be ready for connections after 1ms: server')

    def test_healthz_404_verdict_is_data_not_unavailable(self, module_server):
        # nats-server answers /healthz?account=NOPE with 404 and a healthz document: the endpoint is
        # served; "not served by this server" would be wrong.
        module_server.route('/healthz', recorded(V10 + 'single/healthz_account_unknown.404.json'))
        run_result = run(dict(gather_subset=['healthz'], healthz=dict(account='NOPE')))
        assert run_result.result['unavailable'] == {}
        assert run_result.result['healthz']['http_status'] == 404
        assert run_result.warnings == []


class TestQueries:

    def test_options_in_server_spelling(self, module_server):
        serve_single(module_server)
        run(dict(gather_subset=['connz', 'jsz', 'healthz', 'gatewayz'],
                 connz=dict(state='closed', sort='bytes_to', subs='detail', mqtt_client='m1', auth=True),
                 jsz=dict(leader_only=True, accounts=False, stream_leader_only=True),
                 healthz=dict(js_enabled_only=True, details=True),
                 gatewayz=dict(gw_name='B', accs=True)))
        connz, = module_server.queries('/connz')
        assert dict((k, connz[k]) for k in ('state', 'sort', 'subs', 'mqtt_client', 'auth')) == \
            dict(state='closed', sort='bytes_to', subs='detail', mqtt_client='m1', auth='true')
        assert module_server.queries('/jsz') == [{'leader-only': 'true', 'stream-leader-only': 'true'}]
        assert module_server.queries('/healthz') == [{'js-enabled-only': 'true', 'details': 'true'}]
        assert module_server.queries('/gatewayz') == [{'gw_name': 'B', 'accs': 'true'}]

    @pytest.mark.parametrize('endpoint', ['routez', 'gatewayz'])
    @pytest.mark.parametrize('subs, sent', [('true', 'true'), ('detail', 'detail'), ('false', None)])
    def test_subs_choice(self, module_server, endpoint, subs, sent):
        serve_single(module_server)
        run({'gather_subset': [endpoint], endpoint: dict(subs=subs)})
        assert module_server.queries('/' + endpoint)[0].get('subs') == sent

    @pytest.mark.parametrize('state', ['open', 'closed', 'any', 'all'])
    def test_connz_state(self, module_server, state):
        serve_single(module_server)
        assert not run(dict(gather_subset=['connz'], connz=dict(state=state))).failed
        assert module_server.queries('/connz')[0]['state'] == state

    def test_unset_suboptions_not_sent(self, module_server):
        serve_single(module_server)
        run(dict(gather_subset=['leafz', 'accountz']))
        assert module_server.queries('/leafz') == [{}]
        assert module_server.queries('/accountz') == [{}]

    def test_js_meta_only_on_2_10(self, module_server):
        serve_single(module_server)
        run(dict(gather_subset=['healthz'], healthz=dict(js_meta_only=True)))
        assert module_server.queries('/healthz') == [{'js-server-only': 'true'}]

    def test_js_meta_only_on_2_15(self, module_server):
        serve_single(module_server, version=V15)
        run(dict(gather_subset=['healthz'], healthz=dict(js_meta_only=True)))
        assert module_server.queries('/healthz') == [{'js-meta-only': 'true'}]


def serve_connections(server, count):
    document = load_fixture(V10 + 'single/connz.json')
    items = [{'cid': cid} for cid in range(1, count + 1)]
    server.route('/connz', PagedList('connections', items, document=document))


class TestPaging:

    def test_every_connection(self, module_server):
        serve_connections(module_server, 1500)
        result = run(dict(gather_subset=['connz'], max_items=0)).result
        assert [c['cid'] for c in result['connz']['connections']] == list(range(1, 1501))
        assert result['connz']['truncated'] is False

    def test_max_items(self, module_server):
        serve_connections(module_server, 1500)
        result = run(dict(gather_subset=['connz'], max_items=100)).result
        assert len(result['connz']['connections']) == 100
        assert result['connz']['truncated'] is True

    def test_subsz_listed_in_one_request(self, module_server):
        subs = [{'subject': 's.%d' % n, 'sid': str(n), 'cid': 1} for n in range(30)]
        module_server.route('/subsz', PagedList('subscriptions_list', subs))
        result = run(dict(gather_subset=['subsz'], subsz=dict(subs=True))).result
        assert result['subsz']['subscriptions_list'] == subs
        assert result['subsz']['truncated'] is False
        assert len(module_server.queries('/subsz')) == 1

    def test_subsz_repeats_dropped(self, module_server):
        # The same subscription twice in one answer (the list is built while it changes) is kept once.
        subs = [{'subject': 's.%d' % n, 'sid': str(n), 'cid': 1, 'account': 'A'} for n in range(5)]
        module_server.route('/subsz', PagedList('subscriptions_list', subs + subs[:2]))
        result = run(dict(gather_subset=['subsz'], subsz=dict(subs=True))).result
        assert result['subsz']['subscriptions_list'] == subs
        assert result['subsz']['total'] == 5


class TestFailures:

    def test_unreachable_names_url_and_cause(self, module_server):
        serve_single(module_server)
        module_server.route('/varz', NetworkFailure('refused'))
        run_result = run()
        assert run_result.failed
        assert run_result.msg.startswith(URL + '/varz: connection refused')
        assert run_result.result['url'] == URL
        assert run_result.result['error_kind'] == 'unreachable'

    def test_http_error_names_url(self, module_server):
        module_server.route('/connz', recorded(V10 + 'single/connz_state_bogus.400.txt'))
        run_result = run(dict(gather_subset=['connz']))
        assert run_result.failed
        assert run_result.msg.startswith(URL + '/connz?')
        assert 'HTTP 400' in run_result.msg
        assert run_result.result['http_status'] == 400

    def test_bad_gather_subset(self, module_server):
        run_result = run(dict(gather_subset=['varz', 'bogus']))
        assert run_result.failed
        assert "'bogus'" in run_result.msg
        assert 'expvarz' in run_result.msg
        assert module_server.requests == []

    def test_negative_max_items(self, module_server):
        run_result = run(dict(max_items=-1))
        assert run_result.failed
        assert 'max_items' in run_result.msg
        assert module_server.requests == []

    @pytest.mark.parametrize('endpoint, key', [('connz', 'offset'), ('subsz', 'limit'), ('jsz', 'offset')])
    def test_other_negative_paging_options_are_refused(self, module_server, endpoint, key):
        run_result = run({'gather_subset': [endpoint], endpoint: {key: -3}})
        assert run_result.failed
        assert '%s.%s' % (endpoint, key) in run_result.msg
        assert module_server.requests == []

    def test_negative_connz_limit_is_refused(self, module_server):
        # Like max_items: a negative limit has no meaning (nats-server 2.10.26 drops the
        # connection for /jsz?accounts=true&limit=-1, see jsz_accounts_limit_negative.error.txt).
        serve_connections(module_server, 5)
        run_result = run(dict(gather_subset=['connz'], connz=dict(limit=-1)))
        assert run_result.failed
        assert 'limit' in run_result.msg

    @pytest.mark.parametrize('healthz', [dict(stream='ORDERS'), dict(account='A', consumer='PROC')])
    def test_healthz_stream_needs_account(self, module_server, healthz):
        run_result = run(dict(healthz=healthz))
        assert run_result.failed
        assert run_result.msg == 'healthz: stream needs account, consumer needs stream'
        assert module_server.requests == []

    def test_bad_url(self, module_server):
        run_result = run(dict(url='http://nats1:8222/varz?x=1'))
        assert run_result.failed
        assert 'query or fragment' in run_result.msg


class TestTransportsAndNoLog:

    def test_both_real_transports(self, http_backend, monkeypatch):
        monkeypatch.setattr(transport, 'HAS_REQUESTS', http_backend.name == 'requests')
        serve_single(http_backend.server)
        result = run(dict(gather_subset=['all', 'raftz'])).result
        assert result['gathered'] == ALL
        assert list(result['unavailable']) == ['raftz']
        assert len(http_backend.calls) == len(ALL) + 1

    def test_without_requests(self, nats_server, monkeypatch):
        backend = install_http_backend('open_url', nats_server, monkeypatch)
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        serve_single(nats_server)
        result = run().result
        assert result['gathered'] == MIN
        assert result['server']['name'] == 's1'
        assert len(backend.calls) == len(MIN)

    def test_password_never_shown(self, module_server):
        password = 'n0t-In-0utput-7c21'
        serve_single(module_server)
        args = dict(url=URL, url_username='ops', url_password=password, gather_subset=['varz', 'raftz'])
        assert password not in repr(run(args).result)
        text, result, logged = run_module_output(nats_info, args)
        assert module_server.transports[-1].options.password == password
        assert result['gathered'] == ['varz']
        assert password not in text
        assert logged and password not in repr(logged)


class TestDest:
    """dest: the answers go to a file on the module's host; the task returns counts only."""

    def test_answers_written_counts_returned(self, module_server, tmp_path):
        serve_single(module_server)
        serve_connections(module_server, 1500)
        dest = tmp_path / 'connz.json'
        run_result = run(dict(gather_subset=['varz', 'connz'], max_items=0, dest=str(dest)))
        assert not run_result.failed, run_result.msg
        result = run_result.result
        assert 'connz' not in result and 'varz' not in result
        assert result['gathered'] == ['varz', 'connz']
        assert result['items'] == {'connz': 1500}
        assert result['truncated'] == {'connz': False}
        assert result['dest'] == str(dest) and result['changed'] is True
        assert result['server']['name'] == recorded_document('varz')['server_name']
        written = json.loads(dest.read_text())
        assert sorted(written) == ['connz', 'varz']
        assert [c['cid'] for c in written['connz']['connections']] == list(range(1, 1501))
        assert oct(os.stat(str(dest)).st_mode & 0o777) == oct(0o600)
        # The same answers again: the file is unchanged.
        assert run(dict(gather_subset=['varz', 'connz'], max_items=0, dest=str(dest))).result['changed'] is False

    def test_check_mode_writes_nothing(self, module_server, tmp_path):
        serve_connections(module_server, 10)
        dest = tmp_path / 'connz.json'
        result = run(dict(gather_subset=['connz'], dest=str(dest)), check_mode=True).result
        assert result['changed'] is True
        assert not dest.exists()

    def test_password_echoed_by_the_server_is_masked_in_the_file(self, module_server, tmp_path):
        module_server.route('/varz', dict(server_name='n1', version='2.15.1', echo='s3cret-pw'))
        dest = tmp_path / 'varz.json'
        run(dict(gather_subset=['varz'], dest=str(dest), url_username='ops', url_password='s3cret-pw'))
        text = dest.read_text()
        assert 's3cret-pw' not in text
        assert json.loads(text)['varz']['echo'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'

    def test_missing_folder_fails_naming_it(self, module_server, tmp_path):
        serve_single(module_server)
        dest = tmp_path / 'nowhere' / 'varz.json'
        run_result = run(dict(gather_subset=['varz'], dest=str(dest)))
        assert run_result.failed
        assert run_result.msg == 'dest %s: folder %s does not exist' % (dest, dest.parent)
