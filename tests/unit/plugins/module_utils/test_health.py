# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Verdict functions, judged on /healthz and /jsz answers recorded from real servers.

Where a state was not recorded, it is derived from a recorded answer by
changing one field; the comment at that spot says which."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.client import ENDPOINTS, build_query
from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import (
    describe_health_error,
    healthz_needs_version,
    healthz_params,
    healthz_verdict,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import (
    is_leader_view,
    jsz_wait_satisfied,
    meta_peers,
    replica_problem,
    summarize_jsz,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import parse_version, version_at_least
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import load_fixture, recorded

V10 = '2.10.26'
V11 = '2.11.11'
V15 = '2.15.1'


def jsz(name, version=V10):
    return load_fixture('%s/%s' % (version, name))


def answer(name, version=V10):
    """(http status, parsed document) of a recorded /healthz answer."""
    return recorded('%s/%s' % (version, name))[0], load_fixture('%s/%s' % (version, name))


def stream_cluster(document, stream='ORDERS'):
    for account in document['account_details']:
        for detail in account.get('stream_detail') or []:
            if detail['name'] == stream:
                return detail['cluster']
    raise AssertionError('no stream %s' % stream)


def consumer_cluster(document, stream='ORDERS', consumer='PROC'):
    for account in document['account_details']:
        for detail in account.get('stream_detail') or []:
            for item in detail.get('consumer_detail') or []:
                if detail['name'] == stream and item['name'] == consumer:
                    return item['cluster']
    raise AssertionError('no consumer %s/%s' % (stream, consumer))


# ---------------------------------------------------------------------------
# Versions and /healthz parameters
# ---------------------------------------------------------------------------

class TestVersions:

    @pytest.mark.parametrize('text, expected', [
        ('2.10.26', (2, 10, 26)),
        ('2.11.11', (2, 11, 11)),
        ('v2.11.0-RC.1', (2, 11, 0)),
        ('2.12.0-beta.2', (2, 12, 0)),
        (' 2.15.1 ', (2, 15, 1)),
        ('2.9', (2, 9, 0)),
        ('10.0.3', (10, 0, 3)),
        ('', None),
        (None, None),
        ('unknown', None),
        ('v', None),
    ])
    def test_parse_version(self, text, expected):
        assert parse_version(text) == expected

    def test_recorded_versions_parse(self):
        assert parse_version(jsz('single/varz.json')['version']) == (2, 10, 26)

    @pytest.mark.parametrize('version, expected', [
        ('2.10.26', False), ('2.10.999', False), ('2.11.0', True), ('v2.11.0-RC.1', True), ('2.11.11', True),
        ('3.0.0', True), (None, False), ('garbage', False), ((2, 11, 0), True), ((2, 10, 9), False),
    ])
    def test_version_at_least_2_11(self, version, expected):
        assert version_at_least(version, (2, 11, 0)) is expected


def healthz_query(**params):
    return build_query(ENDPOINTS['healthz'], healthz_params(**params))


class TestHealthzParams:

    def test_meta_only_on_2_10_is_js_server_only(self):
        params = healthz_params(version=V10, js_meta_only=True)
        assert params.get('js_server_only') is True
        assert not params.get('js_meta_only')
        assert healthz_query(version=V10, js_meta_only=True) == 'js-server-only=true'

    def test_meta_only_on_2_11(self):
        params = healthz_params(version=V11, js_meta_only=True)
        assert params.get('js_meta_only') is True
        assert not params.get('js_server_only')
        assert healthz_query(version=V11, js_meta_only=True) == 'js-meta-only=true'

    def test_meta_only_on_release_candidate(self):
        assert healthz_query(version='v2.11.0-RC.2', js_meta_only=True) == 'js-meta-only=true'

    @pytest.mark.parametrize('version', [V10, V11, None])
    def test_server_only_is_sent_as_given(self, version):
        assert healthz_query(version=version, js_server_only=True) == 'js-server-only=true'

    def test_other_options_pass_through(self):
        assert healthz_query(version=V11, js_enabled_only=True, account='A', stream='ORDERS', consumer='PROC',
                             details=True) == \
            'account=A&consumer=PROC&details=true&js-enabled-only=true&stream=ORDERS'

    def test_defaults_send_nothing(self):
        assert healthz_query() == ''

    def test_only_meta_only_needs_the_version(self):
        assert healthz_needs_version(js_meta_only=True) is True
        assert healthz_needs_version(js_server_only=True, details=True, account='A') is False


# ---------------------------------------------------------------------------
# /healthz verdict
# ---------------------------------------------------------------------------

class TestHealthzVerdict:

    @pytest.mark.parametrize('fixture', [
        'single/healthz.json', 'single/healthz_details.json', 'cluster/leader/healthz.json',
        'cluster/follower/healthz_js_meta_only.json', 'no_js/healthz.json',
    ])
    def test_healthy(self, fixture):
        verdict = healthz_verdict(*answer(fixture))
        assert verdict == dict(healthy=True, status='ok', http_status=200, error=None, errors=[])

    def test_lame_duck_500(self):
        verdict = healthz_verdict(*answer('lame_duck/healthz.500.json'))
        assert verdict['healthy'] is False
        assert (verdict['status'], verdict['http_status']) == ('error', 500)
        assert verdict['error'].startswith('failed to be ready for connections')

    def test_lame_duck_500_details(self):
        verdict = healthz_verdict(*answer('lame_duck/healthz_details.500.json'))
        assert verdict['healthy'] is False
        assert verdict['errors'][0]['type'] == 'CONNECTION'
        assert verdict['error'].startswith('failed to be ready for connections')

    def test_no_meta_leader_503(self):
        verdict = healthz_verdict(*answer('quorum_lost/survivor/healthz_t25s.503.json'))
        assert verdict['healthy'] is False
        assert (verdict['status'], verdict['http_status']) == ('unavailable', 503)
        assert verdict['error'] == 'JetStream has not established contact with a meta leader'

    def test_stream_catching_up_503_details_2_15(self):
        verdict = healthz_verdict(*answer('catching_up/restarted/healthz_details_catchup.503.json', V15))
        assert verdict['healthy'] is False
        assert verdict['error'] == "account A, stream ORDERS: JetStream stream 'A > ORDERS' is not current: " \
                                   "stream catching up"

    def test_stream_catching_up_503_details(self):
        verdict = healthz_verdict(*answer('catching_up/restarted/healthz_details_after_restart_03.503.json'))
        assert verdict['healthy'] is False
        assert verdict['http_status'] == 503
        assert verdict['error'] == "account A, stream ORDERS: JetStream stream 'A > ORDERS' is not current: " \
                                   "group node unhealthy"
        assert verdict['errors'][0]['stream'] == 'ORDERS'

    def test_bad_request_400(self):
        verdict = healthz_verdict(*answer('single/healthz_stream_without_account_details.400.json'))
        assert verdict['healthy'] is False
        assert verdict['http_status'] == 400
        assert verdict['error'] == '"account" must not be empty when checking stream health'

    def test_unknown_stream_404(self):
        verdict = healthz_verdict(*answer('single/healthz_stream_unknown.404.json'))
        assert verdict['healthy'] is False
        assert verdict['error'] == 'JetStream stream "NOPE" not found on account "A"'

    def test_status_must_be_ok_too(self):
        assert healthz_verdict(200, {'status': 'error', 'error': 'x'})['healthy'] is False

    def test_no_document(self):
        assert healthz_verdict(200, None)['healthy'] is True
        assert healthz_verdict(500, None) == dict(healthy=False, status='error', http_status=500, error=None,
                                                  errors=[])

    @pytest.mark.parametrize('fixture, status', [
        ('catching_up/restarted/healthz_details_after_restart_03.503.json', 'unavailable'),
        ('quorum_lost/survivor/healthz_t25s.503.json', 'unavailable'),
        ('lame_duck/healthz_details.500.json', 'error'),
        ('single/healthz_stream_unknown.404.json', 'error'),
        ('single/healthz_consumer_without_stream.400.json', 'error'),
    ])
    def test_status_follows_the_http_status(self, fixture, status):
        # With details=true nats-server says "error" in the body for a 503 too.
        assert healthz_verdict(*answer(fixture))['status'] == status

    def test_several_errors_joined(self):
        verdict = healthz_verdict(503, {'status': 'error', 'errors': [
            {'type': 'STREAM', 'account': 'A', 'stream': 'ORDERS', 'error': 'not current'},
            {'type': 'CONSUMER', 'account': 'A', 'stream': 'ORDERS', 'consumer': 'PROC', 'error': 'not current'},
        ]})
        assert verdict['error'] == 'account A, stream ORDERS: not current; ' \
                                   'account A, stream ORDERS, consumer PROC: not current'

    def test_describe_health_error(self):
        assert describe_health_error({'type': 'JETSTREAM', 'error': 'no leader'}) == 'no leader'
        assert describe_health_error({'type': 'STREAM', 'stream': 'S'}) == 'stream S: STREAM'
        assert describe_health_error({}) == 'unhealthy'


# ---------------------------------------------------------------------------
# /jsz summary
# ---------------------------------------------------------------------------

class TestMetaGroup:

    def test_leader_view_with_replicas(self):
        summary = summarize_jsz(jsz('cluster/leader/jsz.json'), server_name='n1')
        assert summary['healthy'] is True, summary['problems']
        assert (summary['enabled'], summary['clustered'], summary['meta_leader'], summary['cluster_size']) == \
            (True, True, 'n1', 3)
        assert [p['name'] for p in summary['meta_peers']] == ['n2', 'n3']
        assert summary['meta_peers'][0] == dict(name='n2', current=True, offline=False, lag=0, active_s=0.135)

    def test_follower_view_without_replicas(self):
        summary = summarize_jsz(jsz('cluster/follower/jsz.json'), server_name='n2')
        assert summary['healthy'] is True
        assert summary['meta_leader'] == 'n1'
        assert summary['meta_peers'] == []
        assert summary['cluster_size'] == 3

    def test_peer_offline_yet_current(self):
        document = jsz('peer_down_graceful/leader/jsz.json')
        n2 = document['meta_cluster']['replicas'][0]
        assert (n2['name'], n2['current'], n2['offline']) == ('n2', True, True)
        summary = summarize_jsz(document, server_name='n1')
        assert summary['healthy'] is False
        assert summary['problems'] == ['meta peer n2 offline']
        assert summary['meta_peers'][0]['offline'] is True

    def test_peer_not_current_while_restarting(self):
        summary = summarize_jsz(jsz('catching_up/leader/jsz_streams_consumers_at_restart_answer_01.json'),
                                server_name='n1')
        assert 'meta peer n2 not current (lag 0)' in summary['problems']

    def test_meta_lag_above_max_lag(self):
        document = jsz('cluster/leader/jsz.json')
        document['meta_cluster']['replicas'][1]['lag'] = 7  # derived: one field changed
        assert summarize_jsz(document, max_lag=0, server_name='n1')['problems'] == \
            ['meta peer n3 lag 7 above max_lag 0']
        assert summarize_jsz(document, max_lag=7, server_name='n1')['healthy'] is True

    def test_no_meta_leader(self):
        summary = summarize_jsz(jsz('quorum_lost/survivor/jsz_t25s.json'))
        assert summary['healthy'] is False
        assert summary['meta_leader'] is None
        assert 'meta group has no leader' in summary['problems']

    def test_crashed_peer_still_looks_current(self):
        # 1 s after two peers were killed the leader still lists them current, not offline.
        summary = summarize_jsz(jsz('peer_down_crash/leader/jsz_t1s.json'), server_name='n1')
        assert summary['healthy'] is True
        assert summary['meta_peers'][0]['active_s'] == pytest.approx(1.829, abs=0.001)

    def test_silence_is_a_problem_with_max_peer_seen(self):
        peer = jsz('peer_down_crash/leader/jsz_t1s.json')['meta_cluster']['replicas'][0]
        assert replica_problem(peer, 0) is None
        assert replica_problem(peer, 0, max_peer_seen=1.0).startswith('not seen for 1.8 s')
        assert replica_problem(peer, 0, max_peer_seen=5.0) is None

    def test_offline_comes_first(self):
        peer = dict(jsz('peer_down_graceful/leader/jsz.json')['meta_cluster']['replicas'][0])
        assert replica_problem(peer, 0, max_peer_seen=0.1) == 'offline'

    def test_meta_peers_of_nothing(self):
        assert meta_peers(None) == []
        assert meta_peers(jsz('single/jsz.json')) == []


class TestMetaGroup215:
    """2.15 lists meta replicas on followers too; only the leader's list is judged.
    (In the 2.15.1 "cluster" recording n3 is meta leader, n2 leads ORDERS, n1 follows.)"""

    def test_leader_view(self):
        summary = summarize_jsz(jsz('cluster/leader/jsz.json', V15), server_name='n3')
        assert summary['healthy'] is True, summary['problems']
        assert [p['name'] for p in summary['meta_peers']] == ['n1', 'n2']

    def test_follower_view_with_stale_replicas(self):
        document = jsz('cluster/follower/jsz.json', V15)
        n2 = document['meta_cluster']['replicas'][0]
        assert (n2['name'], n2['current']) == ('n2', False), 'what a follower knows of another follower'
        summary = summarize_jsz(document, server_name='n1')
        assert summary['healthy'] is True, summary['problems']
        assert summary['meta_leader'] == 'n3'
        assert [p['name'] for p in summary['meta_peers']] == ['n2', 'n3']

    def test_follower_view_without_server_name(self):
        # The replica list names the leader (n3): a follower's view, whoever asks.
        assert summarize_jsz(jsz('cluster/follower/jsz.json', V15))['healthy'] is True

    def test_peer_offline_yet_current(self):
        summary = summarize_jsz(jsz('peer_down_graceful/leader/jsz.json', V15), server_name='n3')
        assert summary['problems'] == ['meta peer n1 offline']

    @pytest.mark.parametrize('role, server_name', [('leader', 'n3'), ('follower', 'n1')])
    def test_stream_follower_views(self, role, server_name):
        # Neither recorded server leads ORDERS (n2 does); each lists a replica "not current".
        document = jsz('cluster/%s/jsz_streams_consumers.json' % role, V15)
        assert not all(r['current'] for r in stream_cluster(document)['replicas'])
        summary = summarize_jsz(document, server_name=server_name)
        assert summary['streams_not_current'] == []
        assert summary['healthy'] is True

    def test_no_meta_leader(self):
        summary = summarize_jsz(jsz('quorum_lost/survivor/jsz_t25s.json', V15), server_name='n1')
        assert summary['meta_leader'] is None
        assert 'meta group has no leader' in summary['problems']
        assert jsz_wait_satisfied(summary, 'meta_leader') is False


class TestStandaloneAndDisabled:

    @pytest.mark.parametrize('version', [V10, V15])
    def test_standalone_server(self, version):
        summary = summarize_jsz(jsz('single/jsz.json', version), server_name='s1')
        assert summary['healthy'] is True
        assert (summary['enabled'], summary['clustered'], summary['meta_leader'], summary['cluster_size']) == \
            (True, False, None, 1)

    def test_standalone_stream_has_no_replicas(self):
        document = jsz('single/jsz_acc_A_streams_consumers.json')
        summary = summarize_jsz(document, server_name='s1')
        assert summary['healthy'] is True
        assert summary['streams_not_current'] == summary['consumers_not_current'] == []

    def test_counters(self):
        document = jsz('single/jsz.json')
        summary = summarize_jsz(document)
        for key in ('streams', 'consumers', 'messages', 'bytes', 'memory', 'storage'):
            assert summary[key] == document[key]
        assert (summary['streams'], summary['messages']) == (1, 10)

    @pytest.mark.parametrize('version', [V10, V15])
    def test_jetstream_disabled(self, version):
        summary = summarize_jsz(jsz('no_js/jsz.json', version), server_name='nojs')
        assert summary['enabled'] is False
        assert summary['healthy'] is False
        assert summary['problems'] == ['JetStream is not enabled on this server']
        assert summary['cluster_size'] is None

    def test_nothing(self):
        summary = summarize_jsz(None)
        assert summary['enabled'] is True
        assert summary['clustered'] is False


class TestStreamReplicas:

    def test_all_current_on_stream_leader(self):
        # In the "cluster" recording n2 leads ORDERS and PROC.
        summary = summarize_jsz(jsz('cluster/follower/jsz_streams_consumers.json'), server_name='n2')
        assert summary['healthy'] is True, summary['problems']
        assert summary['streams_not_current'] == summary['consumers_not_current'] == []

    def test_follower_view_of_a_stream_is_not_judged(self):
        # n1 follows ORDERS: its list names the leader n2 and shows n3 "not current" with a lag,
        # which only the leader could know.
        document = jsz('cluster/leader/jsz_streams_consumers.json')
        assert stream_cluster(document)['leader'] == 'n2'
        assert [r['current'] for r in stream_cluster(document)['replicas']] == [True, False]
        for server_name in ('n1', None):
            summary = summarize_jsz(document, server_name=server_name)
            assert summary['streams_not_current'] == [], server_name
            assert summary['consumers_not_current'] == []
            assert summary['healthy'] is True

    @pytest.mark.parametrize('server_name', ['n2', None])
    def test_is_leader_view(self, server_name):
        leader_view = stream_cluster(jsz('cluster/follower/jsz_streams_consumers.json'))
        follower_view = stream_cluster(jsz('cluster/leader/jsz_streams_consumers.json'))
        assert is_leader_view(leader_view, server_name) is True
        assert is_leader_view(follower_view, 'n1' if server_name else None) is False

    def test_offline_replica_on_stream_leader(self):
        summary = summarize_jsz(jsz('peer_down_graceful/leader/jsz_streams_consumers.json'), server_name='n1')
        assert summary['healthy'] is False
        stream, = summary['streams_not_current']
        assert stream == dict(account='A', stream='ORDERS', consumer=None, leader='n1', replica='n2', current=False,
                              offline=True, lag=8, problem='offline')
        consumer, = summary['consumers_not_current']
        assert (consumer['consumer'], consumer['replica'], consumer['problem']) == ('PROC', 'n2', 'offline')
        assert 'stream ORDERS (account A): replica n2 offline' in summary['problems']
        assert 'consumer ORDERS/PROC (account A): replica n2 offline' in summary['problems']

    def test_other_follower_sees_offline_peer_but_is_not_judge(self):
        summary = summarize_jsz(jsz('peer_down_graceful/other_follower/jsz_streams_consumers.json'), server_name='n3')
        assert summary['streams_not_current'] == summary['consumers_not_current'] == []

    def test_replica_catching_up(self):
        summary = summarize_jsz(jsz('catching_up/leader/jsz_streams_consumers_at_restart_answer_03.json'),
                                server_name='n1')
        finding, = summary['streams_not_current']
        assert (finding['replica'], finding['current'], finding['lag']) == ('n2', False, 40068)
        assert finding['problem'] == 'not current (lag 40068)'
        assert summarize_jsz(jsz('catching_up/leader/jsz_streams_consumers_final.json'),
                             server_name='n1')['healthy'] is True

    def test_lag_above_max_lag(self):
        document = jsz('cluster/follower/jsz_streams_consumers.json')
        stream_cluster(document)['replicas'][1]['lag'] = 5  # derived: one field changed (n3 current, lag 5)
        summary = summarize_jsz(document, max_lag=0, server_name='n2')
        assert summary['problems'] == ['stream ORDERS (account A): replica n3 lag 5 above max_lag 0']
        assert summarize_jsz(document, max_lag=5, server_name='n2')['healthy'] is True

    def test_stream_without_leader(self):
        document = jsz('cluster/follower/jsz_streams_consumers.json')
        del stream_cluster(document)['leader']  # derived: the leader field removed (election under way)
        for server_name in ('n2', 'n1', None):
            summary = summarize_jsz(document, server_name=server_name)
            finding, = summary['streams_not_current']
            assert (finding['stream'], finding['leader'], finding['replica'], finding['problem']) == \
                ('ORDERS', None, None, 'no leader')
            assert summary['problems'] == ['stream ORDERS (account A): no leader']

    def test_consumer_without_leader(self):
        document = jsz('cluster/follower/jsz_streams_consumers.json')
        consumer_cluster(document)['leader'] = ''  # derived: one field changed
        summary = summarize_jsz(document, server_name='n2')
        assert summary['problems'] == ['consumer ORDERS/PROC (account A): no leader']

    def test_default_account_is_not_named(self):
        document = jsz('peer_down_graceful/leader/jsz_streams_consumers.json')
        account, = [a for a in document['account_details'] if a['name'] == 'A']
        account['name'] = '$G'  # derived: one field changed
        problems = summarize_jsz(document, server_name='n1')['problems']
        assert 'stream ORDERS: replica n2 offline' in problems


class TestJszWaitSatisfied:

    @pytest.mark.parametrize('fixture, server_name, expected', [
        ('cluster/leader/jsz.json', 'n1', True),
        ('cluster/follower/jsz.json', 'n2', True),
        ('single/jsz.json', 's1', True),
        ('quorum_lost/survivor/jsz_t25s.json', None, False),
        ('no_js/jsz.json', 'nojs', False),
    ])
    def test_meta_leader(self, fixture, server_name, expected):
        assert jsz_wait_satisfied(summarize_jsz(jsz(fixture), server_name=server_name), 'meta_leader') is expected

    @pytest.mark.parametrize('fixture, expected', [
        ('catching_up/leader/jsz_streams_consumers_final.json', True),
        ('catching_up/leader/jsz_streams_consumers_at_restart_answer_03.json', False),
        ('peer_down_graceful/leader/jsz.json', False),
    ])
    def test_current(self, fixture, expected):
        assert jsz_wait_satisfied(summarize_jsz(jsz(fixture), server_name='n1'), 'current') is expected

    def test_none_is_always_satisfied(self):
        assert jsz_wait_satisfied(summarize_jsz(jsz('no_js/jsz.json')), 'none') is True
