# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared helpers of the unit tests.

- ``set_module_args`` and the exit/fail mocks, in the style of
  community.internal_test_tools (works on ansible-core 2.16 to 2.19);
  ``run_module`` runs a module's ``main()`` and returns what it reported.
- ``load_fixture``: JSON recorded from real nats-servers (tests/unit/fixtures).
- ``FakeNatsServer``: answers monitoring URLs like nats-server does (routes,
  paged lists honouring offset/limit, network failures).
- ``FakeTransport`` (get/close, like the client's transports) and
  ``install_http_backend``, which puts the fake server under the real
  ``requests`` or ``open_url`` transport by patching the library call they make.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import http.client
import io
import json
import os
import re
import socket
import ssl
import threading
import urllib.error
import urllib.response

from email.message import Message
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

from ansible.module_utils import basic
from ansible.module_utils import urls
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.nats_tools.nats.plugins.module_utils import client
from ansible_collections.nats_tools.nats.plugins.module_utils import transport


try:
    import requests
    import requests.adapters
    from urllib3 import exceptions as urllib3_exceptions
except ImportError:  # the requests backend cannot be installed; its tests will say so
    requests = None


# ---------------------------------------------------------------------------
# Module arguments and results
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def set_module_args(args):
    """Context manager that sets module arguments for AnsibleModule."""
    args = dict(args)
    args.setdefault('_ansible_remote_tmp', '/tmp')
    args.setdefault('_ansible_keep_remote_files', False)

    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        pass
    else:
        # ansible-core 2.19+ (data tagging): serializes with the module profile.
        with patch_module_args(args):
            yield
        return

    serialized_args = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    with patch.object(basic, '_ANSIBLE_ARGS', serialized_args):
        yield


class AnsibleExitJson(Exception):
    """Raised by the exit_json() mock."""


class AnsibleFailJson(Exception):
    """Raised by the fail_json() mock."""


def exit_json(*args, **kwargs):
    kwargs.setdefault('changed', False)
    raise AnsibleExitJson(kwargs)


def fail_json(*args, **kwargs):
    if len(args) > 1:  # fail_json(msg) called positionally
        kwargs.setdefault('msg', args[1])
    kwargs['failed'] = True
    raise AnsibleFailJson(kwargs)


class ModuleResult:
    """What a module reported: ``result`` is the dict given to exit_json/fail_json."""

    def __init__(self, failed, result, warnings):
        self.failed = failed
        self.result = result
        self.warnings = warnings

    @property
    def msg(self):
        return self.result.get('msg', '')

    def __repr__(self):
        return 'ModuleResult(failed=%r, result=%r, warnings=%r)' % (self.failed, self.result, self.warnings)


def run_module(module, args, check_mode=False):
    """Run ``module.main()`` with ``args``; return a ModuleResult.

    Warnings are collected by replacing AnsibleModule.warn, so they can be
    read on every ansible-core version."""
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    warnings = []

    def warn(self, warning, *unused_args, **unused_kwargs):
        assert isinstance(warning, str), 'module.warn() needs a str, got %r' % (warning,)
        warnings.append(warning)

    with set_module_args(args):
        with patch.multiple(basic.AnsibleModule, exit_json=exit_json, fail_json=fail_json, warn=warn):
            try:
                module.main()
            except AnsibleExitJson as exc:
                return ModuleResult(False, exc.args[0], warnings)
            except AnsibleFailJson as exc:
                return ModuleResult(True, exc.args[0], warnings)
    raise AssertionError('%s.main() returned without calling exit_json or fail_json' % module.__name__)


def run_module_output(module, args):
    """Run ``module.main()`` through the real exit_json/fail_json.

    Returns (text printed, parsed result, [(message, log_args)] given to
    AnsibleModule.log), so no_log masking is tested as Ansible does it."""
    logged = []

    def log(self, msg, log_args=None):
        logged.append((msg, log_args))

    printed = io.StringIO()
    with set_module_args(args):
        with patch.object(basic.AnsibleModule, 'log', log), contextlib.redirect_stdout(printed):
            try:
                module.main()
            except SystemExit:
                pass
            else:
                raise AssertionError('%s.main() did not exit' % module.__name__)
    text = printed.getvalue()
    return text, json.loads(text.strip().splitlines()[-1]), logged


# ---------------------------------------------------------------------------
# Recorded fixtures
# ---------------------------------------------------------------------------

FIXTURES_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures'))


def fixture_path(name):
    return os.path.join(FIXTURES_DIR, name)


def _read_fixture(name):
    path = fixture_path(name)
    if not os.path.exists(path):
        raise AssertionError('recorded fixture %s is missing (see tests/unit/fixtures/README.md)' % path)
    with open(path, 'rb') as handle:
        return handle.read()


def recorded(name):
    """(status, body bytes) of a recorded answer, whichever way it was stored:
    ``x.json`` (200 JSON), ``x.<status>.json`` ({"_status", "_body"}),
    ``x.<status>.txt`` (an ``HTTP <status>`` line, then the body) or ``x.txt`` (200 text)."""
    raw = _read_fixture(name)
    if name.endswith('.json'):
        document = json.loads(raw.decode('utf-8'))
        if isinstance(document, dict) and '_status' in document:
            return document['_status'], _encode(document['_body'])
        return 200, raw
    first, _sep, rest = raw.partition(b'\n')
    match = re.match(br'^HTTP (\d{3})\s*$', first)
    if match:
        return int(match.group(1)), rest
    return 200, raw


def load_fixture(name):
    """A recorded JSON document (parsed body, whatever its status)."""
    return json.loads(recorded(name)[1].decode('utf-8'))


def answer_from(name):
    """A FakeNatsServer answer read from a recorded file when asked (not at import)."""
    return lambda query: recorded(name)


def paged_from(name, key='account_details', **kwargs):
    """A recorded answer served page by page (see PagedList.recorded), read when asked."""
    def answer(query):
        return PagedList.recorded(name, key, **kwargs)(query)
    return answer


# ---------------------------------------------------------------------------
# A fake nats-server monitoring port
# ---------------------------------------------------------------------------

GO_NOT_FOUND = b'404 page not found\n'


class NetworkFailure(Exception):
    """Raised by a route to say "the request never got an HTTP answer".

    Each backend turns ``kind`` into the exception its library raises."""

    def __init__(self, kind):
        super(NetworkFailure, self).__init__(kind)
        self.kind = kind


def _encode(body):
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode('utf-8')
    return json.dumps(body).encode('utf-8')


class FakeNatsServer:
    """Routes monitoring paths to answers, records every request.

    An answer is a JSON document (dict/list), a text/bytes body, a
    ``(status, body)`` tuple, a NetworkFailure, or a callable(query) returning
    one of those. Unknown paths get Go's ``404 page not found``."""

    def __init__(self, base_path=''):
        self.base_path = base_path.rstrip('/')
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()

    def route(self, path, answer):
        self.routes[self.base_path + path] = answer
        return self

    def route_sequence(self, path, *answers):
        """Answers in turn; the last one repeats."""
        remaining = list(answers)

        def next_answer(query):
            with self._lock:
                return remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return self.route(path, next_answer)

    def answer(self, url):
        """(status, body bytes) for a URL, or raise NetworkFailure."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append((parts.path, query))
        answer = self.routes.get(parts.path)
        if answer is None:
            return 404, GO_NOT_FOUND
        while callable(answer) and not isinstance(answer, NetworkFailure):
            answer = answer(query)
        if isinstance(answer, NetworkFailure):
            raise answer
        if isinstance(answer, tuple):
            status, body = answer
            return status, _encode(body)
        return 200, _encode(answer)

    def queries(self, path):
        """Query dicts of the requests for ``path``, in arrival order."""
        return [query for req_path, query in self.requests if req_path == self.base_path + path]


class PagedList:
    """A paged nats-server list: honours offset/limit like /connz, /subsz, /jsz.

    ``cap`` makes the server hand out fewer items than asked; ``with_total``
    adds ``total`` (``'page'``: the page's length, as /subsz of 2.10 does);
    ``echo`` adds the offset and limit used; ``listed(query)``
    says whether the list is asked for at all."""

    def __init__(self, key, items, document=None, with_total=True, echo=True, cap=None, default_limit=1024,
                 listed=None):
        self.key = key
        self.items = list(items)
        self.document = dict(document or {})
        self.with_total = with_total
        self.echo = echo
        self.cap = cap
        self.default_limit = default_limit
        self.listed = listed

    @classmethod
    def recorded(cls, name, key='account_details', **kwargs):
        """A recorded answer whose list is served page by page, as the server that
        answered it would (``total``, ``offset`` and ``limit`` only if it sent them)."""
        document = load_fixture(name)
        kwargs.setdefault('with_total', 'total' in document)
        kwargs.setdefault('echo', 'offset' in document)
        return cls(key, document.pop(key, []), document=document, **kwargs)

    def __call__(self, query):
        document = dict(self.document)
        if self.listed is not None and not self.listed(query):
            document.pop(self.key, None)
            return document
        offset = int(query.get('offset') or 0)
        limit = int(query.get('limit') or 0) or self.default_limit
        if self.cap:
            limit = min(limit, self.cap)
        document[self.key] = self.items[offset:offset + limit]
        if self.echo:
            document['offset'] = offset
            document['limit'] = limit
        if self.with_total == 'page':
            document['total'] = len(document[self.key])
        elif self.with_total:
            document['total'] = len(self.items)
        return document


class FakeTransport:
    """Transport interface of the client (get(url) -> (status, bytes), close())
    over a FakeNatsServer; network failures are classified as open_url's would be."""

    name = 'fake'

    def __init__(self, server, options=None):
        self.server = server
        self.options = options
        self.closed = False

    def get(self, url, deadline=None):
        try:
            return self.server.answer(url)
        except NetworkFailure as failure:
            raise transport.classify_transport_error(url, urllib_failure(failure.kind, url))

    def close(self):
        self.closed = True


class FakeClock:
    """monotonic clock and sleep for poll(): sleeping moves the clock."""

    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, 'negative sleep %r' % seconds
        self.sleeps.append(seconds)
        self.now += seconds


# ---------------------------------------------------------------------------
# What each HTTP library raises when there is no HTTP answer
# (chains as observed from requests 2.x / urllib3 2.x and urllib on Python 3.11)
# ---------------------------------------------------------------------------

NATS_INFO_LINE = 'INFO {"server_id":"NDJWE4SPAXOYTSAVR3NWHJF7QFH7JKMHXYWVN6SEGFKBBJQNNPH4NWJC","version":"2.10.26"}\r\n'
WRONG_VERSION = '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)'
RECORD_LAYER = '[SSL] record layer failure (_ssl.c:1000)'
SELF_SIGNED = '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)'
UNKNOWN_CA = ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
              'unable to get local issuer certificate (_ssl.c:1006)')
HOST_MISMATCH = ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
                 "certificate is not valid for 'nats1.example.com'. (_ssl.c:1006)")


def _caused(exc, cause):
    exc.__cause__ = cause
    return exc


def _os_level(kind, url):
    """The socket/ssl level error under both libraries."""
    host = urlsplit(url).hostname
    return {
        'refused': lambda: ConnectionRefusedError(111, 'Connection refused'),
        'reset': lambda: ConnectionResetError(104, 'Connection reset by peer'),
        'dns': lambda: socket.gaierror(-2, 'Name or service not known'),
        'connect_timeout': lambda: socket.timeout('timed out'),
        'read_timeout': lambda: socket.timeout('timed out'),
        'tls_wrong_version': lambda: ssl.SSLError(1, WRONG_VERSION),
        'tls_record_layer': lambda: ssl.SSLError(1, RECORD_LAYER),
        'cert_self_signed': lambda: ssl.SSLCertVerificationError(1, SELF_SIGNED),
        'cert_unknown_ca': lambda: ssl.SSLCertVerificationError(1, UNKNOWN_CA),
        'cert_host_mismatch': lambda: ssl.SSLCertVerificationError(1, HOST_MISMATCH.replace('nats1.example.com', host)),
        'bad_status_line': lambda: http.client.BadStatusLine(NATS_INFO_LINE),
        'remote_disconnected': lambda: http.client.RemoteDisconnected('Remote end closed connection without response'),
    }[kind]()


def urllib_failure(kind, url):
    """What open_url (urllib) raises: most errors wrapped in URLError, a read
    timeout and a bad status line raw."""
    cause = _os_level(kind, url)
    if kind in ('read_timeout', 'bad_status_line', 'remote_disconnected'):
        return cause
    return urllib.error.URLError(cause)


def requests_failure(kind, url):
    """What requests' HTTPAdapter.send raises."""
    u3 = urllib3_exceptions
    exc = requests.exceptions
    parts = urlsplit(url)
    cause = _os_level(kind, url)
    pool_text = "HTTPConnectionPool(host='%s', port=%s)" % (parts.hostname, parts.port)

    def max_retry(reason):
        return u3.MaxRetryError(None, parts.path, reason)

    if kind in ('refused', 'reset'):
        inner = _caused(u3.NewConnectionError(None, 'Failed to establish a new connection: %s' % cause), cause)
        return exc.ConnectionError(max_retry(inner))
    if kind == 'dns':
        if hasattr(u3, 'NameResolutionError'):  # urllib3 2.x
            inner = u3.NameResolutionError(parts.hostname, None, cause)
        else:
            inner = u3.NewConnectionError(None, 'Failed to establish a new connection: %s' % cause)
        return exc.ConnectionError(max_retry(_caused(inner, cause)))
    if kind == 'connect_timeout':
        inner = u3.ConnectTimeoutError(None, 'Connection to %s timed out. (connect timeout=10)' % parts.hostname)
        return exc.ConnectTimeout(max_retry(_caused(inner, cause)))
    if kind == 'read_timeout':
        inner = u3.ReadTimeoutError(None, parts.path, '%s: Read timed out. (read timeout=10)' % pool_text)
        return exc.ReadTimeout(_caused(inner, cause))
    if kind.startswith('tls_') or kind.startswith('cert_'):
        return exc.SSLError(max_retry(u3.SSLError(cause)))
    if kind in ('bad_status_line', 'remote_disconnected'):
        return exc.ConnectionError(u3.ProtocolError('Connection aborted.', cause))
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# The real transports over the fake server
# ---------------------------------------------------------------------------

class HttpBackend:
    """One of the client's real transports, its library call served by a FakeNatsServer.

    ``calls`` records what the library was asked: for requests the prepared
    request and the adapter's keyword arguments, for open_url the keyword
    arguments of ``Request.open`` (which open_url calls)."""

    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.calls = []

    def transport(self, options=None):
        options = options or transport.TransportOptions()
        if self.name == 'requests':
            return transport.RequestsTransport(options)
        return transport.OpenUrlTransport(options)

    def client(self, url='http://nats1:8222', options=None, **kwargs):
        options = options or transport.TransportOptions()
        return client.NatsMonitor(url, options=options, transport=self.transport(options), **kwargs)


def _forbidden(library):
    def call(*args, **kwargs):
        raise AssertionError('%s was called although the test serves HTTP through another library' % library)
    return call


def install_http_backend(name, server, monkeypatch):
    """Serve ``server`` through the library of transport ``name`` ('requests' or 'open_url').

    The other library's call is made to fail the test, so a test proves which one ran."""
    backend = HttpBackend(name, server)
    if name == 'requests':
        if requests is None:
            raise AssertionError('the requests library is needed by the unit tests of the requests transport')

        def send(adapter, request, **kwargs):
            backend.calls.append(dict(kwargs, request=request))
            try:
                status, body = server.answer(request.url)
            except NetworkFailure as failure:
                raise requests_failure(failure.kind, request.url)
            response = requests.Response()
            response.status_code = status
            # The transport streams the body off ``raw`` (read1), bounded by max_response_bytes.
            response.raw = io.BytesIO(body)
            response.headers = requests.structures.CaseInsensitiveDict({'Content-Length': str(len(body))})
            response.url = request.url
            response.request = request
            response.reason = http.client.responses.get(status, '')
            response.connection = adapter
            return response

        monkeypatch.setattr(requests.adapters.HTTPAdapter, 'send', send)
        monkeypatch.setattr(urls.Request, 'open', _forbidden('open_url'))
    elif name == 'open_url':
        def request_open(request, method, url, **kwargs):
            backend.calls.append(dict(kwargs, method=method, url=url))
            try:
                status, body = server.answer(url)
            except NetworkFailure as failure:
                raise urllib_failure(failure.kind, url)
            headers = Message()
            headers['Content-Type'] = 'application/json'
            if status >= 400:  # urllib's HTTPErrorProcessor turns error statuses into HTTPError
                raise urllib.error.HTTPError(url, status, http.client.responses.get(status, ''), headers,
                                             io.BytesIO(body))
            return urllib.response.addinfourl(io.BytesIO(body), headers, url, status)

        monkeypatch.setattr(urls.Request, 'open', request_open)
        if requests is not None:
            monkeypatch.setattr(requests.adapters.HTTPAdapter, 'send', _forbidden('requests'))
    else:
        raise ValueError(name)
    return backend
