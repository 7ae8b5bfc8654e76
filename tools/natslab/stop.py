# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stopping a lab folder: every recorded process (watchdogs, load helpers, servers), SIGTERM then
SIGKILL after a grace period; idempotent."""

from __future__ import absolute_import, division, print_function

import os
import time

from .common import abspath, log
from .procs import terminate
from .state import STATE_FILE, load_state, locked, update_state

__metaclass__ = type  # pylint: disable=invalid-name


def stop_workdir(workdir, grace=5.0, exclude_pid=None):
    """Kill every recorded process (helpers first, then servers). Returns survivors."""
    with locked(workdir):
        state = load_state(workdir)
    if state is None:
        return []
    helpers = [h for h in state.get('helpers', []) if h.get('pid') and h['pid'] != exclude_pid]
    # watchdogs first so they do not race with us, then load helpers, then servers
    helpers.sort(key=lambda h: 0 if h.get('kind') == 'watchdog' else 1)
    survivors = terminate([(h['pid'], h.get('marker')) for h in helpers], grace)
    servers = [(r['pid'], r['config']) for r in state['servers'].values() if r.get('pid')]
    survivors += terminate(servers, grace)

    def mark(st):
        dead = set(p for p, _m in survivors)
        for rec in st['servers'].values():
            if rec.get('pid') not in dead:
                rec['running'] = False
        for helper in st.get('helpers', []):
            if helper.get('pid') not in dead and helper.get('pid') != exclude_pid:
                helper['running'] = False
        st['stopped_at'] = time.time()
    update_state(workdir, mark)
    return survivors


def cmd_stop(args):
    workdir = abspath(args.workdir)
    if not os.path.exists(os.path.join(workdir, STATE_FILE)):
        log('nothing recorded in %s; nothing to stop' % workdir)
        return 0
    survivors = stop_workdir(workdir, args.grace)
    if survivors:
        log('WARNING: still alive after SIGKILL: %s' % ', '.join(str(p) for p, _m in survivors))
        return 1
    log('stopped everything recorded in %s' % workdir)
    return 0
