# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding every server of a NATS deployment from seed monitoring URLs (controller only).

Pure functions decide: where a peer may be reached (from /routez, /gatewayz and the
configured routes and gateways in /varz), its monitoring URL, which answer belongs to
which server, who is the JetStream meta leader, and the hosts and groups of an
inventory. ``Discovery`` does the I/O: breadth first, every server of a round read
at once.

Addresses of a peer, all tried until one answers as that server:

- the ``ip`` of every route (or gateway) connection to it, as each server reached sees
  it. nats-server pools several routes per peer; for a connection the peer opened this
  is the peer's *outgoing* address (its source address), which need not be where its
  monitoring port listens (NAT, several addresses, loopback);
- the hosts of the routes and gateways configured on the servers reached
  (``cluster.urls``, ``gateway.gateways[].urls`` in /varz).

A URL is taken as a server's only when the server that answers is the one expected
there (by server id), or belongs to the expected cluster or gateway; a seed's answer
is always taken. A configured address where nothing answers, and where no server
already found lives, is reported as an unreachable server named by its address: a
stopped server drops out of every /routez at once, its configured route remains.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import AuthenticationFailed, MonitorError
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import display_url
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import read_servers
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer

WILDCARD_HOSTS = ('', '0.0.0.0', '::', '[::]')
DEFAULT_MAX_WORKERS = 16
DEFAULT_MAX_SERVERS = 1000


# ---------------------------------------------------------------------------
# URLs and addresses
# ---------------------------------------------------------------------------

def url_host(url):
    """Host part of a URL (without brackets for IPv6), '' if none."""
    try:
        return urlsplit(url or '').hostname or ''
    except ValueError:
        return ''


def _netloc_host(host):
    return '[%s]' % host if ':' in host and not host.startswith('[') else host


def peer_monitor_url(host, referrer_url, port=None, scheme=None):
    """Monitoring URL of a peer at ``host``: the referring server's scheme, port and base path
    unless ``port``/``scheme`` say otherwise."""
    ref = urlsplit(referrer_url)
    if port is None:
        try:
            port = ref.port
        except ValueError:
            port = None
    netloc = _netloc_host(host) + (':%d' % port if port else '')
    return urlunsplit((scheme or ref.scheme, netloc, ref.path.rstrip('/'), '', ''))


def split_address(text):
    """(host, port or None) of 'host:port', 'nats-route://user:pass@host:port', '[::1]:6222'."""
    text = (text or '').strip()
    if not text:
        return '', None
    if '://' not in text:
        text = 'nats://' + text
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname or '', port


def _add(items, value):
    if value and value not in items:
        items.append(value)


# ---------------------------------------------------------------------------
# What one server's answers say about its peers
# ---------------------------------------------------------------------------

def route_peer_addresses(routez):
    """Route peers, one per server (pooled routes merged): [{id, name, addresses}] in order of appearance."""
    peers = {}
    order = []
    for route in (routez or {}).get('routes') or []:
        key = route.get('remote_id') or route.get('remote_name')
        if not key:
            continue
        if key not in peers:
            peers[key] = dict(id=route.get('remote_id'), name=route.get('remote_name') or route.get('remote_id'),
                              addresses=[])
            order.append(key)
        _add(peers[key]['addresses'], route.get('ip'))
    return [peers[key] for key in order]


def configured_route_hosts(varz):
    """Hosts of the routes configured on this server (/varz cluster.urls), itself included."""
    hosts = []
    for url in ((varz or {}).get('cluster') or {}).get('urls') or []:
        host, _port = split_address(url)
        if host not in WILDCARD_HOSTS:
            _add(hosts, host)
    return hosts


def gateway_peer_addresses(gatewayz):
    """Servers of other clusters this one has gateway connections with:
    [{id, gateway, addresses}], outbound connections (the peer's listen address) first."""
    peers = {}
    order = []

    def note(gateway, connection):
        connection = connection or {}
        key = connection.get('name')  # the remote server's id
        if not key:
            return
        if key not in peers:
            peers[key] = dict(id=key, gateway=gateway, addresses=[])
            order.append(key)
        _add(peers[key]['addresses'], connection.get('ip'))

    gatewayz = gatewayz or {}
    for gateway, remote in sorted((gatewayz.get('outbound_gateways') or {}).items()):
        note(gateway, (remote or {}).get('connection'))
    for gateway, remotes in sorted((gatewayz.get('inbound_gateways') or {}).items()):
        for remote in remotes or []:
            note(gateway, (remote or {}).get('connection'))
    return [peers[key] for key in order]


def configured_gateway_hosts(varz):
    """[(gateway name, host)] of the gateways configured on this server, its own gateway left out."""
    gateway = (varz or {}).get('gateway') or {}
    own = gateway.get('name')
    found = []
    for remote in gateway.get('gateways') or []:
        name = remote.get('name')
        if not name or name == own:
            continue
        for url in remote.get('urls') or []:
            host, _port = split_address(url)
            if host not in WILDCARD_HOSTS and (name, host) not in found:
                found.append((name, host))
    return found


# ---------------------------------------------------------------------------
# Breadth-first discovery
# ---------------------------------------------------------------------------

class Candidate:
    """A monitoring URL to try and what may answer there."""

    def __init__(self, url, origin, address=None, seed=False, expect_id=None, expect_cluster=None,
                 expect_gateway=None):
        self.url = url
        self.origin = origin
        self.address = address if address is not None else url_host(url)
        self.seed = seed
        self.expect_id = expect_id
        self.expect_cluster = expect_cluster
        self.expect_gateway = expect_gateway

    @property
    def configured(self):
        """From configuration (a configured route or gateway), not from a connection to a known server."""
        return not self.seed and self.expect_id is None


def found_server(url, answers, errors, origin):
    """A server reached: the one server model, with how it was found."""
    server = NatsServer(url, varz=answers.get('varz') or {}, routez=answers.get('routez'),
                        gatewayz=answers.get('gatewayz'), jsz=answers.get('jsz'), errors=errors)
    server.name = server.name or server.id
    server.origin = origin
    return server


class Unreachable:
    """A server known to exist (by a route, a gateway or a configured address) whose
    monitoring port did not answer as that server."""

    def __init__(self, name, url, address, reason, origin, server_id=None, cluster=None):
        self.name = name
        self.url = url
        self.address = address
        self.reason = reason
        self.origin = origin
        self.id = server_id
        self.cluster = cluster


class DiscoveryResult:
    def __init__(self):
        self.servers = []
        self.unreachable = []
        self.seed_errors = {}
        self.warnings = []
        self.rounds = 0
        self.probed = 0


class Discovery:
    """Breadth-first walk from seed URLs.

    ``monitor_for(url)`` returns the NatsMonitor for a URL (the caller shares one
    transport between them). Each round reads every new URL at once: /varz, plus /routez
    when following routes, /gatewayz when following gateways, and /jsz (meta leader)."""

    def __init__(self, seeds, monitor_for, discover_routes=True, discover_gateways=False, monitor_port=None,
                 monitor_scheme=None, read_jsz=True, max_workers=DEFAULT_MAX_WORKERS, max_servers=DEFAULT_MAX_SERVERS,
                 trusted=None):
        self.seeds = []
        for url in seeds:
            _add(self.seeds, url.rstrip('/') if url else url)
        self.monitor_for = monitor_for
        self.discover_routes = discover_routes
        self.discover_gateways = discover_gateways
        self.monitor_port = monitor_port
        self.monitor_scheme = monitor_scheme
        self.read_jsz = read_jsz
        self.max_workers = max_workers
        self.max_servers = max_servers
        # trusted(url): whether credentials and headers go to that URL's host (monitor_for decides the same).
        self.trusted = trusted or (lambda url: True)

        self.candidates = []      # every Candidate, in order of creation
        self.outcomes = {}        # url -> ('failed', MonitorError) | ('server', id) | ('stranger', NatsServer)
        self.found = {}           # server id -> NatsServer
        self.found_order = []
        self.expected = {}        # server id -> dict(name, cluster, origin)
        self.expected_order = []

    # -- I/O ----------------------------------------------------------------

    def endpoints(self):
        names = ['varz']
        if self.discover_routes:
            names.append('routez')
        if self.discover_gateways:
            names.append('gatewayz')
        if self.read_jsz:
            names.append('jsz')
        return names

    def read(self, urls):
        """{url: (answers, errors) or MonitorError} for every URL, all at once."""
        names = self.endpoints()
        plans, results, read_urls = [], {}, []
        for url in urls:
            try:
                monitor = self.monitor_for(url)
            except MonitorError as error:
                results[url] = error
                continue
            read_urls.append(url)
            plans.append([(name, getattr(monitor, name)) for name in names])
        for url, outcomes in zip(read_urls, read_servers(plans, self.max_workers)):
            data = dict((name, answer) for name, (answer, error) in outcomes.items() if error is None)
            errors = dict((name, error) for name, (answer, error) in outcomes.items() if error is not None)
            if 'varz' in errors:
                results[url] = errors['varz']
            elif not data['varz'].get('server_id'):
                results[url] = MonitorError(url, 'the answer to /varz names no server (is this a nats-server '
                                                 'monitoring port?)')
            else:
                results[url] = (data, dict((name, str(error)) for name, error in errors.items()))
        return results

    # -- the walk -------------------------------------------------------------

    def run(self):
        result = DiscoveryResult()
        for url in self.seeds:
            self.candidates.append(Candidate(url, 'seed', seed=True))
        while True:
            urls = []
            for candidate in self.candidates:
                if candidate.url not in self.outcomes and candidate.url not in urls:
                    urls.append(candidate.url)
            if not urls:
                break
            if len(self.found) >= self.max_servers:
                result.warnings.append('discovery stopped at max_servers (%d servers found); %d more URLs not read'
                                       % (self.max_servers, len(urls)))
                break
            result.rounds += 1
            result.probed += len(urls)
            answers = self.read(urls)
            for url in urls:
                self._settle(url, answers[url])
            self._promote_strangers()
        result.servers = [self.found[key] for key in self.found_order]
        for url in self.seeds:
            outcome = self.outcomes.get(url)
            if outcome and outcome[0] == 'failed':
                result.seed_errors[url] = outcome[1]
        result.unreachable = self._unreachable()
        for url, (kind, value) in self.outcomes.items():
            if kind == 'stranger':
                result.warnings.append('%s answers as %s of cluster %s, which is not part of this deployment; '
                                       'ignored' % (display_url(url), value.name, value.cluster or '(none)'))
        for url, (kind, value) in sorted(self.outcomes.items()):
            if kind == 'failed' and isinstance(value, AuthenticationFailed) and not self.trusted(url):
                result.warnings.append('%s answered HTTP %s without credentials (they are only sent to the seeds\' '
                                       'hosts and credential_hosts): add its host to credential_hosts'
                                       % (display_url(url), value.status))
        for server in result.servers:
            for name, reason in sorted(server.errors.items()):
                result.warnings.append('%s (%s): %s not read: %s' % (server.name, display_url(server.url), name,
                                                                     reason))
        return result

    def _settle(self, url, answer):
        if isinstance(answer, MonitorError):
            self.outcomes[url] = ('failed', answer)
            return
        data, errors = answer
        server_id = data['varz'].get('server_id')
        if server_id in self.found:
            self.outcomes[url] = ('server', server_id)
            return
        accepting = [c for c in self.candidates if c.url == url and self._accepts(c, data['varz'])]
        if not accepting:
            self.outcomes[url] = ('stranger', found_server(url, data, errors, None))
            return
        self._found(found_server(url, data, errors, accepting[0].origin))

    def _accepts(self, candidate, varz):
        server = NatsServer(candidate.url, varz=varz)
        if candidate.seed or server.id in self.expected:
            return True
        if candidate.expect_cluster and server.cluster == candidate.expect_cluster:
            return True
        if candidate.expect_gateway and candidate.expect_gateway in (server.gateway, server.cluster):
            return True
        return False

    def _found(self, server):
        self.found[server.id] = server
        self.found_order.append(server.id)
        self.outcomes[server.url] = ('server', server.id)
        if self.discover_routes:
            origin = 'route of %s' % server.name
            for peer in route_peer_addresses(server.routez):
                self._expect(peer['id'], peer['name'], server.cluster, origin)
                for address in peer['addresses']:
                    self._candidate(address, server, origin, expect_id=peer['id'])
            for host in configured_route_hosts(server.varz):
                self._candidate(host, server, 'configured route of %s' % server.name, expect_cluster=server.cluster)
        if self.discover_gateways:
            origin = 'gateway of %s' % server.name
            for peer in gateway_peer_addresses(server.gatewayz):
                self._expect(peer['id'], None, peer['gateway'], origin)
                for address in peer['addresses']:
                    self._candidate(address, server, origin, expect_id=peer['id'], expect_gateway=peer['gateway'])
            for gateway, host in configured_gateway_hosts(server.varz):
                self._candidate(host, server, 'configured gateway %s of %s' % (gateway, server.name),
                                expect_gateway=gateway)

    def _expect(self, server_id, name, cluster, origin):
        if not server_id or server_id in self.found:
            return
        if server_id not in self.expected:
            self.expected[server_id] = dict(name=name, cluster=cluster, origin=origin)
            self.expected_order.append(server_id)
        elif name and not self.expected[server_id]['name']:
            self.expected[server_id]['name'] = name

    def _candidate(self, address, referrer, origin, **expect):
        url = peer_monitor_url(address, referrer.url, port=self.monitor_port, scheme=self.monitor_scheme)
        self.candidates.append(Candidate(url, origin, address=address, **expect))

    def _promote_strangers(self):
        """A URL that answered as a server nobody expected yet is taken once that server is expected."""
        changed = True
        while changed:
            changed = False
            for url in list(self.outcomes):
                kind, value = self.outcomes[url]
                if kind == 'stranger' and value.id in self.expected and value.id not in self.found:
                    value.origin = next(c.origin for c in self.candidates if c.url == url)
                    self._found(value)
                    changed = True
                elif kind == 'stranger' and value.id in self.found:
                    self.outcomes[url] = ('server', value.id)

    # -- what could not be reached -------------------------------------------------

    def _describe(self, url):
        kind, value = self.outcomes.get(url, ('failed', None))
        if kind == 'failed':
            return display_url(str(value)) if value is not None else '%s: not tried' % display_url(url)
        if kind == 'server':
            server = self.found[value]
            return ('%s: answers as %s (%s), another server at that address: if the servers have different monitoring ports, '
                    'set monitor_port (or give a seed URL per server)' % (display_url(url), server.name, server.id))
        return '%s: answers as %s of cluster %s, not a server of this deployment' % (
            display_url(url), value.name, value.cluster or '(none)')

    def _unreachable(self):
        missing = []
        # Hosts where a server already found (or named by a connection) lives.
        accounted = set(url_host(url) for url, (kind, _v) in self.outcomes.items() if kind != 'failed')
        for candidate in self.candidates:
            if candidate.expect_id is not None:
                accounted.add(candidate.address)
        for server in self.found.values():
            for host in ((server.varz.get('cluster') or {}).get('addr'), server.varz.get('host'),
                         (server.varz.get('gateway') or {}).get('host')):
                if host:
                    accounted.add(host)

        for server_id in self.expected_order:
            if server_id in self.found:
                continue
            info = self.expected[server_id]
            urls = []
            for candidate in self.candidates:
                if candidate.expect_id == server_id:
                    _add(urls, candidate.url)
            reason = '; '.join(self._describe(url) for url in urls) or 'no address known'
            first = next((c for c in self.candidates if c.expect_id == server_id), None)
            missing.append(Unreachable(
                info['name'] or server_id, urls[0] if urls else None, first.address if first else None, reason,
                info['origin'], server_id=server_id, cluster=info['cluster']))

        seen = set()
        addresses = []
        for candidate in self.candidates:
            if not candidate.configured or candidate.address in accounted or candidate.address in seen:
                continue
            if self.outcomes.get(candidate.url, ('failed', None))[0] != 'failed':
                continue
            seen.add(candidate.address)
            addresses.append(Unreachable(
                candidate.address, candidate.url, candidate.address, self._describe(candidate.url), candidate.origin,
                cluster=candidate.expect_cluster or candidate.expect_gateway))
        return pair_unreachable(missing, addresses)


def pair_unreachable(named, addresses):
    """Merge a server known by name (a route or gateway connection) but not reached at any address it
    was seen at with a configured address of its cluster where nothing answers - when each is the only
    one of its kind in that cluster, they are the same server (seen at its outgoing address only, for
    example behind NAT). Otherwise both are kept: better one host too many than a server left out."""
    merged = list(named)
    for address in addresses:
        same_cluster = [peer for peer in named if peer.cluster == address.cluster]
        others = [a for a in addresses if a.cluster == address.cluster]
        if len(same_cluster) == 1 and len(others) == 1:
            peer = same_cluster[0]
            peer.reason = '%s; %s' % (address.reason, peer.reason)
            peer.url, peer.address = address.url, address.address
            peer.origin = '%s and %s' % (peer.origin, address.origin)
        else:
            merged.append(address)
    return merged
