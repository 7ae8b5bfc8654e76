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
from ansible_collections.nats_tools.nats.plugins.modules import nats_healthz
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    NetworkFailure,
    answer_from,
    install_http_backend,
    load_fixture,
    recorded,
    run_module,
    run_module_output,
)

URL = 'http://nats1:8222'
V10 = '2.10.26/'
V15 = '2.15.1/'
# Keys documented in RETURN (http_status only when the server answered).
RETURN_KEYS = {'changed', 'healthy', 'status', 'http_status', 'error', 'errors', 'url', 'attempts', 'elapsed'}

HEALTHY = answer_from(V10 + 'single/healthz_details.json')
CATCHING_UP = answer_from(V10 + 'catching_up/restarted/healthz_details_after_restart_03.503.json')
LAME_DUCK = answer_from(V10 + 'lame_duck/healthz.500.json')


def run(args=None, check_mode=False):
    return run_module(nats_healthz, dict(dict(url=URL), **(args or {})), check_mode=check_mode)


@pytest.fixture
def fake_poll(monkeypatch, fake_clock):
    """poll() with a fake clock: waiting costs no time and every sleep is recorded."""
    monkeypatch.setattr(waiting, 'poll',
                        functools.partial(waiting.poll, clock=fake_clock.clock, sleep=fake_clock.sleep))
    return fake_clock


class TestOneAttempt:

    def test_healthy(self, module_server):
        module_server.route('/healthz', HEALTHY)
        run_result = run()
        assert not run_result.failed, run_result
        result = run_result.result
        assert set(result) == RETURN_KEYS
        assert result['changed'] is False
        assert (result['healthy'], result['status'], result['http_status']) == (True, 'ok', 200)
        assert (result['error'], result['errors']) == (None, [])
        assert result['url'] == URL + '/healthz?details=true'
        assert (result['attempts'], result['elapsed']) == (1, 0.0)
        assert module_server.queries('/healthz') == [{'details': 'true'}]

    def test_check_mode_is_identical(self, module_server):
        module_server.route('/healthz', HEALTHY)
        normal = run()
        checked = run(check_mode=True)
        assert not checked.failed
        assert checked.result == normal.result
        assert len(module_server.queries('/healthz')) == 2

    def test_options_sent_as_server_spells_them(self, module_server):
        module_server.route('/healthz', recorded(V10 + 'single/healthz_acc_stream_consumer.json'))
        result = run(dict(account='A', stream='ORDERS', consumer='PROC', details=False, js_enabled_only=True)).result
        assert module_server.queries('/healthz') == [
            {'account': 'A', 'stream': 'ORDERS', 'consumer': 'PROC', 'js-enabled-only': 'true'}]
        assert result['url'] == URL + '/healthz?account=A&consumer=PROC&js-enabled-only=true&stream=ORDERS'

    def test_unhealthy_fails_naming_url_and_cause(self, module_server):
        module_server.route('/healthz', LAME_DUCK)
        run_result = run(dict(details=False))
        assert run_result.failed
        assert run_result.msg.startswith(URL + ': not healthy')
        assert 'failed to be ready for connections' in run_result.msg
        result = run_result.result
        assert (result['healthy'], result['status'], result['http_status']) == (False, 'error', 500)

    def test_catching_up_details_listed(self, module_server):
        module_server.route('/healthz', CATCHING_UP)
        run_result = run()
        assert run_result.failed
        assert "JetStream stream 'A > ORDERS' is not current" in run_result.msg
        assert run_result.result['errors'][0]['stream'] == 'ORDERS'

    def test_503_status_is_unavailable_as_documented(self, module_server):
        # RETURN: status "unavailable (503, JetStream not current, such as a stream catching up)".
        # With details=true (the default) nats-server itself says "error" for every failure, so
        # the documented distinction has to come from the HTTP status.
        module_server.route('/healthz', CATCHING_UP)
        result = run(dict(fail_on_unhealthy=False)).result
        assert result['http_status'] == 503
        assert result['status'] == 'unavailable'

    def test_fail_on_unhealthy_false_reports(self, module_server):
        module_server.route('/healthz', LAME_DUCK)
        run_result = run(dict(fail_on_unhealthy=False, details=False))
        assert not run_result.failed
        result = run_result.result
        assert set(result) == RETURN_KEYS
        assert (result['healthy'], result['http_status']) == (False, 500)
        assert result['error'].startswith('failed to be ready for connections')

    def test_unreachable_fails_naming_url_and_cause(self, module_server):
        module_server.route('/healthz', NetworkFailure('refused'))
        run_result = run()
        assert run_result.failed
        assert run_result.msg.startswith(URL + ': not healthy')
        assert URL + '/healthz?details=true: connection refused' in run_result.msg
        assert run_result.result['status'] == 'unreachable'
        assert 'http_status' not in run_result.result

    def test_unreachable_reported_when_asked(self, module_server):
        module_server.route('/healthz', NetworkFailure('dns'))
        run_result = run(dict(fail_on_unhealthy=False))
        assert not run_result.failed
        result = run_result.result
        assert set(result) == (RETURN_KEYS - {'http_status'}) | {'error_kind'}
        assert result['error_kind'] == 'unreachable'
        assert (result['healthy'], result['status']) == (False, 'unreachable')
        assert 'cannot resolve host name nats1' in result['error']

    def test_wrong_base_path_404(self, module_server):
        run_result = run(dict(url=URL + '/nats'))
        assert run_result.failed
        assert URL + '/nats/healthz' in run_result.msg
        assert 'not served' in run_result.msg
        assert run_result.result['http_status'] == 404

    def test_unknown_account_404(self, module_server):
        module_server.route('/healthz', recorded(V10 + 'single/healthz_account_unknown.404.json'))
        run_result = run(dict(account='NOPE'))
        assert run_result.failed
        assert run_result.msg.startswith(URL)
        assert 'JetStream account "NOPE" not found' in run_result.msg
        assert run_result.result['http_status'] == 404

    def test_env_url(self, module_server, monkeypatch):
        monkeypatch.setenv('NATS_MONITOR_URL', 'http://nats9:8222')
        module_server.route('/healthz', HEALTHY)
        result = run_module(nats_healthz, {}).result
        assert result['url'] == 'http://nats9:8222/healthz?details=true'


def varz_of(version):
    """/varz of a standalone server of ``version``: recorded for 2.10.26 and 2.15.1; for 2.11.11
    (recorded for /healthz only) the 2.15.1 answer with its version field changed."""
    if version == '2.11.11':
        varz = load_fixture(V15 + 'single/varz.json')
        varz['version'] = version  # derived: one field changed
        return varz
    return load_fixture(version + '/single/varz.json')


class TestMetaOnlyByVersion:

    @pytest.mark.parametrize('version, sent', [
        ('2.10.26', 'js-server-only'), ('2.11.11', 'js-meta-only'), ('2.15.1', 'js-meta-only'),
    ])
    def test_spelling_by_version(self, module_server, version, sent):
        module_server.route('/varz', varz_of(version))
        module_server.route('/healthz', answer_from(version + '/single/healthz_js_meta_only.json'))
        result = run(dict(js_meta_only=True)).result
        assert module_server.queries('/healthz') == [{sent: 'true', 'details': 'true'}]
        assert result['url'] == URL + '/healthz?details=true&%s=true' % sent
        assert result['healthy'] is True

    def test_2_10_gets_js_server_only(self, module_server):
        module_server.route('/varz', recorded(V10 + 'single/varz.json'))
        module_server.route('/healthz', recorded(V10 + 'single/healthz_js_server_only.json'))
        result = run(dict(js_meta_only=True, details=False)).result
        assert module_server.queries('/healthz') == [{'js-server-only': 'true'}]
        assert result['url'] == URL + '/healthz?js-server-only=true'
        assert result['healthy'] is True

    def test_2_15_gets_js_meta_only(self, module_server):
        module_server.route('/varz', recorded(V15 + 'single/varz.json'))
        module_server.route('/healthz', recorded(V15 + 'single/healthz_js_meta_only.json'))
        result = run(dict(js_meta_only=True, details=False)).result
        assert module_server.queries('/healthz') == [{'js-meta-only': 'true'}]
        assert result['url'] == URL + '/healthz?js-meta-only=true'

    def test_version_not_asked_otherwise(self, module_server):
        module_server.route('/healthz', HEALTHY)
        run()
        assert module_server.queries('/varz') == []

    def test_version_asked_once_while_waiting(self, module_server, fake_poll):
        module_server.route('/varz', recorded(V15 + 'single/varz.json'))
        module_server.route_sequence('/healthz', CATCHING_UP, CATCHING_UP, HEALTHY)
        result = run(dict(js_meta_only=True, wait=True)).result
        assert result['attempts'] == 3
        assert len(module_server.queries('/varz')) == 1


class TestInvalidOptions:

    def assert_refused(self, module_server, args, *words):
        run_result = run(args)
        assert run_result.failed
        for word in words:
            assert word in run_result.msg
        assert module_server.requests == [], 'nothing may be asked with invalid options'

    def test_stream_needs_account(self, module_server):
        self.assert_refused(module_server, dict(stream='ORDERS'), 'stream', 'account')

    def test_consumer_needs_stream(self, module_server):
        self.assert_refused(module_server, dict(account='A', consumer='PROC'), 'consumer', 'stream')

    def test_server_only_and_meta_only_exclusive(self, module_server):
        self.assert_refused(module_server, dict(js_server_only=True, js_meta_only=True),
                            'mutually exclusive', 'js_server_only', 'js_meta_only')

    def test_explicit_false_does_not_conflict(self, module_server):
        # A playbook that templates both flags sets one of them false.
        module_server.route('/varz', recorded(V15 + 'single/varz.json'))
        module_server.route('/healthz', HEALTHY)
        run_result = run(dict(js_server_only=False, js_meta_only=True))
        assert not run_result.failed, run_result.msg

    def test_bad_url(self, module_server):
        self.assert_refused(module_server, dict(url='nats1:8222'), 'nats1:8222', 'http://')

    def test_zero_timeout(self, module_server):
        self.assert_refused(module_server, dict(timeout=0), URL, 'timeout must be greater than 0')

    def test_password_needs_user(self, module_server):
        self.assert_refused(module_server, dict(url_password='x'), 'url_password needs url_username')

    def test_key_needs_cert(self, module_server):
        self.assert_refused(module_server, dict(client_key='/etc/nats/key.pem'), 'client_key needs client_cert')


class TestWait:

    def test_unhealthy_then_healthy(self, module_server, fake_poll):
        module_server.route_sequence('/healthz', CATCHING_UP, HEALTHY)
        run_result = run(dict(wait=True, wait_interval=2))
        assert not run_result.failed, run_result.msg
        result = run_result.result
        assert (result['healthy'], result['attempts'], result['elapsed']) == (True, 2, 2.0)
        assert fake_poll.sleeps == [2]

    def test_restarting_server_refuses_then_answers(self, module_server, fake_poll):
        module_server.route_sequence('/healthz', NetworkFailure('refused'), LAME_DUCK, HEALTHY)
        result = run(dict(wait=True)).result
        assert (result['healthy'], result['attempts']) == (True, 3)

    def test_gives_up_at_the_deadline(self, module_server, fake_poll):
        module_server.route('/healthz', CATCHING_UP)
        run_result = run(dict(wait=True, wait_timeout=3, wait_interval=1))
        assert run_result.failed
        assert run_result.msg.startswith(URL + ': not healthy after 4 attempts in 3.0 s')
        assert (run_result.result['attempts'], run_result.result['elapsed']) == (4, 3.0)
        assert fake_poll.sleeps == [1, 1, 1]

    def test_gives_up_but_reports(self, module_server, fake_poll):
        module_server.route('/healthz', CATCHING_UP)
        run_result = run(dict(wait=True, wait_timeout=2, wait_interval=1, fail_on_unhealthy=False))
        assert not run_result.failed
        assert (run_result.result['healthy'], run_result.result['attempts']) == (False, 3)

    @pytest.mark.parametrize('answer, words', [
        ((404, b'404 page not found\n'), 'not served'),
        (NetworkFailure('cert_self_signed'), 'not trusted'),
        (recorded(V10 + 'single/healthz_consumer_without_stream.400.json'), 'must not be empty'),
    ], ids=['404', 'tls', '400'])
    def test_permanent_error_stops_at_once(self, module_server, fake_poll, answer, words):
        module_server.route('/healthz', answer)
        run_result = run(dict(wait=True, wait_timeout=60))
        assert run_result.failed
        assert run_result.result['attempts'] == 1
        assert fake_poll.sleeps == []
        assert words in run_result.msg


class TestTransports:

    def test_both_real_transports(self, http_backend, monkeypatch):
        monkeypatch.setattr(transport, 'HAS_REQUESTS', http_backend.name == 'requests')
        http_backend.server.route('/healthz', HEALTHY)
        result = run().result
        assert result['healthy'] is True
        assert len(http_backend.calls) == 1

    def test_without_requests(self, nats_server, monkeypatch):
        backend = install_http_backend('open_url', nats_server, monkeypatch)
        monkeypatch.setattr(transport, 'HAS_REQUESTS', False)
        nats_server.route('/healthz', LAME_DUCK)
        run_result = run(dict(url_username='ops', url_password='s3cret'))
        assert run_result.failed
        assert 'failed to be ready for connections' in run_result.msg
        assert backend.calls[0]['url_password'] == 's3cret'


class TestNoLog:

    PASSWORD = 'n0t-In-0utput-9f3a'

    @pytest.mark.parametrize('answer', [HEALTHY, LAME_DUCK, NetworkFailure('refused')], ids=['ok', 'failed', 'unreachable'])
    def test_password_never_shown(self, module_server, answer):
        module_server.route('/healthz', answer)
        args = dict(url=URL, url_username='ops', url_password=self.PASSWORD, details=False)
        raw = run(args)
        assert self.PASSWORD not in repr(raw.result), 'the module must not put the password in its result'
        text, result, logged = run_module_output(nats_healthz, args)
        assert module_server.transports[-1].options.password == self.PASSWORD, 'the password was used'
        assert 'healthy' in result
        assert result['invocation']['module_args']['url_password'] != self.PASSWORD
        assert self.PASSWORD not in text
        assert logged, 'the invocation is logged'
        assert self.PASSWORD not in repr(logged)


def test_connection_options_reach_the_transport(module_server):
    module_server.route('/healthz', HEALTHY)
    run(dict(timeout=3, validate_certs=False, ca_path='/etc/nats/ca.pem', headers={'X-Trace': 'abc'},
             url_username='ops', url_password='pw'))
    options = module_server.transports[0].options
    assert (options.timeout, options.validate_certs, options.ca_path) == (3.0, False, '/etc/nats/ca.pem')
    assert (options.headers, options.username, options.password) == ({'X-Trace': 'abc'}, 'ops', 'pw')
