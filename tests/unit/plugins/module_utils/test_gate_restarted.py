# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The gate's `restarted` check (gate_restarted.py): evidence in one reading that a server just
started again has caught up. On recorded answers of a real 3-node cluster recorded about 2 s
after its start (tests/unit/fixtures/<version>/gate_healthy), one field edited where a test says so."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gate import evaluate_gate
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import uptime_seconds
from ansible_collections.nats_tools.nats.tests.unit.plugins.module_utils.test_gate import (
    VERSIONS,
    by_name,
    failed,
    leader_of,
    manifest,
    snapshots,
    stream_group,
)


def follower_of_orders(snaps):
    """A server that holds an ORDERS replica it does not lead, and the leader's entry for it."""
    leader = leader_of(snaps, 'ORDERS')
    entry = stream_group(leader, 'ORDERS')['cluster']['replicas'][0]
    return by_name(snaps, entry['name']), leader, entry


def restarted_checks(verdict):
    return [c for c in verdict['checks'] if c['name'] == 'restarted']


@pytest.mark.parametrize('version', VERSIONS)
class TestRestarted:

    def test_only_with_the_option(self, version):
        assert restarted_checks(evaluate_gate(snapshots(version, 'healthy'))) == []

    def test_caught_up_follower_passes(self, version):
        snaps = snapshots(version, 'healthy')
        server, _leader, _entry = follower_of_orders(snaps)
        verdict = evaluate_gate(snaps, restarted=server.name)
        assert verdict['passed'], verdict['problems']
        checks = restarted_checks(verdict)
        assert len(checks) == 1 and checks[0]['ok']
        assert checks[0]['msg'].startswith('%s caught up: ' % server.name)

    def test_stream_leader_not_heard_from_since_the_start_fails(self, version):
        # The leader's entry is from before the stop: its last contact is longer ago than the server's uptime.
        snaps = snapshots(version, 'healthy')
        server, leader, entry = follower_of_orders(snaps)
        entry['active'] = int((uptime_seconds(server.varz) + 0.5) * 1e9)
        verdict = evaluate_gate(snaps, restarted=server.name)
        assert not verdict['passed']
        problems = failed(verdict, 'restarted')
        assert len(problems) == 1
        assert problems[0].startswith('%s not caught up yet: stream ORDERS: leader %s: %s last heard from '
                                      % (server.name, leader.name, server.name))
        assert problems[0].endswith('before it started (up %.1f s)' % uptime_seconds(server.varz))
        # Without the option the same reading passes: that is the moment a second pass used to cover.
        assert evaluate_gate(snaps)['passed']

    def test_meta_leader_not_heard_from_since_the_start_fails(self, version):
        snaps = snapshots(version, 'healthy')
        meta_leader = by_name(snaps, manifest(version, 'healthy')['meta_leader'])
        peer = meta_leader.jsz['meta_cluster']['replicas'][0]
        server = by_name(snaps, peer['name'])
        peer['active'] = int((uptime_seconds(server.varz) + 1) * 1e9)
        problems = failed(evaluate_gate(snaps, restarted=server.name), 'restarted')
        assert len(problems) == 1
        assert problems[0].startswith('%s not caught up yet: meta leader %s: %s last heard from '
                                      % (server.name, meta_leader.name, server.name))

    def test_no_time_of_last_contact_fails(self, version):
        # 2.15.1 shows a catching-up replica on its leader with active 0 (fixtures catching_up).
        snaps = snapshots(version, 'healthy')
        server, leader, entry = follower_of_orders(snaps)
        entry['active'] = 0
        problems = failed(evaluate_gate(snaps, restarted=server.name), 'restarted')
        assert problems == ['%s not caught up yet: stream ORDERS: leader %s: %s no time of last contact reported'
                            % (server.name, leader.name, server.name)]

    def test_replica_lagging_past_the_bound_fails(self, version):
        snaps = snapshots(version, 'healthy')
        server, _leader, entry = follower_of_orders(snaps)
        entry.update(current=False, lag=400)
        problems = failed(evaluate_gate(snaps, restarted=server.name), 'restarted')
        assert any('stream ORDERS' in p and 'not current (lag 400)' in p for p in problems), problems

    def test_assignments_not_applied_yet_fails(self, version):
        # The restarted server does not list ORDERS yet: its /healthz 200 does not cover it.
        snaps = snapshots(version, 'healthy')
        server, _leader, _entry = follower_of_orders(snaps)
        for account in server.jsz['account_details']:
            account['stream_detail'] = [s for s in account['stream_detail'] if s['name'] != 'ORDERS']
        problems = failed(evaluate_gate(snaps, restarted=server.name), 'restarted')
        assert '%s not caught up yet: stream ORDERS: %s does not list it yet (its assignments are not applied)' % (
            server.name, server.name) in problems

    def test_uptime_unreadable_fails(self, version):
        snaps = snapshots(version, 'healthy')
        server, _leader, _entry = follower_of_orders(snaps)
        del server.varz['start']
        problems = failed(evaluate_gate(snaps, restarted=server.name), 'restarted')
        assert problems and all('its uptime cannot be read from /varz' in p for p in problems)

    def test_stopped_server_fails(self, version):
        snaps = snapshots(version, 'graceful', 't1')
        stopped = manifest(version, 'graceful')['stopped']
        # Named though down: its peers miss exactly one server (gate._name_the_unreachable).
        assert failed(evaluate_gate(snaps, restarted=stopped), 'restarted') == ['%s is unreachable' % stopped]
        assert failed(evaluate_gate(snaps, restarted='n9'), 'restarted') == ['n9 is not among the servers asked']

    def test_the_meta_leader_itself(self, version):
        # A leader holds every committed entry: its own groups need no leader's word.
        snaps = snapshots(version, 'healthy')
        meta_leader = manifest(version, 'healthy')['meta_leader']
        verdict = evaluate_gate(snaps, restarted=meta_leader)
        assert verdict['passed'], verdict['problems']
