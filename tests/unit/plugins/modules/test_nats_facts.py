# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils import transport
from ansible_collections.nats_tools.nats.plugins.modules import nats_facts
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.discovery_utils import serve_recorded
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    NetworkFailure,
    install_http_backend,
    load_fixture,
    recorded,
    run_module,
    run_module_output,
)

URL = 'http://nats1:8222'
LEADER_FOLDER = '2.15.1/discovery_healthy/%s' % load_fixture('2.15.1/discovery_healthy/MANIFEST.json')['meta_leader']


def run(args=None, check_mode=False):
    return run_module(nats_facts, dict(dict(url=URL), **(args or {})), check_mode=check_mode)


def nats_facts_of(run_result):
    assert not run_result.failed, run_result.msg
    assert run_result.result['changed'] is False
    assert set(run_result.result) == {'changed', 'ansible_facts'}
    assert list(run_result.result['ansible_facts']) == ['nats']
    return run_result.result['ansible_facts']['nats']


class TestFacts:

    def test_min_by_default(self, module_server):
        serve_recorded(module_server, LEADER_FOLDER)
        run_result = run()
        facts = nats_facts_of(run_result)
        varz = load_fixture(LEADER_FOLDER + '/varz.json')
        assert facts['available'] is True and facts['monitor_url'] == URL
        assert facts['server_name'] == varz['server_name'] and facts['version'] == '2.15.1'
        assert facts['jetstream']['is_meta_leader'] is True
        assert facts['gateways'] == ['B'] and len(facts['routes']) == 2
        assert facts['healthz'] == 'ok'
        assert run_result.warnings == []
        assert sorted(path for path, _query in module_server.requests) == sorted(
            ['/varz', '/healthz', '/routez', '/gatewayz', '/leafz', '/jsz'])

    def test_check_mode_the_same(self, module_server):
        serve_recorded(module_server, LEADER_FOLDER)
        assert nats_facts_of(run(check_mode=True)) == nats_facts_of(run())

    def test_subset(self, module_server):
        serve_recorded(module_server, LEADER_FOLDER)
        facts = nats_facts_of(run(dict(gather_subset=['jsz'])))
        assert 'jetstream' in facts and 'routes' not in facts and 'healthz' not in facts
        assert sorted(path for path, _query in module_server.requests) == ['/jsz', '/varz']

    def test_all_adds_whole_answers(self, module_server):
        for name in ('varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz', 'connz', 'subsz', 'accountz',
                     'accstatz'):
            module_server.route('/' + name, recorded('2.15.1/single/%s.json' % name))
        facts = nats_facts_of(run(dict(gather_subset=['all'])))
        assert facts['accountz'] == load_fixture('2.15.1/single/accountz.json')
        assert facts['connz']['truncated'] is False
        assert facts['jetstream']['streams'] == 1

    def test_endpoint_not_served_is_a_warning(self, module_server):
        module_server.route('/varz', recorded('2.15.1/single/varz.json'))
        module_server.route('/raftz', recorded('2.15.1/single/raftz.404.txt'))
        run_result = run(dict(gather_subset=['raftz']))
        facts = nats_facts_of(run_result)
        assert list(facts['unavailable']) == ['raftz']
        assert 'raftz' not in facts
        assert len(run_result.warnings) == 1 and 'raftz is not served' in run_result.warnings[0]

    def test_endpoint_error_is_a_warning(self, module_server):
        module_server.route('/varz', recorded('2.15.1/single/varz.json'))
        module_server.route('/jsz', (500, 'boom'))
        run_result = run(dict(gather_subset=['jsz']))
        facts = nats_facts_of(run_result)
        assert facts['available'] is True and 'jetstream' not in facts
        assert 'HTTP 500: boom' in facts['errors']['jsz']
        assert len(run_result.warnings) == 1


class TestUnreachable:

    @pytest.mark.parametrize('kind, error_kind, text', [
        ('refused', 'unreachable', 'connection refused'),
        ('read_timeout', 'timeout', 'timed out'),
        ('bad_status_line', 'invalid_response', 'did not answer with HTTP'),
    ])
    def test_available_false(self, module_server, kind, error_kind, text):
        module_server.route('/varz', NetworkFailure(kind))
        facts = nats_facts_of(run())
        assert set(facts) == {'available', 'monitor_url', 'reason', 'error_kind'}
        assert facts['available'] is False and facts['error_kind'] == error_kind
        assert facts['reason'].startswith(URL + '/varz: ') and text in facts['reason']

    def test_not_a_monitoring_port(self, module_server):
        facts = nats_facts_of(run())
        assert facts['available'] is False and facts['error_kind'] == 'not_served'

    def test_fail_on_unreachable(self, module_server):
        module_server.route('/varz', NetworkFailure('refused'))
        run_result = run(dict(fail_on_unreachable=True))
        assert run_result.failed
        assert run_result.msg == URL + '/varz: connection refused: nothing listens on that port'
        assert run_result.result['error_kind'] == 'unreachable' and run_result.result['url'] == URL


class TestOptions:

    def test_bad_subset(self, module_server):
        run_result = run(dict(gather_subset=['bogus']))
        assert run_result.failed and "unknown gather_subset 'bogus'" in run_result.msg
        assert module_server.requests == []

    def test_negative_max_items(self, module_server):
        assert 'max_items' in run(dict(max_items=-1)).msg

    def test_bad_url_fails_even_without_fail_on_unreachable(self, module_server):
        run_result = run(dict(url='nats1:8222'))
        assert run_result.failed and 'http://' in run_result.msg

    def test_url_from_environment(self, module_server, monkeypatch):
        monkeypatch.setenv('NATS_MONITOR_URL', 'http://from-env:8222')
        module_server.route('/varz', NetworkFailure('refused'))
        facts = nats_facts_of(run_module(nats_facts, {}))
        assert facts['monitor_url'] == 'http://from-env:8222'

    def test_default_url(self, module_server, monkeypatch):
        monkeypatch.delenv('NATS_MONITOR_URL', raising=False)
        module_server.route('/varz', NetworkFailure('refused'))
        assert nats_facts_of(run_module(nats_facts, {}))['monitor_url'] == 'http://127.0.0.1:8222'

    def test_password_never_shown(self, module_server):
        password = 'n0t-In-0utput-5e80'
        serve_recorded(module_server, LEADER_FOLDER)
        args = dict(url=URL, url_username='ops', url_password=password)
        text, result, logged = run_module_output(nats_facts, args)
        assert module_server.transports[-1].options.password == password
        assert result['ansible_facts']['nats']['available'] is True
        assert password not in text
        assert logged and password not in repr(logged)


@pytest.mark.parametrize('backend', ['requests', 'open_url'])
def test_both_transports(nats_server, monkeypatch, backend):
    calls = install_http_backend(backend, nats_server, monkeypatch)
    if backend == 'open_url':
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
    serve_recorded(nats_server, LEADER_FOLDER)
    facts = nats_facts_of(run())
    assert facts['available'] is True and facts['healthz'] == 'ok'
    assert len(calls.calls) == 6
