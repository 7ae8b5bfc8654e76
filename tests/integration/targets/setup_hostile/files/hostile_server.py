# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile fake nats-server monitoring ports, on raw sockets (so they can drip, stall, lie and
send any bytes). Standard library only, Python 3.8+. See ../README.md.

Two ways to use it:

* imported (unit tests)::

      with HostileServer('127.0.3.1', behaviours={'/varz': {'kind': 'drip', 'rate': 1}}) as srv:
          ...  # srv.url, srv.requests (every request: path, query, headers)

* as a CLI (integration targets)::

      hostile_server.py serve --scenario scenario.json --ready-file ready.json --log requests.jsonl \\
          --owner-pid $$ --ttl 600
      hostile_server.py requests --log requests.jsonl [--server NAME] [--path /varz] [--header Authorization]

A behaviour is a JSON-able dict with a ``kind`` (see ``BEHAVIOURS``). The table maps a path
(without query) to a behaviour; ``'*'`` is the default for every other path. A server may also be
``nats``-like (``nats=dict(server_id=..., server_name=..., ...)``): it then answers /varz, /routez,
/gatewayz, /leafz, /connz, /subsz, /jsz and /healthz consistently, unless the table overrides a path.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

from urllib.parse import parse_qs, urlsplit

__metaclass__ = type  # pylint: disable=invalid-name

MAX_REQUEST_HEAD = 65536
REASONS = {200: 'OK', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect',
           308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
           500: 'Internal Server Error', 503: 'Service Unavailable'}

# Documentation of every behaviour kind and its fields (defaults in brackets).
BEHAVIOURS = {
    'json': 'a JSON answer: body (any document) [{}], status [200], headers {} (extra response headers)',
    'text': 'a plain-text answer: body (str) [""], status [200], content_type [text/plain; charset=utf-8], headers {}',
    'auth': 'HTTP 401 (status [401], or 403) with plain text body ["Unauthorized"] and WWW-Authenticate: Basic; '
            'with accept={"user": .., "password": ..} or accept_header={"Name": "value"}, a request that carries them '
            'gets the server\'s normal answer instead',
    'drip': 'a valid JSON document (body [{"server_id": "DRIP"}]) sent rate bytes/second [1]; seconds [null]: '
            'forever (the document never ends: whitespace after it is opened) or padded to last that many seconds; '
            'content_length [true] when seconds is set',
    'huge': 'a JSON body of size bytes [1 GiB] generated on the fly; framing [length]: "length" (Content-Length), '
            '"close" (no length, ends with the connection) or "chunked"',
    'stall': 'accept and read the request, never answer (the connection is held until the server stops)',
    'redirect': 'status [302] with Location: location (absolute URL or path; append_path [false]: the request\'s '
                'path is appended to it)',
    'wrong_length': 'body (JSON document) with Content-Length: content_length [len + 1000], then the connection '
                    'closes (or stays open with hold=true)',
    'garbage': 'raw bytes instead of HTTP: text (str) or hex; close [true]',
    'paged_lie': 'a paged list that lies: list [connections], key [cid], total [10**9], per_page [1] items whatever '
                 'limit is asked; repeat [false]: every page holds the same items; extra {} (fields of the document)',
    'nats': 'the NATS-like answer of the server (its nats= settings) for this path',
    'nats_patch': 'the NATS-like answer with fields replaced: set {"dotted.key": value} (e.g. {"version": 2.1}, '
                  '{"meta_cluster.replicas": [...]}), status [200]',
    'close': 'accept the connection, read the request and close it without a byte',
}

_PAD = b' ' * 4096


# ---------------------------------------------------------------------------
# A NATS-like server's answers
# ---------------------------------------------------------------------------

def nats_documents(settings, address, port):
    """{path: document} for a NATS-like server from its settings:
    server_id, server_name, version, cluster (name), cluster_urls, routes [{remote_id, remote_name, ip}],
    gateway (name), jetstream (bool), meta_leader, replicas, host, client_port; base_path (the answers are
    under it, as with http_base_path)."""
    s = dict(settings or {})
    server_id = s.get('server_id', 'NFAKE%s' % address.replace('.', ''))
    name = s.get('server_name', server_id)
    version = s.get('version', '2.10.26')
    cluster = s.get('cluster')
    jetstream = s.get('jetstream', True)
    routes = []
    for rid, route in enumerate(s.get('routes') or [], 1):
        entry = dict(rid=rid, remote_id=route.get('remote_id'), remote_name=route.get('remote_name'),
                     did_solicit=False, is_configured=False, ip=route.get('ip'), port=route.get('port', 6222),
                     start='2026-12-02T00:00:00Z', last_activity='2026-12-02T00:00:00Z', rtt='1ms',
                     uptime='1h', idle='0s', pending_size=0, in_msgs=0, out_msgs=0, in_bytes=0, out_bytes=0,
                     subscriptions=0)
        routes.append(entry)
    varz = dict(server_id=server_id, server_name=name, version=version, proto=1, go='go1.22', host=s.get('host', address),
                port=s.get('client_port', 4222), max_connections=65536, ping_interval=120000000000,
                http_host=address, http_port=port, https_port=0, auth_timeout=2, max_control_line=4096,
                max_payload=1048576, max_pending=67108864, start='2026-12-02T00:00:00Z', now='2026-12-02T00:00:01Z',
                uptime='1h', mem=1, cores=2, cpu=0, connections=0, total_connections=0, routes=len(routes),
                remotes=len(routes), leafnodes=0, in_msgs=0, out_msgs=0, in_bytes=0, out_bytes=0,
                slow_consumers=0, subscriptions=0, config_load_time='2026-12-02T00:00:00Z')
    if cluster is not None:
        varz['cluster'] = dict(name=cluster, addr=address, cluster_port=6222, auth_timeout=2,
                               urls=list(s.get('cluster_urls') or []))
    else:
        varz['cluster'] = {}
    if s.get('gateway'):
        varz['gateway'] = dict(name=s['gateway'], host=address, port=7222, gateways=[])
    if jetstream:
        varz['jetstream'] = dict(config=dict(max_memory=1 << 30, max_storage=1 << 30, store_dir='/tmp/js'),
                                 stats=dict(memory=0, storage=0, accounts=1), meta=dict(leader=name, cluster_size=1))
    else:
        varz['jetstream'] = {}
    routez = dict(server_id=server_id, server_name=name, now='2026-12-02T00:00:01Z', num_routes=len(routes),
                  routes=routes)
    gatewayz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', name=s.get('gateway', ''), host=address,
                    port=0, outbound_gateways={}, inbound_gateways={})
    leafz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', leafnodes=0, leafs=[])
    connz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', num_connections=0, total=0, offset=0, limit=1024,
                 connections=[])
    subsz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', num_subscriptions=0, num_cache=0, num_inserts=0,
                 num_removes=0, num_matches=0, cache_hit_rate=0, max_fanout=0, avg_fanout=0, total=0, offset=0,
                 limit=1024, subscriptions_list=[])
    leader = s.get('meta_leader', name)
    jsz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', config=dict(max_memory=1 << 30, max_storage=1 << 30),
               memory=0, storage=0, reserved_memory=0, reserved_storage=0, accounts=1, ha_assets=0, api=dict(
                   total=0, errors=0, level=1), streams=0, consumers=0, messages=0, bytes=0, total=1, offset=0,
               limit=1024, account_details=[dict(name='$G', id='$G', memory=0, storage=0, reserved_memory=0,
                                                 reserved_storage=0, accounts=0, ha_assets=0, api=dict(total=0, errors=0),
                                                 stream_detail=[])])
    if cluster is not None:
        jsz['meta_cluster'] = dict(name=cluster, leader=leader, peer='P' + server_id[:7], cluster_size=1 + len(
            s.get('replicas') or []), replicas=list(s.get('replicas') or []))
    if not jetstream:
        jsz = dict(server_id=server_id, now='2026-12-02T00:00:01Z', disabled=True)
    healthz = dict(status='ok')
    return {'/varz': varz, '/routez': routez, '/gatewayz': gatewayz, '/leafz': leafz, '/connz': connz,
            '/subsz': subsz, '/subscriptionsz': subsz, '/jsz': jsz, '/healthz': healthz,
            '/accountz': dict(server_id=server_id, accounts=['$G'], system_account='$SYS'),
            '/accstatz': dict(server_id=server_id, account_statz=[])}


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class HostileServer:
    """One fake monitoring port on ``address``:``port`` (0: a free port) served by a thread.

    ``behaviours``: {path: behaviour}; ``'/prefix*'`` for paths that start with /prefix (longest first);
    ``'*'`` for every path not listed. ``nats``: settings of a
    NATS-like server (see nats_documents) answering every path the table does not name; without it
    an unlisted path answers 404. ``requests`` lists every request received:
    dict(server, address, port, method, path, query, headers, time). ``log`` (a path): each request is
    also appended to it as a JSON line."""

    def __init__(self, address='127.0.0.1', port=0, behaviours=None, nats=None, name=None, log=None,
                 log_lock=None):
        self.address = address
        self.port = port
        self.behaviours = dict(behaviours or {})
        self.nats = nats
        self.name = name or address
        self.log = log
        self.log_lock = log_lock or threading.Lock()
        self.requests = []
        self._stop = threading.Event()
        self._sock = None
        self._thread = None
        self._conns = set()
        self._conns_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------

    @property
    def url(self):
        return 'http://%s:%d' % (self.address, self.port)

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, self.port))
        sock.listen(64)
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name='hostile-%s' % self.name)
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._sock is not None:
            self._sock.close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def set(self, path, behaviour):
        """Change what ``path`` answers (also while running)."""
        self.behaviours[path] = behaviour

    def requests_to(self, path=None):
        return [r for r in self.requests if path is None or r['path'] == path]

    # -- serving ----------------------------------------------------------------

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self._conns_lock:
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,))
            thread.daemon = True
            thread.start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            request = self._read_request(conn)
            if request is None:
                return
            self._record(request)
            behaviour = self._behaviour_for(request)
            conn.settimeout(30)
            self._answer(conn, request, behaviour)
        except (OSError, ValueError):
            pass
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _read_request(self, conn):
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_REQUEST_HEAD:
                return None
        head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1')
        lines = head.split('\r\n')
        parts = lines[0].split(' ')
        if len(parts) < 2:
            return None
        headers = {}
        for line in lines[1:]:
            if ':' in line:
                key, value = line.split(':', 1)
                headers[key.strip()] = value.strip()
        target = urlsplit(parts[1])
        return dict(server=self.name, address=self.address, port=self.port, method=parts[0], path=target.path,
                    query=dict((k, v[-1]) for k, v in parse_qs(target.query, keep_blank_values=True).items()),
                    headers=headers, time=time.time())

    def _record(self, request):
        self.requests.append(request)
        if self.log:
            with self.log_lock:
                with open(self.log, 'a') as handle:
                    handle.write(json.dumps(request, sort_keys=True) + '\n')

    def _behaviour_for(self, request):
        path = request['path']
        if path in self.behaviours:
            return self.behaviours[path]
        # 'PREFIX*' keys match by prefix, the longest first
        prefixes = sorted((k for k in self.behaviours if k.endswith('*') and k != '*'), key=len, reverse=True)
        for key in prefixes:
            if path.startswith(key[:-1]):
                return self.behaviours[key]
        if '*' in self.behaviours:
            return self.behaviours['*']
        return dict(kind='nats') if self.nats is not None else dict(kind='text', status=404,
                                                                    body='404 page not found\n')

    # -- answers ------------------------------------------------------------------

    @staticmethod
    def _head(status, headers, reason=None):
        lines = ['HTTP/1.1 %d %s' % (status, reason or REASONS.get(status, 'Unknown'))]
        for key, value in headers:
            lines.append('%s: %s' % (key, value))
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def _send(self, conn, status, body, content_type='application/json', headers=None):
        if not isinstance(body, bytes):
            body = body.encode('utf-8')
        hdrs = [('Content-Type', content_type), ('Content-Length', str(len(body))), ('Connection', 'close')]
        hdrs.extend((headers or {}).items())
        conn.sendall(self._head(status, hdrs) + body)

    def _answer(self, conn, request, b):
        kind = b.get('kind', 'json')
        handler = getattr(self, '_kind_%s' % kind, None)
        if handler is None:
            self._send(conn, 500, 'hostile_server: unknown behaviour kind %r\n' % kind, 'text/plain')
            return
        handler(conn, request, b)

    def _kind_json(self, conn, request, b):
        self._send(conn, b.get('status', 200), json.dumps(b.get('body', {})), headers=b.get('headers'))

    def _kind_text(self, conn, request, b):
        self._send(conn, b.get('status', 200), b.get('body', ''), b.get('content_type', 'text/plain; charset=utf-8'),
                   headers=b.get('headers'))

    def _kind_auth(self, conn, request, b):
        import base64
        accept = b.get('accept')
        if accept:
            token = base64.b64encode(('%s:%s' % (accept['user'], accept['password'])).encode()).decode()
            if request['headers'].get('Authorization') == 'Basic ' + token:
                return self._kind_nats(conn, request, b)
        accept_header = b.get('accept_header')
        if accept_header and all(request['headers'].get(k) == v for k, v in accept_header.items()):
            return self._kind_nats(conn, request, b)
        status = b.get('status', 401)
        headers = {'WWW-Authenticate': 'Basic realm="nats"'} if status == 401 else {}
        self._send(conn, status, b.get('body', 'Unauthorized\n'), 'text/plain; charset=utf-8', headers=headers)
        return None

    def _kind_nats(self, conn, request, b):
        docs = nats_documents(self.nats, self.address, self.port)
        path = request['path']
        base = (self.nats or {}).get('base_path', '').rstrip('/')
        if base and path.startswith(base + '/'):
            path = path[len(base):]
        elif base:
            path = None
        if path not in docs:
            self._send(conn, 404, '404 page not found\n', 'text/plain; charset=utf-8')
            return
        doc = docs[path]
        if path == '/connz' or path == '/subsz' or path == '/jsz':
            doc = dict(doc, offset=int(request['query'].get('offset') or 0),
                       limit=int(request['query'].get('limit') or 1024))
        self._send(conn, 200, json.dumps(doc))

    def _kind_nats_patch(self, conn, request, b):
        path = request['path']
        doc = json.loads(json.dumps(nats_documents(self.nats, self.address, self.port).get(path) or {}))
        for dotted, value in (b.get('set') or {}).items():
            target = doc
            keys = dotted.split('.')
            for key in keys[:-1]:
                if not isinstance(target.get(key), dict):
                    target[key] = {}
                target = target[key]
            target[keys[-1]] = value
        self._send(conn, b.get('status', 200), json.dumps(doc))

    def _kind_drip(self, conn, request, b):
        rate = max(float(b.get('rate', 1)), 0.001)
        seconds = b.get('seconds')
        doc = json.dumps(b.get('body', {'server_id': 'DRIP', 'server_name': 'drip', 'version': '2.10.26'}))
        if seconds is None:
            # Forever: open the object, then whitespace (valid inside JSON) that never ends.
            opening = doc.rstrip('}').rstrip() + ', "pad": "'
            body_iter = self._forever(opening.encode())
            headers = [('Content-Type', 'application/json'), ('Connection', 'close')]
        else:
            total = max(int(rate * float(seconds)), len(doc))
            body = (doc + ' ' * (total - len(doc))).encode()
            body_iter = iter([body[i:i + 1] for i in range(len(body))])
            headers = [('Content-Type', 'application/json'), ('Connection', 'close')]
            if b.get('content_length', True):
                headers.append(('Content-Length', str(len(body))))
        conn.sendall(self._head(b.get('status', 200), headers))
        step = max(1, int(rate / 10)) if rate >= 10 else 1
        interval = step / rate
        buffered = b''
        for piece in body_iter:
            buffered += piece
            if len(buffered) < step:
                continue
            if self._stop.wait(interval):
                return
            conn.sendall(buffered)
            buffered = b''
        if buffered:
            conn.sendall(buffered)

    @staticmethod
    def _forever(opening):
        for i in range(len(opening)):
            yield opening[i:i + 1]
        while True:
            yield b'x'

    def _kind_huge(self, conn, request, b):
        size = int(b.get('size', 1 << 30))
        framing = b.get('framing', 'length')
        prefix = b'{"server_id": "HUGE", "server_name": "huge", "version": "2.10.26", "pad": "'
        suffix = b'"}'
        headers = [('Content-Type', 'application/json'), ('Connection', 'close')]
        if framing == 'length':
            headers.append(('Content-Length', str(size)))
        elif framing == 'chunked':
            headers.append(('Transfer-Encoding', 'chunked'))
        conn.sendall(self._head(200, headers))
        block = b'x' * 65536
        remaining = size - len(prefix) - len(suffix)

        def emit(data):
            if framing == 'chunked':
                conn.sendall(b'%x\r\n' % len(data) + data + b'\r\n')
            else:
                conn.sendall(data)
        emit(prefix)
        while remaining > 0 and not self._stop.is_set():
            piece = block if remaining >= len(block) else block[:remaining]
            emit(piece)
            remaining -= len(piece)
        emit(suffix)
        if framing == 'chunked':
            conn.sendall(b'0\r\n\r\n')

    def _kind_stall(self, conn, request, b):
        while not self._stop.wait(0.2):
            pass

    def _kind_close(self, conn, request, b):
        return

    def _kind_redirect(self, conn, request, b):
        status = b.get('status', 302)
        location = b['location']
        if b.get('append_path'):
            location = location.rstrip('/') + request['path']
        if b.get('keep_query') and request['query']:
            location += '?' + '&'.join('%s=%s' % kv for kv in sorted(request['query'].items()))
        self._send(conn, status, 'redirected to %s\n' % location, 'text/plain; charset=utf-8',
                   headers={'Location': location})

    def _kind_wrong_length(self, conn, request, b):
        body = json.dumps(b.get('body', {'server_id': 'SHORT', 'server_name': 'short', 'version': '2.10.26'}))
        body = body.encode()
        length = b.get('content_length', len(body) + 1000)
        headers = [('Content-Type', 'application/json'), ('Content-Length', str(length))]
        conn.sendall(self._head(b.get('status', 200), headers) + body)
        if b.get('hold'):
            self._kind_stall(conn, request, b)

    def _kind_garbage(self, conn, request, b):
        if 'hex' in b:
            data = bytes.fromhex(b['hex'])
        else:
            data = b.get('text', '\x00\xff\xfeNOT HTTP AT ALL\r\n').encode('latin-1', 'replace')
        conn.sendall(data)
        if not b.get('close', True):
            self._kind_stall(conn, request, b)

    def _kind_paged_lie(self, conn, request, b):
        list_name = b.get('list', 'connections')
        key = b.get('key', 'cid')
        total = b.get('total', 10 ** 9)  # None: no total at all
        per_page = int(b.get('per_page', 1))
        offset = int(request['query'].get('offset') or 0)
        limit = int(request['query'].get('limit') or 1024)
        start = 0 if b.get('repeat') else offset
        items = []
        for n in range(start, start + per_page):
            item = dict(b.get('item') or {})
            item[key] = (n + 1) if key == 'cid' else '%s%d' % (b.get('key_prefix', 'ACC'), n + 1)
            items.append(item)
        doc = {}
        if self.nats is not None:
            doc.update(nats_documents(self.nats, self.address, self.port).get(request['path']) or {})
        doc.update(b.get('extra') or {})
        doc.update({'server_id': (self.nats or {}).get('server_id', 'NLIAR'), 'now': '2026-12-02T00:00:01Z',
                    'total': total, 'offset': offset, 'limit': limit, list_name: items})
        if total is None:
            doc.pop('total')
        if list_name == 'connections':
            doc['num_connections'] = len(items)
        if list_name == 'account_details':
            doc['accounts'] = total
        if list_name == 'subscriptions_list':
            doc['num_subscriptions'] = total
        self._send(conn, 200, json.dumps(doc))


# ---------------------------------------------------------------------------
# Several servers from a scenario file (the CLI)
# ---------------------------------------------------------------------------

def owner_alive(pid):
    """True while pid runs (a zombie counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            stat = handle.read()
    except (IOError, OSError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return stat.rsplit(')', 1)[-1].split()[0] not in ('Z', 'X')


def _substitute(value, urls, port):
    """'@@url:NAME@@' -> that server's base URL, '@@port@@' -> the shared port (recursively).
    Not {{ }}: the hostile strings themselves are Jinja."""
    if isinstance(value, str):
        for name, url in urls.items():
            value = value.replace('@@url:%s@@' % name, url)
            value = value.replace('@@host:%s@@' % name, urlsplit(url).hostname)
        return value.replace('@@port@@', str(port))
    if isinstance(value, list):
        return [_substitute(v, urls, port) for v in value]
    if isinstance(value, dict):
        return dict((k, _substitute(v, urls, port)) for k, v in value.items())
    return value


def _free_port(addresses, wanted=0):
    """A port free on every address (the servers of a scenario share one, like real monitoring ports)."""
    for _attempt in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind((addresses[0], wanted))
        port = probe.getsockname()[1]
        probes = [probe]
        try:
            for address in addresses[1:]:
                other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                probes.append(other)
                other.bind((address, port))
            return port
        except OSError:
            if wanted:
                raise
            continue
        finally:
            for sock in probes:
                sock.close()
    raise RuntimeError('no port free on every address of %s' % addresses)


def start_scenario(scenario, log=None):
    """Start every server of a scenario dict: {"port": 0, "servers": {NAME: {"address": "127.0.3.N",
    "port": optional own port, "nats": {...} or null, "paths": {path: behaviour}}}}.
    Returns ({name: HostileServer}, port)."""
    specs = scenario['servers']
    shared = [s['address'] for s in specs.values() if not s.get('port')]
    port = _free_port(shared or ['127.0.0.1'], scenario.get('port') or 0)
    own_ports = {}
    for name, spec in specs.items():
        if spec.get('port') == 'free':
            own_ports[name] = _free_port([spec['address']])
        elif spec.get('port'):
            own_ports[name] = int(spec['port'])
    urls = dict((name, 'http://%s:%d' % (spec['address'], own_ports.get(name, port))) for name, spec in specs.items())
    lock = threading.Lock()
    servers = {}
    try:
        for name, spec in specs.items():
            spec = _substitute(spec, urls, port)
            server = HostileServer(spec['address'], own_ports.get(name, port), behaviours=spec.get('paths'),
                                   nats=spec.get('nats'), name=name, log=log, log_lock=lock)
            servers[name] = server.start()
    except Exception:
        for server in servers.values():
            server.stop()
        raise
    return servers, port


def cmd_serve(args):
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_a: stop.set())
    with open(args.scenario) as handle:
        scenario = json.load(handle)
    log = os.path.abspath(args.log)
    open(log, 'a').close()
    servers, port = start_scenario(scenario, log=log)
    ready = dict(port=port, pid=os.getpid(), log=log,
                 servers=dict((name, dict(url=s.url, address=s.address, port=s.port)) for name, s in servers.items()))
    tmp = args.ready_file + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(ready, handle, indent=1)
    os.replace(tmp, args.ready_file)
    print('hostile_server pid %d ready: %s' % (os.getpid(), ', '.join(
        '%s=%s' % (n, s.url) for n, s in sorted(servers.items()))), flush=True)
    started = time.time()
    reason = 'signal'
    while not stop.wait(0.5):
        if args.owner_pid and not owner_alive(args.owner_pid):
            reason = 'owner pid %d is gone' % args.owner_pid
            break
        if time.time() - started > args.ttl:
            reason = 'ttl of %ss passed' % args.ttl
            break
    for server in servers.values():
        server.stop()
    print('hostile_server pid %d stopped: %s' % (os.getpid(), reason), flush=True)
    return 0


def read_log(path, server=None, path_prefix=None, header=None):
    found = []
    with open(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            entry = json.loads(line)
            if server and entry['server'] != server:
                continue
            if path_prefix and not entry['path'].startswith(path_prefix):
                continue
            if header and header.lower() not in [h.lower() for h in entry['headers']]:
                continue
            found.append(entry)
    return found


def cmd_requests(args):
    found = read_log(args.log, args.server, args.path, args.header)
    if args.count:
        print(len(found))
    else:
        json.dump(found, sys.stdout, indent=1, sort_keys=True)
        print()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command')
    serve = sub.add_parser('serve', help='start the servers of a scenario file')
    serve.add_argument('--scenario', required=True)
    serve.add_argument('--ready-file', required=True, help='JSON with the servers\' URLs, written once all listen')
    serve.add_argument('--log', required=True, help='every request as a JSON line')
    serve.add_argument('--owner-pid', type=int, default=0, help='stop when this process is gone')
    serve.add_argument('--ttl', type=float, default=900.0, help='stop after this many seconds anyway')
    reqs = sub.add_parser('requests', help='requests of the log as JSON (filtered)')
    reqs.add_argument('--log', required=True)
    reqs.add_argument('--server')
    reqs.add_argument('--path', help='path prefix')
    reqs.add_argument('--header', help='only requests carrying this header')
    reqs.add_argument('--count', action='store_true', help='print only how many')
    sub.add_parser('behaviours', help='list the behaviour kinds')
    args = parser.parse_args(argv)
    if args.command == 'serve':
        return cmd_serve(args)
    if args.command == 'requests':
        return cmd_requests(args)
    if args.command == 'behaviours':
        for kind, text in sorted(BEHAVIOURS.items()):
            print('%-13s %s' % (kind, text))
        return 0
    parser.print_help()
    return 2


if __name__ == '__main__':
    sys.exit(main())
