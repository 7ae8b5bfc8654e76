# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""What every module of the collection shares: connection options and a
client that fails the module with the URL and the cause."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.nats_tools.nats.plugins.module_utils.monitor import (
    DEFAULT_URL,
    DEFAULT_TIMEOUT,
    MonitorError,
    NatsMonitor,
    TransportOptions,
    make_transport,
    validate_url,
)


def connection_argument_spec():
    """Options documented in the nats_tools.nats.connection doc fragment."""
    return dict(
        url=dict(type='str', default=DEFAULT_URL, fallback=(env_fallback, ['NATS_MONITOR_URL'])),
        timeout=dict(type='float', default=DEFAULT_TIMEOUT),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        headers=dict(type='dict', default={}),
    )


def transport_options(params):
    """TransportOptions from a module's (or inventory plugin's) parameters."""
    return TransportOptions(
        timeout=params['timeout'],
        validate_certs=params['validate_certs'],
        ca_path=params.get('ca_path'),
        client_cert=params.get('client_cert'),
        client_key=params.get('client_key'),
        username=params.get('url_username'),
        password=params.get('url_password'),
        headers=params.get('headers') or {},
    )


def check_connection_params(params):
    """A reason the connection options cannot work, or None."""
    if params['timeout'] <= 0:
        return 'timeout must be greater than 0 seconds'
    if params.get('client_key') and not params.get('client_cert'):
        return 'client_key needs client_cert'
    if params.get('url_password') is not None and not params.get('url_username'):
        return 'url_password needs url_username'
    return None


class NatsModuleClient:
    """Owns the AnsibleModule and its NatsMonitor; turns client errors into fail_json."""

    def __init__(self, module, url=None):
        self.module = module
        params = module.params
        url = url or params['url']
        reason = check_connection_params(params) or validate_url(url)
        if reason:
            module.fail_json(msg='%s: %s' % (url, reason), url=url)
        self.options = transport_options(params)
        self.monitor = NatsMonitor(url, options=self.options, transport=make_transport(self.options))

    @property
    def url(self):
        return self.monitor.url

    def fail(self, error, **result):
        """Fail the module on a MonitorError, naming the URL and the cause."""
        result.setdefault('url', self.url)
        self.module.fail_json(msg=str(error), error_kind=error.kind, http_status=error.status, **result)

    def call(self, method, *args, **kwargs):
        """Run a client call; a MonitorError fails the module with its message."""
        try:
            return method(*args, **kwargs)
        except MonitorError as error:
            self.fail(error)

    def close(self):
        self.monitor.close()
