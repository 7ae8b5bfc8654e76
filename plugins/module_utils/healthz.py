# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""/healthz: the query each server version understands, and the verdict of an answer (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.versions import version_at_least

# /healthz: js-meta-only exists from 2.11; before that js-server-only meant
# exactly that check (meta leader and meta state current). From 2.11 on,
# js-server-only means "connections only".
HEALTHZ_META_ONLY_SINCE = (2, 11, 0)


def healthz_needs_version(js_meta_only=False, **unused):
    """Only js_meta_only is spelled differently by server version."""
    return bool(js_meta_only)


def healthz_params(version=None, js_enabled_only=False, js_server_only=False, js_meta_only=False,
                   account=None, stream=None, consumer=None, details=False):
    """Query parameters for /healthz as this server version understands them.

    ``version`` is only consulted for js_meta_only: before 2.11 it is sent as
    js-server-only, which meant the meta check there."""
    params = dict(js_enabled_only=js_enabled_only, account=account, stream=stream,
                  consumer=consumer, details=details)
    if js_meta_only:
        if version_at_least(version, HEALTHZ_META_ONLY_SINCE):
            params['js_meta_only'] = True
        else:
            params['js_server_only'] = True
    if js_server_only:
        params['js_server_only'] = True
    return params


def healthz_verdict(http_status, document):
    """healthy, status, error and errors from a /healthz answer (any status code)."""
    document = document or {}
    # The HTTP status decides: with details=true the body says "error" for a 503 too.
    if http_status == 503:
        status = 'unavailable'
    elif http_status == 200:
        status = document.get('status') or 'ok'
    else:
        status = 'error'
    errors = document.get('errors') or []
    error = document.get('error')
    if not error and errors:
        error = '; '.join(describe_health_error(item) for item in errors)
    return dict(
        healthy=http_status == 200 and status == 'ok',
        status=status,
        http_status=http_status,
        error=error,
        errors=errors,
    )


def describe_health_error(item):
    """One sentence from a /healthz details entry {type, account, stream, consumer, error}."""
    where = []
    for key in ('account', 'stream', 'consumer'):
        if item.get(key):
            where.append('%s %s' % (key, item[key]))
    text = item.get('error') or item.get('type') or 'unhealthy'
    return '%s: %s' % (', '.join(where), text) if where else text
