#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks of the nats_tools.nats collection against real nats-server processes (issue 4).

  1  cluster snapshot: nats_info per server vs. ansible.builtin.uri per endpoint per server;
     nats_gate vs. uri for what the gate reads; vs. nats_healthz per server
  2  scale: 5,000 connections and 2,000 memory streams on one server: full connz and jsz through
     nats_info vs. one raw GET (time, items, peak RSS of the module process); nats-tools NATSMonitor
  3  gate latency: a follower restarted 5 times; /healthz 200 -> nats_gate (wait=true) returns
  4  rolling upgrade under publish load: gated role vs. naive playbooks, wall time / sum of floors,
     lost acked messages, and again with a release that exits at start
  5  scale by simulation (tools/replay): nats_gate over 100 servers with 10,000 R3 streams and 30,000
     consumers, inventory discovery of 200 servers, nats_info of 50,000 connections; the gate's cost
     against servers and streams, plotted (docs/performance-scale.png)

Every row is the median of --reps repetitions (5 by default) with min and max. Prints one table
(Markdown) and writes bench/results.json. Needs the test venv (ansible-core, nats-py, requests:
`make venv`) and the nats-server wheels (`make servers`, or $NATS_SERVER_ROOT). The collection is
built from this checkout and installed into a temporary collections path (ansible-galaxy
collection build + install), which ANSIBLE_COLLECTIONS_PATH then names for every Ansible run;
--collections-path uses an existing one instead. See docs/performance.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402 pylint: disable=wrong-import-position
import gate_latency  # noqa: E402 pylint: disable=wrong-import-position
import replay_scale  # noqa: E402 pylint: disable=wrong-import-position
import rollout  # noqa: E402 pylint: disable=wrong-import-position
import scale  # noqa: E402 pylint: disable=wrong-import-position
import snapshot  # noqa: E402 pylint: disable=wrong-import-position


# --quick: the rollout scenarios that show the role's path, the naive one it is compared with and the
# faulty release stopped at the first server; the other three take ~2 of the 8 minutes a smoke run may last.
QUICK_SCENARIOS = ('gated', 'naive_uri', 'gated_bad')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: 2 repetitions (1 per rollout scenario and in measurement 5), 3 of the 6 '
                             'rollout scenarios, 1,000 connections, 400 streams, 20,000 simulated connections, fewer '
                             'points in the scale plot (written to the scratch folder)')
    parser.add_argument('--only', type=int, action='append', choices=[1, 2, 3, 4, 5],
                        help='run only this measurement (repeatable)')
    parser.add_argument('--reps', type=int, default=None, help='repetitions per row (default 5; --quick 2)')
    parser.add_argument('--rollout-reps', type=int, default=None,
                        help='repetitions of each rollout scenario of measurement 4 (default --reps; --quick 1)')
    parser.add_argument('--scenarios', default=None,
                        help='rollout scenarios of measurement 4 (default: all; --quick: %s)' % ','.join(QUICK_SCENARIOS))
    parser.add_argument('--server-version', default='2.11.11', help='nats-server of measurements 1-3 (default 2.11.11)')
    parser.add_argument('--from-version', default='2.10.26', help='measurement 4: version before the rollout')
    parser.add_argument('--to-version', default='2.11.11', help='measurement 4: version after the rollout')
    parser.add_argument('--connections', type=int, default=None, help='measurement 2 (default 5000; --quick 1000)')
    parser.add_argument('--streams', type=int, default=None, help='measurement 2 (default 2000; --quick 400)')
    parser.add_argument('--wait-interval', type=float, default=0.25,
                        help='nats_gate wait_interval in measurement 3 (default 0.25, the module\'s default)')
    parser.add_argument('--poll-interval', type=float, default=0.05, help='side poller interval (default 0.05 s)')
    parser.add_argument('--rate', type=float, default=200.0, help='measurement 4: published messages per second')
    parser.add_argument('--settle', type=float, default=2.0,
                        help='measurement 4: seconds of load before and after each rollout (default 2)')
    parser.add_argument('--gate-timeout', type=float, default=120.0, help='measurement 4: gate timeout of the role')
    parser.add_argument('--bad-gate-timeout', type=float, default=15.0,
                        help='measurement 4, faulty release: gate timeout of the role (default 15 s; the naive uri '
                             'task gives up after its default 3 retries x 5 s)')
    parser.add_argument('--replay-connections', type=int, default=None,
                        help='measurement 5: client connections of the simulated server (default 50,000; --quick 20,000)')
    parser.add_argument('--plot', default=None,
                        help='measurement 5: where the plot goes (default docs/performance-scale.png; --quick: the '
                             'scratch folder)')
    parser.add_argument('--json', default=os.path.join(benchlib.BENCH, 'results.json'), help='results file')
    parser.add_argument('--workdir', default=None, help='scratch folder (default: a new one under $TMPDIR)')
    parser.add_argument('--keep', action='store_true', help='keep the scratch folder (logs, playbook output)')
    parser.add_argument('--collections-path', default=None,
                        help='use the nats_tools.nats collection installed under this path instead of building one')
    parser.add_argument('--natstools-venv', default=os.path.join(benchlib.ROOT, '.cache', 'bench-venv'),
                        help='venv for nats-tools when this interpreter lacks it (default .cache/bench-venv)')
    args = parser.parse_args(argv)
    args.reps = args.reps or (2 if args.quick else 5)
    args.rollout_reps = args.rollout_reps or (1 if args.quick else args.reps)
    args.connections = args.connections or (1000 if args.quick else 5000)
    args.streams = args.streams or (400 if args.quick else 2000)
    if args.scenarios is None:
        args.scenarios = ','.join(QUICK_SCENARIOS if args.quick else [s[0] for s in rollout.SCENARIOS])
    args.scenarios = [s.strip() for s in args.scenarios.split(',') if s.strip()]
    unknown = set(args.scenarios) - set(s[0] for s in rollout.SCENARIOS)
    if unknown:
        parser.error('unknown scenarios %s' % ', '.join(sorted(unknown)))
    args.only = sorted(set(args.only or [1, 2, 3, 4, 5]))
    return args


class LoadSampler:
    """The machine's 1-minute load average every 15 s during the run (to judge the numbers)."""

    def __init__(self):
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='loadavg', daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        for _tick in range(4 * 60 * 4):  # at most 4 hours
            try:
                with open('/proc/loadavg') as handle:
                    self.samples.append(float(handle.read().split()[0]))
            except (IOError, OSError, ValueError):
                pass
            if self._stop.wait(15):
                break

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        return benchlib.summary(self.samples, 2)


def verdict(row):
    if row.get('errors') and not row['stat'].get('n'):
        return 'NOT RUN'
    if row.get('met') is None:
        return '-'
    return 'met' if row['met'] else 'MISSED'


def format_stat(row):
    stat = row['stat']
    if not stat.get('n'):
        return 'n/a'
    unit = (' ' + row['unit']) if row.get('unit') and row['unit'] != 'x' else ('x' if row.get('unit') == 'x' else '')

    def num(value):
        return ('%g' % value) if isinstance(value, (int, float)) else str(value)
    if stat['min'] == stat['max']:
        text = '%s%s' % (num(stat['median']), unit)
    else:
        text = '%s%s [%s-%s]' % (num(stat['median']), unit, num(stat['min']), num(stat['max']))
    return '%s (n=%d)' % (text, stat['n'])


def table_text(rows):
    lines = ['| # | measurement | median [min-max] | absolute times and details | target | verdict |',
             '|---|---|---|---|---|---|']
    for row in rows:
        details = row.get('absolute') or ''
        if row.get('errors'):
            details += ' ERRORS: %s' % '; '.join((e.strip().splitlines() or [''])[-1][:200] for e in row['errors'])
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            row['id'], row['what'], format_stat(row), details.replace('|', '/').replace('\n', ' '), row.get('target') or '-',
            verdict(row)))
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    workroot = args.workdir or benchlib.make_tempdir('nats-bench.')
    os.makedirs(workroot, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    sampler = LoadSampler().start()
    results = dict(started=time.strftime('%Y-%m-%dT%H:%M:%S%z'), machine=benchlib.machine_info(),
                   settings=dict((k, v) for k, v in vars(args).items()), measurements={}, rows=[], errors={})
    cluster = None
    rows = []
    try:
        results['collections_path'] = benchlib.prepare_environment(workroot, args.collections_path)
        harness = benchlib.Harness(os.path.join(workroot, 'cluster'))
        versions = set([args.server_version] + ([args.from_version, args.to_version] if 4 in args.only else []))
        for version in sorted(versions):
            harness.install(version)
        results['machine']['nats_server'] = sorted(versions)

        if 1 in args.only or 3 in args.only:
            cluster = harness
            env = harness.start('cluster', args.server_version, ttl=3600)
            benchlib.log('3-node cluster on %s: %s' % (env['nats_server_version'], ', '.join(env['nats_urls'])))
            for number, name, module in ((1, 'snapshot', snapshot), (3, 'gate_latency', gate_latency)):
                if number not in args.only:
                    continue
                step = time.monotonic()
                try:
                    if number == 1:
                        results['measurements'][name] = module.measure(args, workroot, env)
                    else:
                        results['measurements'][name] = module.measure(args, workroot, env, harness)
                    rows += module.rows(results['measurements'][name])
                except benchlib.BenchError as exc:
                    results['errors'][name] = str(exc)
                    benchlib.log('measurement %d failed: %s' % (number, exc))
                results['measurements'].setdefault(name, {})['seconds'] = round(time.monotonic() - step, 1)
            harness.stop()
            cluster = None
        if 2 in args.only:
            step = time.monotonic()
            try:
                results['measurements']['scale'] = scale.measure(args, workroot)
                rows += scale.rows(results['measurements']['scale'], args)
            except benchlib.BenchError as exc:
                results['errors']['scale'] = str(exc)
                benchlib.log('measurement 2 failed: %s' % exc)
            results['measurements'].setdefault('scale', {})['seconds'] = round(time.monotonic() - step, 1)
        if 4 in args.only:
            step = time.monotonic()
            options = argparse.Namespace(**dict(vars(args), reps=args.rollout_reps))
            try:
                results['measurements']['rollout'] = rollout.measure(options, workroot)
                rows += rollout.rows(results['measurements']['rollout'])
            except benchlib.BenchError as exc:
                results['errors']['rollout'] = str(exc)
                benchlib.log('measurement 4 failed: %s' % exc)
            results['measurements'].setdefault('rollout', {})['seconds'] = round(time.monotonic() - step, 1)
        if 5 in args.only:
            step = time.monotonic()
            try:
                results['measurements']['replay_scale'] = replay_scale.measure(args, workroot)
                rows += replay_scale.rows(results['measurements']['replay_scale'])
                results['errors'].update(('replay_scale.%s' % name, part['error']) for name, part in
                                         results['measurements']['replay_scale'].items()
                                         if isinstance(part, dict) and part.get('error'))
            except benchlib.BenchError as exc:
                results['errors']['replay_scale'] = str(exc)
                benchlib.log('measurement 5 failed: %s' % exc)
            results['measurements'].setdefault('replay_scale', {})['seconds'] = round(time.monotonic() - step, 1)
    except benchlib.BenchError as exc:
        results['errors']['setup'] = str(exc)
        benchlib.log('set-up failed: %s' % exc)
    finally:
        if cluster is not None:
            cluster.stop()
        results['loadavg_during_run'] = sampler.stop()
        results['runtime_s'] = round(time.monotonic() - started, 1)
        results['rows'] = rows
        results['table'] = table_text(rows)
        with open(args.json, 'w') as handle:
            json.dump(results, handle, indent=1, sort_keys=True, default=str)
        if not args.keep and not args.workdir:
            shutil.rmtree(workroot, ignore_errors=True)
    print(results['table'])
    print()
    load = results['loadavg_during_run']
    print('runtime %.0f s; 1-minute load average during the run: median %s, max %s; results in %s%s' % (
        results['runtime_s'], load['median'], load['max'], args.json,
        '; scratch kept in %s' % workroot if (args.keep or args.workdir) else ''))
    for name, error in results['errors'].items():
        print('ERROR in %s: %s' % (name, error))
    missed = [r['id'] for r in rows if verdict(r) == 'MISSED']
    met = sum(1 for r in rows if verdict(r) == 'met')
    print('targets: %d met, %d missed%s' % (met, len(missed), (' (%s)' % ', '.join(missed)) if missed else ''))
    return 1 if results['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
