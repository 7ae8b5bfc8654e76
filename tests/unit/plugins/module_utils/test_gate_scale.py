# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What keeps a gate round over 100 servers and 10,000 streams within bounds (bench/replay_scale.py):
the gate keeps only the part of each /jsz it reads, and the cyclic garbage collector pauses while a
round is read and judged. Neither may change a verdict: checked on every gate and supercluster
recording (tests/unit/fixtures/<version>/gate_* and super_*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import gc
import json
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate, read_gate_jsz
from ansible_collections.nats_tools.nats.plugins.module_utils.gate_jetstream import gate_jsz_view
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import collection_paused
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import (
    FIXTURES_DIR,
    load_fixture,
    recorded,
)

REFUSED = 'connection refused: nothing listens on that port'


def recorded_rounds():
    """(label, folder of server folders, URLs by server name) of every gate and supercluster recording."""
    rounds = []
    for version in sorted(os.listdir(FIXTURES_DIR)):
        root = os.path.join(FIXTURES_DIR, version)
        if not os.path.isdir(root):
            continue
        for scenario in sorted(os.listdir(root)):
            if not scenario.startswith(('gate_', 'super_')):
                continue
            urls = load_fixture('%s/%s/MANIFEST.json' % (version, scenario))['urls']
            folder = '%s/%s' % (version, scenario)
            moments = sorted(m for m in os.listdir(os.path.join(FIXTURES_DIR, folder)) if m.startswith('t'))
            for moment in moments or [None]:
                where = folder + ('/' + moment if moment else '')
                rounds.append(('%s/%s' % (where, ''), where, urls))
    return rounds


ROUNDS = recorded_rounds()


def read_round(where, urls, cut):
    """One NatsServer per server of a recording, /jsz cut to the gate's view when ``cut``."""
    servers = []
    for name, url in sorted(urls.items()):
        folder = '%s/%s' % (where, name)
        if not os.path.isdir(os.path.join(FIXTURES_DIR, folder)):
            servers.append(NatsServer(url, error=REFUSED))
            continue
        answers = {}
        for endpoint in ('routez', 'gatewayz', 'leafz', 'jsz'):
            if os.path.exists(os.path.join(FIXTURES_DIR, folder, endpoint + '.json')):
                answers[endpoint] = load_fixture('%s/%s.json' % (folder, endpoint))
        varz = load_fixture(folder + '/varz.json')
        if cut and 'jsz' in answers:
            answers['jsz'] = gate_jsz_view(answers['jsz'], varz.get('server_name'))
        status, body = recorded(folder + '/healthz.json')
        servers.append(NatsServer(url, varz=varz, healthz_status=status,
                                  healthz=json.loads(body.decode('utf-8')), **answers))
    return servers


def test_the_recordings_are_found():
    labels = [label for label, _where, _urls in ROUNDS]
    assert any('gate_crash/t1' in label for label in labels)
    assert any('super_crash/t8' in label for label in labels)


@pytest.mark.parametrize('label, where, urls', ROUNDS, ids=[r[0] for r in ROUNDS])
@pytest.mark.parametrize('draining', [None, 'first'])
def test_the_cut_jsz_gives_the_same_verdict(label, where, urls, draining):
    full = read_round(where, urls, cut=False)
    cut = read_round(where, urls, cut=True)
    if draining == 'first':
        draining = next(s.name for s in full if s.reachable)
    assert evaluate_gate(cut, draining=draining, max_lag=0) == evaluate_gate(full, draining=draining, max_lag=0), label


@pytest.mark.parametrize('server_name', [None, 'b2', 'b3', 'b1'])
def test_the_cut_keeps_names_last_seq_and_the_groups_led(server_name):
    # On b1 stream ORDERS_B is led by b2, its consumer PROC_B by b3.
    jsz = load_fixture('2.15.1/super_healthy/b1/jsz.json')
    view = gate_jsz_view(copy.deepcopy(jsz), server_name)
    stream = jsz['account_details'][0]['stream_detail'][0]
    consumer = stream['consumer_detail'][0]

    def group(cluster):
        return cluster if server_name in (None, cluster['leader']) else dict(leader=cluster['leader'])
    kept = view['account_details'][0]['stream_detail'][0]
    assert kept == dict(name=stream['name'], cluster=group(stream['cluster']),
                        state=dict(last_seq=stream['state']['last_seq']),
                        consumer_detail=[dict(name=consumer['name'], cluster=group(consumer['cluster']))])
    assert view['meta_cluster'] == jsz['meta_cluster']
    assert view['account_details'][0]['name'] == jsz['account_details'][0]['name']


@pytest.mark.parametrize('answer', [None, {}, {'disabled': True}, {'streams': 0, 'account_details': []}])
def test_the_cut_leaves_answers_without_accounts_alone(answer):
    assert gate_jsz_view(answer) is answer


def test_the_reader_cuts_each_jsz_as_it_is_read():
    class Monitor:
        asked = None

        def jsz(self, **params):
            Monitor.asked = params
            return load_fixture('2.15.1/super_healthy/a1/jsz.json')
    view = read_gate_jsz(Monitor(), 'a1')
    assert Monitor.asked == dict(max_items=0, accounts=True, streams=True, consumers=True)
    stream = view['account_details'][0]['stream_detail'][0]
    assert set(stream) == {'name', 'cluster', 'state', 'consumer_detail'}
    assert stream['cluster'] == dict(leader='a2')


class TestCollectionPaused:

    def test_off_inside_and_on_again_after(self):
        assert gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_on_again_after_an_error(self):
        with pytest.raises(ValueError):
            with collection_paused():
                raise ValueError('boom')
        assert gc.isenabled()

    def test_left_off_when_it_was_off(self):
        gc.disable()
        try:
            with collection_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        finally:
            gc.enable()
