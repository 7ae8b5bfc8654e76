# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Client for the nats-server HTTP monitoring port.

One method per monitoring endpoint, query parameters spelled as nats-server
reads them, paged lists followed to the end, typed errors that carry the URL,
and concurrent fetching of several endpoints or servers.

Transport: a pooled ``requests`` session when ``requests`` can be imported,
otherwise Ansible's ``open_url``, so a managed node without ``requests``
still works. Both give the same results and raise the same errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import ssl
import threading
import time

from concurrent.futures import ThreadPoolExecutor
from functools import partial

from http.client import HTTPException
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit, urlunsplit

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import open_url

try:
    import requests
    import requests.adapters
    HAS_REQUESTS = True
except ImportError:  # the open_url transport takes over
    requests = None
    HAS_REQUESTS = False


DEFAULT_URL = 'http://127.0.0.1:8222'
DEFAULT_TIMEOUT = 10
DEFAULT_MAX_WORKERS = 8
# Items asked for per page when following a paged list. nats-server builds the
# whole list for every request, so few large pages cost it less than many small ones.
DEFAULT_PAGE_SIZE = 10000
# How much of a non-JSON or error body goes into a message.
BODY_EXCERPT = 300


class Endpoint:
    """One monitoring endpoint: its path, the query parameters nats-server
    reads (server spelling), the list that pages, and whether it answers JSON."""

    def __init__(self, name, path, params=(), paged_list=None, paged_when=None, single_when=None, item_key=None,
                 count_field=None, stable_order=True, json_body=True):
        self.name = name
        # False when the server lists items in a different order on every request (/subsz): offset
        # pages would overlap and miss items, so the list is read in one request sized by count_field.
        self.stable_order = stable_order
        self.count_field = count_field
        # Query parameters that narrow the list to one item the server returns whatever the offset
        # (jsz with acc), while its total still counts them all: no paging then.
        self.single_when = single_when
        # Field that identifies an item of the paged list, to drop repeats across pages.
        self.item_key = item_key
        self.path = path
        self.params = tuple(params)
        self.paged_list = paged_list
        # Query parameters of which one must be set for the list to be present at all (subsz lists
        # subscriptions only with subs=true; jsz lists accounts with accounts, streams or consumers).
        self.paged_when = paged_when
        self.json_body = json_body

    def server_param(self, name):
        """Server spelling of a parameter given either way (js_meta_only or js-meta-only)."""
        for param in self.params:
            if name == param or name == param.replace('-', '_'):
                return param
        raise KeyError(name)


ENDPOINTS = dict((e.name, e) for e in (
    Endpoint('varz', '/varz'),
    Endpoint('connz', '/connz',
             ('sort', 'auth', 'subs', 'offset', 'limit', 'cid', 'state', 'user', 'acc', 'mqtt_client'),
             paged_list='connections', item_key='cid'),
    Endpoint('routez', '/routez', ('subs',)),
    Endpoint('gatewayz', '/gatewayz', ('subs', 'accs', 'gw_name', 'acc_name')),
    Endpoint('leafz', '/leafz', ('subs', 'acc')),
    Endpoint('subsz', '/subsz', ('subs', 'offset', 'limit', 'test', 'acc'),
             paged_list='subscriptions_list', paged_when=('subs',), item_key=('account', 'cid', 'sid'),
             count_field='num_subscriptions', stable_order=False),
    Endpoint('accountz', '/accountz', ('acc',)),
    Endpoint('accstatz', '/accstatz', ('unused',)),
    Endpoint('jsz', '/jsz',
             ('acc', 'accounts', 'streams', 'consumers', 'config', 'offset', 'limit', 'leader-only',
              'raft', 'stream-leader-only', 'direct-consumers'),
             paged_list='account_details', paged_when=('accounts', 'streams', 'consumers'), single_when=('acc',),
             item_key='name'),
    Endpoint('healthz', '/healthz',
             ('js-enabled-only', 'js-server-only', 'js-meta-only', 'account', 'stream', 'consumer', 'details')),
    Endpoint('raftz', '/raftz', ('acc', 'group')),
    Endpoint('ipqueuesz', '/ipqueuesz', ('all', 'queues')),
    Endpoint('stacksz', '/stacksz', json_body=False),
    Endpoint('expvarz', '/debug/vars'),
))


# ---------------------------------------------------------------------------
# Errors: each carries the URL it concerns and says what went wrong in words.
# ---------------------------------------------------------------------------

class MonitorError(Exception):
    """Base of every error the client raises."""

    kind = 'error'

    def __init__(self, url, reason, status=None, body=None):
        super(MonitorError, self).__init__('%s: %s' % (url, reason))
        self.url = url
        self.reason = reason
        self.status = status
        self.body = body


class ServerUnreachable(MonitorError):
    """Connection refused, host name unknown, network down, not an HTTP peer."""
    kind = 'unreachable'


class RequestTimeout(MonitorError):
    """No answer within the timeout."""
    kind = 'timeout'


class TLSFailure(MonitorError):
    """TLS handshake or certificate verification failed."""
    kind = 'tls'


class HTTPStatusError(MonitorError):
    """The server answered with an HTTP error status; ``body`` holds its text."""
    kind = 'http'


class EndpointNotServed(HTTPStatusError):
    """404: this server (version, or base path) does not serve the endpoint."""
    kind = 'not_served'


class InvalidResponse(MonitorError):
    """The answer is not what a monitoring port sends (not JSON, not HTTP)."""
    kind = 'invalid_response'


def _excerpt(body):
    text = to_text(body, errors='replace').strip()
    if len(text) > BODY_EXCERPT:
        text = text[:BODY_EXCERPT] + '...'
    return text


def _error_from_status(url, status, body):
    text = _excerpt(body)
    # nats-server answers a bad healthz option with {"status": "error", "error": "..."}
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and parsed.get('error'):
            text = to_text(parsed['error'])
    except ValueError:
        pass
    if status == 404:
        # Go's mux answers an unknown path with this text; anything else is the endpoint's own reason
        # (e.g. /raftz on a server without Raft groups).
        if not text or text == '404 page not found':
            reason = 'HTTP 404: endpoint not served by this server (too old a version, or wrong base path)'
        else:
            reason = 'HTTP 404: %s' % text
        return EndpointNotServed(url, reason, status=status, body=text)
    return HTTPStatusError(url, 'HTTP %d: %s' % (status, text or 'no body'), status=status, body=text)


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


def classify_transport_error(url, exc):
    """Map whatever a transport raised to a MonitorError with a plain reason."""
    chain = list(_walk_causes(exc))
    names = ' '.join(type(e).__name__ for e in chain)
    text = ' '.join(to_text(e) for e in chain)
    lowered = text.lower()

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
        return RequestTimeout(url, 'timed out waiting for the server')

    if any(isinstance(e, socket.gaierror) for e in chain) or 'NameResolution' in names \
            or 'name or service not known' in lowered or 'nodename nor servname' in lowered \
            or 'temporary failure in name resolution' in lowered or 'no address associated' in lowered:
        return ServerUnreachable(url, 'cannot resolve host name %s' % (urlsplit(url).hostname or ''))

    if any(isinstance(e, ConnectionRefusedError) for e in chain) or 'connection refused' in lowered:
        return ServerUnreachable(url, 'connection refused: nothing listens on that port')

    if 'BadStatusLine' in names or 'badstatusline' in lowered or 'RemoteDisconnected' in names \
            or 'remote end closed' in lowered or 'LineTooLong' in names:
        return InvalidResponse(url, 'the peer did not answer with HTTP (is this the monitoring port, '
                                    'not the client or cluster port?)')

    if any(isinstance(e, ConnectionResetError) for e in chain) or 'connection reset' in lowered:
        return ServerUnreachable(url, 'connection reset by the server')

    return ServerUnreachable(url, 'cannot connect: %s' % _last_message(chain))


def _last_message(chain):
    for exc in reversed(chain):
        text = to_text(exc)
        if text:
            return text
    return type(chain[-1]).__name__ if chain else 'unknown error'


# ---------------------------------------------------------------------------
# Transports: get(url) -> (status, body bytes). Errors become MonitorError.
# ---------------------------------------------------------------------------

class TransportOptions:
    """Connection settings shared by every request (and every server of a gate)."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, username=None, password=None, headers=None):
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.username = username
        self.password = password
        self.headers = dict(headers or {})


class RequestsTransport:
    """Keep-alive connection pool shared by all threads."""

    name = 'requests'

    def __init__(self, options, pool_size=DEFAULT_MAX_WORKERS):
        self.options = options
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        self.session.headers.update(options.headers)
        # A monitoring URL is given explicitly; proxies from the environment must not divert it.
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

    def get(self, url):
        try:
            response = self.session.get(url, timeout=self.options.timeout, allow_redirects=True)
            return response.status_code, response.content
        except (requests.exceptions.RequestException, HTTPException, OSError, ValueError) as exc:
            raise classify_transport_error(url, exc)

    def close(self):
        self.session.close()


class OpenUrlTransport:
    """Ansible's open_url: no third-party library needed on the managed node."""

    name = 'open_url'

    def __init__(self, options, pool_size=None):
        self.options = options

    def get(self, url):
        opts = self.options
        try:
            response = open_url(
                url, method='GET', headers=opts.headers, timeout=opts.timeout,
                validate_certs=opts.validate_certs, ca_path=opts.ca_path,
                client_cert=opts.client_cert, client_key=opts.client_key,
                url_username=opts.username, url_password=opts.password,
                force_basic_auth=bool(opts.username), use_proxy=False, follow_redirects='safe')
            try:
                return response.getcode(), response.read()
            finally:
                response.close()
        except HTTPError as exc:
            try:
                body = exc.read()
            except Exception:  # the body of an error is a courtesy, not required
                body = b''
            return exc.code, body
        except Exception as exc:  # open_url raises many unrelated types; classify them all
            raise classify_transport_error(url, exc)

    def close(self):
        pass


def make_transport(options, prefer='auto', pool_size=DEFAULT_MAX_WORKERS):
    """requests when available (or asked for), open_url otherwise."""
    if prefer == 'requests' or (prefer == 'auto' and HAS_REQUESTS):
        if not HAS_REQUESTS:
            raise ValueError('the requests transport was asked for but requests is not installed')
        return RequestsTransport(options, pool_size=pool_size)
    return OpenUrlTransport(options)


# ---------------------------------------------------------------------------
# Query parameters
# ---------------------------------------------------------------------------

def encode_value(value):
    """nats-server reads booleans as true/false and everything else as text."""
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    return to_text(value)


def build_query(endpoint, params):
    """Server-spelled query string from {name: value}; None and False are left out
    because every boolean parameter of nats-server defaults to false."""
    pairs = []
    for name, value in sorted((params or {}).items()):
        if value is None or value is False:
            continue
        pairs.append((endpoint.server_param(name), encode_value(value)))
    return urlencode(pairs)


def join_url(base_url, path, query=''):
    """Monitoring URL (which may carry a base path) + endpoint path + query."""
    parts = urlsplit(base_url)
    base_path = parts.path.rstrip('/')
    return urlunsplit((parts.scheme, parts.netloc, base_path + path, query, ''))


def validate_url(url):
    """A reason why the URL cannot be a monitoring URL, or None."""
    parts = urlsplit(url or '')
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


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------

class NatsMonitor:
    """One server's monitoring port.

    ``transport`` may be shared between several NatsMonitor objects (one per
    server of a cluster) so that they share one connection pool.
    """

    def __init__(self, url=DEFAULT_URL, options=None, transport=None, max_workers=DEFAULT_MAX_WORKERS):
        reason = validate_url(url)
        if reason:
            raise MonitorError(url, reason)
        self.url = url.rstrip('/')
        self.options = options or TransportOptions()
        self.transport = transport or make_transport(self.options, pool_size=max_workers)
        self.max_workers = max_workers
        self._version = None
        self._lock = threading.Lock()

    # -- raw access ---------------------------------------------------------

    def endpoint_url(self, name, params=None):
        endpoint = ENDPOINTS[name]
        return join_url(self.url, endpoint.path, build_query(endpoint, params))

    def get(self, name, params=None):
        """One request; returns parsed JSON (text for stacksz)."""
        endpoint = ENDPOINTS[name]
        url = self.endpoint_url(name, params)
        status, body = self.transport.get(url)
        if status >= 400:
            raise _error_from_status(url, status, body)
        if not endpoint.json_body:
            return to_text(body, errors='replace')
        return parse_json(url, body)

    # -- paging -------------------------------------------------------------

    def get_paged(self, name, params=None, max_items=0, page_size=DEFAULT_PAGE_SIZE):
        """Follow offset/limit until every item (or ``max_items``, 0 = no cap) is read.

        The first page tells the total; the remaining pages are fetched
        concurrently. The merged answer is the first page's document with the
        list holding every item read, ``offset``/``limit`` describing that list,
        and ``truncated`` saying whether the cap cut it short.
        """
        endpoint = ENDPOINTS[name]
        params = dict(params or {})
        if endpoint.paged_list is None or (
                endpoint.paged_when and not any(params.get(p) for p in endpoint.paged_when)):
            return self.get(name, params)
        if endpoint.single_when and any(params.get(p) for p in endpoint.single_when):
            return dict(self.get(name, params), truncated=False)

        start = int(params.pop('offset', None) or 0)
        # A limit given by the user keeps the server's meaning (at most that many items);
        # it is a cap on the whole list here, not a page size.
        user_limit = int(params.pop('limit', None) or 0)
        if user_limit and (not max_items or user_limit < max_items):
            max_items = user_limit
        first_size = min(page_size, max_items) if max_items else page_size
        first = self.get(name, dict(params, offset=start or None, limit=first_size))
        items = list(first.get(endpoint.paged_list) or [])
        if not endpoint.stable_order:
            return self._read_unordered(endpoint, params, first, start, first_size, max_items)
        total = _trusted_total(first, endpoint, start, len(items), first_size)
        goal = None if total is None else max(total - start, 0)
        if max_items:
            goal = max_items if goal is None else min(goal, max_items)

        # The server may hold a page below what was asked: page by what it gave.
        step = len(items) if 0 < len(items) < first_size else page_size
        if goal is not None and items and len(items) < goal:
            offsets = range(start + len(items), start + goal, step)
            pages = run_concurrently(
                [partial(self.get, name, dict(params, offset=o, limit=min(step, start + goal - o))) for o in offsets],
                self.max_workers)
            for page, error in pages:
                if error is not None:
                    raise error
                items.extend(page.get(endpoint.paged_list) or [])
        more_unread = False
        if total is None:
            # No total to plan by: read on until a short page.
            more_unread = len(items) == first_size
            while more_unread and (not max_items or len(items) < max_items):
                page = self.get(name, dict(params, offset=start + len(items), limit=page_size))
                more = page.get(endpoint.paged_list) or []
                items.extend(more)
                more_unread = len(more) == page_size

        items = _unique(items, endpoint.item_key)
        if max_items and len(items) > max_items:
            items = items[:max_items]
        merged = dict(first)
        merged[endpoint.paged_list] = items
        merged['offset'] = start
        merged['limit'] = len(items)
        merged['truncated'] = (start + len(items) < total) if total is not None else more_unread
        return merged

    def _read_unordered(self, endpoint, params, first, start, asked, max_items):
        """A list whose order changes between requests: one request large enough for all of it."""
        page = first
        items = list(page.get(endpoint.paged_list) or [])
        for _retry in range(4):
            if len(items) < asked or (max_items and len(items) >= max_items):
                break  # a short page is the whole list; or the cap is reached
            counted = max(_int(page.get(endpoint.count_field)), _int(page.get('total')))
            # Room for items added meanwhile; doubled again if even that comes back full.
            asked = max(counted - start + counted // 10 + 100, asked * 2)
            if max_items:
                asked = min(asked, max_items)
            page = self.get(endpoint.name, dict(params, offset=start or None, limit=asked))
            items = list(page.get(endpoint.paged_list) or [])
        items = _unique(items, endpoint.item_key)
        truncated = bool(max_items) and len(items) >= max_items and \
            max(_int(page.get(endpoint.count_field)), _int(page.get('total'))) > start + len(items)
        merged = dict(page)
        merged[endpoint.paged_list] = items[:max_items] if max_items else items
        merged['offset'] = start
        merged['limit'] = len(merged[endpoint.paged_list])
        if not truncated:
            merged['total'] = start + len(items)  # 2.10 reports the page's length as total
        merged['truncated'] = truncated
        return merged

    # -- one method per endpoint --------------------------------------------

    def varz(self):
        return self.get('varz')

    def connz(self, max_items=0, **params):
        return self.get_paged('connz', params, max_items=max_items)

    def routez(self, **params):
        return self.get('routez', params)

    def gatewayz(self, **params):
        return self.get('gatewayz', params)

    def leafz(self, **params):
        return self.get('leafz', params)

    def subsz(self, max_items=0, **params):
        return self.get_paged('subsz', params, max_items=max_items)

    def accountz(self, **params):
        return self.get('accountz', params)

    def accstatz(self, **params):
        return self.get('accstatz', params)

    def jsz(self, max_items=0, **params):
        return self.get_paged('jsz', params, max_items=max_items)

    def healthz(self, **params):
        """The answer whatever its status: /healthz reports unhealthy as 500/503 with a JSON body.

        Returns (http_status, document)."""
        url = self.endpoint_url('healthz', params)
        status, body = self.transport.get(url)
        try:
            # A JSON 404 is a verdict (the account, stream or consumer asked about is not on this
            # server); Go's plain-text 404 means no /healthz at this URL.
            document = json.loads(to_text(body, errors='replace'))
        except ValueError:
            if status >= 400:
                raise _error_from_status(url, status, body)
            raise InvalidResponse(url, 'answer is not JSON: %s' % _excerpt(body), status=status, body=_excerpt(body))
        if not isinstance(document, dict):
            raise InvalidResponse(url, 'answer is not a JSON object', status=status)
        return status, document

    def raftz(self, **params):
        return self.get('raftz', params)

    def ipqueuesz(self, **params):
        return self.get('ipqueuesz', params)

    def stacksz(self):
        return self.get('stacksz')

    def expvarz(self):
        return self.get('expvarz')

    # -- helpers ------------------------------------------------------------

    def server_version(self):
        """Version string from /varz, asked once per client."""
        with self._lock:
            if self._version is None:
                self._version = self.varz().get('version')
            return self._version

    def remember_version(self, version):
        self._version = version

    def close(self):
        self.transport.close()


def _trusted_total(document, endpoint, start, got, asked):
    """The list's total size, or None when the answer does not say it reliably.

    /subsz on 2.10 reports the page's length as `total`; /jsz on 2.10.26 has no
    `total` but counts JetStream accounts in `accounts`. A total that a full
    page merely reaches is not trusted: the reading goes on to a short page."""
    total = document.get('total')
    if not isinstance(total, int) or isinstance(total, bool):
        total = document.get('accounts') if endpoint.name == 'jsz' else None
        if not isinstance(total, int) or isinstance(total, bool):
            return None
    if got >= asked and total <= start + got:
        return None
    return total


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _unique(items, key):
    """Items in order without repeats of ``key`` (a field or a tuple of fields): 2.10.26 sorts
    /jsz accounts only from the second page on, so pages may overlap."""
    if not key:
        return items
    fields = key if isinstance(key, tuple) else (key,)
    seen = set()
    result = []
    for item in items:
        ident = tuple(item.get(f) for f in fields) if isinstance(item, dict) else None
        if ident is not None and all(part is None for part in ident):
            ident = None
        if ident is not None:
            if ident in seen:
                continue
            seen.add(ident)
        result.append(item)
    return result


def parse_json(url, body):
    text = to_text(body, errors='replace')
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidResponse(url, 'answer is not JSON (is this a nats-server monitoring port?): %s'
                              % (_excerpt(text) or 'empty body'), body=_excerpt(text))


def run_concurrently(calls, max_workers=DEFAULT_MAX_WORKERS):
    """Run zero-argument callables at once (bounded); [(result, error)] in call order.

    A MonitorError is returned as the error of its call; anything else is a
    bug and is raised."""
    if not calls:
        return []
    if len(calls) == 1:
        return [_capture(calls[0])]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(calls))) as pool:
        futures = [pool.submit(_capture, call) for call in calls]
        return [f.result() for f in futures]


def _capture(call):
    try:
        return call(), None
    except MonitorError as exc:
        return None, exc


def monitors_for(urls, options, prefer='auto', max_workers=DEFAULT_MAX_WORKERS):
    """One NatsMonitor per URL, all sharing one transport (one connection pool)."""
    transport = make_transport(options, prefer=prefer, pool_size=max(max_workers, len(urls)))
    return [NatsMonitor(url, options=options, transport=transport, max_workers=max_workers) for url in urls]


def poll(check, timeout, interval, clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it returns (True, value) or ``timeout`` seconds pass.

    Returns (passed, value, attempts, elapsed) of the last attempt."""
    started = clock()
    attempts = 0
    while True:
        attempts += 1
        passed, value = check()
        elapsed = clock() - started
        remaining = timeout - elapsed
        if passed or remaining <= 0:
            return passed, value, attempts, round(elapsed, 3)
        # The last attempt lands on the deadline rather than after it.
        sleep(min(interval, remaining))
