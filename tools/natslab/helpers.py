# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Background helpers recorded in a lab folder: the watchdog (stops everything when its owner
exits or a TTL passes) and load-connections (a process holding N client connections)."""

from __future__ import absolute_import, division, print_function

import json
import os
import signal
import subprocess
import sys
import time

from .common import LabError, abspath, import_nats, log, tail
from .procs import pid_alive, reap, terminate
from .stop import stop_workdir
from .state import get_state, load_state, locked, next_helper_id, server_rec, update_state

__metaclass__ = type  # pylint: disable=invalid-name


# `python <this folder>` runs natslab (__main__.py): how helpers start themselves
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def spawn_helper(workdir, kind, argv, helper_id, marker):
    logpath = os.path.join(workdir, '%s.log' % helper_id)
    with open(logpath, 'ab') as logf:
        proc = subprocess.Popen([sys.executable, PACKAGE_DIR] + argv, stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True,
                                close_fds=True)
    rec = {'id': helper_id, 'kind': kind, 'pid': proc.pid, 'marker': marker, 'log': logpath,
           'started_at': time.time(), 'running': True}

    def record(state):
        state.setdefault('helpers', []).append(rec)
    update_state(workdir, record)
    return proc, rec


def start_watchdog(workdir, owner_pid, ttl):
    with locked(workdir):
        state = load_state(workdir)
        helper_id = next_helper_id(state, 'watchdog')
    marker = os.path.join(workdir, helper_id)
    argv = ['_watchdog', '--workdir', workdir, '--marker', marker, '--owner-pid', str(owner_pid or 0),
            '--ttl', str(ttl or 0)]
    spawn_helper(workdir, 'watchdog', argv, helper_id, marker)


def cmd_watchdog(args):
    """Runs in the background: stop the workdir when the owner pid is gone or the TTL passes."""
    workdir = abspath(args.workdir)
    t0 = time.time()
    print('watchdog pid %d: owner pid %d, ttl %ss' % (os.getpid(), args.owner_pid, args.ttl), flush=True)
    signal.signal(signal.SIGTERM, lambda *_a: os._exit(0))
    while True:
        time.sleep(1.0)
        reason = None
        if args.owner_pid and not pid_alive(args.owner_pid):
            reason = 'owner pid %d is gone' % args.owner_pid
        elif args.ttl and time.time() - t0 > args.ttl:
            reason = 'ttl of %ss passed' % args.ttl
        if reason:
            print('%s: stopping everything in %s' % (reason, workdir), flush=True)
            stop_workdir(workdir, 3.0, exclude_pid=os.getpid())
            return 0


def cmd_load_connections(args):
    workdir = abspath(args.workdir)
    state = get_state(workdir)
    import_nats()  # fail early, in the foreground
    url = args.url
    if not url:
        url = server_rec(state, args.server)['client_url'] if args.server else \
            state['servers'][state['order'][0]]['client_url']
    with locked(workdir):
        helper_id = next_helper_id(load_state(workdir), 'load')
    ready = os.path.join(workdir, '%s.ready' % helper_id)
    failed = os.path.join(workdir, '%s.failed' % helper_id)
    argv = ['_load-helper', '--workdir', workdir, '--ready-file', ready, '--failed-file', failed, '--url', url,
            '--count', str(args.count), '--subs-per-conn', str(args.subs_per_conn),
            '--name-prefix', args.name_prefix or helper_id, '--batch', str(args.batch)]
    if args.no_reconnect:
        argv.append('--no-reconnect')
    proc, rec = spawn_helper(workdir, 'load-connections', argv, helper_id, ready)
    t0 = time.time()
    deadline = t0 + args.timeout
    while True:
        if os.path.exists(ready):
            with open(ready) as handle:
                info = json.load(handle)
            break
        problem = None
        if os.path.exists(failed):
            with open(failed) as handle:
                problem = handle.read().strip()
        elif proc.poll() is not None:
            problem = 'helper exited with code %s' % proc.returncode
        elif time.time() >= deadline:
            problem = 'timed out after %ss' % args.timeout
        if problem:
            terminate([(proc.pid, None)], 2.0)
            reap(proc.pid)
            update_state(workdir, lambda st: [h.update(running=False) for h in st['helpers'] if h['id'] == helper_id])
            print(tail(rec['log'], 40), file=sys.stderr)
            raise LabError('load-connections %s: %s' % (helper_id, problem))
        time.sleep(0.1)

    def record(st):
        for helper in st['helpers']:
            if helper['id'] == helper_id:
                helper.update(url=url, count=args.count, subs_per_conn=args.subs_per_conn,
                              connected=info.get('connected'), subscriptions=info.get('subscriptions'))
    update_state(workdir, record)
    log('%s: %d connections (%d subscriptions) to %s held by pid %d, ready in %.2fs' % (
        helper_id, info.get('connected'), info.get('subscriptions'), url, proc.pid, time.time() - t0))
    print(json.dumps({'id': helper_id, 'pid': proc.pid, 'url': url, 'connected': info.get('connected'),
                      'subscriptions': info.get('subscriptions'), 'seconds': round(time.time() - t0, 2)},
                     sort_keys=True))
    return 0


def cmd_stop_load(args):
    workdir = abspath(args.workdir)
    state = get_state(workdir)
    helpers = [h for h in state.get('helpers', []) if h['kind'] == 'load-connections' and
               (not args.id or h['id'] in args.id)]
    survivors = terminate([(h['pid'], h.get('marker')) for h in helpers], args.grace)
    dead = set(h['id'] for h in helpers) - set(h['id'] for h in helpers if (h['pid'], h.get('marker')) in survivors)

    def mark(st):
        for helper in st['helpers']:
            if helper['id'] in dead:
                helper['running'] = False
    update_state(workdir, mark)
    log('stopped load helpers: %s' % (', '.join(sorted(dead)) or 'none'))
    return 1 if survivors else 0
