#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A rolling upgrade of a real local 3-node JetStream cluster under publish load.

Starts the cluster (nats_harness.py, version --from), an R3 stream ORDERS with a durable consumer
PROC, a publisher that publishes with acks at --rate msg/s and a consumer that acks, then runs
playbooks/rolling_upgrade.yml once per --to version against local processes. Prints a table per
server and the publisher's sent / acked / stored / lost counts, writes --result-json, and stops
everything it started.

Exit status: 0 when every expectation of the scenario held, 1 otherwise.
  --fault none         every server ends on the last --to, no acked message lost, every replica
                       current at the end, the meta leader of each rollout upgraded last
  --fault kill-other   while the rollout is on its second server another server is SIGKILLed: the
                       playbook fails, its message names the killed server, no further server is
                       started again
  --fault bad-release  the new release exits at start: the post gate of the first server fails,
                       no other server is touched, no acked message lost
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(COLLECTION_ROOT, 'tests', 'integration', 'targets', 'setup_nats', 'files', 'nats_harness.py')
STREAM = 'ORDERS'
SUBJECT = 'orders.demo'
CONSUMER = 'PROC'


def log(msg):
    sys.stderr.write('[demo %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def harness(workdir, *args, check=True):
    cmd = [sys.executable, HARNESS] + [args[0]] + (['--workdir', workdir] if workdir else []) + list(args[1:])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed:\n%s' % (' '.join(args), proc.stderr[-3000:]))
    return proc


def harness_status(workdir):
    return json.loads(harness(workdir, 'status').stdout)


# ---------------------------------------------------------------------------
# Load: a publisher with acks at a steady rate and a consumer that acks
# ---------------------------------------------------------------------------

class Load:
    """Runs in its own thread with its own asyncio loop."""

    def __init__(self, client_urls, rate):
        self.client_urls = client_urls
        self.rate = rate
        self.sent = 0
        self.acked = {}          # message id -> stream sequence
        self.errors = []         # (time, error text)
        self.consumed = 0
        self.connection_errors = 0
        self.stopping = False
        self.thread = None
        self.failure = None

    def start(self):
        self.thread = threading.Thread(target=self._run, name='load', daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=60)

    def _run(self):
        try:
            asyncio.run(self._main())
        except Exception as exc:  # reported by the scenario, never silently
            self.failure = repr(exc)

    async def _connect(self, name):
        import nats

        async def note_error(exc):
            # Disconnects while servers restart are expected; keep them out of the output.
            self.connection_errors += 1

        return await nats.connect(servers=self.client_urls, name=name, max_reconnect_attempts=-1,
                                  reconnect_time_wait=0.2, connect_timeout=2, allow_reconnect=True,
                                  error_cb=note_error)

    async def _main(self):
        pub = await self._connect('demo-publisher')
        sub = await self._connect('demo-consumer')
        try:
            await asyncio.gather(self._publish(pub.jetstream(timeout=2)), self._consume(sub.jetstream(timeout=2)))
        finally:
            for nc in (pub, sub):
                try:
                    await nc.close()
                except Exception:
                    pass

    async def _publish(self, js):
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.stopping:
            msg_id = 'm%d' % self.sent
            self.sent += 1
            try:
                ack = await js.publish(SUBJECT, msg_id.encode(), headers={'Nats-Msg-Id': msg_id})
                self.acked[msg_id] = ack.seq
            except Exception as exc:
                self.errors.append((time.time(), type(exc).__name__))
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = time.monotonic()  # fell behind during an outage: do not burst

    async def _consume(self, js):
        psub = None
        while not self.stopping:
            try:
                if psub is None:
                    psub = await js.pull_subscribe(SUBJECT, durable=CONSUMER, stream=STREAM)
                for msg in await psub.fetch(50, timeout=1):
                    await msg.ack()
                    self.consumed += 1
            except Exception:
                await asyncio.sleep(0.2)

    def error_window(self):
        if not self.errors:
            return 0.0
        return round(self.errors[-1][0] - self.errors[0][0], 2)


async def stored_ids(client_urls):
    """Every message id in the stream, read back through a fresh ordered consumer."""
    import nats
    nc = await nats.connect(servers=client_urls, name='demo-verify', max_reconnect_attempts=5)
    try:
        js = nc.jetstream(timeout=5)
        info = await js.stream_info(STREAM)
        ids = set()
        sub = await js.subscribe(SUBJECT, ordered_consumer=True, stream=STREAM)
        last = info.state.last_seq
        seen_seq = 0
        while seen_seq < last:
            try:
                msg = await sub.next_msg(timeout=5)
            except Exception:
                break
            seen_seq = msg.metadata.sequence.stream
            ids.add(msg.data.decode())
        await sub.unsubscribe()
        return ids, info.state.messages
    finally:
        await nc.close()


# ---------------------------------------------------------------------------
# The rollout
# ---------------------------------------------------------------------------

def make_bad_release(workdir):
    """A "nats-server" that exits at start (the bad-release fault); returns its path."""
    bad = os.path.join(workdir, 'bad-release', 'nats-server')
    os.makedirs(os.path.dirname(bad), exist_ok=True)
    with open(bad, 'w') as handle:
        handle.write('#!/bin/sh\necho "nats-server: bad release, exiting" >&2\nexit 1\n')
    os.chmod(bad, 0o755)
    return bad


def write_inventory(path, env, workdir, extra):
    hosts = {}
    for name in env['nats_server_names']:
        hosts[name] = dict(nats_rolling_upgrade_monitor_url=env['nats_servers'][name]['monitor_url'])
    group_vars = dict(ansible_connection='local', ansible_python_interpreter=sys.executable,
                      nats_demo_python=sys.executable, nats_demo_harness=HARNESS, nats_demo_workdir=workdir)
    group_vars.update(extra)
    # localhost runs the gates: give it the same interpreter (ansible-test sets a bogus default).
    local = dict(ansible_connection='local', ansible_python_interpreter=sys.executable)
    with open(path, 'w') as handle:
        json.dump(dict(nats=dict(hosts=hosts, vars=group_vars), local=dict(hosts=dict(localhost=local))),
                  handle, indent=2)


def run_rollout(workdir, version, args, fault_vars, playbook='nats_tools.nats.rolling_upgrade', extra_vars=None):
    """One ansible-playbook run of the rollout (``playbook``: the collection's, or another one taking the
    same inventory and variables, e.g. bench/playbooks/naive_rollout.yml; ``extra_vars`` are added)."""
    inventory = os.path.join(workdir, 'inventory.json')
    report = os.path.join(workdir, 'report-%s.json' % version)
    write_inventory(inventory, json.load(open(os.path.join(workdir, 'env.yml'))), workdir, fault_vars)
    extra = dict(
        nats_rolling_upgrade_version=version,
        nats_rolling_upgrade_install_tasks=fault_vars.get('nats_demo_install_tasks',
                                                          os.path.join(HERE, 'local_install.yml')),
        nats_rolling_upgrade_stop_tasks=os.path.join(HERE, 'local_stop.yml'),
        nats_rolling_upgrade_start_tasks=os.path.join(HERE, 'local_start.yml'),
        nats_rolling_upgrade_gate_timeout=args.gate_timeout,
        nats_rolling_upgrade_stop_timeout=60,
        nats_rolling_upgrade_report_file=report,
    )
    extra.update(extra_vars or {})
    extra_file = os.path.join(workdir, 'extra-%s.json' % version)
    with open(extra_file, 'w') as handle:
        json.dump(extra, handle)
    cmd = ['ansible-playbook', '-i', inventory, playbook, '-e', '@' + extra_file]
    log('rolling upgrade to %s: %s' % (version, ' '.join(cmd)))
    started = time.monotonic()
    playbook_log = os.path.join(workdir, 'playbook-%s.log' % version)
    with open(playbook_log, 'w') as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
    wall = round(time.monotonic() - started, 2)
    text = open(playbook_log).read()
    data = json.load(open(report)) if os.path.exists(report) else {}
    log('playbook exit %d after %.1f s (log: %s)' % (rc, wall, playbook_log))
    return dict(version=version, rc=rc, wall_s=wall, report=data, log=text, log_path=playbook_log)


def failure_message(text):
    """The msg of the task that failed, from ansible-playbook's output."""
    for line in text.splitlines():
        if line.startswith('fatal:') and '=> {' in line:
            try:
                return json.loads(line[line.index('=> {') + 3:]).get('msg', '')
            except ValueError:
                return line
    return ''


def import_collection():
    """Make ansible_collections.nats_tools.nats importable: the collections path, or the tree this runs from."""
    candidates = [p for p in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if p]
    parts = COLLECTION_ROOT.split(os.sep)
    if len(parts) > 3 and parts[-3] == 'ansible_collections':
        candidates.append(os.sep.join(parts[:-3]))
    for path in candidates:
        if path not in sys.path:
            sys.path.append(path)


def final_gate(env):
    """Every replica current at the end: the collection's own gate, read once."""
    import_collection()
    from ansible_collections.nats_tools.nats.plugins.module_utils.cluster import ClusterReader
    from ansible_collections.nats_tools.nats.plugins.module_utils.health import evaluate_gate
    from ansible_collections.nats_tools.nats.plugins.module_utils.monitor import TransportOptions, monitors_for, poll
    reader = ClusterReader(monitors_for(env['nats_urls'], TransportOptions(timeout=5)))

    def attempt():
        verdict = evaluate_gate(reader.read(), expect_servers=len(env['nats_urls']))
        return verdict['passed'], verdict
    passed, verdict, _attempts, _elapsed = poll(attempt, 30, 1)
    return verdict


def print_table(rollouts, load, stored, lost):
    print()
    print('%-6s %-18s %10s %8s %18s %11s' % ('server', 'from -> to', 'pre-gate', 'stop', 'start-to-healthy',
                                             'post-gate'))
    for rollout in rollouts:
        for step in rollout['report'].get('steps', []):
            print('%-6s %-18s %9.2fs %7.2fs %17.2fs %10.2fs%s' % (
                step['name'], '%s -> %s' % (step['from'], step['to']), step['pre_gate_s'], step['stop_s'],
                step['start_to_healthy_s'], step['post_gate_s'], '  (meta leader)' if step['was_meta_leader'] else ''))
        print('%-6s rollout to %s: playbook %s in %.1f s' % (
            '', rollout['version'], 'ok' if rollout['rc'] == 0 else 'FAILED (exit %d)' % rollout['rc'],
            rollout['wall_s']))
    print()
    print('publisher: sent %d, acked %d, stored %s, lost %s (acked but not stored); publish errors %d over %.1f s;'
          ' consumer acked %d' % (load.sent, len(load.acked), 'n/a' if stored is None else stored,
                                  'n/a' if lost is None else lost, len(load.errors), load.error_window(),
                                  load.consumed))


def check(expectations, ok, text):
    expectations.append(dict(ok=bool(ok), check=text))
    log('%s %s' % ('PASS' if ok else 'FAIL', text))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--from', dest='from_version', default='2.10.26')
    parser.add_argument('--to', dest='to_versions', action='append', help='repeatable: one rollout per version')
    parser.add_argument('--rate', type=float, default=200.0, help='messages per second (default 200)')
    parser.add_argument('--fault', choices=['none', 'kill-other', 'bad-release'], default='none')
    parser.add_argument('--gate-timeout', type=float, default=120.0)
    parser.add_argument('--result-json', default=None)
    parser.add_argument('--workdir', default=None, help='default: a new temporary folder')
    args = parser.parse_args()
    to_versions = args.to_versions or ['2.11.11']

    workdir = args.workdir or tempfile.mkdtemp(prefix='nats-demo.')
    for version in [args.from_version] + to_versions:
        harness(None, 'install', '--version', version)
    expectations, rollouts, load = [], [], None
    result = dict(workdir=workdir, fault=args.fault, expectations=expectations)
    try:
        log('starting a 3-node JetStream cluster on %s in %s' % (args.from_version, workdir))
        harness(workdir, 'start', '--topology', 'cluster', '--version', args.from_version,
                '--owner-pid', str(os.getpid()), '--ttl', '1800')
        env = json.load(open(os.path.join(workdir, 'env.yml')))
        before = harness_status(workdir)
        load = Load(env['nats_client_urls'], args.rate)
        load.start()
        time.sleep(2)  # let the load settle so the rollout runs under it

        fault_vars = {}
        if args.fault == 'kill-other':
            fault_vars['nats_demo_install_tasks'] = os.path.join(HERE, 'fault_kill_other_install.yml')
        if args.fault == 'bad-release':
            fault_vars['nats_demo_server_bin'] = make_bad_release(workdir)

        for version in to_versions:
            rollouts.append(run_rollout(workdir, version, args, fault_vars))
            if rollouts[-1]['rc'] != 0:
                break
        time.sleep(2)  # publishing goes on after the rollout
        load.stop()
        # With a server killed the stream may have no quorum left to read from: not verified then.
        ids, stored = asyncio.run(stored_ids(env['nats_client_urls'])) if args.fault != 'kill-other' else (None, None)
        lost = len(set(load.acked) - ids) if ids is not None else None
        after = harness_status(workdir)
        result.update(sent=load.sent, acked=len(load.acked), stored=stored, lost=lost, publish_errors=len(load.errors),
                      publish_error_window_s=load.error_window(), consumed=load.consumed, load_failure=load.failure,
                      rollouts=[dict((k, v) for k, v in r.items() if k != 'log') for r in rollouts],
                      status_before=before, status_after=after)
        print_table(rollouts, load, stored, lost)
        check(expectations, load.failure is None, 'the load ran without crashing (%s)' % load.failure)
        check(expectations, load.acked, 'the publisher had messages acked (%d)' % len(load.acked))

        if args.fault == 'none':
            final = final_gate(env)
            result['final_gate'] = final
            check(expectations, all(r['rc'] == 0 for r in rollouts), 'every rollout playbook succeeded')
            check(expectations, lost == 0, 'no acked message lost (%s lost)' % lost)
            check(expectations, final['passed'], 'every server healthy and every replica current at the end: %s'
                  % '; '.join(final['problems']))
            versions = dict((s['name'], s['version']) for s in final['servers'])
            check(expectations, all(v == to_versions[-1] for v in versions.values()),
                  'every server on %s: %s' % (to_versions[-1], versions))
            for rollout in rollouts:
                steps = rollout['report'].get('steps', [])
                plan = rollout['report'].get('plan', [])
                leader = [p['name'] for p in plan if p['meta_leader']]
                check(expectations, len(steps) == 3 and steps[-1]['was_meta_leader'] and leader
                      and steps[-1]['name'] == leader[0],
                      'rollout to %s: 3 servers, the meta leader (%s) last: %s'
                      % (rollout['version'], leader, [s['name'] for s in steps]))
        elif args.fault == 'kill-other':
            rollout = rollouts[-1]
            killed = open(os.path.join(workdir, 'killed')).read().strip() if os.path.exists(
                os.path.join(workdir, 'killed')) else None
            message = failure_message(rollout['log'])
            result['failure_message'] = message
            check(expectations, killed, 'a server was killed during the rollout (%s)' % killed)
            check(expectations, rollout['rc'] != 0, 'the playbook failed')
            check(expectations, 'gate failed' in message and killed and ('%s at http' % killed) in message,
                  'the gate failure names the killed server %s: %s' % (killed, message[:300]))
            steps = rollout['report'].get('steps', [])
            check(expectations, len(steps) == 1, 'only the first server completed (%s)' % [s['name'] for s in steps])
            killed_after = after['servers'].get(killed, {}) if killed else {}
            check(expectations, killed and not killed_after.get('alive'),
                  'the killed server %s was not started again' % killed)
        else:
            rollout = rollouts[-1]
            steps = rollout['report'].get('steps', [])
            plan = [p['name'] for p in rollout['report'].get('plan', [])]
            message = failure_message(rollout['log'])
            result['failure_message'] = message
            first = plan[0] if plan else None
            check(expectations, rollout['rc'] != 0, 'the playbook failed')
            check(expectations, not steps, 'no server completed a step')
            check(expectations, first and first in message and 'gate failed' in message,
                  'the post gate failed on %s: %s' % (first, message[:300]))
            untouched = [n for n in plan if n != first]
            check(expectations, all(before['servers'][n]['pid'] == after['servers'][n]['pid']
                                    and after['servers'][n]['alive'] for n in untouched),
                  'no other server was touched (%s keep their processes)' % untouched)
            check(expectations, lost == 0, 'publishing went on without loss (%s lost)' % lost)
    except Exception as exc:
        check(expectations, False, 'the scenario ran to its end: %r' % exc)
    finally:
        if load is not None and not load.stopping:
            load.stop()
        harness(workdir, 'stop', check=False)
        result['passed'] = all(e['ok'] for e in expectations)
        if args.result_json:
            with open(args.result_json, 'w') as handle:
                json.dump(result, handle, indent=2, default=str)
    failed = [e['check'] for e in expectations if not e['ok']]
    print('\n%d passed, %d failed' % (len(expectations) - len(failed), len(failed)))
    for text in failed:
        print('FAILED: %s' % text)
    return 0 if not failed else 1


if __name__ == '__main__':
    sys.exit(main())
