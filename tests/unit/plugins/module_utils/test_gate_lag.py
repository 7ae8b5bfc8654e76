# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate's lag bound (max_lag, default jsz.DEFAULT_MAX_LAG): a replica a few entries behind
is in sync whatever its `current` flag; one far behind, offline, unseen or not current
without a lag is not. On recorded answers of a real 3-node cluster
(tests/unit/fixtures/<version>/gate_*), one field edited where a test says so."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import DEFAULT_MAX_LAG, replica_problem
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.test_gate import (
    VERSIONS,
    failed,
    leader_of,
    manifest,
    snapshots,
    stream_group,
)


def lagging(version, lag, current=False, **extra):
    """Healthy answers with the first follower of ORDERS (on its leader) edited."""
    snaps = snapshots(version, 'healthy')
    replica = stream_group(leader_of(snaps, 'ORDERS'), 'ORDERS')['cluster']['replicas'][0]
    replica.update(dict(current=current, lag=lag, **extra))
    return snaps, replica['name']


@pytest.mark.parametrize('version', VERSIONS)
class TestLagBound:

    def test_replication_in_flight_passes(self, version):
        # What 9-10 % of readings of a healthy cluster at 200 msg/s showed: not current, lag 1-3.
        snaps, _name = lagging(version, 3)
        verdict = evaluate_gate(snaps)
        assert verdict['passed'], verdict['problems']

    def test_lag_at_the_bound_passes_and_above_it_fails_naming_the_replica(self, version):
        snaps, _name = lagging(version, DEFAULT_MAX_LAG)
        assert evaluate_gate(snaps)['passed']
        snaps, name = lagging(version, DEFAULT_MAX_LAG + 1)
        verdict = evaluate_gate(snaps)
        assert not verdict['passed']
        assert failed(verdict, 'streams') == ['stream ORDERS: replica %s not current (lag %d)' % (name, DEFAULT_MAX_LAG + 1)]

    def test_catching_up_replica_fails(self, version):
        # A restarted replica catching up: lags of hundreds to thousands (366-1,122 measured at 200 msg/s).
        snaps, name = lagging(version, 1122)
        assert failed(evaluate_gate(snaps), 'streams') == ['stream ORDERS: replica %s not current (lag 1122)' % name]

    def test_current_replica_lagging_above_the_bound_fails(self, version):
        snaps, name = lagging(version, 500, current=True)
        assert failed(evaluate_gate(snaps), 'streams') == [
            'stream ORDERS: replica %s lag 500 above max_lag %d' % (name, DEFAULT_MAX_LAG)]

    def test_not_current_without_a_lag_fails(self, version):
        # 2.15.1 reports a catching-up replica as current: false with no lag (fixtures catching_up).
        snaps, name = lagging(version, None)
        assert failed(evaluate_gate(snaps), 'streams') == ['stream ORDERS: replica %s not current (lag 0)' % name]

    def test_offline_peer_fails_at_once_whatever_the_bound(self, version):
        # Recorded: a follower stopped gracefully is offline on the leader about 1 s later.
        snaps = snapshots(version, 'graceful', 't1')
        stopped = manifest(version, 'graceful')['stopped']
        verdict = evaluate_gate(snaps, max_lag=10 ** 9)
        assert 'meta peer %s offline' % stopped in failed(verdict, 'meta')
        assert 'stream ORDERS: replica %s offline' % stopped in failed(verdict, 'streams')

    def test_offline_replica_within_the_bound_fails(self, version):
        snaps, name = lagging(version, 1, current=True, offline=True)
        assert failed(evaluate_gate(snaps), 'streams') == ['stream ORDERS: replica %s offline' % name]

    def test_unseen_peer_fails_whatever_the_bound(self, version):
        # Recorded 8 s after a SIGKILL: the leader still calls the dead peer current, silent for seconds.
        snaps = snapshots(version, 'crash', 't8')
        stopped = manifest(version, 'crash')['stopped']
        meta = failed(evaluate_gate(snaps, max_lag=10 ** 9), 'meta')
        assert any(m.startswith('meta peer %s not seen for ' % stopped) for m in meta), meta

    def test_quorum_counts_a_replica_in_flight_as_current(self, version):
        snaps, name = lagging(version, 2)
        leader = leader_of(snaps, 'ORDERS').name
        drain = next(n for n in ('n1', 'n2', 'n3') if n not in (leader, name))
        verdict = evaluate_gate(snaps, draining=drain)
        assert not failed(verdict, 'quorum'), failed(verdict, 'quorum')
        verdict = evaluate_gate(snaps, draining=drain, max_lag=0)
        assert any('would lose quorum without %s' % drain in m for m in failed(verdict, 'quorum'))


@pytest.mark.parametrize('replica, max_lag, expected', [
    (dict(current=True), 0, None),
    (dict(current=True, lag=3), 0, 'lag 3 above max_lag 0'),
    (dict(current=False, lag=3), 0, 'not current (lag 3)'),
    (dict(current=False, lag=3), 3, None),
    (dict(current=False), 100, 'not current (lag 0)'),
    (dict(current=True, offline=True), 100, 'offline'),
    (dict(current=True, active=6 * 10 ** 9), 100, 'not seen for 6.0 s (max_peer_seen 5 s)'),
])
def test_replica_problem(replica, max_lag, expected):
    assert replica_problem(replica, max_lag, 5) == expected
