# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measurement 3: how soon nats_gate (wait=true) returns once a restarted server is healthy.

One follower of the 3-node cluster is stopped (SIGTERM), `ansible localhost -m nats_gate` is
started with wait=true and restarted=<that server> (as the role's post gate), and once its module process runs (and has failed at least once) the
server is started again. A side poller samples that server's /healthz every 50 ms. The delay is
from the server's /healthz turning 200 for good (the start of the run of 200s in progress when
the gate returned) to the end of the gate's module process; the first 200 after the restart and
the ad hoc command's own return are reported beside it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import time

import benchlib


def meta_leader(url):
    status, body, _seconds = benchlib.raw_get(url + '/jsz', timeout=5)
    if status != 200:
        return None
    return (json.loads(body).get('meta_cluster') or {}).get('leader')


def measure(options, workroot, env, harness):
    workdir = os.path.join(workroot, 'm3')
    os.makedirs(workdir)
    probe = benchlib.ModuleProbe(workdir, 'gate')
    names = env['nats_server_names']
    leader = meta_leader(env['nats_urls'][0])
    victim = next(n for n in names if n != leader)
    url = env['nats_servers'][victim]['monitor_url']
    # As the role's post gate asks: `restarted` passes only on evidence that the server caught up.
    args = dict(urls=env['nats_urls'], server_names=names, wait=True, wait_timeout=90,
                wait_interval=options.wait_interval, restarted=victim)
    poller = benchlib.HealthzPoller({victim: url}, interval=options.poll_interval, max_seconds=1200).start()
    runs = []
    try:
        for index in range(options.reps):
            runs.append(one_restart(index, victim, url, args, probe, harness, poller, workdir))
            benchlib.log('m3 restart %d of %s: %s' % (index, victim, dict(
                (k, runs[-1].get(k)) for k in ('delay_s', 'delay_first_200_s', 'ansible_delay_s', 'attempts', 'error'))))
            time.sleep(1.0)
    finally:
        poller.stop()
    return dict(victim=victim, meta_leader=leader, wait_interval=options.wait_interval,
                poll_interval=options.poll_interval, runs=runs)


def one_restart(index, victim, url, args, probe, harness, poller, workdir):
    out = dict(rep=index)
    harness.call('kill', '--server', victim, '--signal', 'TERM', '--timeout', 60)
    probe.clear()
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'nats_tools.nats.nats_gate',
           '-a', json.dumps(args), '-e', 'ansible_python_interpreter=%s' % probe.path]
    log_path = os.path.join(workdir, 'gate-%d.log' % index)
    with open(log_path, 'w') as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        deadline = time.monotonic() + 60
        while not probe.entries('start') and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if not probe.entries('start'):
            raise benchlib.BenchError('the gate module did not start (see %s)' % log_path)
        time.sleep(1.5 * args['wait_interval'])  # the gate has seen the server down at least once
        restarted = time.time()
        harness.call('start-one', '--server', victim, '--timeout', 60)
        try:
            proc.wait(timeout=150)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise benchlib.BenchError('the gate did not return within 150 s')
        ansible_end = time.time()
    except benchlib.BenchError as exc:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        harness.call('start-one', '--server', victim, '--timeout', 60, check=False)
        out['error'] = str(exc)
        return out
    ends = probe.entries()
    result = benchlib.adhoc_result(log_path) or {}
    if proc.returncode != 0 or not ends:
        out['error'] = 'the gate failed (exit %s): %s' % (proc.returncode, str(result.get('msg'))[:300])
        return out
    module_end = ends[-1]['end']
    samples = [(t, s) for t, s in poller.of(victim) if t >= restarted and t <= module_end + 0.5]
    first_200 = next((t for t, s in samples if s == 200), None)
    before_end = [(t, s) for t, s in samples if t <= module_end]
    last_bad = max([t for t, s in before_end if s != 200] or [restarted])
    stable_200 = next((t for t, s in before_end if t > last_bad and s == 200), None)
    out.update(
        restarted=restarted, first_200=first_200, stable_200=stable_200, module_end=module_end,
        ansible_end=ansible_end, attempts=result.get('attempts'), gate_elapsed=result.get('elapsed'),
        delay_s=round(module_end - stable_200, 3) if stable_200 else None,
        delay_first_200_s=round(module_end - first_200, 3) if first_200 else None,
        ansible_delay_s=round(ansible_end - stable_200, 3) if stable_200 else None,
        restart_to_200_s=round(stable_200 - restarted, 3) if stable_200 else None,
        non_200_after_first_200=sum(1 for t, s in samples if first_200 and first_200 < t <= module_end and s != 200))
    return out


def rows(result):
    runs = [r for r in result['runs'] if 'error' not in r]
    errors = [r['error'] for r in result['runs'] if 'error' in r]
    delays = benchlib.summary([r['delay_s'] for r in runs])
    limit = result['wait_interval'] + 0.3
    return [
        dict(id='3a', what='gate latency: /healthz 200 for good -> nats_gate module returns', stat=delays, unit='s',
             absolute='wait_interval %s s; from the first 200 after restart %s s (max %s); ad hoc command returns %s s' % (
                 result['wait_interval'],
                 benchlib.summary([r['delay_first_200_s'] for r in runs])['median'],
                 benchlib.summary([r['delay_first_200_s'] for r in runs])['max'],
                 benchlib.summary([r['ansible_delay_s'] for r in runs])['median']),
             target='median <= %.2f s' % limit, met=delays['median'] is not None and delays['median'] <= limit,
             errors=errors),
    ]
