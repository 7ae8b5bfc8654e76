# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""module_results: a module's result leaves the process through the real exit_json / fail_json,
its own values copied by remove_values only when a no_log value could be among them - and a
no_log value never appears in the output, whatever the server answered."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils import basic

from ansible_collections.nats_tools.nats.plugins.module_utils import module_results
from ansible_collections.nats_tools.nats.plugins.module_utils import module_client
from ansible_collections.nats_tools.nats.plugins.module_utils.module_results import secrets_absent
from ansible_collections.nats_tools.nats.plugins.modules import nats_info
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FakeNatsServer,
    FakeTransport,
    answer_from,
    run_module_output,
)

MASK = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
# Keys AnsibleModule adds itself (warnings left by an earlier module run in the same process included).
OWN = {'invocation', 'warnings', 'deprecations'}


@pytest.fixture
def server(monkeypatch):
    fake = FakeNatsServer()
    fake.route('/varz', answer_from('2.15.1/single/varz.json'))
    monkeypatch.setattr(module_client, 'make_transport',
                        lambda options, prefer='auto', pool_size=None: FakeTransport(fake, options))
    return fake


@pytest.fixture
def copies(monkeypatch):
    """The results remove_values is asked to walk: the top-level keys of each dict it gets
    (it also gets the strings the module logs)."""
    calls = []
    real = basic.remove_values

    def counting(value, no_log_strings):
        if isinstance(value, dict):
            calls.append(sorted(value))
        return real(value, no_log_strings)
    monkeypatch.setattr(basic, 'remove_values', counting)
    return calls


# ansible-core 2.19+ has the hook the shortcut needs; with older ansible-core (2.16 in `make units-2.16`)
# every result takes remove_values' copy, as before.
HOOKED = hasattr(basic.AnsibleModule, '_record_module_result')


def only_own_keys_copied(copies):
    """With the hook only Ansible's own keys went through remove_values; without it the module's too."""
    if HOOKED:
        return bool(copies) and all(set(keys) <= OWN for keys in copies)
    return any('varz' in call for call in copies)


def run(args):
    return run_module_output(nats_info, dict(dict(url='http://n1:8222', gather_subset=['varz']), **args))


def test_without_secrets_the_answers_are_not_copied(server, copies):
    text, result, _logged = run({})
    assert result['varz']['server_name'] == 's1'
    assert result['gathered'] == ['varz'] and result['changed'] is False
    assert 'invocation' in result
    # Only Ansible's own keys went through remove_values (2.19+).
    assert only_own_keys_copied(copies)


def test_password_not_in_the_answers_is_masked_in_the_parameters_only(server, copies):
    text, result, _logged = run(dict(url_username='ops', url_password='s3cret-pw'))
    assert 's3cret-pw' not in text
    assert result['invocation']['module_args']['url_password'] == MASK
    assert result['varz']['server_name'] == 's1'
    assert only_own_keys_copied(copies)


def test_password_echoed_by_the_server_is_masked(server, copies):
    # A hostile server puts the password (and a header value) into its answer: the whole result is copied
    # and masked as Ansible always did.
    server.route('/varz', dict(server_name='n1', version='2.15.1', echo='x s3cret-pw y', other='tok-123456'))
    text, result, _logged = run(dict(url_username='ops', url_password='s3cret-pw',
                                     headers={'X-Token': 'tok-123456'}))
    assert 's3cret-pw' not in text and 'tok-123456' not in text
    assert result['varz']['echo'] == 'x ******** y'
    assert result['varz']['other'] == MASK
    assert any('varz' in call for call in copies)


def test_secret_with_an_escaped_character_always_takes_the_copy(server, copies):
    text, result, _logged = run(dict(url_username='ops', url_password='pa"ss'))
    assert 'pa"ss' not in text and 'pa\\"ss' not in text
    assert any('varz' in call for call in copies)


@pytest.mark.parametrize('result, secrets, expected', [
    (dict(a=['x', dict(b='y')]), [], True),
    (dict(a=['x', dict(b='has pw1 inside')]), ['pw1'], False),
    (dict(pw1=1), ['pw1'], False),  # keys count too (remove_values leaves them, so this is stricter)
    (dict(a='caf\u00e9 pw\u00e9'), ['pw\u00e9'], False),  # not hidden by \\u escapes
    (dict(a='nothing'), ['pw1'], True),
    (dict(a='nothing'), ['with"quote'], False),
    (dict(a='nothing'), ['tab\there'], False),
    (dict(a='nothing'), [''], False),
    (dict(a=object()), ['pw1'], False),  # not JSON: no proof
])
def test_secrets_absent(result, secrets, expected):
    assert secrets_absent(result, secrets) is expected


def test_older_ansible_core_without_the_hook_keeps_the_copy():
    class Old:
        no_log_values = set()

        def _return_formatted(self, kwargs):
            raise AssertionError('not called here')
    module = Old()
    assert module_results.send_results_without_copy(module) is False
