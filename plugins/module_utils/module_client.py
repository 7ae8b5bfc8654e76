# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The module contract (docs/module-contract.md) in code: the shared argument
spec (connection and waiting options), their checks, and a client that owns the
AnsibleModule, fails it with the URL and the cause, hides secrets and is closed
in ``finally`` (use it as a context manager)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
from ansible_collections.nats_tools.nats.plugins.module_utils.errors import MonitorError
from ansible_collections.nats_tools.nats.plugins.module_utils.module_results import send_results_without_copy
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import (
    DEFAULT_URL,
    display_url,
    split_userinfo,
    validate_url,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    TransportOptions,
    make_transport,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import wait_option_problems


def connection_argument_spec():
    """Options documented in the nats_tools.nats.connection doc fragment."""
    return dict(
        url=dict(type='str', default=DEFAULT_URL, fallback=(env_fallback, ['NATS_MONITOR_URL'])),
        timeout=dict(type='float', default=DEFAULT_TIMEOUT),
        max_response_bytes=dict(type='int', default=DEFAULT_MAX_RESPONSE_BYTES),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        headers=dict(type='dict', default={}, no_log=True),
    )


def wait_argument_spec(wait=False, wait_timeout=120, wait_interval=1):
    """wait / wait_timeout / wait_interval with a module's defaults (same names and meaning everywhere)."""
    return dict(
        wait=dict(type='bool', default=wait),
        wait_timeout=dict(type='float', default=wait_timeout),
        wait_interval=dict(type='float', default=wait_interval),
    )


def transport_options(params, username=None, password=None):
    """TransportOptions from a module's (or inventory plugin's) parameters."""
    return TransportOptions(
        timeout=params['timeout'],
        validate_certs=params['validate_certs'],
        ca_path=params.get('ca_path'),
        client_cert=params.get('client_cert'),
        client_key=params.get('client_key'),
        username=params.get('url_username') or username,
        password=params.get('url_password') if params.get('url_username') else password,
        headers=params.get('headers') or {},
        max_response_bytes=params.get('max_response_bytes') or DEFAULT_MAX_RESPONSE_BYTES,
    )


def check_connection_params(params):
    """A reason the connection options cannot work, or None."""
    if params['timeout'] <= 0:
        return 'timeout must be greater than 0 seconds'
    if params.get('max_response_bytes') is not None and params['max_response_bytes'] <= 0:
        return 'max_response_bytes must be more than 0'
    if params.get('client_key') and not params.get('client_cert'):
        return 'client_key needs client_cert'
    if params.get('url_password') is not None and not params.get('url_username'):
        return 'url_password needs url_username'
    return None


def credentials_from_urls(urls, params):
    """(clean URLs, user, password, problems): user information taken out of the URLs.

    Every URL must carry the same user information (or none), and it must agree with
    url_username / url_password when those are given."""
    clean, found, problems = [], set(), []
    for url in urls:
        stripped, user, password = split_userinfo(url)
        clean.append(stripped)
        if user is not None or password is not None:
            found.add((user, password))
    if len(found) > 1:
        problems.append('the URLs carry different user information; give url_username and url_password instead')
    user, password = next(iter(found)) if len(found) == 1 else (None, None)
    if user is not None and params.get('url_username') and (
            user != params['url_username'] or (password is not None and password != params.get('url_password'))):
        where = next(c for c, u in zip(clean, urls) if c != u)
        problems.append('%s: the user information in the URL differs from url_username/url_password' % where)
    return clean, user, password, problems


class NatsModuleClient:
    """Owns the AnsibleModule and the NatsMonitor(s) of its URL(s); turns client errors into fail_json.

    ``urls``: the module's URLs (default: its ``url`` option). User information in them is
    taken out at once and added to the module's no_log values, so it appears nowhere."""

    def __init__(self, module, urls=None, waits=False):
        self.module = module
        # Large answers leave the process without Ansible copying every value when no secret can be in them.
        send_results_without_copy(module)
        self.started = time.monotonic()
        params = module.params
        raw = list(urls) if urls is not None else [params['url']]
        clean, user, password, problems = credentials_from_urls(raw, params)
        for secret in (password, params.get('url_password')):
            if secret:
                module.no_log_values.add(secret)
        problems.extend('%s: %s' % (display_url(url), reason) for url, reason in
                        ((u, validate_url(u)) for u in clean) if reason)
        options_problems = [reason for reason in [check_connection_params(params)] if reason]
        if waits:
            options_problems.extend(wait_option_problems(params))
        if len(clean) == 1:
            # One URL: every message names it, as every other failure of the module does.
            options_problems = ['%s: %s' % (clean[0], reason) for reason in options_problems]
        problems.extend(options_problems)
        if problems:
            module.fail_json(msg='; '.join(problems), url=clean[0] if len(clean) == 1 else None)
        self.options = transport_options(params, user, password)
        self.transport = make_transport(self.options, pool_size=max(8, len(clean)))
        self.monitors = [NatsMonitor(url, options=self.options, transport=self.transport) for url in clean]
        # wait_timeout bounds the whole run, the last request included (0: one attempt within timeout).
        if waits and params.get('wait') and params.get('wait_timeout'):
            for monitor in self.monitors:
                monitor.deadline = self.started + params['wait_timeout']

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    @property
    def monitor(self):
        return self.monitors[0]

    @property
    def url(self):
        return self.monitor.url

    def warn_collected(self):
        """Tell the user what the client noticed (a paged list that ended early)."""
        for monitor in self.monitors:
            for warning in monitor.warnings:
                self.module.warn(warning)
            monitor.warnings = []

    def fail(self, error, **result):
        """Fail the module on a MonitorError, naming the URL and the cause."""
        result.setdefault('url', self.url)
        self.warn_collected()
        self.module.fail_json(msg=str(error), error_kind=error.kind, http_status=error.status, **result)

    def exit(self, **result):
        self.warn_collected()
        self.module.exit_json(**result)

    def call(self, method, *args, **kwargs):
        """Run a client call; a MonitorError fails the module with its message."""
        try:
            return method(*args, **kwargs)
        except MonitorError as error:
            self.fail(error)

    def close(self):
        self.transport.close()
