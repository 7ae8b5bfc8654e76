# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module contract (docs/module-contract.md) kept by every module: waiting options checked,
401/403 permanent and named, the password of a URL nowhere in the output, headers no_log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.modules import nats_facts, nats_gate, nats_healthz, nats_info, nats_jsz
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import run_module, run_module_output

SECRET = 'n0t-to-be-seen-7f3a'
WAITING = [(nats_healthz, dict(url='http://nats1:8222', wait=True)),
           (nats_jsz, dict(url='http://nats1:8222', wait=True)),
           (nats_gate, dict(urls=['http://nats1:8222']))]
ALL = [(nats_healthz, dict(url='http://nats1:8222')), (nats_info, dict(url='http://nats1:8222')),
       (nats_jsz, dict(url='http://nats1:8222')), (nats_gate, dict(urls=['http://nats1:8222'], wait=False)),
       (nats_facts, dict(url='http://nats1:8222', fail_on_unreachable=True))]


def ids(cases):
    return [module.__name__.rsplit('.', 1)[1] for module, _args in cases]


@pytest.mark.parametrize('module, args', WAITING, ids=ids(WAITING))
@pytest.mark.parametrize('option, value, reason', [
    ('wait_interval', -1, 'wait_interval must be more than 0 seconds'),
    ('wait_interval', 0, 'wait_interval must be more than 0 seconds'),
    ('wait_timeout', -5, 'wait_timeout must be 0 seconds or more'),
])
def test_wait_options_checked(module_server, module, args, option, value, reason):
    result = run_module(module, dict(args, **{option: value}))
    assert result.failed
    assert reason in result.result['msg']
    assert module_server.requests == []


@pytest.mark.parametrize('module, args', WAITING, ids=ids(WAITING))
@pytest.mark.parametrize('status', [401, 403])
def test_auth_failure_is_not_retried(module_server, module, args, status):
    module_server.route('/varz', (status, b'Unauthorized')).route('/healthz', (status, b'Unauthorized')) \
        .route('/jsz', (status, b'Unauthorized'))
    result = run_module(module, dict(args, wait_timeout=30, wait_interval=0.01))
    assert result.failed
    assert 'authentication failed (HTTP %d)' % status in result.result['msg']
    assert result.result.get('attempts', 1) == 1


@pytest.mark.parametrize('module, args', ALL, ids=ids(ALL))
def test_url_password_and_headers_never_shown(module_server, module, args):
    # The server is down: the failure message names the URL, never the password or the header.
    module_server.route('/varz', (503, b'down')).route('/healthz', (401, b'no'))
    url_args = dict(args)
    if 'urls' in url_args:
        url_args['urls'] = ['http://ops:%s@nats1:8222' % SECRET]
    else:
        url_args['url'] = 'http://ops:%s@nats1:8222' % SECRET
    url_args['headers'] = {'Authorization': 'Bearer ' + SECRET}
    text, result, logged = run_module_output(module, url_args)
    assert SECRET not in text
    assert SECRET not in repr(logged)
    assert result.get('failed') or result.get('ansible_facts')
    # The credentials did reach the server (as basic auth and the header), only the output hides them.
    transport = module_server.transports[0]
    assert transport.options.username == 'ops' and transport.options.password == SECRET
