# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The gate's confirmation that a server just started again has caught up (pure): the
``restarted`` check, which replaces a second passing reading a fixed interval later.

Why one passing reading of a restarted server is not enough by itself: its /healthz answers
200 for a moment before it reports catching up. Recorded (tests/unit/fixtures/*/catching_up,
a follower restarted after 400,000 messages it missed): 2.15.1 answered 200 at 0.90 s, 503
"stream catching up" at 1.28 s, 200 for good at 4.37 s; 2.10.26 answered 200 at 0.46 s, 503
"group node unhealthy" at 0.64 s, 200 at 3.69 s. At that first 200 its Raft groups had not yet
heard from their leaders (a follower that knows no leader calls itself current), while the
leaders still held the view they had of it before the stop.

The evidence asked instead, all from one round of reading:

1. its own full /healthz (not meta-only: the reader asks this server for the full check) is
   200, so it is current with the meta leader and sees every stream and consumer assigned to
   it current, not catching up;
2. it lists every stream and consumer whose leader counts it as a replica, so it has applied
   its assignments and (1) covers them all;
3. the leader of each of those groups, and the meta leader, has heard from the new process:
   the replica's ``active`` (time since the leader last heard from it, a duration on the
   leader's clock) is below the server's uptime (/varz ``now`` - ``start``, a duration on its
   own clock; no clocks are compared), and it is in sync within max_lag. Before the leader
   hears from it, ``active`` counts from before the stop and is longer than its uptime.
   Leaders hear from followers at every heartbeat (about 1 s: healthy replicas showed an
   ``active`` of 0.03-1.4 s in every recording, 2.10.26 to 2.15.1), so (3) holds about a
   second after the server rejoins. A group it leads itself is caught up by Raft's election
   rule (a leader holds every committed entry).

(1) alone is the 200 that flaps; (2) and (3) are what was missing at that moment: a leader
that has heard from the new process has told it where the log stands, so a follower behind
is then "catching up" in its own /healthz (2.11+) or "group node unhealthy" (2.10) - seen in
the same recordings - and the leader reports it not current or lagging.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.gate_jetstream import runs_jetstream
from ansible_collections.nats_tools.nats.plugins.module_utils.jsz import describe_asset, replica_problem
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import seconds, uptime_seconds


def heard_since_start(replica, uptime):
    """Why the leader's entry for the restarted server does not show contact since it started, or None."""
    active = seconds(replica.get('active'))
    if active is None or active <= 0:
        # 0: the leader has no time of last contact at all (2.15.1 shows a catching-up replica so).
        return 'no time of last contact reported'
    if uptime is None:
        return 'its uptime cannot be read from /varz (start, now)'
    if active >= uptime:
        return 'last heard from %.1f s ago, before it started (up %.1f s)' % (active, uptime)
    return None


def _entry(cluster, name):
    return next((r for r in (cluster or {}).get('replicas') or [] if r.get('name') == name), None)


def check_restarted(report, restarted, snapshots, by_name, meta_leader, groups, max_lag, max_peer_seen):
    """Add the ``restarted`` check: evidence that server ``restarted`` has caught up (see the module doc)."""
    server = by_name.get(restarted)
    if server is None:
        known = [s for s in snapshots if s.name == restarted]
        report.add('restarted', restarted, False, '%s %s' % (
            restarted, 'is unreachable' if known else 'is not among the servers asked'))
        return
    if not runs_jetstream(server):
        report.add('restarted', restarted, True, '%s back (no JetStream to catch up with)' % restarted)
        return
    uptime = uptime_seconds(server.varz)
    problems = []
    confirmed = 0

    # The meta group (its own healthz says it is current with the leader; the leader must have heard from it).
    leader_view = by_name.get(meta_leader) if meta_leader else None
    if meta_leader and meta_leader != restarted and leader_view is not None:
        peer = _entry(leader_view.meta, restarted)
        if peer is None:
            problems.append('meta leader %s does not list %s' % (meta_leader, restarted))
        else:
            why = replica_problem(peer, max_lag, max_peer_seen) or heard_since_start(peer, uptime)
            if why:
                problems.append('meta leader %s: %s %s' % (meta_leader, restarted, why))
    meta_note = ''
    if meta_leader and leader_view is None:
        meta_note = '; meta judged by its own /healthz (meta leader %s not among the URLs)' % meta_leader

    for group in sorted(groups.values(), key=lambda g: (g['account'] or '', g['stream'] or '', g['consumer'] or '')):
        cluster = group['cluster']
        if cluster is None:
            continue  # no leader view: the streams / consumers check names it
        leads = group['leader'] == restarted
        entry = None if leads else _entry(cluster, restarted)
        if not leads and entry is None:
            continue  # not a member
        label = describe_asset(group)
        if restarted not in group['seen_on']:
            problems.append('%s: %s does not list it yet (its assignments are not applied)' % (label, restarted))
            continue
        if not leads:
            why = replica_problem(entry, max_lag, max_peer_seen) or heard_since_start(entry, uptime)
            if why:
                problems.append('%s: leader %s: %s %s' % (label, group['leader'], restarted, why))
                continue
        confirmed += 1

    if problems:
        for problem in problems:
            report.add('restarted', restarted, False, '%s not caught up yet: %s' % (restarted, problem))
    else:
        report.add('restarted', restarted, True, '%s caught up: %d streams and consumers confirmed by their leaders, '
                   'up %s s%s' % (restarted, confirmed, '?' if uptime is None else '%.1f' % uptime, meta_note))
