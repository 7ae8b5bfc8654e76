# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    check_connection_params,
    connection_argument_spec,
    transport_options,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import DEFAULT_URL
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import DEFAULT_TIMEOUT


def params(**overrides):
    """Module parameters as AnsibleModule fills them from connection_argument_spec()."""
    values = dict((name, spec.get('default')) for name, spec in connection_argument_spec().items())
    values.update(overrides)
    return values


def test_argument_spec_defaults():
    spec = connection_argument_spec()
    assert spec['url']['default'] == DEFAULT_URL == 'http://127.0.0.1:8222'
    assert spec['timeout']['default'] == DEFAULT_TIMEOUT
    assert spec['validate_certs']['default'] is True
    assert spec['url_password']['no_log'] is True
    assert spec['url']['fallback'][1] == ['NATS_MONITOR_URL']


def test_argument_spec_is_a_fresh_copy():
    first = connection_argument_spec()
    first['headers']['default']['X'] = 'changed'
    assert connection_argument_spec()['headers']['default'] == {}


def test_transport_options_from_params():
    options = transport_options(params(timeout=2.5, validate_certs=False, ca_path='/ca.pem', client_cert='/c.pem',
                                       client_key='/k.pem', url_username='ops', url_password='pw',
                                       headers={'X-Trace': '1'}))
    assert (options.timeout, options.validate_certs, options.ca_path) == (2.5, False, '/ca.pem')
    assert (options.client_cert, options.client_key) == ('/c.pem', '/k.pem')
    assert (options.username, options.password, options.headers) == ('ops', 'pw', {'X-Trace': '1'})


def test_transport_options_without_headers():
    assert transport_options(params(headers=None)).headers == {}


@pytest.mark.parametrize('overrides, reason', [
    (dict(timeout=0), 'timeout must be greater than 0 seconds'),
    (dict(timeout=-1), 'timeout must be greater than 0 seconds'),
    (dict(client_key='/k.pem'), 'client_key needs client_cert'),
    (dict(url_password='pw'), 'url_password needs url_username'),
    (dict(url_password='', url_username=None), 'url_password needs url_username'),
])
def test_check_connection_params_refuses(overrides, reason):
    assert check_connection_params(params(**overrides)) == reason


@pytest.mark.parametrize('overrides', [
    dict(), dict(timeout=0.1), dict(client_cert='/c.pem', client_key='/k.pem'), dict(client_cert='/both.pem'),
    dict(url_username='ops'), dict(url_username='ops', url_password='pw'),
])
def test_check_connection_params_accepts(overrides):
    assert check_connection_params(params(**overrides)) is None
