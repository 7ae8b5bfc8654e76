# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""HTTP GET for the monitoring client, bounded: ``get(url) -> (status, body bytes)``.

Two transports give the same results and raise the same typed errors: a pooled
``requests`` session when ``requests`` can be imported, otherwise Ansible's
``open_url``, so a managed node without ``requests`` still works.

A monitoring port is untrusted (it may drip bytes, send gigabytes or redirect
elsewhere), so every request is bounded here, whatever the transport:

- one deadline (``timeout``) covers connect, headers and the whole body: the request
  runs in a daemon thread that is abandoned at the deadline, and its body is read one
  socket read at a time with the deadline checked in between;
- the body is read up to ``max_response_bytes`` and no further;
- a redirect is followed only to the same scheme, host and port (at most
  MAX_REDIRECTS times): credentials and headers never reach another host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import threading
import time

from importlib.util import find_spec

from http.client import HTTPException
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import (
    InvalidResponse,
    MonitorError,
    RedirectRefused,
    RequestTimeout,
    ResponseTooLarge,
    ServerUnreachable,
    TLSFailure,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import display_url, same_origin

# Neither HTTP library is imported before a request is made: together they are ~0.1 s of every
# module run (measured with `python -X importtime` after ansible.module_utils.basic: requests
# ~80 ms, ansible.module_utils.urls ~60 ms, both ~115 ms), and a run uses one of them. Whether
# requests is installed is looked up without importing it; an installed requests that cannot be
# imported falls back to open_url too (make_transport).
requests = None  # the requests package once RequestsTransport has imported it
HAS_REQUESTS = find_spec('requests') is not None


def _import_requests():
    """The requests package (imported on first use), or None when it cannot be imported."""
    global requests  # pylint: disable=global-statement
    if requests is None:
        try:
            import requests as library  # pylint: disable=import-outside-toplevel
            import requests.adapters  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            return None
        requests = library
    return requests


DEFAULT_TIMEOUT = 10
# The largest answer measured from a real server was /jsz with 2,000 streams and their consumers
# (~6 MB, 2.15.1) and a /connz page of 10,000 connections (~9 MB); 64 MiB leaves room for ten
# times that, while a hostile body cannot take more than a few hundred MB of memory.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_WORKERS = 8
MAX_REDIRECTS = 3
# Seconds the last request of a wait may take past wait_timeout (see _BoundedTransport.get).
LAST_REQUEST_FLOOR = 2.0
READ_CHUNK = 65536
# Extra time the caller waits for a request thread beyond its deadline, so that the thread's own
# (more precise) error wins when both fire at once.
THREAD_GRACE = 0.25


class TransportOptions:
    """Connection settings shared by every request (and every server of a gate)."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, username=None, password=None, headers=None,
                 max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES):
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.username = username
        self.password = password
        self.headers = dict(headers or {})
        self.max_response_bytes = max_response_bytes

    @property
    def has_credentials(self):
        return bool(self.username or self.password or self.headers)

    def without_credentials(self):
        """The same settings without user, password and headers (for hosts not trusted with them)."""
        return TransportOptions(timeout=self.timeout, validate_certs=self.validate_certs, ca_path=self.ca_path,
                                client_cert=self.client_cert, client_key=self.client_key,
                                max_response_bytes=self.max_response_bytes)


# ---------------------------------------------------------------------------
# Errors of the libraries -> typed errors
# ---------------------------------------------------------------------------

def _walk_causes(exc):
    """The exception and the ones it wraps (requests and urllib nest them)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        nxt = getattr(exc, 'reason', None)
        if not isinstance(nxt, BaseException):
            nxt = None
        if nxt is None and getattr(exc, 'args', None):
            nxt = next((a for a in exc.args if isinstance(a, BaseException)), None)
        exc = nxt or exc.__cause__ or exc.__context__


def _last_message(chain):
    for exc in reversed(chain):
        text = to_text(exc)
        if text:
            return text
    return type(chain[-1]).__name__ if chain else 'unknown error'


def timeout_error(url, timeout):
    return RequestTimeout(url, 'timed out: no complete answer within %g s' % timeout)


def classify_transport_error(url, exc, timeout=DEFAULT_TIMEOUT):
    """Map whatever a transport raised to a MonitorError with a plain reason."""
    if isinstance(exc, MonitorError):
        return exc
    chain = list(_walk_causes(exc))
    names = ' '.join(type(e).__name__ for e in chain)
    lowered = ' '.join(to_text(e) for e in chain).lower()

    if any(isinstance(e, ssl.SSLError) or isinstance(e, getattr(ssl, 'CertificateError', ssl.SSLError))
           for e in chain) or 'SSLError' in names or 'SSLValidationError' in names:
        if 'wrong version number' in lowered or 'record layer failure' in lowered or 'unknown protocol' in lowered \
                or 'packet length too long' in lowered:
            return TLSFailure(url, 'TLS handshake failed: the port does not speak TLS (is it a plain http port?)')
        if "doesn't match" in lowered or 'hostname mismatch' in lowered or 'not valid for' in lowered:
            return TLSFailure(url, 'TLS certificate does not match the host name')
        if 'certificate verify failed' in lowered or 'certificate_verify_failed' in lowered:
            detail = 'self-signed or unknown CA' if 'self' in lowered or 'issuer' in lowered else 'verification failed'
            return TLSFailure(url, 'TLS certificate not trusted (%s); set ca_path to the CA that signed it, '
                                   'or validate_certs=false' % detail)
        return TLSFailure(url, 'TLS failure: %s' % _last_message(chain))

    if any(isinstance(e, socket.timeout) for e in chain) or 'Timeout' in names or 'timed out' in lowered:
        return timeout_error(url, timeout)

    if any(isinstance(e, socket.gaierror) for e in chain) or 'NameResolution' in names \
            or 'name or service not known' in lowered or 'nodename nor servname' in lowered \
            or 'temporary failure in name resolution' in lowered or 'no address associated' in lowered:
        return ServerUnreachable(url, 'cannot resolve host name %s' % (urlsplit(url).hostname or ''))

    if any(isinstance(e, ConnectionRefusedError) for e in chain) or 'connection refused' in lowered:
        return ServerUnreachable(url, 'connection refused: nothing listens on that port')

    if 'BadStatusLine' in names or 'badstatusline' in lowered or 'RemoteDisconnected' in names \
            or 'remote end closed' in lowered or 'LineTooLong' in names or 'got more than' in lowered:
        return InvalidResponse(url, 'the peer did not answer with HTTP (is this the monitoring port, '
                                    'not the client or cluster port?)')

    if any(isinstance(e, ConnectionResetError) for e in chain) or 'connection reset' in lowered:
        return ServerUnreachable(url, 'connection reset by the server')

    if 'IncompleteRead' in names or 'ChunkedEncodingError' in names or 'ProtocolError' in names:
        return InvalidResponse(url, 'the answer ended before its announced length')

    return ServerUnreachable(url, 'cannot connect: %s' % _last_message(chain))


# ---------------------------------------------------------------------------
# Bounds shared by both transports
# ---------------------------------------------------------------------------

class _Request:
    """One request's bounds: its URL (without user information), deadline and size cap."""

    def __init__(self, url, timeout, max_bytes):
        self.url = url
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.max_bytes = max_bytes
        self.length = None  # the announced Content-Length, once check_length has seen it

    def too_large(self):
        return ResponseTooLarge(self.url, 'answer larger than max_response_bytes (%d bytes)' % self.max_bytes)

    def check_length(self, header):
        """Refuse a body whose announced length is over the cap before reading it; remember the length."""
        try:
            length = int(header) if header is not None else None
        except (TypeError, ValueError):
            length = None
        if length is not None and length > self.max_bytes:
            raise self.too_large()
        self.length = length

    def read_body(self, read):
        """The body through ``read(n)`` (one socket read at a time), within the deadline and the cap;
        a body that ends before its announced Content-Length is not an answer (http.client's read1 does
        not say so itself)."""
        chunks, size = [], 0
        while True:
            if time.monotonic() > self.deadline:
                raise timeout_error(self.url, self.timeout)
            chunk = read(READ_CHUNK)
            if not chunk:
                if self.length is not None and size < self.length:
                    raise InvalidResponse(self.url, 'the answer ended before its announced length (%d of %d bytes)'
                                          % (size, self.length))
                return b''.join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise self.too_large()
            chunks.append(chunk)


def _one_read_at_a_time(stream):
    """read1 (at most one socket read) where the stream has it: read(n) of a buffered socket waits
    for n bytes, which a server dripping a byte a second would stretch to hours."""
    return getattr(stream, 'read1', None) or stream.read


class _BoundedTransport:
    """get(url) with the deadline, the size cap and the redirect rule; subclasses _fetch one URL."""

    name = None

    def __init__(self, options):
        self.options = options

    def get(self, url, deadline=None):
        """(status, body) of ``url``. ``deadline`` (time.monotonic()) may shorten the timeout."""
        timeout = self.options.timeout
        if deadline is not None:
            # The last attempt of a wait lands on its deadline: it still gets LAST_REQUEST_FLOOR seconds,
            # so that it reports the real cause (connection refused, unhealthy) rather than the deadline.
            remaining = deadline - time.monotonic()
            if remaining <= -LAST_REQUEST_FLOOR:
                raise RequestTimeout(url, 'timed out: wait_timeout reached before the request')
            timeout = min(timeout, max(remaining, LAST_REQUEST_FLOOR))
        asked = url
        for _hop in range(MAX_REDIRECTS + 1):
            status, location, body = self._bounded(url, timeout)
            if location is None:
                return status, body
            target = urljoin(url, location)
            if not same_origin(asked, target):
                raise RedirectRefused(url, 'redirected (HTTP %d) to %s: not followed, credentials and headers '
                                           'are only sent to the host asked' % (status, display_url(target)))
            url = target
        raise InvalidResponse(asked, 'more than %d redirects' % MAX_REDIRECTS)

    def _bounded(self, url, timeout):
        """_fetch in a daemon thread, abandoned at the deadline (a slow header phase cannot be
        bounded from inside the libraries, whose timeouts apply per socket read)."""
        request = _Request(url, timeout, self.options.max_response_bytes)
        box = {}

        def run():
            try:
                box['answer'] = self._fetch(request)
            except BaseException as exc:  # handed to the caller's thread
                box['error'] = exc

        thread = threading.Thread(target=run, name='nats-monitor-get')
        thread.daemon = True
        thread.start()
        thread.join(timeout + THREAD_GRACE)
        if thread.is_alive():
            request.deadline = 0  # the body loop stops at its next read
            raise timeout_error(url, timeout)
        if 'error' in box:
            raise classify_transport_error(url, box['error'], timeout)
        return box['answer']

    def _fetch(self, request):
        raise NotImplementedError

    def close(self):
        pass


class RequestsTransport(_BoundedTransport):
    """Keep-alive connection pool shared by all threads."""

    name = 'requests'

    def __init__(self, options, pool_size=DEFAULT_MAX_WORKERS):
        super(RequestsTransport, self).__init__(options)
        if _import_requests() is None:
            raise ValueError('the requests transport was asked for but requests cannot be imported')
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        # The body is read as it comes off the socket (see _one_read_at_a_time): no compression.
        self.session.headers['Accept-Encoding'] = 'identity'
        self.session.headers.update(options.headers)
        # A monitoring URL is given explicitly; proxies and .netrc from the environment must not apply.
        self.session.trust_env = False
        if options.username:
            self.session.auth = (options.username, options.password or '')
        if options.validate_certs:
            self.session.verify = options.ca_path or True
        else:
            self.session.verify = False
            # One warning per request otherwise; the user chose not to verify. Set once, not per
            # request: warnings.catch_warnings() is not thread-safe.
            requests.packages.urllib3.disable_warnings(requests.packages.urllib3.exceptions.InsecureRequestWarning)
        if options.client_cert:
            self.session.cert = (options.client_cert, options.client_key) if options.client_key else options.client_cert

    def _fetch(self, request):
        response = self.session.get(request.url, timeout=(request.timeout, request.timeout), allow_redirects=False,
                                    stream=True)
        try:
            status = response.status_code
            if 300 <= status < 400 and response.headers.get('Location'):
                return status, response.headers['Location'], b''
            request.check_length(response.headers.get('Content-Length'))
            raw = response.raw
            # urllib3's read(n) waits for n bytes; the http.client response under it reads once.
            body = request.read_body(_one_read_at_a_time(getattr(raw, '_fp', None) or raw))
            return status, None, body
        finally:
            response.close()

    def close(self):
        self.session.close()


class OpenUrlTransport(_BoundedTransport):
    """Ansible's open_url: no third-party library needed on the managed node."""

    name = 'open_url'

    def __init__(self, options, pool_size=None):
        super(OpenUrlTransport, self).__init__(options)

    def _fetch(self, request):
        # Imported on first use (see HAS_REQUESTS): a run served by requests never loads it.
        from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel

        opts = self.options
        try:
            response = open_url(
                request.url, method='GET', headers=opts.headers, timeout=request.timeout,
                validate_certs=opts.validate_certs, ca_path=opts.ca_path,
                client_cert=opts.client_cert, client_key=opts.client_key,
                url_username=opts.username, url_password=opts.password,
                force_basic_auth=bool(opts.username), use_proxy=False, follow_redirects='none')
        except HTTPError as exc:
            headers = exc.headers or {}
            if 300 <= exc.code < 400:
                # follow_redirects='none': urllib raises with the target as the error's URL.
                return exc.code, headers.get('Location') or exc.url, b''
            try:
                request.check_length(headers.get('Content-Length'))
                body = request.read_body(_one_read_at_a_time(exc)) if exc.fp is not None else b''
            except ResponseTooLarge:
                body = b''  # the status says enough; an error body is a courtesy
            finally:
                exc.close()
            return exc.code, None, body
        try:
            request.check_length(response.headers.get('Content-Length'))
            return response.getcode(), None, request.read_body(_one_read_at_a_time(response))
        except (HTTPException, OSError, ValueError) as exc:
            raise classify_transport_error(request.url, exc, request.timeout)
        finally:
            response.close()


def make_transport(options, prefer='auto', pool_size=DEFAULT_MAX_WORKERS):
    """requests when available (or asked for), open_url otherwise."""
    if prefer == 'requests' or (prefer == 'auto' and HAS_REQUESTS):
        if not HAS_REQUESTS:
            raise ValueError('the requests transport was asked for but requests is not installed')
        if prefer == 'requests' or _import_requests() is not None:
            return RequestsTransport(options, pool_size=pool_size)
    return OpenUrlTransport(options)
