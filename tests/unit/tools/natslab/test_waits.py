# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""natslab's wait for a JetStream meta leader: a group formed short of its servers (2.10.26 does it
now and then, and stays so) is given up after META_STUCK_S, so that the start is tried again at once;
anything else waits for the whole timeout. A fake clock and canned /jsz answers, no servers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.tools.natslab import waits
from ansible_collections.nats_tools.nats.tools.natslab.common import LabError

NAMES = ['a1', 'a2', 'a3']


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class CannedWaiter(waits.Waiter):
    """/jsz meta_cluster per server from a function of the clock; no process checks."""

    def __init__(self, meta_at, clock, timeout=60):
        super(CannedWaiter, self).__init__({'servers': {}}, {}, timeout)
        self.meta_at = meta_at
        self.clock = clock

    def check_procs(self, names):
        return None

    def get(self, name, path):
        assert path == '/jsz'
        return {'meta_cluster': self.meta_at(name, self.clock.now - 1000.0)}


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(waits, 'time', fake)
    return fake


def test_full_group_agreed_returns_the_leader(clock):
    waiter = CannedWaiter(lambda name, t: {'leader': 'a2', 'cluster_size': 3}, clock)
    assert waiter.meta_leader(NAMES) == 'a2'


def test_group_that_fills_up_in_time_is_waited_for(clock):
    # short for 10 s, then whole: not given up
    waiter = CannedWaiter(lambda name, t: {'leader': 'a2', 'cluster_size': 2 if t < 10 else 3}, clock)
    assert waiter.meta_leader(NAMES) == 'a2'
    assert 10 <= clock.now - 1000.0 < 11


def test_short_group_is_given_up_after_meta_stuck_s(clock):
    waiter = CannedWaiter(lambda name, t: {'leader': 'a2', 'cluster_size': 2}, clock)
    with pytest.raises(LabError) as err:
        waiter.meta_leader(NAMES)
    # start_topology starts the topology again on this text
    assert 'meta group incomplete' in str(err.value)
    assert "sizes {'a1': 2, 'a2': 2, 'a3': 2}" in str(err.value)
    assert 'timed out' not in str(err.value)
    assert waits.META_STUCK_S <= clock.now - 1000.0 < waits.META_STUCK_S + 1


def test_disagreeing_servers_wait_for_the_whole_timeout(clock):
    waiter = CannedWaiter(lambda name, t: {'leader': 'a1' if name == 'a3' else 'a2', 'cluster_size': 2}, clock,
                          timeout=60)
    with pytest.raises(LabError) as err:
        waiter.meta_leader(NAMES)
    assert 'timed out after 60s' in str(err.value)
    assert clock.now - 1000.0 >= 60


def test_short_time_restarts_when_the_leaders_part(clock):
    # agreed but short for 15 s, no leader for a moment, agreed but short again: the count starts over
    def meta(name, t):
        if 15 <= t < 16:
            return {'leader': None, 'cluster_size': 2}
        return {'leader': 'a2', 'cluster_size': 2}
    waiter = CannedWaiter(meta, clock)
    with pytest.raises(LabError):
        waiter.meta_leader(NAMES)
    assert clock.now - 1000.0 >= 16 + waits.META_STUCK_S
