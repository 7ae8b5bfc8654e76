# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starting and stopping the servers of a lab folder: a whole topology, one server (signal,
start again, restart), status, logs, env.yml values."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from .binaries import binary_version, find_binary, normalize_version
from .common import LabError, abspath, import_nats, log, tail
from .helpers import PACKAGE_DIR, start_watchdog
from .monitor import http_get
from .ports import Ports
from .procs import EXITING_SIGNALS, parse_signal, pid_alive, raise_nofile, send_signal, terminate, wait_gone
from .state import ENV_FILE, STATE_FILE, get_state, load_state, locked, save_state, server_rec, update_state
from .stop import stop_workdir
from .tls import make_tls
from .topologies import plan_topology, wait_topology
from .waits import Waiter

__metaclass__ = type  # pylint: disable=invalid-name


def spawn_server(workdir, rec, procs, banner=''):
    """Start one nats-server in its own session; record the pid at once."""
    with open(rec['log'], 'ab') as logf:
        logf.write(('\n==== natslab: starting %s (%s) %s %s\n' % (
            rec['name'], rec['version'], time.strftime('%Y-%m-%dT%H:%M:%S'), banner)).encode())
        logf.flush()
        # rec['args']: options given on the command line instead of the file (twins topology)
        proc = subprocess.Popen([rec['bin'], '-c', rec['config']] + list(rec.get('args') or []), stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, cwd=rec['dir'], start_new_session=True, close_fds=True)
    procs[rec['name']] = proc

    def record(state):
        srv = state['servers'][rec['name']]
        srv.update(pid=proc.pid, running=True, started_at=time.time(), version=rec['version'], bin=rec['bin'],
                   server_version=None, server_id=None)
    update_state(workdir, record)
    rec['pid'] = proc.pid
    return proc


def kill_started(workdir, state):
    procs = [(r['pid'], r['config']) for r in state['servers'].values() if r.get('pid')]
    terminate(procs, 3.0)
    for rec in state['servers'].values():
        rec['running'] = False


def print_tails(state, lines=40):
    for name in state.get('order', []):
        rec = state['servers'][name]
        print('---- %s: last %d lines of %s' % (name, lines, rec['log']), file=sys.stderr)
        print(tail(rec['log'], lines), file=sys.stderr)


def cmd_start(args):
    workdir = abspath(args.workdir)
    version = normalize_version(args.version)
    binpath = find_binary(version, args.server_bin)
    if os.path.exists(os.path.join(workdir, STATE_FILE)):
        raise LabError('%s already holds a harness run (%s); stop it and use a fresh --workdir' % (
            workdir, STATE_FILE))
    os.makedirs(workdir, exist_ok=True)
    bin_version = binary_version(binpath)
    if args.topology in ('cluster', 'supercluster_js'):
        import_nats()  # needed for the stream; fail before starting anything
    raise_nofile()
    t0 = time.time()
    state = {
        'workdir': workdir, 'topology': args.topology, 'version': version, 'binary_version': bin_version,
        'servers': {}, 'order': [], 'helpers': [], 'created_at': t0, 'harness': PACKAGE_DIR,
        'python': sys.executable,
    }
    if args.topology == 'tls':
        state['tls'] = make_tls(workdir, days=args.tls_days)
    with locked(workdir):
        save_state(workdir, state)
    if args.owner_pid or args.ttl:
        start_watchdog(workdir, args.owner_pid, args.ttl)

    # A port clash (kernel-chosen ports) or a meta group formed short of its servers (waits.py) is
    # started again; a short group is given up after META_STUCK_S (20 s), not the whole timeout.
    attempts = 1 if args.port_base else 5
    for attempt in range(1, attempts + 1):
        ports = Ports(args.port_base)
        with locked(workdir):
            state = load_state(workdir)
            for rec in state['servers'].values():
                shutil.rmtree(rec['dir'], ignore_errors=True)
            try:
                plan_topology(state, args.topology, version, binpath, ports)
            finally:
                ports.release()
            save_state(workdir, state)
        procs = {}
        try:
            for name in state['order']:
                spawn_server(workdir, state['servers'][name], procs)
            with locked(workdir):
                state = load_state(workdir)
            wait_topology(state, procs, args.timeout, args.messages)
        except (LabError, KeyboardInterrupt, Exception) as exc:  # pylint: disable=broad-except
            with locked(workdir):
                state = load_state(workdir)
                kill_started(workdir, state)
                save_state(workdir, state)
            in_use = any('address already in use' in tail(r['log'], 200).lower() for r in state['servers'].values())
            incomplete = 'meta group incomplete' in str(exc)
            if (in_use or incomplete) and attempt < attempts and not isinstance(exc, KeyboardInterrupt):
                log('%s on attempt %d (%s); starting again' % (
                    'port clash' if in_use else 'meta group incomplete', attempt, exc))
                continue
            print_tails(state)
            stop_workdir(workdir, grace=2.0)
            if isinstance(exc, LabError):
                raise
            raise LabError('start failed: %r' % (exc,))
        break

    elapsed = round(time.time() - t0, 2)

    def finish(st):
        for name in st['order']:
            st['servers'][name]['server_version'] = state['servers'][name].get('server_version')
            st['servers'][name]['server_id'] = state['servers'][name].get('server_id')
        if state.get('stream'):
            st['stream'] = state['stream']
        if state.get('streams'):
            st['streams'] = state['streams']
        st['start_seconds'] = elapsed
        return st
    state = update_state(workdir, finish)
    urls = ', '.join('%s=%s' % (n, state['servers'][n]['monitor_url']) for n in state['order'])
    log('%s topology with nats-server %s up in %.2fs: %s' % (args.topology, bin_version, elapsed, urls))
    summary = {
        'workdir': workdir, 'env_file': os.path.join(workdir, ENV_FILE), 'topology': args.topology,
        'version': bin_version, 'start_seconds': elapsed,
        'servers': dict((n, {'pid': state['servers'][n]['pid'], 'monitor_url': state['servers'][n]['monitor_url'],
                             'client_url': state['servers'][n]['client_url']}) for n in state['order']),
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


def kill_server(workdir, name, sig, wait, timeout):
    state = get_state(workdir)
    rec = server_rec(state, name)
    if not pid_alive(rec.get('pid'), rec['config']):
        log('%s (pid %s) is not running' % (name, rec.get('pid')))
        update_state(workdir, lambda st: st['servers'][name].update(running=False))
        return True
    log('sending SIG%s to %s (pid %d)' % (signal.Signals(sig).name.replace('SIG', ''), name, rec['pid']))
    send_signal(rec['pid'], sig)
    if not wait:
        return True
    if wait_gone([(rec['pid'], rec['config'])], timeout):
        log('%s (pid %d) still running %ss after the signal' % (name, rec['pid'], timeout))
        return False
    update_state(workdir, lambda st: st['servers'][name].update(running=False))
    log('%s (pid %d) has exited' % (name, rec['pid']))
    return True


def start_one(workdir, name, version, server_bin, timeout, wait_healthy):
    state = get_state(workdir)
    rec = server_rec(state, name)
    if pid_alive(rec.get('pid'), rec['config']):
        raise LabError('%s is still running (pid %d); kill it first (or use restart)' % (name, rec['pid']))
    version = normalize_version(version or rec['version'])
    rec = dict(rec, version=version, bin=find_binary(version, server_bin))
    raise_nofile()
    t0 = time.time()
    procs = {}
    spawn_server(workdir, rec, procs, banner='(start-one)')
    state = get_state(workdir)
    waiter = Waiter(state, procs, timeout)
    try:
        waiter.varz([name])
        if wait_healthy:
            waiter.healthz([name])
    except LabError:
        print('---- %s: last 40 lines of %s' % (name, rec['log']), file=sys.stderr)
        print(tail(rec['log']), file=sys.stderr)
        raise
    found = state['servers'][name]
    update_state(workdir, lambda st: st['servers'][name].update(
        server_version=found.get('server_version'), server_id=found.get('server_id')))
    log('%s started again with nats-server %s (pid %d) in %.2fs' % (
        name, found.get('server_version'), rec['pid'], time.time() - t0))
    print(json.dumps({'server': name, 'pid': rec['pid'], 'version': found.get('server_version'),
                      'monitor_url': rec['monitor_url'], 'client_url': rec['client_url']}, sort_keys=True))


def cmd_restart(args):
    workdir = abspath(args.workdir)
    sig = parse_signal(args.signal)
    if not kill_server(workdir, args.server, sig, True, args.stop_timeout):
        state = get_state(workdir)
        rec = server_rec(state, args.server)
        log('escalating to SIGKILL for %s' % args.server)
        send_signal(rec['pid'], signal.SIGKILL)
        if wait_gone([(rec['pid'], rec['config'])], 5.0):
            raise LabError('%s (pid %d) survived SIGKILL' % (args.server, rec['pid']))
        update_state(workdir, lambda st: st['servers'][args.server].update(running=False))
    start_one(workdir, args.server, args.version, args.server_bin, args.timeout, args.wait_healthy)
    return 0


def cmd_status(args):
    workdir = abspath(args.workdir)
    state = get_state(workdir)
    cafile = (state.get('tls') or {}).get('ca')
    out = {'workdir': workdir, 'topology': state['topology'], 'servers': {}, 'helpers': []}
    for name in state['order']:
        rec = state['servers'][name]
        alive = pid_alive(rec.get('pid'), rec['config'])
        status = None
        if alive:
            status, _body = http_get(rec['monitor_url'] + '/healthz', cafile, 2.0)
        out['servers'][name] = {'pid': rec.get('pid'), 'alive': alive, 'version': rec['version'],
                                'healthz': status, 'monitor_url': rec['monitor_url']}
    for helper in state.get('helpers', []):
        out['helpers'].append({'id': helper['id'], 'kind': helper['kind'], 'pid': helper['pid'],
                               'alive': pid_alive(helper['pid'], helper.get('marker'))})
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


def cmd_logs(args):
    state = get_state(abspath(args.workdir))
    names = args.server or state['order']
    for name in names:
        rec = server_rec(state, name)
        print('---- %s (%s): last %d lines of %s' % (name, rec['version'], args.lines, rec['log']))
        print(tail(rec['log'], args.lines))
    if not args.server:
        for helper in state.get('helpers', []):
            print('---- helper %s: last %d lines of %s' % (helper['id'], args.lines, helper['log']))
            print(tail(helper['log'], args.lines))
    return 0


def cmd_get(args):
    workdir = abspath(args.workdir)
    get_state(workdir)
    with open(os.path.join(workdir, ENV_FILE)) as handle:
        value = json.load(handle)
    for part in args.key.split('.'):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise LabError('no key %r in %s' % (args.key, ENV_FILE))
    if isinstance(value, (dict, list)):
        print(json.dumps(value, sort_keys=True))
    elif value is None:
        print('')
    elif isinstance(value, bool):
        print('true' if value else 'false')
    else:
        print(value)
    return 0


def cmd_kill(args):
    sig = parse_signal(args.signal)
    wait = args.wait if args.wait is not None else sig in EXITING_SIGNALS
    ok = kill_server(abspath(args.workdir), args.server, sig, wait, args.timeout)
    return 0 if ok else 1


def cmd_start_one(args):
    start_one(abspath(args.workdir), args.server, args.version, args.server_bin, args.timeout, args.wait_healthy)
    return 0


def cmd_wait_healthy(args):
    workdir = abspath(args.workdir)
    state = get_state(workdir)
    names = args.server or [n for n in state['order'] if state['servers'][n].get('running')]
    for name in names:
        server_rec(state, name)
    Waiter(state, {}, args.timeout).healthz(names, ('?' + args.query) if args.query else '')
    log('/healthz 200 on %s' % ', '.join(names))
    return 0
