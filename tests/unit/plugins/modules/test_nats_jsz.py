# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.module_utils import waiting
from ansible_collections.nats_tools.nats.plugins.modules import nats_jsz
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    NetworkFailure,
    PagedList,
    answer_from,
    install_http_backend,
    load_fixture,
    paged_from,
    recorded,
    run_module,
    run_module_output,
)

URL = 'http://nats1:8222'
V10 = '2.10.26/'
RETURN_KEYS = {'changed', 'jsz', 'summary', 'attempts', 'elapsed'}
SUMMARY_KEYS = {'server_name', 'enabled', 'clustered', 'meta_leader', 'cluster_size', 'meta_peers', 'streams',
                'consumers', 'messages', 'bytes', 'memory', 'storage', 'streams_not_current',
                'consumers_not_current', 'healthy', 'problems'}

# Recorded 3-server cluster (n1 meta leader; in "catching_up" n1 also leads ORDERS).
LEADER_VARZ = answer_from(V10 + 'cluster/leader/varz.json')
LEADER_JSZ = answer_from(V10 + 'cluster/leader/jsz.json')
NO_META_LEADER = answer_from(V10 + 'quorum_lost/survivor/jsz_t25s.json')
# Answers with account_details are served page by page, as the recorded server would.
RESTARTING = paged_from(V10 + 'catching_up/leader/jsz_streams_consumers_at_restart_answer_01.json')
CATCHING_UP = paged_from(V10 + 'catching_up/leader/jsz_streams_consumers_at_restart_answer_03.json')
CAUGHT_UP = paged_from(V10 + 'catching_up/leader/jsz_streams_consumers_final.json')
# max_items=0 in the waiting tests keeps them about waiting: see test_accounts_read_in_one_request.
EVERY_ACCOUNT = dict(max_items=0)


def run(args=None, check_mode=False):
    return run_module(nats_jsz, dict(dict(url=URL), **(args or {})), check_mode=check_mode)


def serve(server, jsz, varz=LEADER_VARZ):
    server.route('/varz', varz)
    server.route('/jsz', jsz)


@pytest.fixture
def fake_poll(monkeypatch, fake_clock):
    monkeypatch.setattr(waiting, 'poll', functools.partial(waiting.poll, clock=fake_clock.clock,
                                                           sleep=fake_clock.sleep))
    return fake_clock


class TestRead:

    def test_meta_leader_view(self, module_server):
        serve(module_server, LEADER_JSZ)
        run_result = run()
        assert not run_result.failed, run_result.msg
        result = run_result.result
        assert set(result) == RETURN_KEYS
        assert set(result['summary']) == SUMMARY_KEYS
        assert (result['changed'], result['attempts'], result['elapsed']) == (False, 1, 0.0)
        assert result['jsz'] == load_fixture(V10 + 'cluster/leader/jsz.json')
        summary = result['summary']
        assert (summary['server_name'], summary['meta_leader'], summary['cluster_size']) == ('n1', 'n1', 3)
        assert summary['healthy'] is True
        assert [p['name'] for p in summary['meta_peers']] == ['n2', 'n3']
        assert module_server.queries('/jsz') == [{}]

    def test_check_mode_is_identical(self, module_server):
        serve(module_server, LEADER_JSZ)
        assert run(check_mode=True).result == run().result

    def test_unhealthy_is_reported_not_failed(self, module_server):
        serve(module_server, PagedList.recorded(V10 + 'peer_down_graceful/leader/jsz_streams_consumers.json'))
        run_result = run(dict(accounts=True, streams=True, consumers=True, **EVERY_ACCOUNT))
        assert not run_result.failed
        summary = run_result.result['summary']
        assert summary['healthy'] is False
        assert 'meta peer n2 offline' in summary['problems']
        assert 'stream ORDERS (account A): replica n2 offline' in summary['problems']

    def test_options_in_server_spelling(self, module_server):
        serve(module_server, LEADER_JSZ)
        run(dict(acc='A', streams=True, consumers=True, config=True, raft=True, stream_leader_only=True))
        query = module_server.queries('/jsz')[0]
        query.pop('limit', None)  # streams list accounts: the client may page them
        assert query == {'acc': 'A', 'streams': 'true', 'consumers': 'true', 'config': 'true', 'raft': 'true',
                         'stream-leader-only': 'true'}

    def test_accounts_are_paged_up_to_max_items(self, module_server):
        accounts = [{'name': 'ACC%d' % n, 'id': 'ACC%d' % n} for n in range(40)]
        module_server.route('/varz', LEADER_VARZ)
        module_server.route('/jsz', PagedList('account_details', accounts, document=load_fixture(
            V10 + 'cluster/leader/jsz.json'), with_total=False))
        result = run(dict(accounts=True, max_items=25)).result
        assert [a['name'] for a in result['jsz']['account_details']] == ['ACC%d' % n for n in range(25)]
        assert result['jsz']['truncated'] is True

    def test_accounts_read_in_one_request(self, module_server):
        # 2.10.26 sends no `total` in /jsz. The first page (asked with limit 10000, the default
        # max_items) holds both accounts and is short: nothing is left to read.
        serve(module_server, PagedList.recorded(V10 + 'peer_down_graceful/leader/jsz_streams_consumers.json'))
        result = run(dict(accounts=True, streams=True, consumers=True)).result
        assert [a['name'] for a in result['jsz']['account_details']] == ['B', 'A']
        assert len(module_server.queries('/jsz')) == 1

    def test_jetstream_disabled(self, module_server):
        serve(module_server, recorded(V10 + 'no_js/jsz.json'), varz=recorded(V10 + 'no_js/varz.json'))
        result = run().result
        assert result['summary']['enabled'] is False
        assert result['summary']['problems'] == ['JetStream is not enabled on this server']

    def test_max_lag(self, module_server):
        document = load_fixture(V10 + 'cluster/leader/jsz.json')
        document['meta_cluster']['replicas'][0]['lag'] = 3  # derived: one field changed
        serve(module_server, document)
        assert run(dict(max_lag=2)).result['summary']['healthy'] is False
        assert run(dict(max_lag=3)).result['summary']['healthy'] is True


class TestFailures:

    def test_leader_only_on_follower(self, module_server):
        serve(module_server, recorded(V10 + 'cluster/follower/jsz_leader_only.400.txt'),
              varz=recorded(V10 + 'cluster/follower/varz.json'))
        run_result = run(dict(leader_only=True))
        assert run_result.failed
        assert run_result.msg == URL + '/jsz?leader-only=true: HTTP 400: filtered response: not leader'
        assert run_result.result['http_status'] == 400

    def test_unreachable(self, module_server):
        module_server.route('/varz', NetworkFailure('refused'))
        module_server.route('/jsz', NetworkFailure('refused'))
        run_result = run()
        assert run_result.failed
        assert run_result.msg.startswith(URL + '/')
        assert 'connection refused' in run_result.msg
        assert run_result.result['error_kind'] == 'unreachable'

    def test_not_json(self, module_server):
        serve(module_server, '<html>login</html>')
        run_result = run()
        assert run_result.failed
        assert run_result.msg.startswith(URL + '/jsz: answer is not JSON')

    @pytest.mark.parametrize('args', [dict(max_lag=-1), dict(max_items=-5)])
    def test_negative_numbers(self, module_server, args):
        run_result = run(args)
        assert run_result.failed
        assert 'must be 0 or more' in run_result.msg
        assert module_server.requests == []

    def test_bad_wait_for(self, module_server):
        run_result = run(dict(wait_for='forever'))
        assert run_result.failed
        assert 'wait_for' in run_result.msg


class TestWait:

    def test_wait_for_meta_leader(self, module_server, fake_poll):
        module_server.route('/varz', LEADER_VARZ)
        module_server.route_sequence('/jsz', NO_META_LEADER, LEADER_JSZ)
        run_result = run(dict(wait_for='meta_leader', wait_interval=5))
        assert not run_result.failed, run_result.msg
        assert (run_result.result['attempts'], run_result.result['elapsed']) == (2, 5.0)
        assert run_result.result['summary']['meta_leader'] == 'n1'

    def test_meta_leader_never_elected(self, module_server, fake_poll):
        serve(module_server, NO_META_LEADER)
        run_result = run(dict(wait_for='meta_leader', wait_timeout=10, wait_interval=5))
        assert run_result.failed
        assert run_result.msg.startswith(URL + ': JetStream not ready (no meta leader) after 3 attempts in 10.0 s')
        assert 'meta group has no leader' in run_result.msg
        assert run_result.result['summary']['meta_leader'] is None

    def test_standalone_has_nothing_to_wait_for(self, module_server, fake_poll):
        serve(module_server, recorded(V10 + 'single/jsz.json'), varz=recorded(V10 + 'single/varz.json'))
        result = run(dict(wait_for='meta_leader')).result
        assert result['attempts'] == 1

    def test_wait_for_current(self, module_server, fake_poll):
        module_server.route('/varz', LEADER_VARZ)
        module_server.route_sequence('/jsz', RESTARTING, CATCHING_UP, CAUGHT_UP)
        run_result = run(dict(EVERY_ACCOUNT, wait_for='current'))
        assert not run_result.failed, run_result.msg
        assert run_result.result['attempts'] == 3
        assert run_result.result['summary']['healthy'] is True
        for query in module_server.queries('/jsz'):
            assert (query['accounts'], query['streams'], query['consumers']) == ('true', 'true', 'true')

    def test_not_current_by_the_deadline(self, module_server, fake_poll):
        serve(module_server, CATCHING_UP)
        run_result = run(dict(EVERY_ACCOUNT, wait_for='current', wait_timeout=2, wait_interval=1))
        assert run_result.failed
        assert run_result.msg.startswith(URL + ': JetStream not current after 3 attempts in 2.0 s: ')
        assert 'stream ORDERS (account A): replica n2 not current (lag 40068)' in run_result.msg
        assert run_result.result['summary']['healthy'] is False

    def test_keeps_waiting_through_a_restart(self, module_server, fake_poll):
        module_server.route('/varz', LEADER_VARZ)
        module_server.route_sequence('/jsz', NetworkFailure('refused'), NetworkFailure('connect_timeout'), CAUGHT_UP)
        result = run(dict(EVERY_ACCOUNT, wait_for='current')).result
        assert (result['attempts'], result['summary']['healthy']) == (3, True)

    def test_unreachable_until_the_deadline(self, module_server, fake_poll):
        serve(module_server, NetworkFailure('refused'))
        run_result = run(dict(EVERY_ACCOUNT, wait_for='current', wait_timeout=3, wait_interval=1))
        assert run_result.failed
        assert run_result.msg.startswith(URL + '/jsz?')
        assert 'connection refused' in run_result.msg
        assert run_result.result['attempts'] == 4

    def test_http_error_stops_waiting(self, module_server, fake_poll):
        serve(module_server, recorded(V10 + 'cluster/follower/jsz_leader_only.400.txt'))
        run_result = run(dict(wait_for='meta_leader', leader_only=True))
        assert run_result.failed
        assert 'not leader' in run_result.msg
        assert fake_poll.sleeps == []


class TestTransportsAndNoLog:

    def test_both_real_transports(self, http_backend, monkeypatch):
        monkeypatch.setattr(transport, 'HAS_REQUESTS', http_backend.name == 'requests')
        serve(http_backend.server, LEADER_JSZ)
        result = run().result
        assert result['summary']['healthy'] is True
        assert len(http_backend.calls) == 2

    def test_without_requests(self, nats_server, monkeypatch):
        backend = install_http_backend('open_url', nats_server, monkeypatch)
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        serve(nats_server, LEADER_JSZ)
        assert run().result['summary']['meta_leader'] == 'n1'
        assert {call['url'] for call in backend.calls} == {URL + '/varz', URL + '/jsz'}

    def test_password_never_shown(self, module_server):
        password = 'n0t-In-0utput-51be'
        serve(module_server, NO_META_LEADER)
        args = dict(url=URL, url_username='ops', url_password=password, wait_for='meta_leader', wait_timeout=0)
        raw = run(args)
        assert raw.failed
        assert password not in repr(raw.result)
        text, result, logged = run_module_output(nats_jsz, args)
        assert module_server.transports[-1].options.password == password
        assert result['failed'] is True
        assert password not in text
        assert logged and password not in repr(logged)
