#!/usr/bin/env python
# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rolling upgrade of a real local 3-node JetStream cluster under publish load.

Starts the cluster (natslab, version --from: an R3 stream ORDERS with a durable consumer PROC and
100 seed messages), a publisher that publishes with acks at --rate msg/s and a consumer that acks,
then runs the collection's playbook nats_tools.nats.rolling_upgrade once per --to version against
the local processes (ANSIBLE_COLLECTIONS_PATH selects which copy of the collection). Prints one
table per rollout and one for the load, every number explained, writes --result-json, and stops
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

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

from demo.local_rollout import TASKS_DIR, failure_message, log, make_bad_release, run_rollout  # noqa: E402 pylint: disable=wrong-import-position
from natslab.lab import Lab  # noqa: E402 pylint: disable=wrong-import-position
from natslab.load import Publisher, stored_ids  # noqa: E402 pylint: disable=wrong-import-position

__metaclass__ = type  # pylint: disable=invalid-name

SUBJECT = 'orders.demo'


def import_collection():
    """Make ansible_collections.nats_tools.nats importable from ANSIBLE_COLLECTIONS_PATH."""
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        if path and path not in sys.path:
            sys.path.append(path)


def final_gate(env):
    """Every replica current at the end: the collection's own gate, polled for up to 30 s."""
    import_collection()
    # pylint: disable=import-outside-toplevel,import-error
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
    from ansible_collections.nats_tools.nats.plugins.module_utils.gate import ClusterReader, evaluate_gate
    from ansible_collections.nats_tools.nats.plugins.module_utils.transport import TransportOptions, make_transport
    from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import poll
    options = TransportOptions(timeout=5)
    transport = make_transport(options, pool_size=max(8, len(env['nats_urls'])))
    reader = ClusterReader([NatsMonitor(url, options=options, transport=transport) for url in env['nats_urls']])

    def attempt():
        verdict = evaluate_gate(reader.read(), expect_servers=len(env['nats_urls']))
        return verdict['passed'], verdict
    _passed, verdict, _attempts, _elapsed = poll(attempt, 30, 1)
    return verdict


# ---------------------------------------------------------------------------
# Output: one table per rollout, one for the load, the checks
# ---------------------------------------------------------------------------

STEP_COLUMNS = (
    ('pre-gate', "the role's gate before the server is stopped: the cluster can spare it"),
    ('stop', 'lame duck (SIGUSR2) until the process exited'),
    ('start->healthy', 'from starting the new version until its /healthz answered 200'),
    ('post-gate', 'the gate after the start: this server on the new version, every replica current'),
)


def print_rollouts(rollouts):
    for rollout in rollouts:
        steps = rollout['report'].get('steps', [])
        print('\nRollout to %s: playbook %s in %.1f s; seconds per server, in the order upgraded:' % (
            rollout['version'], 'ok' if rollout['rc'] == 0 else 'FAILED (exit %d)' % rollout['rc'],
            rollout['wall_s']))
        print('  %-6s %-19s %9s %7s %15s %10s' % (('server', 'from -> to') + tuple(c for c, _h in STEP_COLUMNS)))
        for step in steps:
            print('  %-6s %-19s %9.2f %7.2f %15.2f %10.2f%s' % (
                step['name'], '%s -> %s' % (step['from'], step['to']), step['pre_gate_s'], step['stop_s'],
                step['start_to_healthy_s'], step['post_gate_s'],
                '  meta leader, so upgraded last' if step['was_meta_leader'] else ''))
        if not steps:
            print('  (no server completed its step)')
    print()
    for column, meaning in STEP_COLUMNS:
        print('  %-15s %s' % (column, meaning))


def print_load(load, rate, stored_run, stored_stream, seed, lost, subject=SUBJECT, stream='ORDERS'):
    def row(name, value, meaning):
        print('  %-18s %7s  %s' % (name, 'n/a' if value is None else value, meaning))

    print('\nLoad during the rollouts: a publisher with acks at %g msg/s on %s (stream %s), a consumer acking:'
          % (rate, subject, stream))
    row('sent', load.sent, 'publish calls made')
    row('acked', len(load.acked), 'publishes JetStream acknowledged (stored on a quorum of %s)' % stream)
    window = ' (within %.1f s)' % load.error_window() if len(load.errors) > 1 else ''
    row('publish errors', len(load.errors), 'publishes without an ack%s, while leaders moved; such a message may '
                                            'still be stored' % window if load.errors else 'publishes without an ack')
    unread = ' (not read back: with a server killed the stream may have no quorum)' if stored_run is None else ''
    row('stored', stored_run, 'messages on %s read back from the stream%s' % (subject, unread))
    row('lost', lost, 'acked but not stored: must be 0')
    row('in stream', stored_stream,
        'every message in the stream: stored + %s seed messages (on its "created" subject) from the start' % seed)
    row('consumed', load.consumed, 'deliveries pulled and acked by the durable consumer %s: every subject, ' % load.consumer +
                                   'seed messages included, a redelivery after a restart counted again (not '
                                   'checked: it may trail the publisher)')
    row('client errors', load.connection_errors, 'connection errors of the two clients while servers '
                                                 'restarted (expected: they reconnect)')


def check(expectations, ok, text):
    expectations.append(dict(ok=bool(ok), check=text))


def print_checks(expectations):
    print('\nChecks:')
    for item in expectations:
        print('  %s  %s' % ('PASS' if item['ok'] else 'FAIL', item['check']))
    failed = [e for e in expectations if not e['ok']]
    print('%d passed, %d failed' % (len(expectations) - len(failed), len(failed)))
    return not failed


# ---------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------

def check_none(expectations, rollouts, env, lost, to_version, result):
    final = final_gate(env)
    result['final_gate'] = final
    check(expectations, all(r['rc'] == 0 for r in rollouts), 'every rollout playbook succeeded')
    check(expectations, lost == 0, 'no acked message lost (%s lost)' % lost)
    check(expectations, final['passed'], 'at the end every server is healthy and every replica current%s'
          % (': ' + '; '.join(final['problems']) if final['problems'] else ''))
    leaves = set(n for n, rec in env['nats_servers'].items() if rec.get('role') == 'leaf')
    versions = dict((s['name'], s['version']) for s in final['servers'] if s['name'] not in leaves)
    check(expectations, all(v == to_version for v in versions.values()),
          'every server on %s (%s)' % (to_version, ', '.join('%s %s' % kv for kv in sorted(versions.items()))))
    for rollout in rollouts:
        steps = rollout['report'].get('steps', [])
        plan = rollout['report'].get('plan', [])
        leader = [p['name'] for p in plan if p['meta_leader']]
        check(expectations, len(steps) == len(plan) and steps and steps[-1]['was_meta_leader'] and leader
              and steps[-1]['name'] == leader[0],
              'rollout to %s: %d servers, the meta leader %s last (order: %s)'
              % (rollout['version'], len(plan), leader[0] if leader else '(none)', ', '.join(s['name'] for s in steps)))


def check_kill_other(expectations, rollout, workdir, after, result):
    killed_file = os.path.join(workdir, 'killed')
    killed = None
    if os.path.exists(killed_file):
        with open(killed_file) as handle:
            killed = handle.read().strip()
    message = failure_message(rollout['log'])
    result['failure_message'] = message
    check(expectations, killed, 'a server was killed during the rollout (%s)' % killed)
    check(expectations, rollout['rc'] != 0, 'the playbook failed')
    check(expectations, 'gate failed' in message and killed and ('%s at http' % killed) in message,
          'the gate failure names the killed server %s: %s' % (killed, message[:300]))
    steps = rollout['report'].get('steps', [])
    check(expectations, len(steps) == 1, 'only the first server completed (%s)' % ', '.join(s['name'] for s in steps))
    killed_after = after['servers'].get(killed, {}) if killed else {}
    check(expectations, killed and not killed_after.get('alive'), 'the killed server %s was not started again' % killed)


def check_bad_release(expectations, rollout, before, after, lost, result):
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
          'no other server was touched (%s keep their processes)' % ', '.join(untouched))
    check(expectations, lost == 0, 'publishing went on without loss (%s lost)' % lost)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--from', dest='from_version', default='2.10.26')
    parser.add_argument('--to', dest='to_versions', action='append', help='repeatable: one rollout per version')
    parser.add_argument('--rate', type=float, default=200.0, help='messages per second (default 200)')
    parser.add_argument('--fault', choices=['none', 'kill-other', 'bad-release'], default='none')
    parser.add_argument('--topology', choices=['cluster', 'supercluster_js'], default='cluster',
                        help='supercluster_js: 2 x 3 servers, one R3 stream placed in each cluster, a publisher each '
                             '(fault none only)')
    parser.add_argument('--gate-timeout', type=float, default=120.0)
    parser.add_argument('--result-json', default=None)
    parser.add_argument('--workdir', default=None, help='default: a new temporary folder')
    return parser.parse_args()


def main():
    args = parse_args()
    to_versions = args.to_versions or ['2.11.11']
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix='nats-demo.'))
    lab = Lab(workdir)
    for version in [args.from_version] + to_versions:
        lab.install(version)
    expectations, rollouts, loads = [], [], []
    result = dict(workdir=workdir, fault=args.fault, expectations=expectations)
    try:
        log('starting %s on %s in %s' % ('a 3-node JetStream cluster' if args.topology == 'cluster'
                                         else 'a 2 x 3 JetStream supercluster', args.from_version, workdir))
        env = lab.start(args.topology, args.from_version, ttl=1800)
        before = lab.status()
        # One publisher per stream: ORDERS of the cluster, or ORDERS_A and ORDERS_B placed in each cluster.
        streams = [dict(name='ORDERS', subject=SUBJECT, consumer='PROC', seed=env.get('nats_stream_messages'))] \
            if args.topology == 'cluster' else [
                dict(name=s['name'], subject=s['subjects'][0].replace('>', 'demo'), consumer=s['consumer'],
                     seed=s.get('messages')) for s in env['nats_streams']]
        loads = [Publisher(env['nats_client_urls'], args.rate / len(streams), subject=s['subject'], stream=s['name'],
                           consumer=s['consumer']) for s in streams]
        load = loads[0]
        for each in loads:
            each.start()
        time.sleep(2)  # let the load settle so the rollout runs under it

        fault_vars = {}
        if args.fault == 'kill-other':
            fault_vars['nats_demo_install_tasks'] = os.path.join(TASKS_DIR, 'fault_kill_other_install.yml')
        if args.fault == 'bad-release':
            fault_vars['nats_demo_server_bin'] = make_bad_release(workdir)

        for version in to_versions:
            rollouts.append(run_rollout(workdir, version, args.gate_timeout, fault_vars))
            if rollouts[-1]['rc'] != 0:
                break
        time.sleep(2)  # publishing goes on after the rollout
        for each in loads:
            each.stop()
        # With a server killed the stream may have no quorum left to read from: not verified then.
        # The read-back asks the JetStream servers only: supercluster_js's leaf l1 (no JetStream) answers
        # every $JS.API request with "no responders" (measured: l1 on 2.12.8, from the topology's start and
        # through a whole rollout of its hub clusters to 2.15.1), and a read-back that landed on it failed CI once.
        js_client_urls = env['nats_jetstream_client_urls']
        read_back = []
        for stream, each in zip(streams, loads):
            ids, stored_stream = (None, None)
            if args.fault != 'kill-other':
                failed_reads = []
                result.setdefault('read_back_failed_attempts', {})[stream['name']] = failed_reads
                try:
                    ids, stored_stream = asyncio.run(stored_ids(js_client_urls, subject=stream['subject'],
                                                                stream=stream['name'], attempts=failed_reads))
                except Exception:
                    # What the collection's gate says of the cluster now (it passed when the playbook ended).
                    verdict = final_gate(env)
                    log('read-back failed; the gate now: %s; meta leader %s' % (
                        'passed' if verdict['passed'] else '; '.join(verdict['problems']), verdict.get('meta_leader')))
                    raise
                finally:
                    for line in failed_reads:
                        log('read-back attempt failed: %s' % line)
            read_back.append((ids, stored_stream, len(set(each.acked) - ids) if ids is not None else None))
        ids, stored_stream, _lost = read_back[0]
        lost = None if any(r[2] is None for r in read_back) else sum(r[2] for r in read_back)
        after = lab.status()
        seed = env.get('nats_stream_messages')
        result.update(sent=sum(e.sent for e in loads), acked=sum(len(e.acked) for e in loads),
                      stored=None if ids is None else sum(len(r[0]) for r in read_back),
                      stream_messages=stored_stream, seed_messages=seed, lost=lost,
                      publish_errors=sum(len(e.errors) for e in loads),
                      publish_error_window_s=load.error_window(), consumed=sum(e.consumed for e in loads),
                      load_failure=next((e.failure for e in loads if e.failure), None),
                      rollouts=[dict((k, v) for k, v in r.items() if k != 'log') for r in rollouts],
                      status_before=before, status_after=after)
        print_rollouts(rollouts)
        for stream, each, (ids_s, stored_s, lost_s) in zip(streams, loads, read_back):
            print_load(each, args.rate / len(streams), None if ids_s is None else len(ids_s), stored_s,
                       stream['seed'], lost_s, subject=stream['subject'],
                       stream=stream['name'])
        failure = next((e.failure for e in loads if e.failure), None)
        check(expectations, failure is None, 'the load ran without crashing' + (' (%s)' % failure if failure else ''))
        check(expectations, all(e.acked for e in loads), 'every publisher had messages acked (%s)'
              % ', '.join('%s %d' % (s['name'], len(e.acked)) for s, e in zip(streams, loads)))
        if args.fault == 'none':
            check_none(expectations, rollouts, env, lost, to_versions[-1], result)
        elif args.fault == 'kill-other':
            check_kill_other(expectations, rollouts[-1], workdir, after, result)
        else:
            check_bad_release(expectations, rollouts[-1], before, after, lost, result)
    except Exception as exc:  # pylint: disable=broad-except  # a check that fails, with the reason
        check(expectations, False, 'the scenario ran to its end: %r' % exc)
    finally:
        for each in loads:
            if not each.stopping:
                each.stop()
        lab.stop()
        result['passed'] = all(e['ok'] for e in expectations)
        if args.result_json:
            with open(args.result_json, 'w') as handle:
                json.dump(result, handle, indent=2, default=str)
    return 0 if print_checks(expectations) else 1


if __name__ == '__main__':
    sys.exit(main())
