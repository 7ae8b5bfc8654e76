# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulated deployment (pure, deterministic): servers in clusters joined by gateways, each on
its own loopback address; JetStream streams placed on R servers of one cluster with their
consumers on the same peers; one meta group over every server; optionally one lagging replica.

Nothing here speaks HTTP or reads a file: ``answers.py`` turns this model into what each server's
monitoring port says, ``serve.py`` serves it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import string

# Listen ports every simulated server shares (each has its own address): what /varz, /routez and
# /gatewayz name. Nothing listens on them; only the monitoring port is served.
CLIENT_PORT = 4222
CLUSTER_PORT = 6222
GATEWAY_PORT = 7222
# nats-server 2.10+ opens this many route connections per peer (pool_size, default 3).
ROUTE_POOL_SIZE = 3
# The lagging replica's distance from its leader, in Raft entries (a restarted replica catching up
# showed hundreds to thousands in the recordings; docs/performance.md).
DEFAULT_LAG = 5000


class Server:
    def __init__(self, name, cluster, index, address):
        self.name = name
        self.cluster = cluster
        self.index = index          # position within its cluster
        self.address = address
        self.id = server_id(name)
        self.peer = peer_id(name)
        self.streams = []           # Stream objects with a replica here


class Stream:
    def __init__(self, number, account, name, cluster, replicas, leader, last_seq):
        self.number = number
        self.account = account
        self.name = name
        self.cluster = cluster
        self.replicas = replicas    # server names, the leader among them
        self.leader = leader
        self.last_seq = last_seq
        self.consumers = []         # Consumer objects
        self.lagging = None         # name of a replica behind its leader, or None
        self.lag = 0


class Consumer:
    def __init__(self, stream, name, leader):
        self.stream = stream
        self.name = name
        self.leader = leader


def server_id(name):
    """A 56-character server id like nats-server's (N + base32), fixed for a name."""
    digest = hashlib.sha256(name.encode('utf-8')).digest() * 2
    alphabet = string.ascii_uppercase + '234567'
    return 'N' + ''.join(alphabet[b % 32] for b in digest[:55])


def peer_id(name):
    """The 8-character Raft peer id of a server."""
    digest = hashlib.sha256(('peer:' + name).encode('utf-8')).digest()
    alphabet = string.ascii_letters + string.digits
    return ''.join(alphabet[b % len(alphabet)] for b in digest[:8])


def cluster_names(count):
    """A, B, C, ... (two letters past Z)."""
    letters = string.ascii_uppercase
    return [letters[i] if count <= 26 else letters[i // 26] + letters[i % 26] for i in range(count)]


class Simulation:
    """``clusters`` x ``per_cluster`` servers; ``streams`` streams of ``replicas`` replicas spread over
    the clusters (stream i in cluster i mod clusters) and over each cluster's servers, leaders rotated;
    ``consumers`` consumers spread over the streams (on the stream's peers, leaders rotated);
    ``accounts`` JetStream accounts; ``connections`` client connections on every server; ``lagging``:
    whether one stream replica (of the stream in the middle) is ``lag`` entries behind its leader.

    Addresses: 127.<octet>.<cluster + 1>.<server + 1>, all with the same monitoring port."""

    def __init__(self, clusters=4, per_cluster=25, streams=10000, replicas=3, consumers=30000, accounts=1,
                 connections=0, lagging=True, lag=DEFAULT_LAG, octet=77):
        if clusters < 1 or clusters > 254 or per_cluster < 1 or per_cluster > 254:
            raise ValueError('clusters and per_cluster must be 1..254')
        if replicas < 1 or replicas > per_cluster:
            raise ValueError('replicas must be 1..per_cluster (%d)' % per_cluster)
        if streams < 0 or consumers < 0 or connections < 0 or accounts < 1:
            raise ValueError('streams, consumers and connections must be 0 or more, accounts 1 or more')
        if consumers and not streams:
            raise ValueError('consumers need streams')
        self.clusters = cluster_names(clusters)
        self.per_cluster = per_cluster
        self.replicas = replicas
        self.connections = connections
        self.accounts = ['APP'] if accounts == 1 else ['APP%02d' % (i + 1) for i in range(accounts)]
        self.servers = []
        self.members = {}           # cluster name -> [Server] in index order
        for c, cluster in enumerate(self.clusters):
            for i in range(per_cluster):
                server = Server('%s%02d' % (cluster.lower(), i + 1), cluster, i, '127.%d.%d.%d' % (octet, c + 1, i + 1))
                self.servers.append(server)
                self.members.setdefault(cluster, []).append(server)
        self.by_name = dict((s.name, s) for s in self.servers)
        # The first server of the first cluster leads the meta group (one group over every server).
        self.meta_leader = self.servers[0].name
        self.streams = [self._place(n) for n in range(streams)]
        for n in range(consumers):
            stream = self.streams[n % streams]
            k = len(stream.consumers)
            stream.consumers.append(Consumer(stream, '%s_C%d' % (stream.name, k + 1),
                                             stream.replicas[(stream.number + k + 1) % len(stream.replicas)]))
        if lagging and self.streams and replicas > 1:
            stream = self.streams[len(self.streams) // 2]
            stream.lagging = next(r for r in stream.replicas if r != stream.leader)
            stream.lag = lag

    def _place(self, number):
        cluster = self.clusters[number % len(self.clusters)]
        members = self.members[cluster]
        # Consecutive servers from a start that moves by one per stream of this cluster, so every server
        # of a cluster holds about the same number of replicas.
        start = (number // len(self.clusters)) % len(members)
        names = [members[(start + k) % len(members)].name for k in range(self.replicas)]
        leader = names[(number // (len(self.clusters) * len(members))) % len(names)]
        stream = Stream(number, self.accounts[number % len(self.accounts)], 'S%05d' % number, cluster, names, leader,
                        1000 + number % 1000)
        for name in names:
            self.by_name[name].streams.append(stream)
        return stream

    # -- what one server knows -------------------------------------------------

    def cluster_peers(self, server):
        """The other servers of its cluster (its route peers)."""
        return [s for s in self.members[server.cluster] if s is not server]

    def gateway_outbound(self, server):
        """{remote cluster: the server of that cluster this one opened its gateway connection to}.

        Each server opens one outbound connection per remote cluster (nats-server picks one of the
        remote's URLs); here server i picks the remote's server i (mod its size)."""
        out = {}
        for cluster in self.clusters:
            if cluster != server.cluster:
                members = self.members[cluster]
                out[cluster] = members[server.index % len(members)]
        return out

    def gateway_inbound(self, server):
        """{remote cluster: [servers of it whose outbound connection reached this one]}."""
        inbound = {}
        for cluster in self.clusters:
            if cluster == server.cluster:
                continue
            chosen = [s for s in self.members[cluster] if self.gateway_outbound(s)[server.cluster] is server]
            if chosen:
                inbound[cluster] = chosen
        return inbound

    def lagging_replicas(self):
        """[(stream, replica name, lag)] of every replica behind its leader."""
        return [(s, s.lagging, s.lag) for s in self.streams if s.lagging]

    def totals(self):
        """Counts to check the placement by: streams, consumers, stream and consumer replicas."""
        return dict(servers=len(self.servers), streams=len(self.streams),
                    consumers=sum(len(s.consumers) for s in self.streams),
                    stream_replicas=sum(len(s.streams) for s in self.servers),
                    consumer_replicas=sum(len(st.consumers) for s in self.servers for st in s.streams))
