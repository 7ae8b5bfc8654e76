# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Monitoring URLs: checking them, taking user information out of them, joining
endpoint paths, and telling whether a redirect stays on the host asked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_URL = 'http://127.0.0.1:8222'


def validate_url(url):
    """A reason why the URL cannot be a monitoring URL, or None."""
    try:
        parts = urlsplit(url or '')
    except ValueError as exc:
        return 'not a URL (%s)' % exc
    if parts.scheme not in ('http', 'https'):
        return 'URL must start with http:// or https://'
    if not parts.hostname:
        return 'URL has no host'
    try:
        parts.port
    except ValueError as exc:
        return 'URL has an invalid port (%s)' % exc
    if parts.query or parts.fragment:
        return 'URL must not carry a query or fragment (options set the query)'
    return None


def display_url(url):
    """The URL without user information: the only form that appears in messages and results."""
    try:
        parts = urlsplit(url or '')
    except ValueError:
        return '(invalid URL)'
    if '@' not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rsplit('@', 1)[1], parts.path, parts.query, parts.fragment))


def split_userinfo(url):
    """(URL without user information, user or None, password or None)."""
    try:
        parts = urlsplit(url or '')
    except ValueError:
        return url, None, None
    if '@' not in parts.netloc:
        return url, None, None
    userinfo = parts.netloc.rsplit('@', 1)[0]
    user, _sep, password = userinfo.partition(':')
    return display_url(url), unquote(user) or None, unquote(password) if _sep else None


def join_url(base_url, path, query=''):
    """Monitoring URL (which may carry a base path) + endpoint path + query."""
    parts = urlsplit(base_url)
    base_path = parts.path.rstrip('/')
    return urlunsplit((parts.scheme, parts.netloc, base_path + path, query, ''))


def origin(url):
    """(scheme, host, port) with the default port filled in; None when unreadable."""
    try:
        parts = urlsplit(url or '')
        port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    except ValueError:
        return None
    return parts.scheme, (parts.hostname or '').lower(), port


def same_origin(url, other):
    first = origin(url)
    return first is not None and first == origin(other)
