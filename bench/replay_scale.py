# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measurement 5: scale by simulation (issue 12) - what no machine here can run for real.

The replay (tools/replay, a separate process) serves the monitoring ports of many simulated servers,
each on its own loopback address and the same port, built from answers recorded from real 2.15.1
servers and scaled: clusters joined by gateways, R3 streams placed across each cluster's servers,
consumers on the stream's peers, one stream replica lagging 5,000 entries behind its leader.

- 5a-5c nats_gate over a supercluster of 4 x 25 servers with 10,000 R3 streams and 30,000
  consumers: one round (wait=false) as Ansible runs the module (probe interpreter: wall time and
  peak RSS of the module process), and whether its verdict names the lagging replica and nothing else;
  beside it the round in this process (read and judge) and where its time goes, step by step.
- 5d inventory discovery of 8 x 25 = 200 servers over routes and gateways from one seed URL
  (`ansible-inventory --list` with the nats inventory plugin).
- 5e-5g nats_info of one server with 50,000 client connections: all returned, the client call
  against one raw GET of the whole list, peak RSS of the module process.
- 5h the gate's cost against servers (3 ... 100, 1,000 streams) and streams (100 ... 10,000 at 100
  servers): module process time and peak RSS, plotted by bench/plot_scale.py (matplotlib, in the
  bench venv) into docs/performance-scale.png (the scratch folder with --quick)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time

import benchlib

REPLAY = os.path.join(benchlib.TOOLS, 'replay')
PLOT = os.path.join(benchlib.BENCH, 'plot_scale.py')
DEFAULT_PLOT = os.path.join(benchlib.ROOT, 'docs', 'performance-scale.png')
RAW_LIMIT = 1000000

# (clusters, servers per cluster, streams); consumers are 3 per stream, replicas 3.
SWEEP_SERVERS = ((1, 3, 1000), (4, 3, 1000), (4, 6, 1000), (4, 13, 1000), (4, 25, 1000))
SWEEP_STREAMS = ((4, 25, 100), (4, 25, 1000), (4, 25, 3000), (4, 25, 10000))
QUICK_SWEEP_SERVERS = ((1, 3, 1000), (4, 25, 1000))
QUICK_SWEEP_STREAMS = ((4, 25, 100), (4, 25, 1000), (4, 25, 10000))
# --quick: client connections of measurement 5e-5g (a smoke run; the target is about 50,000).
QUICK_CONNECTIONS = 20000


class Replay:
    """tools/replay in a process of its own, stopped on exit (also on failure)."""

    def __init__(self, workdir, label, **options):
        self.log_path = os.path.join(workdir, 'replay-%s.log' % label)
        self.cmd = [sys.executable, REPLAY, '--ttl', '3600']
        for key, value in sorted(options.items()):
            if value is True:
                self.cmd.append('--%s' % key.replace('_', '-'))
            elif value is not None and value is not False:
                self.cmd += ['--%s' % key.replace('_', '-'), str(value)]
        self.proc = None
        self.info = None

    def __enter__(self):
        started = time.monotonic()
        with open(self.log_path, 'w') as log:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=log, universal_newlines=True)
        deadline = started + 600
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if line:
                    self.info = json.loads(line)
                    self.info['start_s'] = round(time.monotonic() - started, 2)
                    return self
            if self.proc.poll() is not None:
                break
        self.__exit__()
        with open(self.log_path) as log:
            raise benchlib.BenchError('the replay did not start (%s): %s' % (' '.join(self.cmd), log.read()[-1500:]))

    def __exit__(self, *_exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()

    def urls(self):
        return list(self.info['urls'].values())


def expected_problems(info):
    return ['stream %s (account %s): replica %s not current (lag %d)' % (lag['stream'], lag['account'], lag['replica'],
                                                                         lag['lag'])
            for lag in info['lagging']]


def gate_module(urls, probe, workdir, label):
    """One nats_gate round as Ansible runs it: module seconds, peak RSS, problems, attempts."""
    run = benchlib.run_module('nats_tools.nats.nats_gate', dict(urls=urls, wait=False), probe, workdir, label,
                              timeout=600)
    result = benchlib.adhoc_result(run['log']) or {}
    if run['module_s'] is None or 'problems' not in result:
        raise benchlib.BenchError('nats_gate over %d servers gave no verdict (exit %s): %s' % (
            len(urls), run['rc'], str(result.get('msg'))[:300]))
    return dict(module_s=run['module_s'], maxrss_mib=run['maxrss_mib'], ansible_s=run['ansible_s'],
                problems=result['problems'], attempts=result.get('attempts'), passed=result.get('passed'))


def gate_in_process(urls):
    """The round the module makes, in this process: (read seconds, judge seconds, verdict)."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
    from ansible_collections.nats_tools.nats.plugins.module_utils.gate import ClusterReader, evaluate_gate
    from ansible_collections.nats_tools.nats.plugins.module_utils.reader import collection_paused
    from ansible_collections.nats_tools.nats.plugins.module_utils.transport import TransportOptions, make_transport
    transport = make_transport(TransportOptions(), pool_size=max(8, len(urls)))
    try:
        reader = ClusterReader([NatsMonitor(u, transport=transport) for u in urls])
        with collection_paused():
            started = time.perf_counter()
            servers = reader.read()
            read_s = time.perf_counter() - started
            started = time.perf_counter()
            verdict = evaluate_gate(servers)
            judge_s = time.perf_counter() - started
        del servers
        return read_s, judge_s, verdict
    finally:
        transport.close()


def gate_steps(urls):
    """Where a round's time goes, one step at a time over every server, in this process and one
    thread: the raw GETs (transfer), json.loads, the shape check, the gate's cut of /jsz, the verdict."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import DEFAULT_PAGE_SIZE, ENDPOINTS, build_query
    from ansible_collections.nats_tools.nats.plugins.module_utils.gate import GATE_JSZ_QUERY, evaluate_gate
    from ansible_collections.nats_tools.nats.plugins.module_utils.gate_jetstream import gate_jsz_view
    from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import healthz_params
    from ansible_collections.nats_tools.nats.plugins.module_utils.reader import collection_paused
    from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
    from ansible_collections.nats_tools.nats.plugins.module_utils.shapes import answer_problem
    queries = dict(varz='', routez='', gatewayz='', leafz='',
                   healthz=build_query(ENDPOINTS['healthz'], healthz_params(version='2.15.1', js_meta_only=True,
                                                                            details=True)),
                   jsz=build_query(ENDPOINTS['jsz'], dict(GATE_JSZ_QUERY, limit=DEFAULT_PAGE_SIZE)))
    steps = dict(get_s=0.0, loads_s=0.0, shape_s=0.0, cut_s=0.0, judge_s=0.0, bytes=0)
    servers = []
    with collection_paused():
        for url in urls:
            answers = {}
            for name, query in queries.items():
                status, body, seconds = benchlib.raw_get(url + '/' + name + ('?' + query if query else ''))
                steps['get_s'] += seconds
                steps['bytes'] += len(body)
                started = time.perf_counter()
                document = json.loads(body)
                steps['loads_s'] += time.perf_counter() - started
                started = time.perf_counter()
                answer_problem(name, document)
                steps['shape_s'] += time.perf_counter() - started
                if name == 'jsz':
                    started = time.perf_counter()
                    document = gate_jsz_view(document, answers['varz'][1].get('server_name'))
                    steps['cut_s'] += time.perf_counter() - started
                answers[name] = (status, document)
            servers.append(NatsServer(url, varz=answers['varz'][1], healthz_status=answers['healthz'][0],
                                      healthz=answers['healthz'][1], routez=answers['routez'][1],
                                      gatewayz=answers['gatewayz'][1], leafz=answers['leafz'][1], jsz=answers['jsz'][1]))
        started = time.perf_counter()
        evaluate_gate(servers)
        steps['judge_s'] = time.perf_counter() - started
    return dict((k, round(v, 3)) for k, v in steps.items())


def measure_gate(options, workdir):
    probe = benchlib.ModuleProbe(workdir, 'gate')
    out = dict(runs=[], in_process=[])
    with Replay(workdir, 'gate', clusters=4, per_cluster=25, streams=10000, consumers=30000) as replay:
        out.update(replay_start_s=replay.info['start_s'], totals=replay.info['totals'],
                   expected=expected_problems(replay.info))
        urls = replay.urls()
        if not options.quick:
            gate_in_process(urls)  # warm-up: this process's imports, the replay's connections
        for index in range(options.reps):
            run = gate_module(urls, probe, workdir, 'gate-%d' % index)
            run['verdict_ok'] = run['problems'] == out['expected'] and run['passed'] is False
            out['runs'].append(run)
            read_s, judge_s, verdict = gate_in_process(urls)
            out['in_process'].append(dict(read_s=read_s, judge_s=judge_s, round_s=read_s + judge_s,
                                          verdict_ok=verdict['problems'] == out['expected']))
            benchlib.log('m5 gate round %d: module %.2f s, %.0f MiB, verdict %s; in-process read %.2f s + judge %.2f s' % (
                index, run['module_s'], run['maxrss_mib'], 'ok' if run['verdict_ok'] else run['problems'][:3],
                read_s, judge_s))
        if not options.quick:
            out['steps'] = gate_steps(urls)
            benchlib.log('m5 gate steps: %s' % out['steps'])
        baseline = benchlib.run_module('nats_tools.nats.nats_gate', dict(urls=urls[:1], wait=False, checks=['reachable']),
                                       probe, workdir, 'gate-fixed')
        out['fixed'] = dict(module_s=baseline['module_s'], maxrss_mib=baseline['maxrss_mib'])
    return out


def measure_discovery(options, workdir):
    out = dict(runs=[])
    with Replay(workdir, 'discovery', clusters=8, per_cluster=25, streams=2000, consumers=2000, octet=78) as replay:
        seed = replay.urls()[0]
        config = os.path.join(workdir, 'discovery.nats.yml')
        with open(config, 'w') as handle:
            json.dump(dict(plugin='nats_tools.nats.nats', urls=[seed], discover_routes=True, discover_gateways=True),
                      handle)
        out['servers'] = replay.info['totals']['servers']
        for index in range(options.reps + 1):  # the first is a warm-up (the replay renders on first request)
            rc, wall, log = benchlib.run_ansible(['ansible-inventory', '-i', config, '--list'], workdir,
                                                 'discovery-%d.log' % index, timeout=300)
            hosts, unreachable = inventory_hosts(log)
            if rc != 0:
                raise benchlib.BenchError('ansible-inventory failed (exit %d), see %s' % (rc, log))
            if index:
                out['runs'].append(dict(wall_s=wall, hosts=hosts, unreachable=unreachable))
                benchlib.log('m5 discovery %d: %.2f s, %d hosts, %d unreachable' % (index, wall, hosts, unreachable))
        static = os.path.join(workdir, 'static.ini')
        with open(static, 'w') as handle:
            handle.write('localhost\n')
        fixed = []
        for index in range(options.reps):
            fixed.append(benchlib.run_ansible(['ansible-inventory', '-i', static, '--list'], workdir,
                                              'inventory-fixed-%d.log' % index)[1])
        out['fixed_s'] = fixed
    return out


def inventory_hosts(log):
    """(hosts, unreachable hosts) in an `ansible-inventory --list` output."""
    with open(log) as handle:
        text = handle.read()
    start = text.find('{')
    try:
        data = json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else {}
    except ValueError:
        return 0, 0
    hostvars = (data.get('_meta') or {}).get('hostvars') or {}
    return len(hostvars), len((data.get('nats_unreachable') or {}).get('hosts') or [])


def measure_connz(options, workdir):
    # pylint: disable=import-outside-toplevel
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
    probe = benchlib.ModuleProbe(workdir, 'info')
    count = options.replay_connections or (QUICK_CONNECTIONS if options.quick else 50000)
    out = dict(connections=count, runs=[])
    with Replay(workdir, 'connz', clusters=1, per_cluster=1, replicas=1, streams=0, consumers=0, connections=count,
                octet=79) as replay:
        url = replay.urls()[0]
        args = dict(url=url, gather_subset=['connz'], max_items=0)
        for _warm in range(2):  # the replay renders each page on first request
            NatsMonitor(url).connz(max_items=0)
            benchlib.raw_get(url + '/connz?limit=%d' % RAW_LIMIT, timeout=120)
        for index in range(options.reps):
            status, body, raw_s = benchlib.raw_get(url + '/connz?limit=%d' % RAW_LIMIT, timeout=120)
            if status != 200:
                raise benchlib.BenchError('%s/connz answered %s' % (url, status))
            started = time.perf_counter()
            raw_items = len(json.loads(body)['connections'])
            loads_s = time.perf_counter() - started
            raw_bytes = len(body)
            del body
            monitor = NatsMonitor(url)
            started = time.perf_counter()
            document = monitor.connz(max_items=0)
            client_s = time.perf_counter() - started
            client_items = len(document.get('connections') or [])
            monitor.close()
            del document
            run = benchlib.run_module('nats_tools.nats.nats_info', args, probe, workdir, 'connz-%d' % index, timeout=600)
            result = benchlib.adhoc_result(run['log']) or {}
            if run['rc'] != 0 or run['module_s'] is None:
                raise benchlib.BenchError('nats_info connz failed (exit %s): %s' % (run['rc'], str(result.get('msg'))[:300]))
            items = len(((result.get('connz') or {}).get('connections')) or [])
            out['runs'].append(dict(raw_s=raw_s, raw_bytes=raw_bytes, raw_items=raw_items, loads_s=loads_s, client_s=client_s,
                                    client_items=client_items, module_s=run['module_s'], ansible_s=run['ansible_s'],
                                    maxrss_mib=run['maxrss_mib'], items=items,
                                    truncated=bool((result.get('connz') or {}).get('truncated'))))
            del result
            benchlib.log('m5 connz %d: raw GET %.3f s, client %.3f s (%d items), module %.2f s, %.0f MiB, %d items' % (
                index, raw_s, client_s, client_items, run['module_s'], run['maxrss_mib'], items))
    return out


def measure_sweep(options, workdir, gate=None):
    """The gate at each point of SWEEP_SERVERS and SWEEP_STREAMS; a shape measured once serves both
    axes, and 100 servers with 10,000 streams is measurement 5a's (``gate``) when it has runs."""
    probe = benchlib.ModuleProbe(workdir, 'sweep')
    reps = 1 if options.quick else 3
    axes = (('servers', QUICK_SWEEP_SERVERS if options.quick else SWEEP_SERVERS),
            ('streams', QUICK_SWEEP_STREAMS if options.quick else SWEEP_STREAMS))
    measured = {}
    if gate and gate.get('runs'):
        measured[(4, 25, 10000)] = dict(runs=gate['runs'], read_s=gate['in_process'][-1]['read_s'],
                                        judge_s=gate['in_process'][-1]['judge_s'], from_5a=True)
    points = []
    for axis, shapes in axes:
        for shape in shapes:
            if shape not in measured:
                measured[shape] = sweep_point(shape, reps, probe, workdir)
            clusters, per_cluster, streams = shape
            data = measured[shape]
            point = dict(axis=axis, servers=clusters * per_cluster, clusters=clusters, streams=streams,
                         consumers=3 * streams, module_s=benchlib.summary([r['module_s'] for r in data['runs']]),
                         maxrss_mib=benchlib.summary([r['maxrss_mib'] for r in data['runs']], 1),
                         verdict_ok=all(r['verdict_ok'] for r in data['runs']), read_s=round(data['read_s'], 3),
                         judge_s=round(data['judge_s'], 3), from_5a=data.get('from_5a', False))
            points.append(point)
    return dict(points=points, reps=reps)


def sweep_point(shape, reps, probe, workdir):
    clusters, per_cluster, streams = shape
    label = '%dx%d-%d' % shape
    with Replay(workdir, 'sweep-' + label, clusters=clusters, per_cluster=per_cluster, streams=streams,
                consumers=3 * streams) as replay:
        urls = replay.urls()
        expected = expected_problems(replay.info)
        gate_in_process(urls)  # warm-up
        runs = [gate_module(urls, probe, workdir, 'sweep-%s-%d' % (label, i)) for i in range(reps)]
        for run in runs:
            run['verdict_ok'] = run['problems'] == expected
        read_s, judge_s, _verdict = gate_in_process(urls)
    benchlib.log('m5 sweep %s: module %.2f s, %.0f MiB, in-process read %.2f + judge %.2f s' % (
        label, benchlib.summary([r['module_s'] for r in runs])['median'], max(r['maxrss_mib'] for r in runs), read_s,
        judge_s))
    return dict(runs=runs, read_s=read_s, judge_s=judge_s)


def plot(options, workroot, sweep):
    """docs/performance-scale.png (a full run) or <scratch>/performance-scale.png (--quick) with the
    bench venv's matplotlib; returns (path, None) or (None, why not)."""
    python, reason = benchlib.bench_python(options)
    if python is None:
        return None, reason
    path = options.plot or (os.path.join(workroot, 'performance-scale.png') if options.quick else DEFAULT_PLOT)
    data = os.path.join(workroot, 'sweep.json')
    benchlib.write_json(data, sweep)
    proc = subprocess.run([python, PLOT, data, path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    if proc.returncode != 0:
        return None, 'plot_scale.py failed (exit %d): %s' % (proc.returncode, proc.stdout[-500:])
    return path, None


def measure(options, workroot):
    """--quick: one repetition, no warm-up round and no step-by-step breakdown of 5a, QUICK_CONNECTIONS
    connections, fewer sweep points."""
    options = argparse.Namespace(**dict(vars(options), reps=1 if options.quick else options.reps))
    workdir = os.path.join(workroot, 'm5')
    os.makedirs(workdir)
    benchlib.collection_import_path()
    out = dict()
    for name, step in (('gate', measure_gate), ('discovery', measure_discovery), ('connz', measure_connz),
                       ('sweep', lambda o, w: measure_sweep(o, w, out.get('gate')))):
        started = time.monotonic()
        try:
            out[name] = step(options, workdir)
        except benchlib.BenchError as exc:
            out[name] = dict(error=str(exc))
            benchlib.log('m5 %s failed: %s' % (name, exc))
        out[name]['seconds'] = round(time.monotonic() - started, 1)
    if 'points' in out['sweep']:
        out['plot'], out['plot_error'] = plot(options, workroot, out['sweep'])
    return out


def rows(result, _options=None):
    table = []
    gate = result.get('gate') or {}
    runs = gate.get('runs') or []
    in_process = gate.get('in_process') or []
    error = [gate['error']] if gate.get('error') else []
    steps = gate.get('steps') or {}
    fixed = gate.get('fixed') or {}
    module = benchlib.summary([r['module_s'] for r in runs], 2)
    totals = gate.get('totals') or {}
    table.append(dict(
        id='5a', what='nats_gate, one round over 100 servers (4 x 25), 10,000 R3 streams, 30,000 consumers: module '
                      'process', stat=module, unit='s',
        absolute='in this process: read %s s + judge %s s; %smodule fixed cost (one server, reachable only) %s s; '
                 '%s stream and %s consumer replicas' % (
                     benchlib.summary([r['read_s'] for r in in_process], 2)['median'],
                     benchlib.summary([r['judge_s'] for r in in_process], 2)['median'],
                     ('one thread, step by step over every server: GET %s s (%.0f MiB), json.loads %s s, shape check %s s, '
                      'cut of /jsz %s s, verdict %s s; ' % (steps['get_s'], steps['bytes'] / benchlib.MIB, steps['loads_s'],
                                                            steps['shape_s'], steps['cut_s'], steps['judge_s'])
                      if steps else ''),
                     round(fixed.get('module_s') or 0, 2), totals.get('stream_replicas'), totals.get('consumer_replicas')),
        target='<= 3 s', met=module['median'] is not None and module['median'] <= 3.0, errors=error))
    rss = benchlib.summary([r['maxrss_mib'] for r in runs], 1)
    table.append(dict(id='5b', what='nats_gate at that scale: peak RSS of the module process', stat=rss, unit='MiB',
                      absolute='fixed cost %.1f MiB' % (fixed.get('maxrss_mib') or 0), target='<= 300 MiB',
                      met=rss['max'] is not None and rss['max'] <= 300))
    right = benchlib.summary([sum(1 for r in runs if r['verdict_ok'])] if runs else [], 0)
    table.append(dict(id='5c', what='nats_gate at that scale: verdicts naming the lagging replica and nothing else',
                      stat=right, unit='of %d runs' % len(runs),
                      absolute='expected: %s; got: %s' % ('; '.join(gate.get('expected') or []), '; '.join(
                          (runs[0]['problems'] if runs else [])[:3])),
                      target='all', met=bool(runs) and all(r['verdict_ok'] for r in runs)))

    discovery = result.get('discovery') or {}
    druns = discovery.get('runs') or []
    wall = benchlib.summary([r['wall_s'] for r in druns], 2)
    servers = discovery.get('servers') or 200
    table.append(dict(
        id='5d', what='inventory discovery of %d servers (8 x 25) over routes and gateways, one seed: ansible-inventory '
                      '--list' % servers, stat=wall, unit='s',
        absolute='hosts found %s (unreachable %s); ansible-inventory with a one-host static inventory %s s' % (
            sorted(set(r['hosts'] for r in druns)), sorted(set(r['unreachable'] for r in druns)),
            benchlib.summary(discovery.get('fixed_s') or [], 2)['median']),
        target='<= 5 s, all %d found' % servers,
        met=bool(druns) and wall['median'] <= 5.0 and all(r['hosts'] == servers and not r['unreachable'] for r in druns),
        errors=[discovery['error']] if discovery.get('error') else []))

    connz = result.get('connz') or {}
    cruns = connz.get('runs') or []
    count = connz.get('connections') or 0
    items = benchlib.summary([r['items'] for r in cruns], 0)
    table.append(dict(
        id='5e', what='nats_info, one server with %d connections: connections returned' % count, stat=items,
        unit='items', absolute='raw GET returned %s; client call %s; truncated: %s' % (
            sorted(set(r['raw_items'] for r in cruns)), sorted(set(r['client_items'] for r in cruns)),
            any(r['truncated'] for r in cruns)),
        target='all %d' % count, met=bool(cruns) and items['min'] == count and not any(r['truncated'] for r in cruns),
        errors=[connz['error']] if connz.get('error') else []))
    ratio = benchlib.summary([r['client_s'] / r['raw_s'] for r in cruns], 2)
    table.append(dict(
        id='5f', what='nats_info connz: client call (paged, parsed, checked) / one raw GET of the whole list',
        stat=ratio, unit='x', absolute='raw GET %s s (%.1f MiB, not parsed; json.loads of it alone %s s); client call %s s; '
                                       'whole module process %s s'
                                       % (benchlib.summary([r['raw_s'] for r in cruns])['median'],
                                          (cruns[0]['raw_bytes'] if cruns else 0) / benchlib.MIB,
                                          benchlib.summary([r['loads_s'] for r in cruns])['median'],
                                          benchlib.summary([r['client_s'] for r in cruns])['median'],
                                          benchlib.summary([r['module_s'] for r in cruns], 2)['median']),
        target='<= 2x', met=ratio['median'] is not None and ratio['median'] <= 2.0))
    rss = benchlib.summary([r['maxrss_mib'] for r in cruns], 1)
    table.append(dict(id='5g', what='nats_info connz at that scale: peak RSS of the module process', stat=rss,
                      unit='MiB', absolute='', target='<= 400 MiB', met=rss['max'] is not None and rss['max'] <= 400))

    sweep = result.get('sweep') or {}
    points = sweep.get('points') or []
    text = '; '.join('%s servers/%s streams: %s s, %s MiB' % (
        p['servers'], p['streams'], p['module_s']['median'], p['maxrss_mib']['max']) for p in points)
    table.append(dict(
        id='5h', what='nats_gate module process against servers and streams (plot: %s)' % (
            os.path.relpath(result['plot'], benchlib.ROOT) if result.get('plot') else result.get('plot_error') or 'none'),
        stat=benchlib.summary([sum(1 for p in points if p['verdict_ok'])] if points else [], 0),
        unit='of %d points with the right verdict' % len(points),
        absolute=text, target=None, met=None, errors=[sweep['error']] if sweep.get('error') else []))
    return table
