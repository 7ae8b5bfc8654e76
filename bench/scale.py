# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measurement 2: one server with 5,000 client connections and 2,000 memory streams.

Full /connz and full /jsz with streams through nats_info vs. one raw GET with a limit that holds
everything. The module runs as Ansible runs it (`ansible localhost -m nats_tools.nats.nats_info`)
with a probe interpreter that records the module process's wall time and peak RSS
(getrusage(RUSAGE_CHILDREN).ru_maxrss). The same module with gather_subset=[varz] gives the
module process's fixed cost (interpreter, imports, argument parsing). Beside them: the client
call the module makes, timed in this process, and the nats-tools library's NATSMonitor."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import contextlib
import importlib
import io
import json
import os
import subprocess
import tempfile
import time

import benchlib

RAW_LIMIT = 1000000


def create_streams(client_url, count, concurrency=32):
    """``count`` R1 memory streams BENCH0000.. on subjects bench.<i>; returns seconds."""
    import nats  # pylint: disable=import-outside-toplevel
    from nats.js.api import StorageType, StreamConfig  # pylint: disable=import-outside-toplevel

    async def main():
        nc = await nats.connect(servers=[client_url], connect_timeout=5, max_reconnect_attempts=3, name='bench-streams')
        try:
            js = nc.jetstream(timeout=20)
            gate = asyncio.Semaphore(concurrency)

            async def one(i):
                async with gate:
                    await js.add_stream(StreamConfig(name='BENCH%04d' % i, subjects=['bench.%d' % i],
                                                     storage=StorageType.MEMORY, num_replicas=1))
            await asyncio.gather(*(one(i) for i in range(count)))
        finally:
            await nc.close()

    started = time.monotonic()
    asyncio.run(main())
    return time.monotonic() - started


def jsz_streams(jsz):
    return sum(len(acc.get('stream_detail') or []) for acc in (jsz or {}).get('account_details') or [])


def natstools_python(options):
    """An interpreter that imports nats_tools.monitor (PyPI nats-tools): see benchlib.bench_python."""
    return benchlib.bench_python(options)


def module_main(name, args):
    """The module's main() run in this process, as its AnsiballZ wrapper runs it but without the
    interpreter start-up and imports: (seconds, result printed by exit_json/fail_json)."""
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.testing import patch_module_args
    module = importlib.import_module('ansible_collections.nats_tools.nats.plugins.modules.%s' % name)
    output = io.StringIO()
    with patch_module_args(dict(args, _ansible_remote_tmp=tempfile.gettempdir(), _ansible_keep_remote_files=False)):
        started = time.perf_counter()
        with contextlib.redirect_stdout(output):
            try:
                module.main()
            except SystemExit:
                pass
        seconds = time.perf_counter() - started
    return seconds, json.loads(output.getvalue())


def measure(options, workroot):
    workdir = os.path.join(workroot, 'm2')
    os.makedirs(workdir)
    harness = benchlib.Harness(workdir)
    out = dict(connections=options.connections, streams=options.streams)
    try:
        env = harness.start('single', options.server_version, ttl=3600)
        url = env['nats_url']
        out['version'] = env['nats_server_version']
        out['streams_create_s'] = round(create_streams(env['nats_client_url'], options.streams), 2)
        started = time.monotonic()
        harness.call('load-connections', '--count', options.connections, '--batch', 200, '--timeout', 600,
                     timeout=660)
        out['connections_open_s'] = round(time.monotonic() - started, 2)
        benchlib.log('m2: %d streams in %.1f s, %d connections in %.1f s' % (
            options.streams, out['streams_create_s'], options.connections, out['connections_open_s']))
        out.update(measure_server(options, workdir, url))
    finally:
        harness.stop()
    return out


def measure_server(options, workdir, url):
    benchlib.collection_import_path()
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor  # pylint: disable=import-outside-toplevel
    probe = benchlib.ModuleProbe(workdir, 'info')
    cases = dict(
        connz=dict(raw='/connz?limit=%d' % RAW_LIMIT, args=dict(url=url, gather_subset=['connz'], max_items=0),
                   count=lambda d: len((d or {}).get('connections') or []),
                   client=lambda m: m.connz(max_items=0)),
        jsz=dict(raw='/jsz?streams=true&limit=%d' % RAW_LIMIT,
                 args=dict(url=url, gather_subset=['jsz'], jsz=dict(streams=True), max_items=0),
                 count=jsz_streams, client=lambda m: m.jsz(max_items=0, streams=True)),
    )
    data = dict((name, dict(raw_s=[], parse_s=[], raw_bytes=None, raw_items=None, module_s=[], ansible_s=[],
                            maxrss_mib=[], items=[], truncated=[], client_s=[], client_items=None, main_s=[],
                            main_items=None))
                for name in cases)
    baseline = dict(module_s=[], maxrss_mib=[])
    for case in cases.values():  # warm-up: imports of the in-process run, server caches
        module_main('nats_info', case['args'])
    for index in range(options.reps):
        for name, case in cases.items():
            slot = data[name]
            status, body, seconds = benchlib.raw_get(url + case['raw'], timeout=60)
            if status != 200:
                raise benchlib.BenchError('%s%s answered %s' % (url, case['raw'], status))
            started = time.perf_counter()
            parsed = json.loads(body)
            slot['parse_s'].append(time.perf_counter() - started)
            slot['raw_s'].append(seconds)
            slot['raw_bytes'] = len(body)
            slot['raw_items'] = case['count'](parsed)
            del parsed, body

            run = benchlib.run_module('nats_tools.nats.nats_info', case['args'], probe, workdir, '%s-%d' % (name, index))
            result = benchlib.adhoc_result(run['log']) or {}
            if run['rc'] != 0 or run['module_s'] is None:
                raise benchlib.BenchError('nats_info %s failed (exit %s): %s' % (name, run['rc'], str(result.get('msg'))[:300]))
            slot['module_s'].append(run['module_s'])
            slot['ansible_s'].append(run['ansible_s'])
            slot['maxrss_mib'].append(run['maxrss_mib'])
            slot['items'].append(case['count'](result.get(name)))
            slot['truncated'].append(bool((result.get(name) or {}).get('truncated')))
            del result

            seconds, result = module_main('nats_info', case['args'])
            if result.get('failed'):
                raise benchlib.BenchError('nats_info %s in-process failed: %s' % (name, str(result.get('msg'))[:300]))
            slot['main_s'].append(seconds)
            slot['main_items'] = case['count'](result.get(name))
            del result

            monitor = NatsMonitor(url)
            started = time.perf_counter()
            document = case['client'](monitor)
            slot['client_s'].append(time.perf_counter() - started)
            slot['client_items'] = case['count'](document)
            monitor.close()
            del document
        run = benchlib.run_module('nats_tools.nats.nats_info', dict(url=url, gather_subset=['varz']), probe, workdir,
                                  'varz-%d' % index)
        if run['rc'] != 0 or run['module_s'] is None:
            raise benchlib.BenchError('nats_info varz failed (exit %s)' % run['rc'])
        baseline['module_s'].append(run['module_s'])
        baseline['maxrss_mib'].append(run['maxrss_mib'])
        benchlib.log('m2 round %d: connz raw %.3fs module %.2fs (%d items, %.0f MiB); jsz raw %.3fs module %.2fs '
                     '(%d items, %.0f MiB); module fixed cost %.2fs' % (
                         index, data['connz']['raw_s'][-1], data['connz']['module_s'][-1], data['connz']['items'][-1],
                         data['connz']['maxrss_mib'][-1], data['jsz']['raw_s'][-1], data['jsz']['module_s'][-1],
                         data['jsz']['items'][-1], data['jsz']['maxrss_mib'][-1], baseline['module_s'][-1]))
    for name in cases:
        slot = data[name]
        slot['ratio_process'] = [m / r for m, r in zip(slot['module_s'], slot['raw_s'])]
        slot['ratio_main'] = [m / r for m, r in zip(slot['main_s'], slot['raw_s'])]
        slot['ratio_client'] = [c / r for c, r in zip(slot['client_s'], slot['raw_s'])]

    python, reason = natstools_python(options)
    natstools = dict(python=python, error=reason)
    if python:
        proc = subprocess.run([python, os.path.join(benchlib.BENCH, 'natstools_probe.py'), url, str(options.reps)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=600,
                              check=False, cwd=workdir)
        try:
            natstools.update(json.loads(proc.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            natstools['error'] = 'natstools_probe.py failed (exit %d): %s' % (proc.returncode, proc.stderr[-300:])
        try:
            natstools['version'] = subprocess.run(
                [python, '-c', 'from importlib.metadata import version; print(version("nats-tools"))'],
                stdout=subprocess.PIPE, universal_newlines=True, check=False, cwd='/').stdout.strip()
        except OSError:
            pass
    return dict(url=url, cases=data, baseline=baseline, natstools=natstools)


def rows(result, options):
    table = []
    cases = result.get('cases') or {}
    base = benchlib.summary(result.get('baseline', {}).get('module_s', []), 2)['median']
    for name, key, total, label in (('connz', '2', result['connections'], 'connections'),
                                    ('jsz', '2', result['streams'], 'streams')):
        slot = cases.get(name)
        if not slot:
            continue
        items = benchlib.summary(slot['items'], 0)
        suffix = 'abc' if name == 'connz' else 'def'
        table.append(dict(
            id=key + suffix[0], what='%s through nats_info: %s returned (of %d)' % (name, label, total), stat=items,
            unit='items', absolute='raw GET returned %s; truncated: %s' % (slot['raw_items'], any(slot['truncated'])),
            target='all %d' % total, met=items['n'] > 0 and items['min'] == total and not any(slot['truncated'])))
        ratio = benchlib.summary(slot['ratio_main'], 2)
        table.append(dict(
            id=key + suffix[1], what='%s: module run (main(), no interpreter start-up) / raw GET' % name, stat=ratio,
            unit='x',
            absolute='raw GET %s s (%.1f MiB; json.loads %s s); main() %s s; client call alone %s s (%sx); whole module '
                     'process %s s (%sx), of which fixed start-up ~%s s (varz-only run)' % (
                         benchlib.summary(slot['raw_s'])['median'], (slot['raw_bytes'] or 0) / benchlib.MIB,
                         benchlib.summary(slot['parse_s'])['median'], benchlib.summary(slot['main_s'])['median'],
                         benchlib.summary(slot['client_s'])['median'], benchlib.summary(slot['ratio_client'], 2)['median'],
                         benchlib.summary(slot['module_s'], 2)['median'], benchlib.summary(slot['ratio_process'], 1)['median'],
                         base),
            target='<= 2x', met=ratio['median'] is not None and ratio['median'] <= 2.0))
        rss = benchlib.summary(slot['maxrss_mib'], 1)
        table.append(dict(
            id=key + suffix[2], what='%s: peak RSS of the module process' % name, stat=rss, unit='MiB',
            absolute='fixed-cost run (varz only) %s MiB' % benchlib.summary(result['baseline']['maxrss_mib'], 1)['median'],
            target='< 200 MiB', met=rss['max'] is not None and rss['max'] < 200))
    natstools = result.get('natstools') or {}
    if natstools.get('error') or not natstools.get('calls'):
        table.append(dict(id='2g', what='nats-tools NATSMonitor: not run', stat=benchlib.summary([]), unit='',
                          absolute=natstools.get('error') or 'no result', target=None, met=None))
    else:
        for row_id, label, total, what in (('2g', 'connz()', result['connections'], 'connections'),
                                           ('2h', 'jsz()', result['streams'], 'stream details'),
                                           ('2i', 'jsz(streams=True)', result['streams'], 'stream details')):
            call = natstools['calls'].get(label) or {}
            if 'error' in call:
                table.append(dict(id=row_id, what='nats-tools %s %s: failed' % (natstools.get('version'), label),
                                  stat=benchlib.summary([]), unit='', absolute=call['error'][:200], target=None, met=None))
                continue
            table.append(dict(
                id=row_id, what='nats-tools %s NATSMonitor.%s: %s returned (of %d)' % (
                    natstools.get('version', ''), label, what, total),
                stat=benchlib.summary(call.get('items') or [], 0), unit='items',
                absolute='%s s per call; peak RSS %.0f MiB' % (
                    benchlib.summary(call.get('seconds') or [])['median'], natstools.get('maxrss_mib') or 0),
                target=None, met=None))
    _unused = options
    return table
