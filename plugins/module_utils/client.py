# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Client for one nats-server HTTP monitoring port.

One method per monitoring endpoint, query parameters spelled as nats-server
reads them, paged lists followed to the end within bounds, answers parsed and
shape-checked in one place (``get``), typed errors that carry the URL.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

from functools import partial
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import (
    InvalidResponse,
    OptionError,
    ResponseTooLarge,
    error_from_status,
    excerpt,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import (
    DEFAULT_URL,
    join_url,
    split_userinfo,
    validate_url,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import run_concurrently
from ansible_collections.nats_tools.nats.plugins.module_utils.shapes import answer_problem
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import (
    DEFAULT_MAX_WORKERS,
    TransportOptions,
    make_transport,
)

# Items asked for per page when following a paged list. nats-server builds the
# whole list for every request, so few large pages cost it less than many small ones.
DEFAULT_PAGE_SIZE = 10000
# At most this many requests for one paged list, whatever its total claims.
MAX_PAGES = 100


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


def parse_json(url, body, endpoint_name=None):
    """The parsed answer, shape-checked for ``endpoint_name``; InvalidResponse otherwise."""
    text = to_text(body, errors='replace')
    try:
        document = json.loads(text)
    except RecursionError:
        raise InvalidResponse(url, 'unexpected answer: JSON nested too deeply')
    except ValueError:
        raise InvalidResponse(url, 'answer is not JSON (is this a nats-server monitoring port?): %s'
                              % (excerpt(text) or 'empty body'), body=excerpt(text))
    problem = answer_problem(endpoint_name, document) if endpoint_name else None
    if problem:
        raise InvalidResponse(url, 'unexpected answer: %s' % problem)
    return document


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------

class NatsMonitor:
    """One server's monitoring port.

    ``transport`` may be shared between several NatsMonitor objects (one per
    server of a cluster) so that they share one connection pool. ``deadline``
    (time.monotonic()) cuts every request short at that moment (a module's
    wait_timeout). ``warnings`` collects what a caller should tell the user
    (a paged list that ended early)."""

    def __init__(self, url=DEFAULT_URL, options=None, transport=None, max_workers=DEFAULT_MAX_WORKERS):
        reason = validate_url(url)
        clean, user, password = split_userinfo(url)
        if reason:
            raise OptionError(clean, reason)
        options = options or TransportOptions()
        if user and not options.username:
            options = TransportOptions(**dict(vars(options), username=user, password=password))
        self.url = clean.rstrip('/')
        self.options = options
        self.transport = transport or make_transport(self.options, pool_size=max_workers)
        self.max_workers = max_workers
        self.deadline = None
        self.warnings = []
        self._version = None
        self._lock = threading.Lock()

    # -- raw access ---------------------------------------------------------

    def endpoint_url(self, name, params=None):
        endpoint = ENDPOINTS[name]
        return join_url(self.url, endpoint.path, build_query(endpoint, params))

    def _get_sized(self, name, params=None):
        """(parsed answer, body size) of one request."""
        endpoint = ENDPOINTS[name]
        url = self.endpoint_url(name, params)
        status, body = self.transport.get(url, deadline=self.deadline)
        if status >= 400:
            raise error_from_status(url, status, body)
        if not endpoint.json_body:
            return to_text(body, errors='replace'), len(body)
        return parse_json(url, body, name), len(body)

    def get(self, name, params=None):
        """One request; returns parsed, shape-checked JSON (text for stacksz)."""
        return self._get_sized(name, params)[0]

    # -- paging -------------------------------------------------------------

    def get_paged(self, name, params=None, max_items=0, page_size=DEFAULT_PAGE_SIZE):
        """Follow offset/limit until every item (or ``max_items``, 0 = no cap) is read.

        The first page tells the total; the remaining pages are fetched
        concurrently. The merged answer is the first page's document with the
        list holding every item read, ``offset``/``limit`` describing that list,
        and ``truncated`` saying whether it is short of what the server has.

        The server's total is not trusted: at most MAX_PAGES requests and
        max_response_bytes for all pages together; a page shorter than asked while
        the total claims more ends the list (with a warning), as does a page that
        adds nothing new."""
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
        budget = _ByteBudget(self, name)
        first = budget.take(self._get_sized(name, dict(params, offset=start or None, limit=first_size)))
        if not endpoint.stable_order:
            return self._read_unordered(endpoint, params, first, start, first_size, max_items, budget)
        items = _unique(list(first.get(endpoint.paged_list) or []), endpoint.item_key)
        total = _trusted_total(first, endpoint, start, len(items), first_size)
        goal = None if total is None else max(total - start, 0)
        if max_items:
            goal = max_items if goal is None else min(goal, max_items)

        ended_early = False
        if goal is not None and len(items) < goal:
            if len(items) < first_size:
                ended_early = True  # a short first page: the list ends here, whatever the total says
            else:
                offsets = list(range(start + len(items), start + goal, page_size))[:MAX_PAGES - 1]
                pages = run_concurrently(
                    [partial(self._get_sized, name, dict(params, offset=o, limit=min(page_size, start + goal - o)))
                     for o in offsets], self.max_workers)
                for page, error in pages:
                    if error is not None:
                        raise error
                    items.extend(budget.take(page).get(endpoint.paged_list) or [])
                items = _unique(items, endpoint.item_key)
        more_unread = False
        if total is None:
            # No total to plan by: read on until a short page, or a page with nothing new.
            more_unread = len(items) >= first_size
            pages_read = 1
            while more_unread and (not max_items or len(items) < max_items):
                if pages_read >= MAX_PAGES:
                    ended_early = True
                    break
                page = budget.take(self._get_sized(name, dict(params, offset=start + len(items), limit=page_size)))
                pages_read += 1
                more = page.get(endpoint.paged_list) or []
                before = len(items)
                items = _unique(items + list(more), endpoint.item_key)
                more_unread = len(more) == page_size and len(items) > before

        if max_items and len(items) > max_items:
            items = items[:max_items]
        truncated = (start + len(items) < total) if total is not None else more_unread
        if goal is not None and len(items) < goal:
            ended_early = True
        if ended_early and total is not None:
            self.warnings.append('%s: the server counts %d items but %d could be read (pages ended early or '
                                 'repeated, or the page budget of %d requests was reached); the list is kept as read'
                                 % (self.endpoint_url(name), total, start + len(items), MAX_PAGES))
        merged = dict(first)
        merged[endpoint.paged_list] = items
        merged['offset'] = start
        merged['limit'] = len(items)
        merged['truncated'] = bool(truncated or ended_early)
        return merged

    def _read_unordered(self, endpoint, params, first, start, asked, max_items, budget):
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
            page = budget.take(self._get_sized(endpoint.name, dict(params, offset=start or None, limit=asked)))
            items = list(page.get(endpoint.paged_list) or [])
        listed = len(items)  # repeats included: a server's total counts them too
        items = _unique(items, endpoint.item_key)
        truncated = bool(max_items) and len(items) >= max_items and \
            max(_int(page.get(endpoint.count_field)), _int(page.get('total'))) > start + len(items)
        # 2.10 reports the page's length as total, 2.11+ the number of items that match: either way no
        # more than were listed. A total above what a short page listed is a server lying about its list.
        claimed = _int(page.get('total'))
        lying = not truncated and listed < asked and claimed > start + listed
        merged = dict(page)
        merged[endpoint.paged_list] = items[:max_items] if max_items else items
        merged['offset'] = start
        merged['limit'] = len(merged[endpoint.paged_list])
        if lying:
            self.warnings.append('%s: the server counts %d items but listed %d; the list is kept as read'
                                 % (self.endpoint_url(endpoint.name), claimed, start + len(items)))
        elif not truncated:
            merged['total'] = start + len(items)
        merged['truncated'] = truncated or lying
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
        status, body = self.transport.get(url, deadline=self.deadline)
        if status in (401, 403) or 300 <= status < 400:
            raise error_from_status(url, status, body)
        try:
            # A JSON 404 is a verdict (the account, stream or consumer asked about is not on this
            # server); Go's plain-text 404 means no /healthz at this URL.
            document = json.loads(to_text(body, errors='replace'))
        except (ValueError, RecursionError):
            if status >= 400:
                raise error_from_status(url, status, body)
            raise InvalidResponse(url, 'answer is not JSON: %s' % excerpt(body), status=status, body=excerpt(body))
        problem = answer_problem('healthz', document)
        if problem:
            raise InvalidResponse(url, 'unexpected answer: %s' % problem, status=status)
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


class _ByteBudget:
    """max_response_bytes for all pages of one list together."""

    def __init__(self, monitor, name):
        self.monitor = monitor
        self.name = name
        self.left = monitor.options.max_response_bytes

    def take(self, sized):
        document, size = sized
        self.left -= size
        if self.left < 0:
            raise ResponseTooLarge(self.monitor.endpoint_url(self.name), 'the pages of this list are larger than '
                                   'max_response_bytes (%d bytes) together' % self.monitor.options.max_response_bytes)
        return document


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
        ident = tuple(_hashable(item.get(f)) for f in fields) if isinstance(item, dict) else None
        if ident is not None and all(part is None for part in ident):
            ident = None
        if ident is not None:
            if ident in seen:
                continue
            seen.add(ident)
        result.append(item)
    return result


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
