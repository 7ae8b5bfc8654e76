# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.nats_tools.nats.plugins.modules import nats_check
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    NetworkFailure,
    answer_from,
    run_module,
    run_module_output,
)

SECRET = 'n0t-to-be-seen-7f3a'

URL = 'http://nats1:8222'
OK = '2.15.1/check_single/ok/'
FULL = '2.15.1/check_single/full/'
RETURN_KEYS = {'changed', 'status', 'checks', 'perfdata', 'prometheus', 'summary'}


def run(args, check_mode=False):
    return run_module(nats_check, dict(dict(url=URL), **args), check_mode=check_mode)


def serve(server, folder, base=''):
    server.route(base + '/varz', answer_from(folder + 'varz.json'))
    server.route(base + '/jsz', answer_from(folder + 'jsz_all.json'))


class TestOptions:

    def test_unknown_measure_lists_the_valid_ones(self, module_server):
        result = run(dict(check=['jetstream'], warn={'disk_pct': 1}))
        assert result.failed
        assert result.msg == ('warn: unknown measure disk_pct for check jetstream; '
                              'valid: api_errors, memory_pct, storage_pct')
        assert module_server.requests == []

    def test_warn_beyond_crit(self, module_server):
        result = run(dict(check='consumer', stream='S', consumer='C', warn={'num_pending': 10},
                          crit={'num_pending': 5}))
        assert result.failed
        assert 'num_pending: warn 10 is above crit 5' in result.msg

    def test_consumer_needs_stream_and_consumer(self, module_server):
        assert run(dict(check='consumer', consumer='C')).msg == 'check consumer needs the option stream'
        assert run(dict(check='consumer', stream='S')).msg == 'check consumer needs the option consumer'

    def test_unknown_check(self, module_server):
        result = run(dict(check=['disk']))
        assert result.failed and 'value of check must be one or more of' in result.msg


class TestRun:

    def test_ok(self, module_server):
        serve(module_server, OK)
        result = run(dict(check=['jetstream', 'stream', 'consumer'], stream='CHECK', consumer='WORK'))
        assert not result.failed, result.msg
        assert set(result.result) == RETURN_KEYS
        assert result.result['status'] == 'ok'
        assert result.result['changed'] is False
        assert result.result['summary'].startswith('NATS OK: ')
        query = module_server.queries('/jsz')[0]
        assert dict((k, query[k]) for k in ('accounts', 'streams', 'consumers', 'config')) == dict(
            accounts='true', streams='true', consumers='true', config='true')

    def test_critical_fails_listing_every_breach(self, module_server):
        serve(module_server, FULL)
        result = run(dict(check=['stream', 'consumer'], stream='CHECK', consumer='WORK',
                          warn={'bytes_pct': 75}, crit={'bytes_pct': 90}))
        assert result.failed
        assert result.result['status'] == 'critical'
        assert 'bytes_pct is 99.52 %' in result.msg
        assert 'num_pending is 97 (crit above 80)' in result.msg  # from the consumer's metadata

    def test_fail_on(self, module_server):
        serve(module_server, FULL)
        args = dict(check='stream', stream='CHECK', warn={'bytes_pct': 99}, crit={'bytes_pct': 99.9})
        assert not run(args).failed
        assert run(dict(args, fail_on='warning')).failed
        serve(module_server, FULL)
        never = run(dict(args, crit={'bytes_pct': 90}, warn={}, fail_on='never'))
        assert not never.failed and never.result['status'] == 'critical'

    def test_stream_not_found_names_the_url(self, module_server):
        serve(module_server, OK)
        result = run(dict(check='stream', stream='NOPE'))
        assert result.failed
        assert result.msg == 'nats_check CRITICAL: CRITICAL: stream NOPE not found at http://nats1:8222/jsz'

    def test_unreachable(self, module_server):
        module_server.route('/varz', NetworkFailure('refused'))
        result = run(dict(check='server'))
        assert result.failed
        assert result.result['status'] == 'critical'
        assert result.msg.startswith('nats_check CRITICAL: CRITICAL: http://nats1:8222: ')
        assert result.result['error_kind'] == 'unreachable'

    def test_auth_failure_named(self, module_server):
        module_server.route('/varz', (401, b'Unauthorized'))
        result = run(dict(check='server'))
        assert result.failed
        assert 'authentication failed (HTTP 401)' in result.msg
        assert result.result['error_kind'] == 'auth'

    def test_url_password_and_headers_never_shown(self, module_server):
        module_server.route('/varz', (503, b'down'))
        text, result, logged = run_module_output(nats_check, dict(
            urls=['http://ops:%s@nats1:8222' % SECRET], check=['server', 'jetstream'],
            headers={'Authorization': 'Bearer ' + SECRET}))
        assert result.get('failed')
        assert SECRET not in text and SECRET not in repr(logged)
        assert module_server.transports[0].options.password == SECRET

    def test_server_only_reads_varz(self, module_server):
        serve(module_server, OK)
        assert not run(dict(check='server')).failed
        assert module_server.queries('/jsz') == []

    def test_config_digest_across_urls(self, module_server):
        serve(module_server, '2.15.1/check_cluster/leader/', '/n1')
        serve(module_server, '2.15.1/check_cluster/follower/', '/n2')
        result = run(dict(urls=['http://n1:8222/n1', 'http://n2:8222/n2'], check='server', crit={'config_digests': 1}))
        assert result.failed
        assert 'config_digests is 2 (crit above 1)' in result.msg

    def test_version_without_field_is_unknown(self, module_server):
        serve(module_server, '2.10.26/check_single/ok/')
        result = run(dict(check='connections', crit={'stalled_clients': 0}))
        assert not result.failed
        assert result.result['status'] == 'unknown'
        assert 'stalled_clients not reported by nats-server 2.10.26 (2.11+)' in result.result['summary']

    def test_state_file_and_check_mode(self, module_server, tmp_path):
        serve(module_server, OK)
        path = str(tmp_path / 'state.json')
        args = dict(check=['connections', 'jetstream'], state_file=path, crit={'slow_consumers_growth': 0})
        assert not run(args, check_mode=True).failed
        assert not os.path.exists(path)
        result = run(args)
        assert not result.failed
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        rows = [r for r in result.result['checks'] if r['measure'] in ('slow_consumers_growth', 'api_errors')]
        assert [(r['measure'], r['value']) for r in rows] == [('slow_consumers_growth', 0), ('api_errors', 0)]
