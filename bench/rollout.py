# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measurement 4: rolling upgrades of a 3-node JetStream cluster under publish load.

Each run starts a fresh cluster on the old version (natslab), natslab's publisher with acks and
consumer (natslab.load.Publisher, as in the demo), a /healthz side poller every
50 ms, then one playbook: the collection's gated rolling_upgrade (the demo's local_rollout) or the
naive playbook bench/playbooks/naive_rollout.yml (uri until 200, or pause 5 s), optionally with a
release that exits at start. Afterwards every server that is down is started again on the old
version, and every acked message is looked for in the stream."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import json
import os
import time

import benchlib
from demo import local_rollout as demo  # tools/ is on sys.path through benchlib
from natslab.load import Publisher, stored_ids

SCENARIOS = (
    # (key, playbook mode, faulty release)
    ('gated', 'gated', False),
    ('naive_uri', 'uri', False),
    ('naive_pause', 'pause', False),
    ('gated_bad', 'gated', True),
    ('naive_uri_bad', 'uri', True),
    ('naive_pause_bad', 'pause', True),
)
NAIVE_PLAYBOOK = os.path.join(benchlib.BENCH, 'playbooks', 'naive_rollout.yml')
# A server whose /healthz answers this (lame duck: 500) or nothing (0) is down: its stop has begun.
DOWN = (0, 500)
# A run of 200 answers at least this long (or to the end of the samples) is "back for good": a
# restarted server answers 200 for about a second before it reports catching up (503).
STABLE_S = 1.5


def outages(samples, names):
    """Per server that went down, in the order they went down: when (first of two 500 or no answers in a row),
    when it was back for good (start of the first run of 200s lasting STABLE_S, or reaching the
    end of the samples, after that), the floor between the two, and the first 200 in between."""
    series = dict((n, [(t, s) for t, nn, s in samples if nn == n]) for n in names)
    downs = {}
    for name, seq in series.items():
        # Down = two answers in a row: a running server under load can answer one /healthz with 500
        # ("not ready for connections" within its 1-ms readiness check); a stop lasts seconds.
        first = next((t for (t, s), (_t, s2) in zip(seq, seq[1:]) if s in DOWN and s2 in DOWN), None)
        if first is not None:
            downs[name] = first
    result = []
    for name in sorted(downs, key=downs.get):
        seq = [(t, s) for t, s in series[name] if t >= downs[name]]
        back = None
        run_start = None
        for index, (t, s) in enumerate(seq):
            if s == 200:
                if run_start is None:
                    run_start = t
                if t - run_start >= STABLE_S or index == len(seq) - 1:
                    back = run_start
                    break
            else:
                run_start = None
        first_200 = next((t for t, s in seq if s == 200), None)
        result.append(dict(name=name, down=downs[name], back=back, first_200=first_200,
                           floor_s=round(back - downs[name], 3) if back is not None else None))
    return result


def task_profile(path, origin):
    """Where the playbook's time went (bench/callback_plugins/bench_timer.py): each task holds the
    time from its start to the next task's start (its own run plus the strategy's work after it).
    Returns start-up (process start to the first task), and per action: tasks run and seconds."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        events = [json.loads(line) for line in handle if line.strip()]
    starts = [e for e in events if e['event'] == 'task']
    end = max([e['t'] for e in events if e['event'] == 'end'] or [events[-1]['t'] if events else origin])
    by_action = {}
    for index, event in enumerate(starts):
        until = starts[index + 1]['t'] if index + 1 < len(starts) else end
        slot = by_action.setdefault(event['action'], [0, 0.0])
        slot[0] += 1
        slot[1] += until - event['t']
    return dict(startup_s=round(starts[0]['t'] - origin, 2) if starts else None, tasks=len(starts),
                after_last_s=round(end - starts[-1]['t'], 2) if starts else None,
                by_action=dict((k, [v[0], round(v[1], 2)]) for k, v in sorted(by_action.items())))


def transitions(samples, names, origin):
    """Per server, [seconds since ``origin``, /healthz status] at every change of status."""
    out = {}
    for name in names:
        changes, last = [], None
        for t, n, s in samples:
            if n == name and s != last:
                changes.append([round(t - origin, 2), s])
                last = s
        out[name] = changes
    return out


def unhealthy_time(samples, names, interval, at_least=2):
    """Seconds during which at least ``at_least`` servers did not answer /healthz 200 (by poll round)."""
    rounds = [samples[i:i + len(names)] for i in range(0, len(samples), len(names))]
    bad_rounds = [r for r in rounds if len(r) == len(names) and sum(1 for _t, _n, s in r if s != 200) >= at_least]
    return round(len(bad_rounds) * interval, 2)


def max_unhealthy(samples, names):
    rounds = [samples[i:i + len(names)] for i in range(0, len(samples), len(names))]
    return max([sum(1 for _t, _n, s in r if s != 200) for r in rounds if len(r) == len(names)] or [0])


def read_back(client_urls):
    """Every message id stored in the stream (natslab's stored_ids, which retries while the stream
    elects a leader after the servers came back)."""
    try:
        return asyncio.run(stored_ids(client_urls))
    except Exception as exc:  # pylint: disable=broad-except
        raise benchlib.BenchError('reading the stream back failed: %s' % (exc,))


def run_one(key, mode, faulty, options, workroot, index):
    """One rollout; returns a dict of what was measured."""
    workdir = os.path.join(workroot, 'm4-%s-%d' % (key, index))
    os.makedirs(workdir)
    harness = benchlib.Harness(workdir)
    load = poller = None
    out = dict(scenario=key, mode=mode, faulty=faulty, rep=index, workdir=workdir)
    try:
        env = harness.start('cluster', options.from_version, ttl=900)
        before = harness.status()
        names = env['nats_server_names']
        poller = benchlib.HealthzPoller(dict((n, env['nats_servers'][n]['monitor_url']) for n in names),
                                        interval=options.poll_interval, max_seconds=600).start()
        load = Publisher(env['nats_client_urls'], options.rate)
        load.start()
        time.sleep(options.settle)
        fault_vars = {}
        if faulty:
            fault_vars['nats_demo_server_bin'] = demo.make_bad_release(workdir)
        gate_timeout = options.bad_gate_timeout if faulty else options.gate_timeout
        timer_file = os.path.join(workdir, 'tasks.jsonl')
        os.environ.update(BENCH_TIMER_FILE=timer_file, ANSIBLE_CALLBACKS_ENABLED='bench_timer',
                          ANSIBLE_CALLBACK_PLUGINS=os.path.join(benchlib.BENCH, 'callback_plugins'))
        started = time.time()
        if mode == 'gated':
            rollout = demo.run_rollout(workdir, options.to_version, gate_timeout, fault_vars)
        else:
            rollout = demo.run_rollout(workdir, options.to_version, gate_timeout, fault_vars, playbook=NAIVE_PLAYBOOK,
                                       extra_vars=dict(bench_naive_wait=mode, bench_demo_dir=demo.TASKS_DIR))
        ended = time.time()
        for name in ('BENCH_TIMER_FILE', 'ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_PLUGINS'):
            os.environ.pop(name, None)
        time.sleep(options.settle)
        load.stop()
        poller_samples = poller.stop()
        after = harness.status()

        # Servers left down (a faulty release) come back on the old version before the stream is read.
        down = [n for n in names if not after['servers'][n]['alive']]
        for name in down:
            harness.call('start-one', '--server', name, '--version', options.from_version, '--timeout', 60)
        if down:
            harness.call('wait-healthy', '--timeout', 90, timeout=120)
        ids, stored = read_back(env['nats_client_urls'])
        lost = len(set(load.acked) - ids)

        floors = outages([s for s in poller_samples if started <= s[0]], names)
        touched = [o['name'] for o in floors]
        untouched_kept = all(before['servers'][n]['pid'] == after['servers'][n]['pid'] and after['servers'][n]['alive']
                             for n in names if n not in touched)
        floor_sum = sum(o['floor_s'] for o in floors if o['floor_s'] is not None)
        window = [s for s in poller_samples if started <= s[0] <= ended]
        steps = rollout['report'].get('steps', [])
        out.update(
            rc=rollout['rc'], wall_s=rollout['wall_s'], playbook_log=rollout['log_path'],
            failure=demo.failure_message(rollout['log'])[:400] if rollout['rc'] else '',
            floors=floors, floor_sum_s=round(floor_sum, 3),
            ratio=round(rollout['wall_s'] / floor_sum, 3) if floor_sum and len(floors) == len(names)
            and all(o['floor_s'] is not None for o in floors) else None,
            overhead_per_server_s=round((rollout['wall_s'] - floor_sum) / len(names), 3)
            if floor_sum and len(floors) == len(names) else None,
            servers_touched=len(touched), touched=touched, untouched_kept=untouched_kept,
            servers_left_down=down, max_unhealthy=max_unhealthy(window, names),
            two_down_s=unhealthy_time(window, names, options.poll_interval),
            sent=load.sent, acked=len(load.acked), stored=stored, lost=lost, publish_errors=len(load.errors),
            publish_error_window_s=load.error_window(), load_failure=load.failure,
            steps=steps, samples=len(poller_samples), tasks=task_profile(timer_file, started), timeline=transitions(poller_samples, names, started))
    except benchlib.BenchError as exc:
        out['error'] = str(exc)
    finally:
        if load is not None and not load.stopping:
            load.stop()
        if poller is not None:
            poller.stop()
        harness.stop()
    benchlib.log('m4 %s #%d: %s' % (key, index, dict((k, out.get(k)) for k in (
        'rc', 'wall_s', 'floor_sum_s', 'ratio', 'servers_touched', 'max_unhealthy', 'two_down_s', 'lost',
        'publish_errors', 'publish_error_window_s', 'error'))))
    return out


def measure(options, workroot):
    """Every scenario, ``options.reps`` times, interleaved (one of each per round)."""
    harness = benchlib.Harness(workroot)
    for version in (options.from_version, options.to_version):
        harness.install(version)
    scenarios = [s for s in SCENARIOS if s[0] in options.scenarios]
    runs = dict((key, []) for key, _mode, _faulty in scenarios)
    for index in range(options.reps):
        for key, mode, faulty in scenarios:
            runs[key].append(run_one(key, mode, faulty, options, workroot, index))
    return dict(runs=runs, settings=dict(from_version=options.from_version, to_version=options.to_version,
                                         rate=options.rate, poll_interval=options.poll_interval,
                                         gate_timeout=options.gate_timeout, bad_gate_timeout=options.bad_gate_timeout,
                                         reps=options.reps, stable_s=STABLE_S))


def rows(result):
    """Table rows of measurement 4 (see run.py for the row format)."""
    runs = result['runs']
    table = []

    def values(key, field):
        return [r.get(field) for r in runs.get(key, []) if 'error' not in r]

    def errors(key):
        return [r['error'] for r in runs.get(key, []) if 'error' in r]

    n_servers = 3
    if 'gated' in runs:
        walls = values('gated', 'wall_s')
        floors = values('gated', 'floor_sum_s')
        over = values('gated', 'overhead_per_server_s')
        profile = split_tasks([r.get('tasks') for r in runs['gated'] if 'error' not in r])
        table.append(dict(
            id='4a', what='gated rollout (role): wall / sum of floors', stat=benchlib.summary(values('gated', 'ratio')),
            unit='x', absolute='wall %s s, floors %s s, overhead/server %s s; playbook time in nats_gate tasks %s s, '
                               'stop/install/start commands %s s, %s other tasks %s s, start-up %s s' % (
                benchlib.summary(walls, 1)['median'], benchlib.summary(floors, 1)['median'],
                benchlib.summary(over, 2)['median'], profile['gate'], profile['command'], profile['other_count'],
                profile['other'], profile['startup']),
            target='wall <= floors + 1.5 s/server',
            met=bool(over) and all(v is not None for v in over) and benchlib.summary(over)['median'] <= 1.5,
            errors=errors('gated')))
        if 'naive_uri' in runs:
            # Same round, same machine: each gated run against the naive uri run of its round.
            pairs = [(g.get('wall_s'), n.get('wall_s')) for g, n in zip(runs['gated'], runs['naive_uri'])
                     if 'error' not in g and 'error' not in n and g.get('rc') == 0 and n.get('rc') == 0]
            stat = benchlib.summary([g / n for g, n in pairs if g and n])
            table.append(dict(
                id='4h', what='gated rollout wall / naive uri playbook wall (same round)', stat=stat, unit='x',
                absolute='gated %s s, naive uri %s s' % (benchlib.summary([g for g, _n in pairs], 1)['median'],
                                                         benchlib.summary([n for _g, n in pairs], 1)['median']),
                target='<= 1x', met=stat['median'] is not None and stat['median'] <= 1.0,
                errors=errors('gated') + errors('naive_uri')))
        lost = values('gated', 'lost')
        table.append(dict(id='4b', what='gated rollout: lost acked messages', stat=benchlib.summary(lost, 0),
                          unit='msgs', absolute='acked %s, publish errors %s' % (
                              benchlib.summary(values('gated', 'acked'), 0)['median'],
                              benchlib.summary(values('gated', 'publish_errors'), 0)['median']),
                          target='0', met=bool(lost) and max(lost) == 0, errors=errors('gated')))
    for key, label in (('naive_uri', 'naive (uri /healthz until 200, delay 5)'), ('naive_pause', 'naive (pause 5 s)')):
        if key not in runs:
            continue
        table.append(dict(
            id='4c' if key == 'naive_uri' else '4d', what='%s: wall / sum of floors' % label,
            stat=benchlib.summary(values(key, 'ratio')), unit='x',
            absolute='wall %s s, floors %s s; 2+ servers unhealthy %s s; lost %s' % (
                benchlib.summary(values(key, 'wall_s'), 1)['median'], benchlib.summary(values(key, 'floor_sum_s'), 1)['median'],
                benchlib.summary(values(key, 'two_down_s'), 2)['median'], _minmax(values(key, 'lost'))),
            target=None, met=None, errors=errors(key)))
    for key, label in (('gated_bad', 'gated, faulty release'), ('naive_uri_bad', 'naive uri, faulty release'),
                       ('naive_pause_bad', 'naive pause, faulty release')):
        if key not in runs:
            continue
        touched = values(key, 'servers_touched')
        kept = values(key, 'untouched_kept')
        max_down = values(key, 'max_unhealthy')
        is_gated = key == 'gated_bad'
        met = None
        if is_gated:
            # Available: the two other servers kept running and the cluster never had two servers unhealthy
            # for more than a blip (a leader election can turn a healthy server's /healthz 503 for ~0.1 s).
            met = bool(touched) and all(t == 1 for t in touched) and all(kept) \
                and max(values(key, 'two_down_s') or [99]) < 1.0 and max(values(key, 'lost') or [1]) == 0
        table.append(dict(
            id={'gated_bad': '4e', 'naive_uri_bad': '4f', 'naive_pause_bad': '4g'}[key],
            what='%s: publish-error window' % label, stat=benchlib.summary(values(key, 'publish_error_window_s'), 2),
            unit='s', absolute='servers stopped %s/%d, most unhealthy at once %s, 2+ unhealthy %s s, lost %s, '
                               'publish errors %s' % (
                                   _minmax(touched), n_servers, _minmax(max_down),
                                   benchlib.summary(values(key, 'two_down_s'), 2)['median'], _minmax(values(key, 'lost')),
                                   benchlib.summary(values(key, 'publish_errors'), 0)['median']),
            target='stops at server 1, cluster available, 0 lost' if is_gated else None, met=met, errors=errors(key)))
    return table


def split_tasks(profiles):
    """Medians over runs of the playbook time held by nats_gate tasks, command tasks (the stop, install
    and start steps) and all other tasks (set_fact, include_tasks, debug, copy ...)."""
    parts = dict(gate=[], command=[], other=[], other_count=[], startup=[])
    for profile in profiles:
        if not profile:
            continue
        actions = profile['by_action']
        gate = sum(v[1] for k, v in actions.items() if k.endswith('nats_gate'))
        command = sum(v[1] for k, v in actions.items() if k.endswith('.command'))
        parts['gate'].append(gate)
        parts['command'].append(command)
        parts['other'].append(sum(v[1] for v in actions.values()) - gate - command)
        parts['other_count'].append(sum(v[0] for k, v in actions.items()
                                        if not k.endswith('nats_gate') and not k.endswith('.command')))
        parts['startup'].append(profile['startup_s'])
    return dict((k, benchlib.summary(v, 1)['median']) for k, v in parts.items())


def _minmax(values):
    values = [v for v in values if v is not None]
    if not values:
        return 'n/a'
    low, high = min(values), max(values)
    return '%s' % low if low == high else '%s-%s' % (low, high)
