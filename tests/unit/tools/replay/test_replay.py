# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The replay of bench/replay_scale.py (tools/replay): the simulated deployment is consistent (every
replica on a server that exists, totals as asked, gateways seen the same from both ends) and what
its servers answer fits the collection's shapes and leads the gate to the one lagging replica.
Small simulations, no HTTP: the answers are asked of answers.Answers directly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_jetstream import gate_jsz_view
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
from ansible_collections.nats_tools.nats.plugins.module_utils.shapes import answer_problem
from ansible_collections.nats_tools.nats.tools.replay.answers import Answers
from ansible_collections.nats_tools.nats.tools.replay.model import Simulation
from ansible_collections.nats_tools.nats.tools.replay.recorded import Recorded
from ansible_collections.nats_tools.nats.tools.replay.serve import GATE_QUERIES

SHAPES = [(4, 5, 100, 3, 300), (2, 3, 31, 3, 40), (1, 3, 10, 1, 0), (3, 4, 50, 2, 7)]


@pytest.fixture(scope='module')
def recorded():
    return Recorded()


def answer(answers, server, path, query=''):
    status, content_type, body = answers.answer(server, path, query)
    return status, content_type, json.loads(body.decode('utf-8')) if content_type.startswith('application/json') else body


@pytest.mark.parametrize('clusters, per_cluster, streams, replicas, consumers', SHAPES)
class TestPlacement:

    def test_every_replica_on_a_server_of_the_streams_cluster(self, clusters, per_cluster, streams, replicas, consumers):
        sim = Simulation(clusters=clusters, per_cluster=per_cluster, streams=streams, replicas=replicas,
                         consumers=consumers)
        for stream in sim.streams:
            assert len(set(stream.replicas)) == replicas
            assert all(sim.by_name[name].cluster == stream.cluster for name in stream.replicas)
            assert stream.leader in stream.replicas
            assert all(c.leader in stream.replicas for c in stream.consumers)
            for name in stream.replicas:
                assert stream in sim.by_name[name].streams

    def test_totals_match_what_was_asked(self, clusters, per_cluster, streams, replicas, consumers):
        sim = Simulation(clusters=clusters, per_cluster=per_cluster, streams=streams, replicas=replicas,
                         consumers=consumers)
        assert sim.totals() == dict(servers=clusters * per_cluster, streams=streams, consumers=consumers,
                                    stream_replicas=streams * replicas, consumer_replicas=consumers * replicas)
        assert len(set(s.name for s in sim.servers)) == len(set(s.address for s in sim.servers)) == len(sim.servers)
        held = [len(s.streams) for s in sim.servers]
        assert max(held) - min(held) <= 2 + streams % clusters

    def test_gateways_agree_from_both_ends(self, clusters, per_cluster, streams, replicas, consumers):
        sim = Simulation(clusters=clusters, per_cluster=per_cluster, streams=streams, replicas=replicas,
                         consumers=consumers)
        for server in sim.servers:
            outbound = sim.gateway_outbound(server)
            assert sorted(outbound) == sorted(c for c in sim.clusters if c != server.cluster)
            for cluster, target in outbound.items():
                assert target.cluster == cluster
                assert server in sim.gateway_inbound(target)[server.cluster]

    def test_one_lagging_replica_and_not_its_leader(self, clusters, per_cluster, streams, replicas, consumers):
        sim = Simulation(clusters=clusters, per_cluster=per_cluster, streams=streams, replicas=replicas,
                         consumers=consumers)
        lagging = sim.lagging_replicas()
        if replicas == 1:
            assert lagging == []
        else:
            assert len(lagging) == 1
            stream, replica, lag = lagging[0]
            assert replica in stream.replicas and replica != stream.leader and lag > 0


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        Simulation(clusters=1, per_cluster=2, replicas=3)
    with pytest.raises(ValueError):
        Simulation(streams=0, consumers=5)


class TestAnswers:

    def test_every_answer_fits_the_collections_shapes(self, recorded):
        sim = Simulation(clusters=2, per_cluster=3, streams=30, consumers=60, connections=5)
        answers = Answers(sim, recorded)
        for server in sim.servers:
            for path, query in GATE_QUERIES + (('/connz', ''), ('/healthz', ''), ('/jsz', 'config=true&consumers=true')):
                status, content_type, body = answer(answers, server.name, path, query)
                assert content_type == 'application/json'
                assert status == 200 or path == '/healthz'
                assert answer_problem(path.strip('/'), body) is None, (server.name, path, query)

    def test_each_server_lists_the_streams_it_holds_and_the_counts_add_up(self, recorded):
        sim = Simulation(clusters=2, per_cluster=4, streams=40, consumers=80)
        answers = Answers(sim, recorded)
        listed = 0
        for server in sim.servers:
            jsz = answer(answers, server.name, '/jsz', 'accounts=true&streams=true&consumers=true')[2]
            names = [s['name'] for a in jsz.get('account_details') or [] for s in a.get('stream_detail') or []]
            assert sorted(names) == sorted(s.name for s in server.streams)
            assert jsz['streams'] == len(names)
            assert jsz['meta_cluster']['cluster_size'] == len(sim.servers)
            listed += len(names)
        assert listed == 40 * 3

    def test_routes_and_gateways_name_every_peer_at_its_address(self, recorded):
        sim = Simulation(clusters=3, per_cluster=4, streams=0, consumers=0)
        answers = Answers(sim, recorded)
        for server in sim.servers:
            routez = answer(answers, server.name, '/routez')[2]
            peers = sim.cluster_peers(server)
            assert sorted(set((r['remote_name'], r['ip']) for r in routez['routes'])) == \
                sorted((p.name, p.address) for p in peers)
            gatewayz = answer(answers, server.name, '/gatewayz')[2]
            for cluster, remote in gatewayz['outbound_gateways'].items():
                assert remote['connection']['name'] == sim.gateway_outbound(server)[cluster].id

    def test_accounts_page_by_offset_and_limit(self, recorded):
        sim = Simulation(clusters=1, per_cluster=3, streams=9, consumers=0, accounts=3)
        answers = Answers(sim, recorded)
        pages = [answer(answers, 'a01', '/jsz', 'accounts=true&limit=1&offset=%d' % o)[2] for o in range(4)]
        assert [[a['name'] for a in p.get('account_details') or []] for p in pages] == [['APP01'], ['APP02'], ['APP03'], []]
        assert all(p['total'] == 3 for p in pages)

    def test_connections_page_by_offset_and_limit(self, recorded):
        sim = Simulation(clusters=1, per_cluster=1, replicas=1, streams=0, consumers=0, connections=2500)
        answers = Answers(sim, recorded)
        first = answer(answers, 'a01', '/connz')[2]
        assert (first['total'], first['num_connections'], first['limit']) == (2500, 1024, 1024)
        last = answer(answers, 'a01', '/connz', 'offset=2000&limit=1000')[2]
        assert [c['cid'] for c in last['connections']] == list(range(2001, 2501))
        assert answer(answers, 'a01', '/connz', 'limit=x')[0] == 400

    def test_only_the_lagging_server_fails_its_full_healthz(self, recorded):
        sim = Simulation(clusters=2, per_cluster=3, streams=12, consumers=12)
        answers = Answers(sim, recorded)
        _stream, replica, _lag = sim.lagging_replicas()[0]
        for server in sim.servers:
            status, _type, body = answer(answers, server.name, '/healthz', 'details=true')
            assert status == (503 if server.name == replica else 200)
            assert bool(body.get('errors')) == (server.name == replica)
            assert answer(answers, server.name, '/healthz', 'js-meta-only=true')[0] == 200
        assert answers.answer('a01', '/nothing')[0] == 404

    @pytest.mark.parametrize('cut', [False, True])
    def test_the_gate_names_the_lagging_replica_and_nothing_else(self, recorded, cut):
        sim = Simulation(clusters=2, per_cluster=5, streams=40, consumers=80)
        answers = Answers(sim, recorded)
        servers = []
        for server in sim.servers:
            got = dict((path.strip('/'), answer(answers, server.name, path, query)) for path, query in GATE_QUERIES)
            jsz = got['jsz'][2]
            servers.append(NatsServer('http://%s:8222' % server.address, varz=got['varz'][2], healthz_status=got['healthz'][0],
                                      healthz=got['healthz'][2], routez=got['routez'][2], gatewayz=got['gatewayz'][2],
                                      leafz=got['leafz'][2], jsz=gate_jsz_view(jsz, server.name) if cut else jsz))
        verdict = evaluate_gate(servers)
        stream, replica, lag = sim.lagging_replicas()[0]
        assert verdict['problems'] == ['stream %s (account APP): replica %s not current (lag %d)' % (stream.name, replica, lag)]
        assert verdict['meta_leader'] == sim.meta_leader
