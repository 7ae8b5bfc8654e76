# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cutting and restoring the gateways of one cluster of a supercluster (`gateway`), and waiting
until a supercluster_js lab is whole again (`wait-ready`).

nats-server cannot change its gateway settings on a reload ("config reload not supported for
gateway"), so a cut restarts every server of the cluster with a configuration whose gateway block
is taken out: the cluster then neither listens for gateways nor dials the others, and the other
clusters' outbound gateways to it fail (connection refused). Restoring puts the saved block back
and restarts them again (same ports, same JetStream store)."""

from __future__ import absolute_import, division, print_function

import json
import os
import signal
import time

from .common import LabError, abspath, log
from .procs import pid_alive, send_signal, wait_gone
from .servers import start_one
from .state import get_state, update_state
from .topologies import GATEWAY_BEGIN, GATEWAY_END, wait_supercluster_js
from .waits import Waiter

__metaclass__ = type  # pylint: disable=invalid-name


SAVED_SUFFIX = '.with-gateway'


def without_gateway(text):
    """The configuration text without the lines from GATEWAY_BEGIN to GATEWAY_END."""
    out, skipping, found = [], False, False
    for line in text.splitlines(True):
        if line.strip() == GATEWAY_BEGIN:
            skipping = found = True
            continue
        if line.strip() == GATEWAY_END:
            skipping = False
            continue
        if not skipping:
            out.append(line)
    if not found:
        raise LabError('no gateway block between natslab markers in this configuration')
    return ''.join(out)


def stop_servers(workdir, names, timeout):
    """SIGTERM to every server of ``names`` at once, SIGKILL after ``timeout``."""
    state = get_state(workdir)
    procs = []
    for name in names:
        rec = state['servers'][name]
        if pid_alive(rec.get('pid'), rec['config']):
            log('sending SIGTERM to %s (pid %d)' % (name, rec['pid']))
            send_signal(rec['pid'], signal.SIGTERM)
            procs.append((rec['pid'], rec['config']))
    for pid, marker in wait_gone(procs, timeout):
        log('pid %d still running %ss after SIGTERM: SIGKILL' % (pid, timeout))
        send_signal(pid, signal.SIGKILL)
        if wait_gone([(pid, marker)], 5.0):
            raise LabError('pid %d survived SIGKILL' % pid)

    def mark(st):
        for name in names:
            st['servers'][name]['running'] = False
    update_state(workdir, mark)


def cmd_gateway(args):
    workdir = abspath(args.workdir)
    state = get_state(workdir)
    clusters = state.get('clusters') or {}
    if args.cluster not in clusters:
        raise LabError('no cluster %r here (clusters: %s)' % (args.cluster, ', '.join(sorted(clusters)) or 'none'))
    names = clusters[args.cluster]
    t0 = time.time()
    texts = {}
    for name in names:
        config = state['servers'][name]['config']
        saved = config + SAVED_SUFFIX
        if args.action == 'cut':
            if os.path.exists(saved):
                raise LabError('the gateways of cluster %s are cut already (%s exists); restore them first' % (
                    args.cluster, saved))
            with open(config) as handle:
                original = handle.read()
            texts[name] = (without_gateway(original), original)
        else:
            if not os.path.exists(saved):
                raise LabError('the gateways of cluster %s are not cut (no %s)' % (args.cluster, saved))
            with open(saved) as handle:
                texts[name] = (handle.read(), None)
    stop_servers(workdir, names, args.stop_timeout)
    for name in names:
        config = state['servers'][name]['config']
        new_text, original = texts[name]
        if original is not None:
            with open(config + SAVED_SUFFIX, 'w') as handle:
                handle.write(original)
        with open(config, 'w') as handle:
            handle.write(new_text)
        if args.action == 'restore':
            os.remove(config + SAVED_SUFFIX)
    for name in names:
        start_one(workdir, name, None, None, args.timeout, False)

    def record(st):
        cut = set(st.get('gateways_cut') or [])
        if args.action == 'cut':
            cut.add(args.cluster)
        else:
            cut.discard(args.cluster)
        st['gateways_cut'] = sorted(cut)
    update_state(workdir, record)
    if args.action == 'restore' and args.wait_ready:
        wait_ready(workdir, args.timeout)
    log('gateways of cluster %s %s in %.2fs (servers %s restarted)' % (
        args.cluster, 'cut' if args.action == 'cut' else 'restored', time.time() - t0, ', '.join(names)))
    print(json.dumps({'cluster': args.cluster, 'action': args.action, 'servers': names,
                      'seconds': round(time.time() - t0, 2)}, sort_keys=True))
    return 0


def wait_ready(workdir, timeout):
    """What `start` waits for, without making anything: for supercluster_js every route and gateway,
    the leafnode, the meta group of six with a leader, the streams current, /healthz 200 on all;
    for the other topologies /healthz 200 on every running server."""
    state = get_state(workdir)
    stopped = [n for n in state['order'] if not pid_alive(state['servers'][n].get('pid'), state['servers'][n]['config'])]
    if stopped:
        raise LabError('not running: %s (start-one them first)' % ', '.join(stopped))
    if state['topology'] == 'supercluster_js':
        wait_supercluster_js(state, {}, timeout, 0, create=False)
    else:
        Waiter(state, {}, timeout).healthz(list(state['order']))


def cmd_wait_ready(args):
    t0 = time.time()
    wait_ready(abspath(args.workdir), args.timeout)
    log('ready again in %.2fs' % (time.time() - t0))
    print(json.dumps({'ready': True, 'seconds': round(time.time() - t0, 2)}))
    return 0
