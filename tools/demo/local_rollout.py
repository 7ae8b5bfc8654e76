# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's rolling_upgrade playbook against local natslab processes: an inventory of the
lab's servers, the role's install/stop/start steps replaced by the task files beside this file
(local_install.yml, local_stop.yml, local_start.yml: natslab install, kill, start-one), one
ansible-playbook run. Used by rollout_under_load.py and by bench/rollout.py."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys
import time

from natslab.lab import command

__metaclass__ = type  # pylint: disable=invalid-name

TASKS_DIR = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = 'nats_tools.nats.rolling_upgrade'


def log(msg):
    sys.stderr.write('[demo %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def make_bad_release(workdir):
    """A "nats-server" that exits at start (the bad-release fault); returns its path."""
    bad = os.path.join(workdir, 'bad-release', 'nats-server')
    os.makedirs(os.path.dirname(bad), exist_ok=True)
    with open(bad, 'w') as handle:
        handle.write('#!/bin/sh\necho "nats-server: bad release, exiting" >&2\nexit 1\n')
    os.chmod(bad, 0o755)
    return bad


def write_inventory(path, env, workdir, extra):
    """Group ``nats`` (one host per lab server, run locally) and ``local`` (localhost runs the gates)."""
    hosts = {}
    for name in env['nats_server_names']:
        if env['nats_servers'][name].get('role') == 'leaf':
            continue  # supercluster_js's leafnode server is not part of the rollout
        hosts[name] = dict(nats_rolling_upgrade_monitor_url=env['nats_servers'][name]['monitor_url'])
    natslab = command()
    group_vars = dict(ansible_connection='local', ansible_python_interpreter=sys.executable,
                      nats_demo_python=natslab[0], nats_demo_natslab=natslab[1], nats_demo_workdir=workdir)
    group_vars.update(extra)
    # localhost runs the gates: give it the same interpreter (ansible-test sets a bogus default).
    local = dict(ansible_connection='local', ansible_python_interpreter=sys.executable)
    with open(path, 'w') as handle:
        json.dump(dict(nats=dict(hosts=hosts, vars=group_vars), local=dict(hosts=dict(localhost=local))),
                  handle, indent=2)


def run_rollout(workdir, version, gate_timeout, fault_vars, playbook=PLAYBOOK, extra_vars=None):
    """One ansible-playbook run of the rollout to ``version`` over the lab in ``workdir``.

    ``playbook``: the collection's, or another one taking the same inventory and variables (e.g.
    bench/playbooks/naive_rollout.yml); ``extra_vars`` are added. ``fault_vars`` go to the inventory
    (nats_demo_install_tasks: another install task file; nats_demo_server_bin: a binary to start
    instead of the release). Returns version, rc, wall_s, report (the role's report file), log, log_path.
    """
    inventory = os.path.join(workdir, 'inventory.json')
    report = os.path.join(workdir, 'report-%s.json' % version)
    with open(os.path.join(workdir, 'env.yml')) as handle:
        env = json.load(handle)
    write_inventory(inventory, env, workdir, fault_vars)
    extra = dict(
        nats_rolling_upgrade_version=version,
        nats_rolling_upgrade_install_tasks=fault_vars.get('nats_demo_install_tasks',
                                                          os.path.join(TASKS_DIR, 'local_install.yml')),
        nats_rolling_upgrade_stop_tasks=os.path.join(TASKS_DIR, 'local_stop.yml'),
        nats_rolling_upgrade_start_tasks=os.path.join(TASKS_DIR, 'local_start.yml'),
        nats_rolling_upgrade_gate_timeout=gate_timeout,
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
    with open(playbook_log) as handle:
        text = handle.read()
    data = {}
    if os.path.exists(report):
        with open(report) as handle:
            data = json.load(handle)
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
