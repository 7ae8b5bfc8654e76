# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The typed errors of the monitoring client: each carries the URL it concerns
(never with user information) and says what went wrong in words.

``kind`` is what modules return as ``error_kind``; ``permanent`` says whether
waiting can mend it (a wrong password, certificate, path or option cannot)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_text

# How much of a non-JSON or error body goes into a message.
BODY_EXCERPT = 300


class MonitorError(Exception):
    """Base of every error the client raises."""

    kind = 'error'
    permanent = False

    def __init__(self, url, reason, status=None, body=None):
        super(MonitorError, self).__init__('%s: %s' % (url, reason))
        self.url = url
        self.reason = reason
        self.status = status
        self.body = body


class ServerUnreachable(MonitorError):
    """Connection refused, host name unknown, network down."""
    kind = 'unreachable'


class RequestTimeout(MonitorError):
    """No complete answer within the request's deadline."""
    kind = 'timeout'


class TLSFailure(MonitorError):
    """TLS handshake or certificate verification failed."""
    kind = 'tls'
    permanent = True


class HTTPStatusError(MonitorError):
    """The server answered with an HTTP error status; ``body`` holds its text."""
    kind = 'http'

    @property
    def permanent(self):
        # 500 and 503 are what a starting or lame-duck server answers; any other 4xx/5xx will not mend.
        return self.status not in (500, 502, 503, 504)


class EndpointNotServed(HTTPStatusError):
    """404: this server (version, or base path) does not serve the endpoint."""
    kind = 'not_served'


class AuthenticationFailed(HTTPStatusError):
    """401 or 403: the monitoring port wants other (or any) credentials."""
    kind = 'auth'


class RedirectRefused(MonitorError):
    """A redirect to another scheme, host or port: not followed, so that credentials and
    headers only ever reach the host asked."""
    kind = 'redirect'
    permanent = True


class ResponseTooLarge(MonitorError):
    """The answer is larger than max_response_bytes."""
    kind = 'too_large'
    permanent = True


class InvalidResponse(MonitorError):
    """The answer is not what a monitoring port sends: not HTTP, not JSON, or JSON of the wrong shape."""
    kind = 'invalid_response'


class OptionError(MonitorError):
    """Options that cannot work (raised before any request)."""
    kind = 'options'
    permanent = True


def excerpt(body):
    """At most BODY_EXCERPT characters of a body, as text."""
    text = to_text(body, errors='replace').strip()
    if len(text) > BODY_EXCERPT:
        text = text[:BODY_EXCERPT] + '...'
    return text


def error_from_status(url, status, body):
    """The typed error of an HTTP error status, with the server's reason."""
    text = excerpt(body)
    # nats-server answers a bad option with {"status": "error", "error": "..."} (healthz) or plain text.
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and parsed.get('error'):
            text = excerpt(parsed['error'])
    except ValueError:
        pass
    if status in (401, 403):
        return AuthenticationFailed(url, 'authentication failed (HTTP %d): %s; check url_username, url_password and '
                                         'headers' % (status, text or 'no body'), status=status, body=text)
    if status == 404:
        # Go's mux answers an unknown path with this text; anything else is the endpoint's own reason
        # (e.g. /raftz on a server without Raft groups).
        if not text or text == '404 page not found':
            reason = 'HTTP 404: endpoint not served by this server (too old a version, or wrong base path)'
        else:
            reason = 'HTTP 404: %s' % text
        return EndpointNotServed(url, reason, status=status, body=text)
    return HTTPStatusError(url, 'HTTP %d: %s' % (status, text or 'no body'), status=status, body=text)
