# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each simulated server's monitoring port answers: recorded bodies (recorded.py) with the
simulation's names, addresses, placement and counts filled in (model.py).

Endpoints and query parameters as nats-server 2.15 reads them, as far as the collection uses them:

- /varz; /routez (pool_size routes per peer); /gatewayz (one outbound connection per remote
  cluster, the inbound ones that chose this server; gw_name filters); /leafz (none);
- /jsz: accounts, streams, consumers, config, acc, offset, limit (default 1024, accounts paged in
  name order, `total` = JetStream accounts), leader-only (400 "not leader" on any server but the meta
  leader); a group's leader lists its followers current (the lagging one not current, with its lag), a
  follower lists the leader current and the other followers with `current: false, active: 0`, as
  2.15.1 does;
- /healthz: ok, except the server of the lagging replica without js-enabled-only, js-server-only or
  js-meta-only (503, with `errors` when details=true), as a restarted replica answers while it
  catches up;
- /connz: offset, limit (default 1024), cid, state (closed lists none); sort, subs and auth are
  accepted and change nothing (the list stays in cid order);
- anything else: Go's plain-text 404.

Every answer is rendered once and kept (bytes): the replay should cost the client's side, not its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import json
import threading
from urllib.parse import parse_qsl

from .model import CLIENT_PORT, CLUSTER_PORT, GATEWAY_PORT, ROUTE_POOL_SIZE

JSON = 'application/json'
TEXT = 'text/plain; charset=utf-8'
NOT_FOUND = (404, TEXT, b'404 page not found\n')
# nats-server's defaults when a paged request gives no limit.
DEFAULT_JSZ_LIMIT = 1024
DEFAULT_CONNZ_LIMIT = 1024
# Rendered bodies kept at most (bytes); past it the cache starts over.
CACHE_BYTES = 1536 * 1024 * 1024
TRUE = ('1', 't', 'T', 'true', 'TRUE', 'True')
FALSE = ('0', 'f', 'F', 'false', 'FALSE', 'False')


class BadRequest(Exception):
    pass


def parse_bool(query, name):
    """Go's strconv.ParseBool, as nats-server reads a boolean query parameter."""
    value = query.get(name)
    if value is None or value == '':
        return False
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadRequest('Error decoding %s: strconv.ParseBool: parsing "%s": invalid syntax' % (name, value))


def parse_int(query, name, default=0):
    value = query.get(name)
    if value is None or value == '':
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest('Error decoding %s: strconv.Atoi: parsing "%s": invalid syntax' % (name, value)) from exc


def short_hash(text, size=8):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:size]


def active_ns(a, b):
    """A plausible `active` (ns since last contact, 0.1-1 s) for peer b as a sees it, fixed per pair."""
    return 100000000 + int(short_hash(a + '>' + b), 16) % 900000000


def dumps(document):
    # nats-server answers indented JSON (json.MarshalIndent, two spaces): the same bytes to read and parse.
    return json.dumps(document, indent=2).encode('utf-8')


class Answers:
    """answer(server name, path, query string) -> (status, content type, body bytes)."""

    def __init__(self, sim, recorded):
        self.sim = sim
        self.rec = recorded
        self.t = recorded.templates
        self._cache = {}
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self._connections = {}
        # The monitoring port, set by the server once it listens (/varz http_port).
        self.port = None

    # -- dispatch -------------------------------------------------------------

    def answer(self, server_name, path, query_string=''):
        server = self.sim.by_name[server_name]
        path = path.rstrip('/') or '/'
        query = dict(parse_qsl(query_string or '', keep_blank_values=True))
        key = (server_name, path, tuple(sorted(query.items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        handler = ENDPOINTS.get(path)
        if handler is None:
            return NOT_FOUND
        try:
            result = handler(self, server, query)
        except BadRequest as exc:
            result = (400, TEXT, (str(exc) + '\n').encode('utf-8'))
        if not isinstance(result[2], bytes):
            result = (result[0], result[1], dumps(result[2]))
        with self._lock:
            if self._cached_bytes + len(result[2]) > CACHE_BYTES:
                self._cache.clear()
                self._cached_bytes = 0
            self._cache[key] = result
            self._cached_bytes += len(result[2])
        return result

    # -- /varz ----------------------------------------------------------------

    def varz(self, server, _query):
        sim = self.sim
        doc = self.rec.fresh('follower_varz')
        members = sim.members[server.cluster]
        peers = sim.cluster_peers(server)
        doc.update(server_id=server.id, server_name=server.name, host=server.address, http_host=server.address,
                   port=CLIENT_PORT, connections=sim.connections, total_connections=sim.connections,
                   routes=len(peers) * ROUTE_POOL_SIZE, remotes=len(peers), leafnodes=0,
                   connect_urls=['%s:%d' % (m.address, CLIENT_PORT) for m in members])
        doc['http_port'] = self.port
        doc['cluster'].update(addr=server.address, cluster_port=CLUSTER_PORT, name=server.cluster,
                              pool_size=ROUTE_POOL_SIZE,
                              urls=['%s:%d' % (m.address, CLUSTER_PORT) for m in members])
        doc['gateway'].update(host=server.address, name=server.cluster, port=GATEWAY_PORT, gateways=[
            # A remote cluster is configured by a few seed URLs of it, as operators do.
            dict(name=c, urls=['%s:%d' % (m.address, GATEWAY_PORT) for m in sim.members[c][:3]])
            for c in sim.clusters if c != server.cluster])
        if len(sim.clusters) == 1:
            doc.pop('gateway')
        doc['leaf'].update(host=server.address)
        doc['jetstream']['meta'] = self.meta_cluster(server)
        doc['jetstream']['stats'].update(accounts=len(sim.accounts), ha_assets=self.ha_assets(server))
        return 200, JSON, doc

    # -- /routez, /gatewayz, /leafz ----------------------------------------------

    def routez(self, server, _query):
        doc = self.rec.fresh('follower_routez')
        routes = []
        rid = 10
        for peer in self.sim.cluster_peers(server):
            for _pool in range(ROUTE_POOL_SIZE):
                rid += 1
                route = dict(self.t['route'], rid=rid, remote_id=peer.id, remote_name=peer.name, ip=peer.address,
                             port=CLUSTER_PORT, did_solicit=peer.index > server.index, is_configured=True)
                routes.append(route)
        doc.update(routes=routes, num_routes=len(routes))
        return 200, JSON, doc

    def gatewayz(self, server, query):
        sim = self.sim
        doc = self.rec.fresh('follower_gatewayz')
        wanted = query.get('gw_name') or None
        out_template, in_template = self.t['gateway_out'], self.t['gateway_in']
        outbound, inbound = {}, {}
        cid = 100
        for cluster, target in sorted(sim.gateway_outbound(server).items()):
            cid += 1
            if wanted in (None, cluster):
                outbound[cluster] = dict(out_template, connection=dict(
                    out_template['connection'], cid=cid, ip=target.address, port=GATEWAY_PORT, name=target.id))
        for cluster, sources in sorted(sim.gateway_inbound(server).items()):
            items = []
            for source in sources:
                cid += 1
                items.append(dict(in_template, connection=dict(
                    in_template['connection'], cid=cid, ip=source.address, port=40000 + source.index, name=source.id)))
            if wanted in (None, cluster):
                inbound[cluster] = items
        doc.update(host=server.address, name=server.cluster, port=GATEWAY_PORT, server_id=server.id,
                   outbound_gateways=outbound, inbound_gateways=inbound)
        if len(sim.clusters) == 1:
            doc = dict(server_id=server.id, now=doc.get('now'), outbound_gateways={}, inbound_gateways={})
        return 200, JSON, doc

    def leafz(self, server, _query):
        doc = self.rec.fresh('follower_leafz')
        doc.update(server_id=server.id, leafnodes=0, leafs=[])
        return 200, JSON, doc

    # -- /healthz ---------------------------------------------------------------

    def healthz(self, server, query):
        details = parse_bool(query, 'details')
        narrow = any(parse_bool(query, p) for p in ('js-enabled-only', 'js-server-only', 'js-meta-only'))
        lagging = [s for s in server.streams if s.lagging == server.name]
        if narrow or not lagging:
            return 200, JSON, self.rec.fresh('healthz_ok')
        errors = [dict(type='STREAM', account=s.account, stream=s.name,
                       error="JetStream stream '%s > %s' is not current: stream catching up" % (s.account, s.name))
                  for s in lagging]
        if details:
            status, body = self.rec.fresh('healthz_catchup_details')
            body['errors'] = errors
            return status, JSON, body
        status, body = self.rec.fresh('healthz_unavailable')
        body['error'] = errors[0]['error']
        return status, JSON, body

    # -- /jsz -------------------------------------------------------------------

    def ha_assets(self, server):
        return sum(1 + len(s.consumers) for s in server.streams if len(s.replicas) > 1)

    def meta_cluster(self, server):
        sim = self.sim
        leader = sim.by_name[sim.meta_leader]
        peers = []
        for other in sim.servers:
            if other is server:
                continue
            if server is leader:
                peers.append(dict(self.t['meta_peer'], name=other.name, peer=other.peer, current=True,
                                  active=active_ns(server.name, other.name)))
            elif other is leader:
                peers.append(dict(self.t['meta_peer'], name=other.name, peer=other.peer, current=True,
                                  active=active_ns(other.name, server.name)))
            else:
                # 2.15.1: a follower lists the other followers as not current, never heard from.
                peers.append(dict(self.t['meta_peer'], name=other.name, peer=other.peer, current=False, active=0))
        meta = dict(self.t['leader_jsz']['meta_cluster'], cluster_size=len(sim.servers), leader=leader.name,
                    name=server.cluster, peer=leader.peer, quorum_needed=len(sim.servers) // 2 + 1, replicas=peers)
        return meta

    def group_view(self, server, leader, replicas, prefix, group_name, lagging=None, lag=0):
        """A Raft group's `cluster` as ``server`` reports it."""
        view = []
        for name in replicas:
            if name == server.name:
                continue
            if server.name == leader:
                entry = dict(self.t['replica'], name=name, peer=self.sim.by_name[name].peer, current=name != lagging,
                             active=active_ns(leader, name))
                if name == lagging:
                    entry['lag'] = lag
            elif name == leader:
                entry = dict(self.t['replica'], name=name, peer=self.sim.by_name[name].peer, current=True,
                             active=active_ns(name, server.name))
            else:
                entry = dict(self.t['replica'], name=name, peer=self.sim.by_name[name].peer, current=False, active=0)
            view.append(entry)
        return dict(leader=leader, name=self.sim.by_name[leader].cluster,
                    raft_group='%s-R%dF-%s' % (prefix, len(replicas), short_hash(group_name)), replicas=view,
                    system_account=True, traffic_account='SYS')

    def stream_detail(self, server, stream, consumers, config):
        last_seq = stream.last_seq - (stream.lag if stream.lagging == server.name else 0)
        state = dict(self.t['stream']['state'], messages=last_seq, bytes=last_seq * 59, first_seq=1, last_seq=last_seq,
                     consumer_count=len(stream.consumers))
        detail = dict(self.t['stream'], name=stream.name, state=state, cluster=self.group_view(
            server, stream.leader, stream.replicas, 'S', stream.name, stream.lagging, stream.lag))
        if config:
            detail['config'] = dict(self.t['stream_config'], name=stream.name,
                                    subjects=['%s.>' % stream.name.lower()], num_replicas=len(stream.replicas))
        if consumers and stream.consumers:
            items = []
            for consumer in stream.consumers:
                item = dict(self.t['consumer'], name=consumer.name, stream_name=stream.name, cluster=self.group_view(
                    server, consumer.leader, stream.replicas, 'C', consumer.name))
                if config:
                    item['config'] = dict(self.t['consumer_config'], name=consumer.name, durable_name=consumer.name)
                items.append(item)
            detail['consumer_detail'] = items
        return detail

    def jsz(self, server, query):
        sim = self.sim
        accounts = parse_bool(query, 'accounts')
        streams = parse_bool(query, 'streams')
        consumers = parse_bool(query, 'consumers')
        config = parse_bool(query, 'config')
        leader_only = parse_bool(query, 'leader-only')
        offset = max(parse_int(query, 'offset'), 0)
        limit = parse_int(query, 'limit')
        if limit <= 0:
            limit = DEFAULT_JSZ_LIMIT
        if leader_only and server.name != sim.meta_leader:
            return 400, TEXT, b'not leader\n'
        if consumers:
            streams = True
        acc = query.get('acc') or None
        doc = dict((k, v) for k, v in self.rec.fresh('leader_jsz').items() if k != 'account_details')
        messages = sum(s.last_seq for s in server.streams)
        doc.update(server_id=server.id, streams=len(server.streams),
                   consumers=sum(len(s.consumers) for s in server.streams), messages=messages, bytes=messages * 59,
                   storage=messages * 59, ha_assets=self.ha_assets(server), accounts=len(sim.accounts),
                   total=len(sim.accounts), meta_cluster=self.meta_cluster(server))
        if acc:
            names = [a for a in sim.accounts if a == acc]
        elif accounts or streams:
            names = sorted(sim.accounts)[offset:offset + limit]
        else:
            names = []
        details = []
        for name in names:
            account = dict(self.t['account'], id=name, name=name)
            if streams:
                hosted = [s for s in server.streams if s.account == name]
                if hosted:
                    account['stream_detail'] = [self.stream_detail(server, s, consumers, config) for s in hosted]
            details.append(account)
        if details:
            doc['account_details'] = details
        return 200, JSON, doc

    # -- /connz -----------------------------------------------------------------

    def connection_texts(self, server):
        """Each connection of the server rendered once (JSON text), in cid order."""
        texts = self._connections.get(server.name)
        if texts is None:
            template = self.t['connection']
            texts = [json.dumps(dict(template, cid=i + 1, port=10000 + i % 50000,
                                     name='sim-%s-%05d' % (server.name, i + 1)), indent=2)
                     for i in range(self.sim.connections)]
            self._connections[server.name] = texts
        return texts

    def connz(self, server, query):
        for name in ('subs', 'auth'):
            if query.get(name) not in (None, '', 'detail'):
                parse_bool(query, name)
        offset = max(parse_int(query, 'offset'), 0)
        limit = parse_int(query, 'limit')
        if limit <= 0:
            limit = DEFAULT_CONNZ_LIMIT
        state = query.get('state') or 'open'
        if state not in ('open', 'closed', 'any', 'all'):
            raise BadRequest('Error decoding state: invalid value "%s"' % state)
        texts = self.connection_texts(server) if state != 'closed' else []
        cid = parse_int(query, 'cid')
        if cid:
            texts = texts[cid - 1:cid] if 0 < cid <= len(texts) else []
        page = texts[offset:offset + limit]
        head = dict(self.t['connz'], server_id=server.id, num_connections=len(page), total=len(texts), offset=offset,
                    limit=limit)
        text = json.dumps(head, indent=2)[:-2] + ',\n  "connections": [\n' + ',\n'.join(page) + '\n  ]\n}'
        return 200, JSON, text.encode('utf-8')


ENDPOINTS = {
    '/varz': Answers.varz,
    '/routez': Answers.routez,
    '/gatewayz': Answers.gatewayz,
    '/leafz': Answers.leafz,
    '/healthz': Answers.healthz,
    '/jsz': Answers.jsz,
    '/connz': Answers.connz,
}
