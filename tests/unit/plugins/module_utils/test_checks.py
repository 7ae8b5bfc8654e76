# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nats_check verdicts on answers recorded from real servers (tests/unit/fixtures/<v>/check_*,
record_check_fixtures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import checks_state
from ansible_collections.nats_tools.nats.plugins.module_utils.checks import (
    breaches,
    failure_message,
    jsz_query,
    perfdata,
    prometheus,
    run_checks,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_server import parse_time
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import (
    fmt,
    metadata_thresholds,
    parse_duration,
    threshold_problems,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import load_fixture

VERSIONS = ['2.10.26', '2.15.1']


def server(version, scenario, url='http://127.0.0.1:8222', jsz=True):
    varz = load_fixture('%s/%s/varz.json' % (version, scenario))
    return NatsServer(url, varz=varz, jsz=load_fixture('%s/%s/jsz_all.json' % (version, scenario)) if jsz else None)


def rows_of(verdict, check=None, measure=None):
    return [r for r in verdict['checks'] if (check is None or r['check'] == check)
            and (measure is None or r['measure'] == measure)]


def one(verdict, check, measure):
    found = rows_of(verdict, check, measure)
    assert len(found) == 1, verdict['checks']
    return found[0]


@pytest.mark.parametrize('version', VERSIONS)
class TestRecorded:

    def test_stream_fills_ok_warning_critical(self, version):
        thresholds = dict(warn={'bytes_pct': 75}, crit={'bytes_pct': 90})
        ok = run_checks(['stream'], [server(version, 'check_single/ok')], stream='CHECK', **thresholds)
        full = run_checks(['stream'], [server(version, 'check_single/full')], stream='CHECK', **thresholds)
        assert one(ok, 'stream', 'bytes_pct')['status'] == 'ok'
        assert one(ok, 'stream', 'bytes_pct')['value'] == 10.26
        row = one(full, 'stream', 'bytes_pct')
        assert (row['status'], row['value']) == ('critical', 99.52)
        assert full['status'] == 'critical'
        assert 'crit above 90' in row['message']
        warn = run_checks(['stream'], [server(version, 'check_single/full')], stream='CHECK',
                          warn={'bytes_pct': 99}, crit={'bytes_pct': 99.9})
        assert one(warn, 'stream', 'bytes_pct')['status'] == 'warning'

    def test_stream_metadata_thresholds(self, version):
        verdict = run_checks(['stream'], [server(version, 'check_single/ok')], stream='CHECK')
        row = one(verdict, 'stream', 'msgs_min')
        # io.nats.monitor.msgs-warn=5, msgs-critical=1: 10 messages are fine
        assert (row['warn'], row['crit'], row['threshold_source'], row['status']) == (5, 1, 'metadata', 'ok')
        # the task's own override the metadata
        verdict = run_checks(['stream'], [server(version, 'check_single/ok')], stream='CHECK', warn={'msgs_min': 20})
        row = one(verdict, 'stream', 'msgs_min')
        assert (row['warn'], row['crit'], row['threshold_source'], row['status']) == (20, 1, 'task', 'warning')

    def test_consumer_backlog_and_metadata(self, version):
        ok = run_checks(['consumer'], [server(version, 'check_single/ok')], stream='CHECK', consumer='WORK')
        full = run_checks(['consumer'], [server(version, 'check_single/full')], stream='CHECK', consumer='WORK')
        assert one(ok, 'consumer', 'num_pending')['value'] == 5
        assert ok['status'] == 'ok'
        row = one(full, 'consumer', 'num_pending')
        # io.nats.monitor.unprocessed-critical=80
        assert (row['value'], row['crit'], row['threshold_source'], row['status']) == (97, 80, 'metadata', 'critical')
        assert one(full, 'consumer', 'last_ack_s')['crit'] == 3600
        task = run_checks(['consumer'], [server(version, 'check_single/full')], stream='CHECK', consumer='WORK',
                          crit={'num_pending': 100})
        assert one(task, 'consumer', 'num_pending')['status'] == 'ok'

    def test_not_found_is_critical_naming_the_url(self, version):
        verdict = run_checks(['stream', 'consumer'], [server(version, 'check_single/ok')], stream='NOPE',
                             consumer='WORK')
        messages = [r['message'] for r in verdict['checks'] if r['status'] == 'critical']
        assert messages == ['stream NOPE not found at http://127.0.0.1:8222/jsz'] * 2
        verdict = run_checks(['consumer'], [server(version, 'check_single/ok')], stream='CHECK', consumer='NOPE')
        assert one(verdict, 'consumer', 'found')['message'].startswith('consumer CHECK > NOPE not found')
        assert one(verdict, 'consumer', 'found')['url'] == 'http://127.0.0.1:8222'

    def test_jetstream_usage_defaults(self, version):
        verdict = run_checks(['jetstream'], [server(version, 'check_single/full')])
        row = one(verdict, 'jetstream', 'memory_pct')
        assert (row['warn'], row['crit'], row['status'], row['threshold_source']) == (75, 90, 'ok', 'default')
        assert 0 < row['value'] < 1
        tight = run_checks(['jetstream'], [server(version, 'check_single/full')], crit={'memory_pct': 0.01})
        assert tight['status'] == 'critical'
        # api_errors needs a state file: without a threshold it is left out
        assert rows_of(verdict, 'jetstream', 'api_errors') == []
        unknown = run_checks(['jetstream'], [server(version, 'check_single/full')], crit={'api_errors': 0})
        assert one(unknown, 'jetstream', 'api_errors')['status'] == 'unknown'
        assert 'state_file' in one(unknown, 'jetstream', 'api_errors')['message']

    def test_meta_from_the_leaders_view(self, version):
        leader, follower = server(version, 'check_cluster/leader', 'http://n1'), \
            server(version, 'check_cluster/follower', 'http://n2')
        verdict = run_checks(['meta'], [follower, leader], crit={'peers': 3})
        assert verdict['status'] == 'ok', verdict
        assert one(verdict, 'meta', 'peers')['value'] == 3
        assert 'view' in one(verdict, 'meta', 'leader')['subject']
        assert leader.name in one(verdict, 'meta', 'leader')['subject']

    def test_meta_standalone_is_unknown(self, version):
        verdict = run_checks(['meta'], [server(version, 'check_single/ok')])
        assert verdict['status'] == 'unknown'
        assert 'not clustered' in verdict['checks'][-1]['message']

    def test_server_and_connections(self, version):
        verdict = run_checks(['server', 'connections', 'leafnodes'], [server(version, 'check_single/ok', jsz=False)],
                             warn={'uptime_s': 3600}, crit={'connections': 100})
        assert one(verdict, 'server', 'uptime_s')['status'] == 'warning'
        assert one(verdict, 'connections', 'connections')['status'] == 'ok'
        assert one(verdict, 'leafnodes', 'leafnodes')['value'] == 0

    def test_stale_connections_by_version(self, version):
        verdict = run_checks(['connections'], [server(version, 'check_single/ok', jsz=False)],
                             crit={'stale_connections': 0})
        row = one(verdict, 'connections', 'stale_connections')
        if version == '2.10.26':
            assert row['status'] == 'unknown'
            assert 'not reported by nats-server 2.10.26 (2.11+)' in row['message']
        else:
            assert row['status'] == 'ok'

    def test_config_digest(self, version):
        leader, follower = server(version, 'check_cluster/leader', 'http://a', jsz=False), \
            server(version, 'check_cluster/follower', 'http://b', jsz=False)
        verdict = run_checks(['server'], [leader, follower], warn={'config_digests': 1})
        row = one(verdict, 'server', 'config_digests')
        if version == '2.10.26':
            assert row['status'] == 'unknown' and '2.11+' in row['message']
        else:
            # every natslab server has its own config file (names, ports): the digests differ
            assert (row['value'], row['status']) == (2, 'warning')
            assert one(run_checks(['server'], [leader, follower], crit={'config_digests': 1}),
                       'server', 'config_digests')['status'] == 'critical'
            same = run_checks(['server'], [leader, server(version, 'check_cluster/leader', 'http://c', jsz=False)],
                              crit={'config_digests': 1})
            assert one(same, 'server', 'config_digests')['status'] == 'ok'

    def test_tls_days_left(self, version):
        """A server certificate valid 5 days (natslab tls --tls-days 5): critical by the defaults (warn 30,
        crit 7); 2.14+ reports tls_cert_not_after, 2.10 needs the monitoring port's certificate."""
        tls = server(version, 'check_tls', 'https://127.0.0.1:1', jsz=False)
        row = one(run_checks(['tls'], [tls]), 'tls', 'days_left')
        if version == '2.10.26':
            assert row['status'] == 'unknown'
            assert 'tls_cert_not_after not reported by nats-server 2.10.26 (2.14+)' in row['message']
            # what the module read from the https port: the same certificate, 5 days after the recording
            peer = {'https://127.0.0.1:1': parse_time(tls.varz['now']) + 5 * 86400}
            row = one(run_checks(['tls'], [tls], peer_not_after=peer), 'tls', 'days_left')
            assert row['message'].endswith('(from the monitoring port certificate)')
        else:
            assert row['message'].endswith('(from tls_cert_not_after)')
        assert 4.9 < row['value'] <= 5
        assert (row['status'], row['warn'], row['crit'], row['threshold_source']) == ('critical', 30, 7, 'default')
        peer = {'https://127.0.0.1:1': parse_time(tls.varz['now']) + 5 * 86400}
        assert one(run_checks(['tls'], [tls], warn={'days_left': 6}, crit={'days_left': 3}, peer_not_after=peer),
                   'tls', 'days_left')['status'] == 'warning'
        assert one(run_checks(['tls'], [tls], warn={'days_left': 4}, crit={'days_left': 2}, peer_not_after=peer),
                   'tls', 'days_left')['status'] == 'ok'

    @pytest.mark.parametrize('phase', ['ok', 'warning', 'critical'])
    def test_account_limits(self, version, phase):
        """Account APP with JetStream limits (max_mem 200000): its memory stream at about 26, 82 and 92 %
        of the account's limit, while the server's own limit (256 MiB) is far away."""
        varz = load_fixture('%s/check_accounts/%s/varz.json' % (version, phase))
        jsz = load_fixture('%s/check_accounts/%s/jsz_accounts.json' % (version, phase))
        verdict = run_checks(['jetstream'], [NatsServer('http://127.0.0.1:8222', varz=varz, jsz=jsz)])
        account = [r for r in rows_of(verdict, 'jetstream', 'memory_pct') if 'account' in r['subject']]
        assert [r['subject'] for r in account] == ['n1 account APP']
        row = account[0]
        assert row['value'] == {'ok': 25.6, 'warning': 81.92, 'critical': 92.16}[phase]
        assert (row['status'], row['warn'], row['crit']) == (phase, 75, 90)
        assert verdict['status'] == phase
        server_row = [r for r in rows_of(verdict, 'jetstream', 'memory_pct') if r['subject'] == 'n1'][0]
        assert server_row['status'] == 'ok' and server_row['value'] < 1
        storage = [r for r in rows_of(verdict, 'jetstream', 'storage_pct') if r['subject'] == 'n1 account APP']
        assert [(r['value'], r['status']) for r in storage] == [(0.0, 'ok')]
        if phase != 'ok':
            assert 'n1 account APP memory_pct is %s %%' % fmt(row['value']) in failure_message(
                verdict['checks'], verdict['status'])


def test_unreachable_is_critical():
    down = NatsServer('http://down:8222', error='connection refused')
    verdict = run_checks(['server'], [down])
    assert verdict['status'] == 'critical'
    assert verdict['checks'][0]['message'] == 'http://down:8222: connection refused'


def test_threshold_problems():
    assert threshold_problems(['jetstream'], {}, {}) == []
    problems = threshold_problems(['jetstream'], {'bogus': 1}, {})
    assert problems == ['warn: unknown measure bogus for check jetstream; valid: api_errors, memory_pct, storage_pct']
    assert threshold_problems(['jetstream'], {'memory_pct': 95}, {'memory_pct': 90}) == [
        'memory_pct: warn 95 is above crit 90; higher is worse for memory_pct, so warn must be at or below crit']
    assert 'lower is worse' in threshold_problems(['tls'], {'days_left': 5}, {'days_left': 10})[0]
    assert threshold_problems(['stream'], {'msgs': 'x'}, {}) == ['warn: msgs must be numbers']


def test_metadata_and_durations():
    assert parse_duration('1h30m') == 5400
    assert parse_duration('90') == 90
    assert parse_duration('soon') is None
    found, problems = metadata_thresholds('consumer', {'io.nats.monitor.last-ack-critical': 'x',
                                                       'io.nats.monitor.unprocessed-critical': '0',
                                                       'io.nats.monitor.outstanding-ack-critical': '7',
                                                       'other': '1'})
    assert found == dict(warn={}, crit={'num_ack_pending': 7})
    assert problems == ["metadata io.nats.monitor.last-ack-critical='x' is not a duration"]


def test_report_forms():
    verdict = run_checks(['stream'], [server('2.15.1', 'check_single/full')], stream='CHECK',
                         warn={'bytes_pct': 75, 'msgs_min': 200}, crit={'bytes_pct': 90})
    text = perfdata(verdict['checks'])
    assert "'stream_bytes_pct_stream_CHECK_account_G_n1_view'=99.52%;75;90" in text
    assert ";200:;1:" in text  # lower-is-worse as a Nagios range
    prom = prometheus(verdict['checks'], verdict['status'])
    assert 'nats_check_value{check="stream",measure="bytes_pct",subject="stream CHECK (account $G, n1 view)"} 99.52' in prom
    assert prom.endswith('nats_check_overall_status 2\n')
    assert [r['measure'] for r in breaches(verdict['checks'], 'critical')] == ['bytes_pct']
    assert [r['measure'] for r in breaches(verdict['checks'], 'warning')] == ['msgs_min', 'bytes_pct']
    assert breaches(verdict['checks'], 'never') == []
    message = failure_message(verdict['checks'], verdict['status'])
    assert message.startswith('nats_check CRITICAL: ')
    assert 'WARNING: stream CHECK (account $G, n1 view) msgs_min is 97' in message
    assert 'CRITICAL: stream CHECK (account $G, n1 view) bytes_pct is 99.52 % (warn above 75, crit above 90)' in message


def test_prometheus_escapes_hostile_names():
    varz = load_fixture('2.15.1/check_single/ok/varz.json')
    varz['server_name'] = 'evil"} 1\n{{ lookup("pipe", "id") }}'
    text = prometheus(run_checks(['leafnodes'], [NatsServer('http://x', varz=varz)])['checks'], 'ok')
    assert 'subject="evil\\"} 1\\n{{ lookup(\\"pipe\\", \\"id\\") }}"' in text
    assert len([line for line in text.splitlines() if line.startswith('nats_check_value')]) == 3


def test_jsz_query():
    assert jsz_query(['server', 'tls']) is None
    assert jsz_query(['jetstream']) == dict(accounts=True)
    assert jsz_query(['consumer'], 'A') == dict(accounts=True, streams=True, consumers=True, config=True, acc='A')


def test_state_growth_and_file(tmp_path):
    path = str(tmp_path / 'state.json')
    varz = load_fixture('2.15.1/check_single/ok/varz.json')
    state = dict(previous=checks_state.load_state(path)[0])
    first = run_checks(['connections'], [NatsServer('http://x', varz=varz)], crit={'slow_consumers_growth': 0},
                       state=state)
    assert one(first, 'connections', 'slow_consumers_growth')['value'] == 0
    checks_state.save_state(path, state['current'], state['previous'])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    varz = dict(varz, slow_consumers=3)
    state = dict(previous=checks_state.load_state(path)[0])
    second = run_checks(['connections'], [NatsServer('http://x', varz=varz)], crit={'slow_consumers_growth': 0},
                        state=state)
    row = one(second, 'connections', 'slow_consumers_growth')
    assert (row['value'], row['status']) == (3, 'critical')
    assert os.listdir(str(tmp_path)) == ['state.json']  # no temporary file left


def test_state_file_garbage(tmp_path):
    path = tmp_path / 'state.json'
    path.write_text('{not json')
    state, problem = checks_state.load_state(str(path))
    assert state == {} and 'could not be read' in problem
    entry = {'slow_consumers': 'x', 'api_errors': 2, 'server_id': 'NID', 'config_digest': 7}
    path.write_text(json.dumps({'version': 1, 'servers': {'S': entry}}))
    assert checks_state.load_state(str(path)) == ({'S': {'api_errors': 2, 'server_id': 'NID'}}, None)


def test_state_survives_a_restart():
    """The state is kept per monitoring URL: a restart (new server_id, counters from 0) neither hides a
    changed config_digest nor adds an entry."""
    varz = load_fixture('2.15.1/check_cluster/leader/varz.json')
    state = dict(previous={})
    thresholds = dict(crit={'config_changed': 0, 'slow_consumers_growth': 5})
    run_checks(['server', 'connections'], [NatsServer('http://x', varz=dict(varz, slow_consumers=4))],
               state=state, **thresholds)
    assert list(state['current']) == ['http://x']
    assert state['current']['http://x']['server_id'] == varz['server_id']
    restarted = dict(varz, server_id='NEWID', config_digest='sha256:other', slow_consumers=7)
    after = dict(previous=state['current'])
    verdict = run_checks(['server', 'connections'], [NatsServer('http://x', varz=restarted)], state=after, **thresholds)
    assert one(verdict, 'server', 'config_changed')['value'] == 1
    # counted from the restart: 7 new slow consumers, not 7 - 4
    assert one(verdict, 'connections', 'slow_consumers_growth')['value'] == 7
    assert list(after['current']) == ['http://x'] and after['current']['http://x']['server_id'] == 'NEWID'
    same = dict(previous=after['current'])
    verdict = run_checks(['connections'], [NatsServer('http://x', varz=dict(restarted, slow_consumers=9))],
                         state=same, **thresholds)
    assert one(verdict, 'connections', 'slow_consumers_growth')['value'] == 2


def test_config_changed_between_runs():
    varz = load_fixture('2.15.1/check_cluster/leader/varz.json')
    state = dict(previous={})
    first = run_checks(['server'], [NatsServer('http://x', varz=varz)], crit={'config_changed': 0}, state=state)
    assert one(first, 'server', 'config_changed')['value'] == 0
    changed = dict(varz, config_digest='sha256:other')
    second = run_checks(['server'], [NatsServer('http://x', varz=changed)], crit={'config_changed': 0},
                        state=dict(previous=state['current']))
    row = one(second, 'server', 'config_changed')
    assert (row['value'], row['status']) == (1, 'critical')
    assert 'was sha256:' in row['message']
    old = run_checks(['server'], [server('2.10.26', 'check_single/ok', jsz=False)], crit={'config_changed': 0},
                     state=dict(previous={}))
    assert '2.11+' in one(old, 'server', 'config_changed')['message']
    # 2.11+ without a configuration file (nats-server -js -m 8222) has no digest either, for another reason
    flags_only = dict(varz)
    del flags_only['config_digest']
    bare = run_checks(['server'], [NatsServer('http://x', varz=flags_only)], crit={'config_changed': 0},
                      state=dict(previous={}))
    assert one(bare, 'server', 'config_changed')['message'].endswith(
        'nats-server 2.15.1 reports no config_digest: it runs without a configuration file')


def test_threshold_levels_from_different_sources():
    # crit given alone below the default warn: the default warn is dropped, not a conflict
    verdict = run_checks(['jetstream'], [server('2.15.1', 'check_single/full')], crit={'memory_pct': 0.01})
    row = one(verdict, 'jetstream', 'memory_pct')
    assert (row['warn'], row['crit'], row['status']) == (None, 0.01, 'critical')
